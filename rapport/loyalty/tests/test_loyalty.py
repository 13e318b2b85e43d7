"""Points ledger, tiers and referrals."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.core.exceptions import ValidationError
from rapport.loyalty import selectors, services
from rapport.loyalty.models import LoyaltyAccount, PointsEntry, TierChange


@pytest.fixture
def order_for(make_product, manager):
    from rapport.sales.services import order_create

    product = make_product(price="100.00")

    def make(customer, *, price="100.00", status="paid", days_ago=0):
        return order_create(
            by=manager,
            customer_id=customer.pk,
            lines=[{"product_id": product.pk, "quantity": 1, "unit_price": price}],
            status=status,
            ordered_at=timezone.now() - timedelta(days=days_ago),
        )

    return make


@pytest.fixture
def tiers(manager):
    services.tier_create(by=manager, name="Member", rank=1)
    services.tier_create(
        by=manager, name="Silver", rank=2, min_spend=Decimal("500"), discount_percent=Decimal("5")
    )
    services.tier_create(
        by=manager,
        name="Gold",
        rank=3,
        min_spend=Decimal("2000"),
        min_points=1500,
        discount_percent=Decimal("10"),
    )
    services.tier_create(
        by=manager, name="VIP", rank=4, min_spend=Decimal("10000"), free_services="Free delivery"
    )


@pytest.mark.django_db
def test_points_are_earned_once_per_paid_order(make_customer, order_for, manager):
    c = make_customer()
    paid = order_for(c, price="123.90")
    order_for(c, status="cancelled")
    assert services.points_sync(by=manager) == 1
    assert services.points_sync(by=manager) == 0
    assert services.balance(c.pk) == 123
    (entry,) = PointsEntry.objects.all()
    assert entry.order_id == paid.pk and entry.kind == "earn" and entry.expires_on


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["adjust", "spend", "expire", "negative"]),
            st.integers(min_value=1, max_value=500),
        ),
        max_size=12,
    )
)
@pytest.mark.django_db
def test_the_balance_is_the_sum_of_the_ledger_and_never_negative(ops, make_customer, manager):
    c = (
        make_customer()
        if not hasattr(test_the_balance_is_the_sum_of_the_ledger_and_never_negative, "c")
        else None
    )
    customer_id = c.pk if c else test_the_balance_is_the_sum_of_the_ledger_and_never_negative.c
    test_the_balance_is_the_sum_of_the_ledger_and_never_negative.c = customer_id
    PointsEntry.objects.filter(customer_id=customer_id).delete()
    today = timezone.localdate()
    for op, n in ops:
        try:
            if op == "adjust":
                services.points_adjust(
                    customer_id=customer_id, points=n, reason="goodwill", by=manager
                )
            elif op == "negative":
                services.points_adjust(
                    customer_id=customer_id, points=-n, reason="mistake", by=manager
                )
            elif op == "spend":
                services.points_spend(customer_id=customer_id, points=n, reason="gift", by=manager)
            else:  # an earn that expires today
                PointsEntry.objects.create(
                    customer_id=customer_id, kind="earn", points=n, reason="old", expires_on=today
                )
                services.points_expire(by=manager, today=today)
        except ValidationError:
            pass
        entries = list(
            PointsEntry.objects.filter(customer_id=customer_id).values_list("points", flat=True)
        )
        assert services.balance(customer_id) == sum(entries) >= 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_spends_never_overdraw(make_customer, manager):
    c = make_customer()
    services.points_adjust(customer_id=c.pk, points=100, reason="welcome", by=manager)
    barrier = threading.Barrier(3)
    results = []

    def spend():
        try:
            barrier.wait()
            services.points_spend(customer_id=c.pk, points=60, reason="voucher", by=manager)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        except Exception as exc:  # SQLite may answer "database is locked" to a waiter
            results.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    assert services.balance(c.pk) == 40


@pytest.mark.django_db
def test_tiers_follow_spend_in_the_window_and_changes_are_announced(
    make_customer, order_for, tiers, manager, django_capture_on_commit_callbacks
):
    from rapport.communications.models import OutboundMessage

    c = make_customer(emails=[{"address": "gold@example.com"}], preferred_language="zh-hans")
    order_for(c, price="2500.00")
    order_for(c, price="9000.00", days_ago=400)  # outside the window
    with django_capture_on_commit_callbacks(execute=True):
        services.points_sync(by=manager)
    assert LoyaltyAccount.objects.get(customer=c).tier.name == "Gold"
    assert TierChange.objects.get(customer=c).to_tier == "Gold"
    message = OutboundMessage.objects.get(customer=c, source_type="loyalty.tierchange")
    assert "Gold" in message.subject and message.language == "zh-hans"
    assert message.subject.startswith("欢迎")


@pytest.mark.django_db
def test_referrals_refuse_self_loops_and_a_second_referrer_and_reward_once(
    make_customer, order_for, manager
):
    a, b, c, d = (make_customer(given_name=n) for n in "ABCD")
    code_a = services.account_ensure(a.pk).referral_code
    code_b = services.account_ensure(b.pk).referral_code
    code_c = services.account_ensure(c.pk).referral_code
    with pytest.raises(ValidationError, match="themselves"):
        services.referral_record(referred_id=a.pk, code=code_a, by=manager)
    services.referral_record(referred_id=b.pk, code=code_a, by=manager)
    services.referral_record(referred_id=c.pk, code=code_b, by=manager)
    with pytest.raises(ValidationError, match="loop"):
        services.referral_record(referred_id=a.pk, code=code_c, by=manager)
    code_e = services.account_ensure(make_customer(given_name="E").pk).referral_code
    with pytest.raises(ValidationError, match="already"):
        services.referral_record(referred_id=b.pk, code=code_e, by=manager)
    services.referral_record(referred_id=d.pk, code=code_a.lower(), by=manager)
    order_for(b)
    services.points_sync(by=manager)
    services.points_sync(by=manager)
    reward = 200
    assert services.balance(a.pk) == reward
    assert services.balance(b.pk) == reward + 100  # the reward and the order's points
    assert services.balance(c.pk) == 0  # C has not ordered yet
    tree = selectors.referral_tree(a.pk)
    assert [n["customer"].pk for n in tree] == [b.pk, d.pk]
    assert [n["customer"].pk for n in tree[0]["children"]] == [c.pk]
    (leader, second) = selectors.leaderboard()
    assert (leader["referrer_id"], leader["referred"], leader["rewarded"]) == (a.pk, 2, 1)
    frame = selectors.switching_cost(timezone.localdate())
    assert dict(zip(frame["customer_id"], frame["points"], strict=True))[a.pk] >= 10


@pytest.mark.django_db
def test_a_merge_keeps_one_account_and_both_ledgers(make_customer, manager):
    from rapport.customers.services import customer_merge

    keep, other = make_customer(given_name="Keep"), make_customer(given_name="Other")
    services.points_adjust(customer_id=keep.pk, points=10, reason="a", by=manager)
    services.points_adjust(customer_id=other.pk, points=5, reason="b", by=manager)
    code = LoyaltyAccount.objects.get(customer=keep).referral_code
    customer_merge(
        survivor_id=keep.pk,
        other_id=other.pk,
        by=manager,
        survivor_version=None,
        other_version=None,
    )
    assert services.balance(keep.pk) == 15
    assert LoyaltyAccount.objects.get().referral_code == code


@pytest.mark.django_db
def test_pages_and_api(make_customer, make_user, client, tiers, django_assert_max_num_queries):
    from rapport.api.tests.helpers import token_client

    c = make_customer()
    manager = make_user("manager")
    client.force_login(manager)
    services.points_adjust(customer_id=c.pk, points=300, reason="welcome", by=manager)
    response = client.post(
        f"/loyalty/customers/{c.pk}/points/", {"points": "120", "reason": "Mug", "action": "spend"}
    )
    assert response.status_code == 302
    page = client.get(c.get_absolute_url()).content.decode()
    assert 'id="loyalty-balance">180 points' in page and "Member" in page
    with django_assert_max_num_queries(15):
        assert client.get("/loyalty/").status_code == 200
    api = token_client(manager)
    body = api.get(f"/api/v1/loyalty/customers/{c.pk}").json()
    assert body["balance"] == 180 and body["tier"] == "Member"
    assert (
        api.post(
            f"/api/v1/loyalty/customers/{c.pk}/spend",
            {"points": 500, "reason": "TV"},
            content_type="application/json",
        ).status_code
        == 400
    )
    detail = api.get(f"/api/v1/customers/{c.pk}").json()
    assert detail["loyalty"]["balance"] == 180


class Lots:
    """The ledger's rules written plainly, as the oracle: points kept in lots in the order they
    were earned; spending and negative corrections take the oldest points first; expiring
    removes what is left of each lot whose time is up."""

    def __init__(self):
        self.lots = []  # [points left, expires (bool: due today)]

    @property
    def balance(self):
        return sum(left for left, _due in self.lots)

    def earn(self, n, due):
        self.lots.append([n, due])

    def take(self, n):
        if n > self.balance:
            return False
        for lot in self.lots:
            used = min(lot[0], n)
            lot[0] -= used
            n -= used
        return True

    def expire(self):
        for lot in self.lots:
            if lot[1]:
                lot[0] = 0


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ops=st.lists(
        st.tuples(
            st.sampled_from(["earn_due", "earn_later", "adjust", "negative", "spend", "expire"]),
            st.integers(min_value=1, max_value=300),
        ),
        max_size=14,
    )
)
@pytest.mark.django_db
def test_the_ledger_agrees_with_oldest_points_first_under_random_sequences(ops, manager):
    from rapport.customers.services import customer_create

    customer_id = customer_create(by=manager, family_name="Lot", given_name="Tester").pk
    today = timezone.localdate()
    oracle = Lots()
    for op, n in ops:
        if op in ("earn_due", "earn_later"):  # an order's points, due today or in a month
            due = op == "earn_due"
            PointsEntry.objects.create(
                customer_id=customer_id,
                kind="earn",
                points=n,
                reason="order",
                expires_on=today if due else today + timedelta(days=30),
            )
            oracle.earn(n, due)
        elif op == "adjust":
            services.points_adjust(customer_id=customer_id, points=n, reason="gift", by=manager)
            oracle.earn(n, False)
        elif op in ("negative", "spend"):
            allowed = oracle.take(n)
            try:
                if op == "spend":
                    services.points_spend(
                        customer_id=customer_id, points=n, reason="reward", by=manager
                    )
                else:
                    services.points_adjust(
                        customer_id=customer_id, points=-n, reason="mistake", by=manager
                    )
                assert allowed, "the ledger let the balance go below 0"
            except ValidationError:
                assert not allowed, "the ledger refused points that were there"
        else:
            services.points_expire(by=manager, today=today)
            services.points_expire(by=manager, today=today)  # a second run expires nothing more
            oracle.expire()
        assert services.balance(customer_id) == oracle.balance
        entries = PointsEntry.objects.filter(customer_id=customer_id)
        assert services.balance(customer_id) == sum(e.points for e in entries) >= 0


@pytest.mark.django_db
def test_points_rules_per_product_and_category(make_customer, make_product, make_user, client):
    from rapport.sales.services import order_create

    manager = make_user("manager")
    tea = make_product(category="tea", price="100.00")
    oolong = make_product(category="tea", price="100.00")
    cup = make_product(category="cups", price="100.00")
    client.force_login(manager)
    url = "/api/v1/loyalty/points-rules"
    r = client.put(url, {"category": "tea", "points_per_unit": "2"}, "application/json")
    assert r.status_code == 200
    r = client.put(url, {"product_id": oolong.pk, "points_per_unit": "5"}, "application/json")
    assert r.status_code == 200 and r.json()["points_per_unit"] in ("5", "5.000", 5)
    bad = client.put(url, {"points_per_unit": "1"}, "application/json")
    assert bad.status_code == 400  # neither product nor category
    assert len(client.get(url).json()) == 2
    c = make_customer()
    order = order_create(
        by=manager,
        customer_id=c.pk,
        lines=[
            {"product_id": p.pk, "quantity": 1, "unit_price": "100"} for p in (tea, oolong, cup)
        ],
        status="paid",
    )
    services.points_earn_for_order(order_id=order.pk)
    # tea 100 × 2 (its category), oolong 100 × 5 (its own rule wins), cups 100 × the default 1
    assert services.balance(c.pk) == 200 + 500 + 100
    assert (
        client.put(
            url, {"category": "tea", "points_per_unit": None}, "application/json"
        ).status_code
        == 204
    )
    assert list(client.get(url).json()[0].values())[0] == oolong.pk


@pytest.mark.django_db
def test_reward_costs_feed_the_cost_to_serve(make_customer, manager):
    from rapport.analytics.services.sources import COST_TO_SERVE_SOURCES

    c = make_customer()
    services.points_adjust(customer_id=c.pk, points=1000, reason="welcome", by=manager)
    services.points_spend(customer_id=c.pk, points=400, reason="tea set", by=manager)
    frame = COST_TO_SERVE_SOURCES["loyalty_rewards"](timezone.now())
    rows = frame.to_dicts()
    assert [(r["customer_id"], round(r["amount"], 2)) for r in rows] == [(c.pk, 4.0)]


@pytest.mark.django_db
def test_the_referral_link_opens_a_public_page_with_the_code(make_customer, manager, client):
    """The link a member shares works without signing in and shows the code the new customer
    gives; the code then links them (a wrong code shows nothing)."""
    a = make_customer(given_name="A")
    link = services.referral_link(a.pk)
    code = services.account_ensure(a.pk).referral_code
    path = link.split("://", 1)[-1].split("/", 1)[-1]
    page = client.get("/" + path)
    assert page.status_code == 200
    assert f'<strong id="referral-code">{code}</strong>' in page.content.decode()
    assert client.get("/public/loyalty/r/NOSUCHCODE/").status_code == 404
    b = make_customer(given_name="B")
    services.referral_record(referred_id=b.pk, code=code, by=manager)
    assert [n["customer"].pk for n in selectors.referral_tree(a.pk)] == [b.pk]


@pytest.mark.django_db
def test_expiry_keeps_points_a_later_expiring_lot_protects(make_customer, manager):
    """Found by the oracle above: an old lot used up by a spend does not expire the points of a
    newer lot that expires the same day twice over."""
    c = make_customer()
    today = timezone.localdate()
    PointsEntry.objects.create(customer=c, kind="earn", points=1, reason="a", expires_on=today)
    services.points_adjust(customer_id=c.pk, points=1, reason="gift", by=manager)
    PointsEntry.objects.create(customer=c, kind="earn", points=1, reason="b", expires_on=today)
    services.points_spend(customer_id=c.pk, points=1, reason="reward", by=manager)  # takes "a"
    services.points_expire(by=manager, today=today)
    assert services.balance(c.pk) == 1  # the gift stays; "b" expired


@pytest.mark.django_db
def test_a_deleted_user_leaves_their_entries_with_their_name(make_customer, make_user):
    """The ledger has no database key to the user (nor an index entry for the system's
    entries): deleting a user still clears the link and keeps who wrote the entry, by name."""
    c = make_customer()
    clerk = make_user("manager")
    services.points_adjust(customer_id=c.pk, points=5, reason="goodwill", by=clerk)
    services.points_adjust(customer_id=c.pk, points=2, reason="system", by=services.LOYALTY)
    name = clerk.get_username()
    clerk.delete()
    assert sorted(PointsEntry.objects.values_list("user_id", "user_name", "points")) == sorted(
        [(None, name, 5), (None, "loyalty", 2)]
    )
    assert services.balance(c.pk) == 7


@pytest.mark.django_db
def test_expiry_of_many_customers_is_set_based_and_recorded(make_customer, manager, monkeypatch):
    """A backfill makes most entries due at once: the run costs the same few statements per
    thousand customers however many entries they hold, makes the accounts they lack, and records
    each expiry (who, what) on the customer's history as a single write would."""
    from django.contrib.contenttypes.models import ContentType
    from django.test.utils import CaptureQueriesContext

    from rapport.core.models import ObjectChange

    today = timezone.localdate()

    def ledger(n, due):
        customers = [make_customer() for _ in range(n)]
        for i, c in enumerate(customers):
            for points in (10, 20):  # two lots due today …
                PointsEntry.objects.create(
                    customer=c, kind="earn", points=points, reason="order", expires_on=due
                )
            PointsEntry.objects.create(  # … one later
                customer=c, kind="earn", points=5, reason="order", expires_on=today + timedelta(30)
            )
            if i % 2:  # half spent 15 of the oldest lot first
                services.points_spend(customer_id=c.pk, points=15, reason="gift", by=manager)
        return customers

    monkeypatch.setattr(services, "EXPIRE_CUSTOMERS", 100)
    later = today + timedelta(days=2)
    small, large = ledger(3, today), ledger(12, later)
    LoyaltyAccount.objects.filter(customer_id__in=[c.pk for c in small]).delete()
    with CaptureQueriesContext(connection) as few:
        assert services.points_expire(by=manager, today=today) == {c.pk for c in small}
    with CaptureQueriesContext(connection) as many:
        assert services.points_expire(by=manager, today=later) == {c.pk for c in large}
    assert len(many) <= len(few) + 1  # (the first run also made the missing accounts)
    assert LoyaltyAccount.objects.filter(customer_id__in=[c.pk for c in small]).count() == 3
    for c in small + large:
        # of 35 points, 15 spent or not: what is left of the due lots expires, the 5 stay
        assert services.balance(c.pk) == 5
        expiries = PointsEntry.objects.filter(customer=c, kind="expire").order_by("pk")
        assert len(expiries) == 2
        changes = ObjectChange.objects.filter(
            content_type=ContentType.objects.get_for_model(PointsEntry),
            object_id__in=[e.pk for e in expiries],
            customer_id=c.pk,
        )
        assert {ch.changes["points"][1] for ch in changes} == {e.points for e in expiries}
        assert all(ch.user_id == manager.pk for ch in changes)
    assert services.points_expire(by=manager, today=later) == set()  # nothing twice


@pytest.mark.django_db
def test_an_expiry_names_the_local_day_the_points_were_earned(make_customer, manager):
    """Earned half past midnight local time — still the day before in UTC."""
    import datetime as dt

    c = make_customer()
    earned_on = timezone.localdate() - timedelta(days=400)
    at = timezone.make_aware(dt.datetime.combine(earned_on, dt.time(0, 30)))
    entry = PointsEntry.objects.create(
        customer=c, kind="earn", points=7, reason="order", expires_on=timezone.localdate()
    )
    PointsEntry.objects.filter(pk=entry.pk).update(at=at)
    services.points_expire(by=manager)
    expiry = PointsEntry.objects.get(customer=c, kind="expire")
    assert expiry.points == -7
    assert earned_on.isoformat() in expiry.reason


@pytest.mark.django_db
def test_an_expiry_already_in_another_ledger_is_not_written_twice(make_customer, manager):
    """A merge can move an expiry entry to another customer between two runs: the run that finds
    its earn entry due again writes the rest and leaves that key as it is."""
    a, b = make_customer(), make_customer()
    today = timezone.localdate()
    first, second = (
        PointsEntry.objects.create(customer=a, kind="earn", points=n, reason="o", expires_on=today)
        for n in (10, 20)
    )
    PointsEntry.objects.create(  # first's expiry, in b's ledger
        customer=b, kind="expire", points=-10, reason="moved", once_key=f"expire:{first.pk}"
    )
    PointsEntry.objects.create(customer=a, kind="earn", points=1, reason="o", expires_on=today)
    assert services.points_expire(by=manager, today=today) == {a.pk}
    keys = sorted(PointsEntry.objects.filter(kind="expire").values_list("once_key", flat=True))
    assert keys.count(f"expire:{first.pk}") == 1
    assert f"expire:{second.pk}" in keys and len(keys) == 3


@pytest.mark.django_db
def test_tiers_of_many_customers_worked_out_together(
    make_customer, order_for, tiers, manager, monkeypatch
):
    """The nightly sync's tiers for every customer it touched: the same tier `tier_for` gives
    each, a change recorded once, and for the customers whose tier stays the same a few grouped
    queries per thousand customers (after a backfill that is nearly all of them)."""
    from django.test.utils import CaptureQueriesContext

    monkeypatch.setattr(services, "TIER_CUSTOMERS", 50)
    spends = ["0", "600.00", "2500.00", "12000.00"]
    people = [make_customer() for _ in range(8)]
    for i, c in enumerate(people):
        if spends[i % 4] != "0":
            order_for(c, price=spends[i % 4])
    PointsEntry.objects.create(customer=people[4], kind="earn", points=1600, reason="gift")
    services.points_adjust(customer_id=people[0].pk, points=5, reason="a", by=manager)
    ids = [c.pk for c in people]
    assert services.tiers_evaluate(ids, by=manager) == 8
    for c in people:
        assert LoyaltyAccount.objects.get(customer=c).tier == services.tier_for(c.pk)
    names = [LoyaltyAccount.objects.get(customer=c).tier.name for c in people]
    assert names == ["Member", "Silver", "Gold", "VIP", "Gold", "Silver", "Gold", "VIP"]
    assert TierChange.objects.count() == 8
    more = [make_customer() for _ in range(20)]
    for c in more:
        services.tier_evaluate(customer_id=c.pk, by=manager)  # Member already
    with CaptureQueriesContext(connection) as few:
        assert services.tiers_evaluate(ids, by=manager) == 0
    with CaptureQueriesContext(connection) as many:
        assert services.tiers_evaluate(ids + [c.pk for c in more], by=manager) == 0
    assert len(many) == len(few)
    assert TierChange.objects.count() == 8 + 20

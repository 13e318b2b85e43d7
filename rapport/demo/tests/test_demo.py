from collections import Counter
from decimal import Decimal

import phonenumbers
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.utils import timezone

from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.models import ObjectChange
from rapport.core.names import is_cjk
from rapport.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
    MarketingConsent,
    Organisation,
    OrganisationContact,
)
from rapport.customers.search import search_customer_ids
from rapport.demo.services import generate_demo
from rapport.sales.models import Order, OrderLine, Product

N = 60


@pytest.fixture
def demo(db):
    return generate_demo(customers=N, seed=7)


def fingerprint() -> list:
    """Everything that identifies the data, without ids and creation times."""
    customers = list(
        Customer.objects.order_by("id").values_list(
            "display_name",
            "gender",
            "birthday",
            "celebrates_lunar_birthday",
            "primary_phone",
            "primary_email",
            "occupation",
            "hobbies",
            "preferred_language",
            "preferred_channel",
            "customer_since",
            "source",
            "referred_by__display_name",
        )
    )
    orders = list(
        Order.objects.order_by("id").values_list(
            "customer__display_name",
            "ordered_at",
            "status",
            "channel",
            "promotion_code",
            "total",
            "cost",
        )
    )
    details = list(
        RememberedDetail.objects.order_by("id").values_list("customer__display_name", "text")
    )
    return [customers, orders, details]


def test_counts(demo):
    assert demo["customers"] == N
    assert Customer.objects.count() == N + demo["duplicates"]
    assert demo["orders"] == Order.objects.count() > N
    assert demo["order_lines"] == OrderLine.objects.count() >= demo["orders"]
    assert demo["products"] == Product.objects.count() == 60
    assert demo["organisations"] == Organisation.objects.count() == 2  # one per 30 customers
    assert 2 <= OrganisationContact.objects.count() <= 10
    assert demo["phones"] == CustomerPhone.objects.count() >= N * 0.9
    assert demo["emails"] == CustomerEmail.objects.count()
    assert demo["search_terms"] == CustomerSearchTerm.objects.count()
    assert demo["consents"] == MarketingConsent.objects.count()
    assert demo["interactions"] == Interaction.objects.count() > 0
    assert demo["remembered_details"] == RememberedDetail.objects.count() > 0
    # Every record has its creation in the history; customers' rows point at them.
    assert (
        ObjectChange.objects.filter(
            content_type__model="customer", customer_id__isnull=False
        ).count()
        == N
    )
    assert ObjectChange.objects.filter(content_type__model="order").count() == demo["orders"]


def test_same_seed_same_data(db):
    generate_demo(customers=25, seed=11)
    first = fingerprint()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    generate_demo(customers=25, seed=11)
    assert fingerprint() == first
    Order.objects.all().delete()
    Customer.objects.all().delete()
    generate_demo(customers=25, seed=12)
    assert fingerprint() != first


def test_languages_and_locales(db):
    generate_demo(customers=400, seed=3)
    languages = Counter(Customer.objects.values_list("preferred_language", flat=True))
    assert 0.35 * 400 < languages["zh-hans"] < 0.60 * 400
    assert languages["zh-hant"] and languages["sk"] and languages["en"]
    countries = Counter(
        phonenumbers.region_code_for_number(phonenumbers.parse(p))
        for p in CustomerPhone.objects.values_list("number", flat=True)
    )
    assert {"CN", "TW", "SK", "US", "GB"} <= set(countries)
    lunar = Customer.objects.filter(celebrates_lunar_birthday=True)
    assert lunar.exists()
    assert lunar.filter(preferred_language__startswith="zh").count() > lunar.count() * 0.8
    assert Customer.objects.filter(source="referral", referred_by__isnull=False).exists()
    # Remembered details are written in the customer's language.
    for detail in RememberedDetail.objects.select_related("customer")[:200]:
        if detail.customer.preferred_language in ("zh-hans", "zh-hant"):
            assert is_cjk(detail.text), detail.text
        elif detail.customer.preferred_language in ("sk", "en"):
            assert not is_cjk(detail.text), detail.text


def test_phones_are_valid_e164(demo):
    for number in CustomerPhone.objects.values_list("number", flat=True):
        parsed = phonenumbers.parse(number, None)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == number
    for number in Organisation.objects.values_list("phone", flat=True):
        assert phonenumbers.is_valid_number(phonenumbers.parse(number, None)), number


def test_cjk_names_display_family_first(demo):
    chinese = [c for c in Customer.objects.all() if is_cjk(c.family_name)]
    assert chinese
    for c in chinese:
        assert c.display_name == f"{c.family_name}{c.given_name}"
    latin = Customer.objects.exclude(pk__in=[c.pk for c in chinese]).first()
    assert latin.display_name == f"{latin.given_name} {latin.family_name}"


def test_search_finds_customers(demo):
    chinese = next(
        c
        for c in Customer.objects.order_by("id")
        if is_cjk(c.family_name) and c.primary_phone.startswith("+86")
    )
    national = phonenumbers.format_number(
        phonenumbers.parse(chinese.primary_phone), phonenumbers.PhoneNumberFormat.NATIONAL
    )
    assert chinese.pk in search_customer_ids(national)
    assert chinese.pk in search_customer_ids(chinese.given_name[0], limit=N)
    assert chinese.pk in search_customer_ids(chinese.family_name, limit=N)
    with_email = Customer.objects.exclude(primary_email="").first()
    assert with_email.pk in search_customer_ids(with_email.primary_email.upper())


def test_order_totals_are_the_sum_of_lines(demo):
    orders = Order.objects.annotate(lines_total=Sum("lines__line_total"), n=Count("lines"))
    for order in orders:
        assert 1 <= order.n <= 4
        assert order.total == order.lines_total
    for line in OrderLine.objects.all():
        assert line.line_total == line.quantity * line.unit_price - line.discount
        assert Decimal("0") <= line.unit_cost <= line.unit_price


def test_repeat_purchase_behaviour(db):
    generate_demo(customers=300, seed=5)
    per_customer = Counter(Order.objects.values_list("customer_id", flat=True))
    exactly_one = sum(1 for n in per_customer.values() if n == 1)
    three_plus = sum(1 for n in per_customer.values() if n >= 3)
    assert exactly_one > 0.25 * 300
    assert three_plus > 0.1 * 300
    assert max(per_customer.values()) >= 6


def test_command(db):
    people = Customer.objects.exclude(external_id__startswith="ERP-")  # not the second records
    call_command("demo", customers=30, seed=1)
    assert people.count() == 30
    with pytest.raises(CommandError):
        call_command("demo", customers=30, seed=1)
    call_command("demo", customers=30, seed=2, force=True)
    assert people.count() == 60
    assert Product.objects.count() == 60  # the catalogue is reused


def test_some_people_are_entered_twice_for_the_duplicate_finder(db):
    from rapport.customers.duplicates import duplicate_candidates

    counts = generate_demo(customers=400, seed=3)
    twins = Customer.objects.filter(external_id__startswith="ERP-")
    assert counts["duplicates"] == twins.count() == 2
    for twin in twins:
        original = Customer.objects.get(pk=int(twin.external_id.removeprefix("ERP-")))
        found = [c.customer.pk for c in duplicate_candidates(twin)]
        assert found[0] == original.pk
        assert twin.display_name == original.display_name


def test_a_customers_history_starts_the_day_they_became_a_customer(demo):
    customer = Customer.objects.filter(orders__isnull=False).order_by("customer_since").first()
    created = ObjectChange.objects.get(
        customer_id=customer.pk,
        object_id=customer.pk,
        action="create",
        content_type__model="customer",
    )
    assert (
        created.time.astimezone(timezone.get_default_timezone()).date() == customer.customer_since
    )
    first_order = customer.orders.order_by("ordered_at").first()
    assert created.time <= first_order.ordered_at


def test_some_lapsed_customers_have_a_recorded_reason_for_leaving(db):
    from django.db.models import Max

    from rapport.analytics.models import ChurnRecord

    counts = generate_demo(customers=600, seed=5)
    records = ChurnRecord.objects.select_related("customer")
    assert counts["churn_records"] == records.count() > 0
    assert len({r.reason for r in records}) >= 3
    last = dict(Order.objects.values_list("customer_id").annotate(Max("ordered_at")))
    for record in records:
        # Only customers who stopped buying, recorded after their last purchase.
        assert record.recorded_at > last[record.customer_id]
    assert ObjectChange.objects.filter(content_type__model="churnrecord").count() == records.count()


def test_remembered_details_are_dated_with_their_conversation_and_not_repeated(demo):
    details = list(RememberedDetail.objects.select_related("interaction"))
    assert details
    assert all(d.created_at == d.interaction.occurred_at for d in details)
    said = Counter((d.customer_id, d.text) for d in details)
    assert max(said.values()) == 1


def test_purchases_have_a_shops_structure():
    """Accessories go with their product in one order, and owners come back for its consumable
    (what a recommender can learn from: not every line is drawn by popularity alone)."""
    import datetime as dt

    import numpy as np

    from rapport.demo.plan import draw_demo

    data = draw_demo(customers=3000, seed=11, years=2, today=dt.date(2026, 6, 1), tz="UTC")
    orders, names = data.orders, data.catalogue.name

    def product(prefix: str) -> int:
        return next(i for i, name in enumerate(names) if name.startswith(prefix))

    line_order, bought = orders.line_order, orders.line_product
    several = np.bincount(line_order) > 1

    def in_order(p: int) -> np.ndarray:
        out = np.zeros(len(several), dtype=bool)
        out[line_order[bought == p]] = True
        return out

    tv, soundbar = in_order(product("55-inch")), in_order(product("Soundbar"))
    assert soundbar[tv & several].mean() > 3 * soundbar[~tv & several].mean()
    # customers who bought the purifier come back for its filter more than those who did not
    person = orders.person[line_order]
    owners = np.unique(person[bought == product("Air purifier AP-300")])
    filter_buyers = np.unique(person[bought == product("Purifier filter")])
    others = np.setdiff1d(np.unique(person), owners)
    owners_share = len(np.intersect1d(owners, filter_buyers)) / len(owners)
    others_share = len(np.intersect1d(others, filter_buyers)) / len(others)
    assert owners_share > 2 * others_share

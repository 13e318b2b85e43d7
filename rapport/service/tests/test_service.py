"""After-sales service: maintenance dates, routine visits from what customers own, promises on
the working-time clock, visits and their costs, and recalls told exactly once."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from rapport.core.exceptions import ValidationError
from rapport.service import selectors, services
from rapport.service.models import Commitment, RecallNotice, ServiceEvent, Visit
from rapport.service.schedule import add_months, due_dates

SHANGHAI = ZoneInfo("Asia/Shanghai")


# Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 8, 31), 3, date(2024, 11, 30)),
        (date(2024, 11, 15), 2, date(2025, 1, 15)),  # over the year end
    ],
)
def test_add_months_keeps_the_day_or_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_due_dates_count_from_the_purchase_not_the_previous_visit():
    dates = list(due_dates(date(2023, 1, 31), 1, date(2023, 1, 1), date(2023, 5, 31)))
    assert dates == [
        date(2023, 2, 28),
        date(2023, 3, 31),
        date(2023, 4, 30),
        date(2023, 5, 31),
    ]


def test_yearly_maintenance_of_a_leap_day_purchase():
    """Bought on 29 February: due on the 28th in common years and on the 29th in leap years."""
    dates = list(due_dates(date(2024, 2, 29), 12, date(2024, 3, 1), date(2032, 12, 31)))
    assert dates == [
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2029, 2, 28),
        date(2030, 2, 28),
        date(2031, 2, 28),
        date(2032, 2, 29),
    ]


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=1, max_value=36),
    st.integers(min_value=0, max_value=3000),
    st.integers(min_value=0, max_value=400),
)
def test_due_dates_in_a_window_are_exactly_the_walked_ones(purchased, every, offset, width):
    start = purchased + timedelta(days=offset)
    end = start + timedelta(days=width)
    walked = []
    k = 1
    while (d := add_months(purchased, k * every)) <= end:
        if d >= start:
            walked.append(d)
        k += 1
    assert list(due_dates(purchased, every, start, end)) == walked


# Routine maintenance -------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def _order(by, customer, product, *, on, status="delivered", batch="", organisation_id=None):
    from rapport.sales.services import order_create

    return order_create(
        by=by,
        customer_id=customer.pk,
        ordered_at=datetime.combine(on, datetime.min.time().replace(hour=10), SHANGHAI),
        currency="CNY",
        status=status,
        organisation_id=organisation_id,
        lines=[{"product_id": product.pk, "quantity": 1, "batch": batch}],
    )


def test_maintenance_visits_from_what_customers_own(make_customer, make_product, manager):
    boiler, kettle = make_product(name="Boiler"), make_product(name="Kettle")
    services.interval_set(by=manager, product_id=boiler.pk, months=6)
    alice, bob = make_customer(), make_customer()
    _order(manager, alice, boiler, on=date(2024, 8, 31))
    _order(manager, bob, boiler, on=date(2024, 9, 10), status="cancelled")
    _order(manager, bob, kettle, on=date(2024, 8, 31))  # no interval: never maintained
    created = services.maintenance_generate(by=manager, today=date(2025, 2, 1), horizon_days=60)
    assert created == 1
    visit = Visit.objects.get()
    assert (visit.customer_id, visit.due_on, visit.state) == (alice.pk, date(2025, 2, 28), "due")
    assert services.maintenance_generate(by=manager, today=date(2025, 2, 1), horizon_days=60) == 0


def test_maintenance_reminder_is_sent_once(
    make_customer, make_product, manager, smtp_server, django_capture_on_commit_callbacks
):
    boiler = make_product(name="Boiler")
    services.interval_set(by=manager, product_id=boiler.pk, months=12)
    alice = make_customer(emails=["alice@example.com"])
    today = timezone.localdate()
    _order(manager, alice, boiler, on=add_months(today, -12) + timedelta(days=3))
    services.maintenance_generate(by=manager, today=today)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.maintenance_reminders_send(by=manager, today=today) == 1
        assert services.maintenance_reminders_send(by=manager, today=today) == 0
    [mail] = smtp_server.to("alice@example.com")
    assert "maintenance" in mail["Subject"].lower()


# Visits and costs ----------------------------------------------------------------------------


def test_a_visit_done_records_costs_feeds_cost_to_serve_and_tells_surveys(make_customer, manager):
    customer = make_customer()
    request = services.request_open(
        by=manager, customer_id=customer.pk, kind="repair", description="Leaks"
    )
    start = timezone.now() - timedelta(hours=3)
    visit = services.visit_schedule(
        by=manager,
        customer_id=customer.pk,
        kind="repair",
        starts_at=start,
        technician_id=manager.pk,
        request_id=request.pk,
    )
    with pytest.raises(ValidationError):  # the technician is busy then
        services.visit_schedule(
            by=manager,
            customer_id=customer.pk,
            kind="repair",
            starts_at=start + timedelta(minutes=30),
            technician_id=manager.pk,
        )
    services.visit_done(
        by=manager, visit_id=visit.pk, parts_cost="120.50", labour_minutes=45, labour_cost="80"
    )
    visit.refresh_from_db()
    request.refresh_from_db()
    assert visit.cost == Decimal("200.50") and request.state == "done"
    event = ServiceEvent.objects.get(type="visit_done")
    assert event.parameters["visit"] == visit.pk and event.customer_id == customer.pk
    frame = selectors.cost_to_serve_source(timezone.now() + timedelta(seconds=1))
    assert frame.to_dicts()[0]["amount"] == pytest.approx(200.5)
    assert frame.to_dicts()[0]["customer_id"] == customer.pk


def test_week_calendar_per_technician(make_customer, manager, agent):
    customer = make_customer()
    monday = date(2026, 3, 2)
    for technician, day in ((manager, 0), (agent, 2), (manager, 6), (manager, 7)):
        services.visit_schedule(
            by=manager,
            customer_id=customer.pk,
            kind="installation",
            starts_at=datetime.combine(
                monday + timedelta(days=day), datetime.min.time().replace(hour=9), SHANGHAI
            ),
            technician_id=technician.pk,
        )
    week = selectors.week_calendar(manager.pk, monday)
    assert [len(v) for _d, v in week["days"]] == [1, 0, 0, 0, 0, 0, 1]
    everyone = selectors.week_calendar(None, monday)
    assert sum(len(v) for _d, v in everyone["days"]) == 3


# Commitments ---------------------------------------------------------------------------------


def test_a_promise_within_working_hours_is_due_on_the_working_clock(make_customer, manager):
    customer = make_customer()
    friday_evening = datetime(2026, 3, 6, 17, 0, tzinfo=SHANGHAI)
    c = services.commitment_make(
        by=manager,
        customer_id=customer.pk,
        text="Repaired within 8 working hours",
        owner_id=manager.pk,
        within_working_hours=8,
        now=friday_evening,
    )
    assert c.due_at.astimezone(SHANGHAI).weekday() == 0  # not over the weekend: Monday
    clock = services.commitment_clock(None)
    assert clock.worked(friday_evening, c.due_at) == timedelta(hours=8)
    # Still open after its due time: overdue, and the scheduler marks it broken.
    assert services.commitments_break_overdue(by=manager, now=c.due_at - timedelta(minutes=1)) == 0
    assert services.commitments_break_overdue(by=manager, now=c.due_at + timedelta(minutes=1)) == 1
    c.refresh_from_db()
    assert c.state == "broken"


def test_kept_and_broken_promises_are_reported_per_person(make_customer, manager, agent):
    customer = make_customer()
    soon = timezone.now() + timedelta(days=1)
    kept = services.commitment_make(
        by=agent, customer_id=customer.pk, text="Call back", owner_id=agent.pk, due_at=soon
    )
    services.commitment_close(by=agent, commitment_id=kept.pk, kept=True)
    broken = services.commitment_make(
        by=agent, customer_id=customer.pk, text="Deliver", owner_id=agent.pk, due_at=soon
    )
    services.commitment_close(by=agent, commitment_id=broken.pk, kept=False)
    services.commitment_make(
        by=manager, customer_id=customer.pk, text="Visit", owner_id=manager.pk, due_at=soon
    )
    report = {r["name"]: r for r in selectors.promise_report()["by_owner"]}
    assert (report[agent.username]["kept"], report[agent.username]["broken"]) == (1, 1)
    assert report[manager.username]["open"] == 1
    with pytest.raises(ValidationError):
        services.commitment_close(by=agent, commitment_id=kept.pk, kept=False)
    with pytest.raises(ValidationError):
        services.commitment_make(
            by=agent,
            customer_id=customer.pk,
            text="x",
            owner_id=agent.pk,
            due_at=timezone.now() - timedelta(hours=1),
        )
    assert Commitment.objects.count() == 3


# Recalls -------------------------------------------------------------------------------------


@pytest.fixture
def recall_world(make_customer, make_product, manager):
    """Buyers of a kettle (batch B1 and B2, different dates), an organisation's contacts, a
    merged pair, a cancelled order and buyers of another product."""
    from rapport.customers.services import contact_add, customer_merge, organisation_create

    kettle, toaster = make_product(name="Kettle"), make_product(name="Toaster")
    people = {
        name: make_customer(given_name=name, emails=[f"{name}@example.com"])
        for name in (
            "direct",
            "old",
            "buyer",
            "contact1",
            "contact2",
            "dupe_a",
            "dupe_b",
            "cancelled",
            "other",
            "b2",
        )
    }
    people["direct"].preferred_language = "zh-hant"
    people["direct"].save()
    _order(manager, people["direct"], kettle, on=date(2025, 3, 1), batch="B1")
    _order(manager, people["old"], kettle, on=date(2023, 1, 1), batch="B1")
    _order(manager, people["b2"], kettle, on=date(2025, 3, 1), batch="B2")
    org = organisation_create(by=manager, name="Teahouse Ltd")
    contact_add(by=manager, organisation=org, person=people["contact1"], buying_role="user")
    contact_add(
        by=manager, organisation=org, person=people["contact2"], buying_role="decision_maker"
    )
    _order(
        manager, people["buyer"], kettle, on=date(2025, 4, 1), batch="B1", organisation_id=org.pk
    )
    _order(manager, people["dupe_a"], kettle, on=date(2025, 5, 1), batch="B1")
    _order(manager, people["dupe_b"], kettle, on=date(2025, 5, 2), batch="B1")
    customer_merge(
        by=manager,
        survivor_id=people["dupe_a"].pk,
        other_id=people["dupe_b"].pk,
        survivor_version=None,
        other_version=None,
    )
    _order(
        manager, people["cancelled"], kettle, on=date(2025, 3, 1), batch="B1", status="cancelled"
    )
    _order(manager, people["other"], toaster, on=date(2025, 3, 1), batch="B1")
    return kettle, people


def _hand_written(product_id, batch, start, end):
    """The affected customers by a plain SQL query, written independently of the selector."""
    from django.db import connection

    sql = """
        SELECT DISTINCT o.customer_id FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id
        WHERE l.product_id = %s AND l.batch = %s AND o.status <> 'cancelled'
          AND o.ordered_at >= %s AND o.ordered_at < %s
        UNION
        SELECT DISTINCT c.person_id FROM customers_organisationcontact c
        WHERE c.organisation_id IN (
            SELECT o.organisation_id FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id
            WHERE l.product_id = %s AND l.batch = %s AND o.status <> 'cancelled'
              AND o.ordered_at >= %s AND o.ordered_at < %s AND o.organisation_id IS NOT NULL)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [product_id, batch, start, end] * 2)
        return sorted(r[0] for r in cursor.fetchall())


def test_recall_finds_exactly_the_buyers(recall_world, manager):
    kettle, people = recall_world
    recall = services.recall_create(
        by=manager,
        product_id=kettle.pk,
        batch="B1",
        ordered_from=date(2024, 1, 1),
        ordered_to=date(2025, 12, 31),
        title={"en": "Kettle lids", "zh-hant": "壺蓋通知"},
        body={"en": "Stop using it.", "zh-hant": "請停止使用。"},
    )
    affected = selectors.affected_customer_ids(recall)
    expected = sorted(
        p.pk
        for n, p in people.items()
        if n in ("direct", "buyer", "contact1", "contact2", "dupe_a")
    )
    assert affected == expected
    start = datetime(2024, 1, 1, tzinfo=SHANGHAI)
    end = datetime(2026, 1, 1, tzinfo=SHANGHAI)
    assert affected == _hand_written(kettle.pk, "B1", start, end)


def test_each_customer_is_told_once_in_their_language_even_when_rerun(
    recall_world, manager, smtp_server, django_capture_on_commit_callbacks, monkeypatch
):
    kettle, people = recall_world
    recall = services.recall_create(
        by=manager,
        product_id=kettle.pk,
        batch="B1",
        title={"en": "Kettle lids", "zh-hant": "壺蓋通知"},
        body={"en": "Stop using it.", "zh-hant": "請停止使用。"},
    )
    # The first run dies after two customers.
    from rapport.communications import services as comms

    real, calls = comms.message_send, []

    def dying(**kwargs):
        calls.append(kwargs["customer_id"])
        if len(calls) > 2:
            raise RuntimeError("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(comms, "message_send", dying)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.recall_notify(by=manager, recall_id=recall.pk)
    monkeypatch.setattr(comms, "message_send", real)
    with django_capture_on_commit_callbacks(execute=True):
        told_now = services.recall_notify(by=manager, recall_id=recall.pk)
        assert services.recall_notify(by=manager, recall_id=recall.pk) == 0
    affected = selectors.affected_customer_ids(recall)
    assert told_now == len(affected) - 2
    assert RecallNotice.objects.filter(notified_at__isnull=False).count() == len(affected)
    for name in ("direct", "buyer", "contact1", "contact2", "dupe_a", "old"):
        assert len(smtp_server.to(f"{name}@example.com")) == 1
    assert smtp_server.to("direct@example.com")[0]["Subject"] == "壺蓋通知"
    assert smtp_server.to("other@example.com") == [] and smtp_server.to("b2@example.com") == []


def test_customer_chooses_a_remedy_by_link_and_a_service_request_follows(
    recall_world, manager, client, smtp_server, django_capture_on_commit_callbacks
):
    import re

    kettle, people = recall_world
    recall = services.recall_create(
        by=manager, product_id=kettle.pk, batch="B1", title="Kettle lids", body="Stop using it."
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.recall_notify(by=manager, recall_id=recall.pk)
    body = smtp_server.to("buyer@example.com")[0].get_content()
    token = re.search(r"/portal/l/([^/\s]+)/", body).group(1)
    assert "Stop using it." in client.get(f"/portal/l/{token}/").content.decode()
    assert client.post(f"/portal/l/{token}/", {"remedy": "exchange"}).status_code == 200
    notice = RecallNotice.objects.get(customer=people["buyer"])
    assert notice.remedy == "exchange" and notice.acknowledged_at is not None
    assert notice.service_requests.get().kind == "exchange"
    assert client.post(f"/portal/l/{token}/", {"remedy": "refund"}).status_code == 410
    assert selectors.recall_counts(recall)["exchange"] == 1
    public = client.get(f"/service/public/notices/{recall.pk}/")
    assert public.status_code == 200 and "Kettle lids" in public.content.decode()
    assert "Kettle lids" in client.get("/service/public/notices/").content.decode()


def test_maintenance_intervals_import_from_a_file(make_product, tmp_path, manager):
    from django.core.management import call_command

    from rapport.service.models import ServiceInterval

    boiler, kettle = make_product(sku="BOIL-1"), make_product(sku="KET-1")
    services.interval_set(by=manager, product_id=kettle.pk, months=3)
    path = tmp_path / "intervals.csv"
    path.write_text("货号,保养周期\nBOIL-1,12\nKET-1,0\n", encoding="utf-8")
    call_command("import", "service_intervals", str(path))
    assert dict(ServiceInterval.objects.values_list("product_id", "months")) == {boiler.pk: 12}
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,months\nNOPE,6\n", encoding="utf-8")
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):  # the row's error: no product has this SKU
        call_command("import", "service_intervals", str(bad))
    assert ServiceInterval.objects.count() == 1


def test_a_visit_is_named_by_its_local_day(make_customer, manager):
    """The visits a complaint can be linked to are named by day: 07:00 local time is still the
    day before in UTC."""
    customer = make_customer()
    day = timezone.localdate() + timedelta(days=2)
    starts_at = timezone.make_aware(datetime.combine(day, datetime.min.time().replace(hour=7)))
    assert starts_at.astimezone(ZoneInfo("UTC")).date() < day  # the zone is ahead of UTC
    visit = services.visit_schedule(
        by=manager, customer_id=customer.pk, kind="repair", starts_at=starts_at
    )
    assert selectors.visit_choices(customer.pk) == [(visit.pk, f"{visit.get_kind_display()} {day}")]

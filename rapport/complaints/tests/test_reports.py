"""The dashboard's tables, computed in the database: complaints per 1,000 units sold, the
repurchase of complainants solved / not solved / never complained, the Pareto shares, and the
sources the analytics read (product complaints, remedy costs as cost to serve)."""

from datetime import UTC, datetime, timedelta

import pytest

from rapport.complaints import reports
from rapport.complaints.services import complaint_act

pytestmark = pytest.mark.django_db


def _order(customer, product, quantity, when, agent):
    from rapport.sales.services import order_create

    return order_create(
        by=agent,
        customer_id=customer.pk,
        lines=[{"product_id": product.pk, "quantity": quantity, "unit_price": "10.00"}],
        ordered_at=when,
    )


def test_tables_of_the_dashboard(complaint_factory, make_customer, make_product, agent, make_user):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    kettle, lamp = make_product(name="Kettle"), make_product(name="Lamp")
    ann, bob, cid, dan = (make_customer(emails=[f"{n}@example.com"]) for n in "abcd")
    _order(ann, kettle, 1500, start - timedelta(days=30), agent)
    _order(dan, lamp, 10, start - timedelta(days=30), agent)
    _order(dan, lamp, 10, start - timedelta(days=20), agent)  # never complained, bought again
    _order(cid, lamp, 1, start - timedelta(days=20), agent)  # never complained, once
    solved = complaint_factory(customer=ann, product_id=kettle.pk, received_at=start)
    complaint_factory(customer=ann, product_id=kettle.pk, received_at=start)
    complaint_factory(customer=bob, product_id=lamp.pk, received_at=start)
    manager, dept = make_user("manager"), make_user("department")
    from rapport.complaints.tests.conftest import ensure_builtins
    from rapport.staff.models import Department

    ensure_builtins()
    quality = Department.objects.get(code="quality")
    quality.members.add(dept)
    for action, who, data in (
        ("accept", agent, {}),
        ("assign", agent, {"department_id": quality.pk}),
        ("record_cause", dept, {"cause_id": 1}),
        ("propose_remedy", dept, {"kind": "compensation", "amount": "80", "currency": "CNY"}),
        ("approve", manager, {}),
        ("carry_out", dept, {}),
    ):
        if action == "record_cause":
            from rapport.complaints.models import Cause

            data = {"cause_id": Cause.objects.first().pk}
        complaint_act(by=who, complaint_id=solved.pk, action=action, **data)
    _order(ann, kettle, 1, start + timedelta(days=10), agent)  # Ann bought again after

    rates = {r["product"].name: r for r in reports.per_thousand_units()}
    assert rates["Kettle"]["complaints"] == 2 and rates["Kettle"]["rate"] == round(2000 / 1501, 2)
    assert rates["Lamp"]["rate"] == round(1000 / 21, 2)
    assert [r["product"].name for r in reports.per_thousand_units()] == ["Lamp", "Kettle"]

    groups = {r["group"]: (r["customers"], r["rate"]) for r in reports.repurchase()}
    assert groups["solved"] == (1, 100.0)  # Ann: carried out, ordered after
    assert groups["not_solved"] == (1, 0.0)  # Bob: still open, no order after
    assert groups["never"][1] == 50.0  # of Cid and Dan (and any other), Dan ordered twice
    assert groups["never"][0] == 2

    pareto = reports.pareto("product")
    assert [(r["count"], r["share"], r["cumulative"]) for r in pareto] == [
        (2, 66.7, 66.7),
        (1, 33.3, 100.0),
    ]
    costs = reports.cost_to_serve_source(start + timedelta(days=400))
    assert costs.to_dicts()[0]["customer_id"] == ann.pk and costs["amount"].sum() == 80.0
    per_product = reports.product_complaints_source(start + timedelta(days=400))
    assert per_product.filter(per_product["product_id"] == kettle.pk)["complaints"].sum() == 2


def test_a_customer_rejecting_the_decision_keeps_it_open_and_is_told_the_recourse(
    complaint_factory, agent, make_user, department, dept_user, settings
):
    """ISO 10002: the complaint stays open, the rejection is recorded, the customer is told what
    recourse they have."""
    from rapport.communications.models import OutboundMessage as Message
    from rapport.complaints.models import Cause, Complaint, ComplaintEvent

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    c = complaint_factory()
    manager = make_user("manager")
    for action, who, data in (
        ("accept", agent, {}),
        ("assign", agent, {"department_id": department.pk}),
        ("record_cause", dept_user, {"cause_id": Cause.objects.first().pk}),
        ("propose_remedy", dept_user, {"kind": "apology"}),
        ("approve", manager, {}),
        ("carry_out", dept_user, {}),
        ("customer_rejects", agent, {"reason": "Not enough"}),
    ):
        complaint_act(by=who, complaint_id=c.pk, action=action, **data)
    c = Complaint.objects.get(pk=c.pk)
    assert c.is_open and c.state == "disputed" and "consumer protection" in c.recourse
    step = ComplaintEvent.objects.get(complaint=c, action="customer_rejects")
    assert step.parameters["reason"] == "Not enough"
    told = Message.objects.filter(customer_id=c.customer_id, idempotency_key__contains=":recourse:")
    assert told.count() == 1


def test_the_analytics_sources_count_a_complaint_in_its_local_month(
    complaint_factory, make_product
):
    """Received half past midnight on the 1st, local time — still the month before in UTC."""
    from django.utils import timezone

    from rapport.complaints.models import Complaint

    first = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    at = timezone.make_aware(datetime.combine(first, datetime.min.time().replace(minute=30)))
    assert at.astimezone(UTC).date() < first  # the zone is ahead of UTC
    kettle = make_product(name="Kettle")
    complaint = complaint_factory(product_id=kettle.pk)
    Complaint.objects.filter(pk=complaint.pk).update(received_at=at)
    frame = reports.product_complaints_source(timezone.now())
    assert frame.to_dicts() == [
        {
            "product_id": kettle.pk,
            "month": first,
            "customer_id": complaint.customer_id,
            "complaints": 1,
        }
    ]

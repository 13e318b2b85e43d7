"""The complaint pages: recording, the queues (scoped, sorted, paged, exported), the detail page
with only the allowed steps, the customer page's panel and timeline."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from rapport.complaints.models import Complaint
from rapport.complaints.services import complaint_act

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_an_agent_records_a_complaint_from_the_form(agent, make_customer):
    customer = make_customer(emails=["li@example.com"])
    c = client_for(agent)
    page = c.get(reverse("complaints:record") + f"?customer={customer.pk}")
    assert page.status_code == 200
    response = c.post(
        reverse("complaints:record"),
        {
            "customer": customer.number,
            "channel": "phone",
            "category": "transport",
            "subtype": "damaged",
            "severity": "normal",
            "target": "free_text",
            "request": "A new vase",
            "description": "The vase arrived broken.",
        },
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.reference.startswith("K")
    assert complaint.acknowledged_at is not None
    detail = c.get(response["Location"])
    assert complaint.reference in detail.content.decode()
    assert 'data-action="accept"' in detail.content.decode()
    assert 'data-action="approve"' not in detail.content.decode()


def test_the_form_refuses_a_subtype_of_another_category(agent, make_customer):
    customer = make_customer()
    response = client_for(agent).post(
        reverse("complaints:record"),
        {
            "customer": customer.number,
            "channel": "phone",
            "category": "service",
            "subtype": "damaged",
            "severity": "normal",
            "target": "free_text",
            "description": "x",
        },
    )
    assert response.status_code == 200
    assert Complaint.objects.count() == 0


def test_queue_sorted_by_deadline_and_scoped_to_department(
    complaint_factory, make_user, department, dept_user, django_assert_max_num_queries
):
    from rapport.staff.models import Department

    mine = [complaint_factory() for _ in range(3)]
    other = complaint_factory()
    Complaint.objects.filter(pk__in=[c.pk for c in mine]).update(department=department)
    Complaint.objects.filter(pk=other.pk).update(
        department=Department.objects.get(code="logistics")
    )
    c = client_for(dept_user)
    with django_assert_max_num_queries(14):
        page = c.get(reverse("complaints:queue"), {"tab": "all"})
    body = page.content.decode()
    for complaint in mine:
        assert complaint.reference in body
    assert other.reference not in body
    assert c.get(reverse("complaints:detail", args=[other.pk])).status_code == 404
    manager_page = client_for(make_user("manager")).get(reverse("complaints:queue"))
    assert other.reference in manager_page.content.decode()


def test_queue_pages_by_keyset_and_exports(complaint_factory, manager):
    made = [complaint_factory() for _ in range(3)]
    c = client_for(manager)
    from rapport.complaints import selectors

    original = selectors.keyset_page

    def small(qs, **kw):
        kw["size"] = 2
        return original(qs, **kw)

    selectors.keyset_page = small
    try:
        first = c.get(reverse("complaints:queue"))
        assert "cursor=" in first.content.decode()
    finally:
        selectors.keyset_page = original
    export = c.get(reverse("complaints:queue"), {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "reference"
    assert {r[0] for r in rows[1:]} == {m.reference for m in made}
    xlsx = c.get(reverse("complaints:queue"), {"export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_a_step_refused_by_the_table_shows_the_reason(complaint_factory, agent):
    complaint = complaint_factory()
    c = client_for(agent)
    response = c.post(
        reverse("complaints:act", args=[complaint.pk]), {"action": "approve"}, follow=True
    )
    assert "cannot follow" in response.content.decode()
    c.post(reverse("complaints:act", args=[complaint.pk]), {"action": "accept", "version": "1"})
    assert Complaint.objects.get().state == "accepted"


def test_customer_page_shows_panel_and_timeline(complaint_factory, agent, make_customer):
    customer = make_customer(emails=["x@example.com"])
    complaint = complaint_factory(customer=customer)
    complaint_act(by=agent, complaint_id=complaint.pk, action="accept")
    body = client_for(agent).get(customer.get_absolute_url()).content.decode()
    assert 'id="complaints-panel"' in body
    assert complaint.reference in body


def test_dashboard_shows_pareto(complaint_factory, manager, agent, department, dept_user):
    from rapport.complaints.models import Cause

    causes = list(Cause.objects.order_by("pk")[:2])
    for i in range(3):
        c = complaint_factory()
        complaint_act(by=agent, complaint_id=c.pk, action="accept")
        complaint_act(by=agent, complaint_id=c.pk, action="assign", department_id=department.pk)
        complaint_act(
            by=dept_user,
            complaint_id=c.pk,
            action="record_cause",
            cause_id=causes[0 if i else 1].pk,
        )
    response = client_for(manager).get(reverse("complaints:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "66.7 %" in body and "100.0 %" in body
    csv_body = client_for(manager).get(reverse("complaints:dashboard"), {"export": "csv"})
    assert csv_body.content.decode().splitlines()[1].endswith(",2,66.7,66.7")


def test_pages_refuse_staff_without_permission(complaint_factory, make_user):
    complaint = complaint_factory()
    c = client_for(make_user("marketing"))
    for url in (
        reverse("complaints:queue"),
        reverse("complaints:record"),
        reverse("complaints:detail", args=[complaint.pk]),
        reverse("complaints:dashboard"),
    ):
        assert c.get(url).status_code == 403


def test_a_new_person_is_created_on_the_spot(agent):
    from rapport.customers.models import Customer

    response = client_for(agent).post(
        reverse("complaints:record"),
        {
            "customer": "",
            "new_name": "Anna Nováková",
            "new_email": "anna@example.sk",
            "channel": "in_person",
            "category": "service",
            "severity": "normal",
            "target": "free_text",
            "description": "Nobody helped me at the counter.",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    person = Customer.objects.get(pk=complaint.customer_id)
    assert (person.given_name, person.family_name) == ("Anna", "Nováková")
    assert person.primary_email == "anna@example.sk"


def test_attachments_are_type_checked_and_served_only_with_permission(
    complaint_factory, agent, make_user, department
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rapport.staff.models import Department

    complaint = complaint_factory()
    Complaint.objects.filter(pk=complaint.pk).update(department=department)
    c = client_for(agent)
    png = SimpleUploadedFile("leak.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "image/png")
    c.post(reverse("complaints:attach", args=[complaint.pk]), {"file": png})
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a picture", "image/png")
    response = c.post(
        reverse("complaints:attach", args=[complaint.pk]), {"file": fake}, follow=True
    )
    assert "Only photos" in response.content.decode()
    attachment = complaint.attachments.get()
    url = reverse("complaints:attachment", args=[complaint.pk, attachment.pk])
    assert c.get(url).status_code == 200
    stranger = make_user("department")
    Department.objects.get(code="sales").members.add(stranger)
    assert client_for(stranger).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_the_mine_tab_pages_through_assigned_and_recorded_complaints_in_deadline_order(
    complaint_factory, agent, make_user
):
    from datetime import timedelta

    from django.utils import timezone

    from rapport.complaints.selectors import queue, queue_page

    other = make_user("agent")
    now = timezone.now()
    recorded = [complaint_factory() for _ in range(3)]  # by the agent, nobody assigned
    theirs = [complaint_factory() for _ in range(4)]
    Complaint.objects.filter(pk__in=[c.pk for c in theirs]).update(created_by=other)
    Complaint.objects.filter(pk__in=[c.pk for c in theirs[:3]]).update(assignee=agent)
    Complaint.objects.filter(pk=recorded[0].pk).update(assignee=other)  # not mine any more
    Complaint.objects.filter(pk=theirs[2].pk).update(state="closed")  # closed: not in a queue
    for i, c in enumerate(recorded + theirs):  # deadlines interleaved, one tie
        Complaint.objects.filter(pk=c.pk).update(due_at=now + timedelta(hours=i % 4))
    expected = list(queue(agent, "mine").order_by("due_at", "id"))
    assert {c.pk for c in expected} == {recorded[1].pk, recorded[2].pk, theirs[0].pk, theirs[1].pk}
    seen, cursor = [], None
    while True:
        page = queue_page(agent, "mine", cursor=cursor, size=1)
        seen += page.items
        if not (cursor := page.next_cursor):
            break
    assert seen == expected
    assert queue_page(agent, "mine", {"channel": "letter"}).items == []

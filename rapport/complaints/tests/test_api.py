"""The complaints API: every step, refused (409 with the reason) where the table refuses it."""

import pytest

from rapport.api.tests.helpers import API, count_queries, token_client
from rapport.complaints.models import Cause, Complaint

pytestmark = pytest.mark.django_db


def test_the_eight_steps_over_the_api(make_user, make_customer, department, dept_user):
    agent, manager = make_user("agent"), make_user("manager")
    customer = make_customer(emails=["w@example.com"])
    a, d, m = token_client(agent), token_client(dept_user), token_client(manager)
    r = a.post(
        f"{API}/complaints",
        {
            "customer_id": customer.pk,
            "channel": "email",
            "category": "product_quality",
            "description": "Cracked lid",
            "request": "exchange",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    pk = body["id"]
    assert body["allowed_actions"] == ["accept", "reject", "wait"]

    def step(client, action, **data):
        return client.post(
            f"{API}/complaints/{pk}/actions/{action}", data, content_type="application/json"
        )

    refused = step(m, "approve")
    assert refused.status_code == 409
    assert "cannot follow" in refused.json()["detail"]
    assert step(a, "accept", version=1).status_code == 200
    stale = step(a, "assign", version=1, department_id=department.pk)
    assert stale.status_code == 409
    assert step(a, "assign", department_id=department.pk).json()["state"] == "assigned"
    cause = Cause.objects.first()
    assert step(d, "record_cause", cause_id=cause.pk).json()["state"] == "cause_found"
    assert step(d, "propose_remedy", kind="exchange", amount="80").status_code == 200
    assert step(d, "approve").status_code == 409  # department staff do not approve
    assert step(m, "approve").json()["state"] == "approved"
    assert step(d, "carry_out").json()["state"] == "carried_out"
    missing = step(a, "close")
    assert missing.status_code == 400
    closed = step(a, "close", summary="Lid exchanged", lesson="Check lids")
    assert closed.json()["state"] == "closed"
    events = a.get(f"{API}/complaints/{pk}/events").json()["items"]
    assert [e["to_state"] for e in events if e["type"] == "transition"][-1] == "closed"


def test_queue_endpoint_scoped_and_n_plus_one_free(make_user, complaint_factory, department):
    from rapport.staff.models import Department

    for _ in range(4):
        complaint_factory()
    Complaint.objects.update(department=department)
    other = complaint_factory()
    Complaint.objects.filter(pk=other.pk).update(department=Department.objects.get(code="sales"))
    dept_user = make_user("department")
    department.members.add(dept_user)
    queries, body = count_queries(token_client(dept_user), f"{API}/complaints", limit=3)
    assert queries <= 8
    assert len(body["items"]) == 3 and body["next_cursor"]
    assert other.pk not in [i["id"] for i in body["items"]]
    assert token_client(dept_user).get(f"{API}/complaints/{other.pk}").status_code == 404


def test_api_refuses_without_permission(make_user, complaint_factory):
    c = complaint_factory()
    client = token_client(make_user("marketing"))
    assert client.get(f"{API}/complaints").status_code == 403
    assert client.get(f"{API}/complaints/{c.pk}").status_code == 403


def test_department_staff_cannot_reach_another_departments_complaint_anywhere(
    make_user, complaint_factory, department
):
    from rapport.staff.models import Department

    theirs = complaint_factory()
    Complaint.objects.filter(pk=theirs.pk).update(
        department=Department.objects.get(code="logistics"), state="assigned"
    )
    user = make_user("department")
    department.members.add(user)
    client = token_client(user)
    base = f"{API}/complaints/{theirs.pk}"
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/events").status_code == 404
    assert (
        client.patch(base, {"version": 1, "severity": "high"}, content_type="application/json")
    ).status_code == 404
    assert (
        client.post(f"{base}/actions/record_cause", {}, content_type="application/json")
    ).status_code == 404
    assert Complaint.objects.get(pk=theirs.pk).severity == "normal"


def test_reports_attachments_and_notices_over_the_api(
    make_user, complaint_factory, make_customer, make_product
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rapport.sales.services import order_create

    manager, agent = make_user("manager"), make_user("agent")
    kettle = make_product()
    buyer = make_customer(emails=["b@example.com"])
    order_create(by=agent, customer_id=buyer.pk, lines=[{"product_id": kettle.pk, "batch": "X"}])
    c = complaint_factory(customer=buyer, product_id=kettle.pk, batch="X")
    m = token_client(manager)
    assert m.get(f"{API}/complaints/pareto", {"by": "category"}).json()["items"][0]["count"] == 1
    assert m.get(f"{API}/complaints/figures").json()["complaints"] == 1
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"1" * 50, "image/png")
    uploaded = m.post(f"{API}/complaints/{c.pk}/attachments", {"file": png})
    assert uploaded.status_code == 201 and uploaded.json()["content_type"] == "image/png"
    bad = SimpleUploadedFile("p.png", b"not an image", "image/png")
    assert m.post(f"{API}/complaints/{c.pk}/attachments", {"file": bad}).status_code == 400
    sent = m.post(
        f"{API}/complaints/notices",
        {"product_id": kettle.pk, "batch": "X", "subject": "Recall", "body": "Bring it back."},
        content_type="application/json",
    )
    assert sent.json() == {"sent_to": 1}
    a = token_client(agent)
    assert a.get(f"{API}/complaints/figures").status_code == 403
    assert (
        a.post(
            f"{API}/complaints/notices",
            {"product_id": kettle.pk, "subject": "x", "body": "y"},
            content_type="application/json",
        ).status_code
        == 403
    )


def test_the_complainant_may_be_an_organisations_contact(make_user, make_customer, client):
    """A contact person complains for their organisation: the complaint is the person's (their
    timeline, their language) and names the organisation; a contact id that does not exist, or
    is someone else's than the customer given, is refused."""
    from django.urls import reverse

    from rapport.customers.services.organisations import contact_add, organisation_create

    agent = make_user("agent")
    person, other = make_customer(emails=["li@example.com"]), make_customer()
    org = organisation_create(by=agent, name="Hotel Lotus")
    contact = contact_add(organisation=org, person=person, buying_role="decision_maker", by=agent)
    api = token_client(agent)
    body = {"channel": "phone", "category": "service", "description": "Late delivery to the hotel"}
    r = api.post(
        f"{API}/complaints",
        dict(body, organisation_contact_id=contact.pk),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    assert (r.json()["customer_id"], r.json()["organisation_id"]) == (person.pk, org.pk)
    for wrong in (
        {"organisation_contact_id": 999999},
        {"organisation_contact_id": contact.pk, "customer_id": other.pk},
    ):
        refused = api.post(
            f"{API}/complaints", dict(body, **wrong), content_type="application/json"
        )
        assert refused.status_code in (400, 422), refused.content
    assert Complaint.objects.count() == 1
    # the form offers the person's organisations and records the complaint on their behalf
    client.force_login(agent)
    page = client.get(reverse("complaints:record"), {"customer": person.pk}).content.decode()
    assert "Hotel Lotus" in page
    r = client.post(
        reverse("complaints:record"),
        dict(
            body,
            customer=str(person.pk),
            on_behalf_of=str(contact.pk),
            severity="normal",
            target="free_text",
        ),
    )
    assert r.status_code == 302, r.content.decode()[:3000]
    complaint = Complaint.objects.latest("pk")
    assert complaint.organisation_id == org.pk
    detail = client.get(reverse("complaints:detail", args=[complaint.pk])).content.decode()
    assert "on behalf of Hotel Lotus" in detail

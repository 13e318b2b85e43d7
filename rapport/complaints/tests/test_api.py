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

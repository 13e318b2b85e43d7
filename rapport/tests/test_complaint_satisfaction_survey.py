"""Complaints and surveys together, through the hub and typed events only (neither app imports
the other): the complaint's satisfaction check is the built-in survey "complaint_check" (one
one-time link, three questions stored per question in surveys, the complaint's summary kept and
the complaint reopened when not solved); answers given before are copied by the migration; a
survey answer the customer wants treated as a complaint becomes one; a survey "after a complaint
is closed" is sent when it closes."""

import re

import pytest
from django.test import Client

from rapport.customers.services import consent_set

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/portal/l/([\w-]+)/")


@pytest.fixture
def workflow(make_user):
    from rapport.complaints.tests.conftest import ensure_builtins
    from rapport.staff.models import Department

    ensure_builtins()
    department = Department.objects.get(code="quality")
    dept_user = make_user("department")
    department.members.add(dept_user)
    return department, dept_user


def _complaint(customer, agent):
    from rapport.complaints.services import complaint_record

    return complaint_record(
        by=agent,
        customer_id=customer.pk,
        channel="phone",
        category="product_quality",
        description="The kettle leaks after a week.",
    )


def _carry_out(c, agent, manager, workflow):
    from rapport.complaints.tests.test_mail_and_portal import _to_carried_out

    department, dept_user = workflow
    return _to_carried_out(c, agent, dept_user, manager, department)


def test_the_satisfaction_check_is_a_survey_answered_once_and_seen_by_the_complaint(
    smtp_server,
    make_customer,
    agent,
    manager,
    workflow,
    django_capture_on_commit_callbacks,
):
    from rapport.complaints.models import ComplaintEvent, Satisfaction
    from rapport.surveys.models import Answer, Invitation
    from rapport.surveys.selectors import satisfaction_source

    customer = make_customer(emails=["tsai@example.com"], preferred_language="zh-hant")
    with django_capture_on_commit_callbacks(execute=True):
        c = _complaint(customer, agent)
    with django_capture_on_commit_callbacks(execute=True):
        _carry_out(c, agent, manager, workflow)
    mails = smtp_server.to("tsai@example.com")
    links = [t for m in mails for t in LINK.findall(m.get_content())]
    decision_links = LINK.findall(mails[-1].get_content())
    assert len(decision_links) == 1  # ONE link for the check …
    assert Invitation.objects.count() == 0  # … and no separate survey mail

    client = Client()
    page = client.get(f"/portal/l/{decision_links[0]}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'id="satisfaction-form"' in html
    assert "您的問題解決了嗎？" in html  # the survey's question, in the customer's language
    assert 'name="complaint"' not in html  # the check itself is about a complaint
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            f"/portal/l/{decision_links[0]}/", {"solved": "0", "score": "2", "buy_again": "1"}
        )
    assert done.status_code == 200 and 'id="satisfaction-thanks"' in done.content.decode()

    invitation = Invitation.objects.get()
    assert (invitation.source_type, invitation.source_id) == ("complaints.complaint", c.pk)
    assert invitation.survey.code == "complaint_check" and invitation.state == "answered"
    stored = {a.question.code: a.value for a in Answer.objects.select_related("question")}
    assert stored == {"solved": 0, "score": 2, "buy_again": 1}  # one row per question
    # Visible to the complaint: its summary, its step, and reopened (not solved).
    summary = Satisfaction.objects.get(complaint=c)
    assert (summary.solved, summary.score, summary.buy_again) == (False, 2, True)
    assert ComplaintEvent.objects.filter(complaint=c, type="satisfaction").count() == 1
    c.refresh_from_db()
    assert c.state == "assigned" and c.reopen_count == 1
    # Feeds the analytics' satisfaction source.
    from django.utils import timezone

    frame = satisfaction_source(timezone.now() + timezone.timedelta(seconds=1))
    assert frame.filter(frame["customer_id"] == customer.pk)["satisfaction"].to_list() == [2.0]

    again = client.post(
        f"/portal/l/{decision_links[0]}/", {"solved": "1", "score": "5", "buy_again": "1"}
    )
    assert again.status_code == 410  # one-time
    assert Answer.objects.count() == 3 and Satisfaction.objects.get(complaint=c).score == 2
    assert len(links) == 2  # the acknowledgement's follow link and the check link, nothing else


def test_a_missing_answer_is_refused_and_nothing_reaches_the_complaint(
    smtp_server, make_customer, agent, manager, workflow, django_capture_on_commit_callbacks
):
    from rapport.complaints.models import Satisfaction
    from rapport.surveys.models import Answer

    customer = make_customer(emails=["lee@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        c = _complaint(customer, agent)
        _carry_out(c, agent, manager, workflow)
    token = LINK.findall(smtp_server.to("lee@example.com")[-1].get_content())[0]
    refused = Client().post(f"/portal/l/{token}/", {"solved": "1", "buy_again": "1"})
    assert refused.status_code == 422
    assert not Answer.objects.exists() and not Satisfaction.objects.exists()
    ok = Client().post(f"/portal/l/{token}/", {"solved": "1", "score": "5", "buy_again": "1"})
    assert ok.status_code == 200
    c.refresh_from_db()
    assert c.state == "carried_out"  # solved: not reopened
    assert Satisfaction.objects.get(complaint=c).score == 5


def test_answers_given_before_the_survey_are_copied_into_it(make_customer, agent, manager):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from rapport.complaints.models import Satisfaction
    from rapport.surveys.models import Answer, Invitation, Survey

    migration = importlib.import_module("rapport.surveys.migrations.0002_complaint_check")
    Survey.objects.filter(code="complaint_check").delete()
    customer = make_customer(emails=["old@example.com"])
    c = _complaint(customer, agent)
    when = timezone.now() - timezone.timedelta(days=400)
    Satisfaction.objects.create(
        complaint=c, solved=True, score=4, buy_again=False, answered_at=when
    )
    migration.copy_complaint_checks(apps, None)
    migration.copy_complaint_checks(apps, None)  # run twice: copied once
    invitation = Invitation.objects.get(source_type="complaints.complaint", source_id=c.pk)
    assert invitation.state == "answered" and invitation.customer_id == customer.pk
    rows = Answer.objects.filter(response__invitation=invitation).select_related("question")
    assert {a.question.code: a.value for a in rows} == {"solved": 1, "score": 4, "buy_again": 0}
    assert {a.answered_at for a in rows} == {when}
    assert {a.measure for a in rows if a.question.code == "score"} == {"csat"}
    assert Satisfaction.objects.get(complaint=c).score == 4  # the complaint's row is kept


def test_a_survey_answer_the_customer_wants_as_a_complaint_becomes_one(
    make_customer, manager, smtp_server, django_capture_on_commit_callbacks, workflow
):
    from rapport.complaints.models import Complaint
    from rapport.surveys import services as surveys
    from rapport.surveys.models import FollowUp

    survey = surveys.survey_create(
        by=manager,
        name="After delivery",
        questions=[{"kind": "paired", "attribute": "delivery", "text": "Delivery"}],
    )
    customer = make_customer(emails=["wants@example.com"])
    consent_set(customer=customer, channel="email", granted=True, method="web_form", by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        invitation = surveys.invite(by=manager, survey=survey, customer_id=customer.pk)
    question = survey.questions.get()
    with django_capture_on_commit_callbacks(execute=True):
        surveys.response_submit(
            invitation_id=invitation.pk,
            answers={question.pk: {"expectation": 6, "experience": 2}},
            by=manager,
            wants_complaint=True,
        )
    follow_up = FollowUp.objects.get()
    assert follow_up.complaint_requested
    complaint = Complaint.objects.get(customer=customer)
    assert complaint.category == "transport" and complaint.channel == "portal"
    assert "expected 6, got 2" in complaint.description
    # The request is made once: asking again records nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        surveys.complaint_request(by=manager, invitation_id=invitation.pk)
    assert Complaint.objects.filter(customer=customer).count() == 1


def test_a_survey_after_a_complaint_is_closed_is_sent_when_it_closes(
    make_customer, agent, manager, workflow, smtp_server, django_capture_on_commit_callbacks
):
    from rapport.complaints.services import complaint_act
    from rapport.surveys import services as surveys
    from rapport.surveys.models import Invitation

    surveys.survey_create(
        by=manager,
        name="After a complaint",
        trigger="complaint_closed",
        questions=[{"kind": "nps", "text": "Recommend us?"}],
    )
    customer = make_customer(emails=["closed@example.com"])
    consent_set(customer=customer, channel="email", granted=True, method="web_form", by=manager)
    with django_capture_on_commit_callbacks(execute=True):
        c = _complaint(customer, agent)
        _carry_out(c, agent, manager, workflow)
    assert not Invitation.objects.exists()  # not before it is closed
    with django_capture_on_commit_callbacks(execute=True):
        complaint_act(
            by=agent,
            complaint_id=c.pk,
            action="close",
            summary="Kettle exchanged.",
            lesson="Check seals.",
        )
    invitation = Invitation.objects.get()
    assert invitation.survey.name == "After a complaint"
    assert (invitation.source_type, invitation.source_id) == ("complaints.complaint", c.pk)


def test_the_follow_up_is_due_on_the_clock_complaints_use(make_customer, manager, workflow):
    """A dissatisfied answer's follow-up deadline runs on the department's working-time clock,
    the one the complaints' deadlines use (one working hour a week here: Monday 9–10)."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from rapport.complaints.deadlines import clock_for
    from rapport.staff.models import Department
    from rapport.surveys import services as surveys
    from rapport.surveys.models import FollowUp

    department = Department.objects.get(code="logistics")
    department.working_hours = {"mon": [["09:00", "10:00"]]}
    department.version += 1
    department.save()
    survey = surveys.survey_create(
        by=manager,
        name="Delivery",
        department_id=department.pk,
        follow_up_hours=1,
        questions=[{"kind": "paired", "attribute": "delivery", "text": "Delivery"}],
    )
    customer = make_customer(emails=["clock@example.com"])
    consent_set(customer=customer, channel="email", granted=True, method="web_form", by=manager)
    invitation = surveys.invite(by=manager, survey=survey, customer_id=customer.pk)
    surveys.response_submit(
        invitation_id=invitation.pk,
        answers={survey.questions.get().pk: {"expectation": 5, "experience": 2}},
        by=manager,
    )
    follow_up = FollowUp.objects.get()
    local = follow_up.due_at.astimezone(ZoneInfo(department.time_zone))
    assert local.weekday() == 0 and 9 <= local.hour <= 10  # on Monday's one working hour
    worked = clock_for(department).worked(follow_up.created_at, follow_up.due_at)
    assert abs(worked - timedelta(hours=1)) < timedelta(seconds=1)


def test_a_recall_is_the_one_kind_of_notice_and_a_step_on_the_buyers_complaints(
    make_customer, make_product, agent, manager, smtp_server, django_capture_on_commit_callbacks
):
    """The service app's recall extends the complaints' notices: each told customer's complaints
    about the product (and batch) get the notice step, once, even when the sending is re-run."""
    from rapport.complaints.models import ComplaintEvent
    from rapport.complaints.services import complaint_record
    from rapport.sales.services import order_create
    from rapport.service import services as service

    kettle, toaster = make_product(sku="KET-9"), make_product(sku="TOA-9")
    buyer = make_customer(emails=["buyer9@example.com"])
    other = make_customer(emails=["other9@example.com"])
    for customer, product, batch in ((buyer, kettle, "B1"), (other, kettle, "B2")):
        order_create(
            by=manager,
            customer_id=customer.pk,
            currency="CNY",
            status="delivered",
            lines=[{"product_id": product.pk, "quantity": 1, "batch": batch}],
        )
    about_kettle = complaint_record(
        by=agent,
        customer_id=buyer.pk,
        channel="phone",
        category="product_quality",
        description="The lid does not close.",
        product_id=kettle.pk,
        batch="B1",
    )
    about_toaster = complaint_record(
        by=agent,
        customer_id=buyer.pk,
        channel="phone",
        category="product_quality",
        description="Burns the toast.",
        product_id=toaster.pk,
    )
    other_batch = complaint_record(
        by=agent,
        customer_id=other.pk,
        channel="phone",
        category="product_quality",
        description="Lid.",
        product_id=kettle.pk,
        batch="B2",
    )
    recall = service.recall_create(
        by=manager, product_id=kettle.pk, batch="B1", title="Kettle lids", body="Stop using it."
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert service.recall_notify(by=manager, recall_id=recall.pk) == 1
        assert service.recall_notify(by=manager, recall_id=recall.pk) == 0
    notices = ComplaintEvent.objects.filter(type="notice")
    assert list(notices.values_list("complaint_id", flat=True)) == [about_kettle.pk]
    assert notices.get().parameters["subject"] == "Kettle lids"
    assert not notices.filter(complaint__in=[about_toaster, other_batch]).exists()

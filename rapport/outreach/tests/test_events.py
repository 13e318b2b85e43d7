"""Events: invitations from a campaign, RSVP through a one-time link, attendance, timeline;
the newsletter's public archive; `rapport campaigns run-due`."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.outreach import services
from rapport.outreach.models import Invitation


@pytest.mark.django_db(transaction=True)
def test_an_invitation_campaign_rsvp_once_and_attendance(
    audience, campaign, manager, client, smtp_server
):
    from rapport.core.timeline import customer_timeline

    people = audience(2)
    event = services.event_create(
        by=manager, name="Thank-you gala", kind="gala", starts_at=timezone.now() + timedelta(days=3)
    )
    c = campaign(
        event_id=event.pk,
        messages=[
            {
                "language": "en",
                "subject": "{{ event_name }}",
                "body": "Join us {{ event_time }}: {{ rsvp_url }}",
            }
        ],
    )
    services.campaign_start(by=manager, campaign_id=c.pk)
    body = smtp_server.to("c1@example.com")[0].get_content()
    url = next(w for w in body.split() if "/rsvp/" in w)
    path = url.split("8000", 1)[-1]
    assert "Thank-you gala" in client.get(path).content.decode()
    assert client.post(path, {"answer": "yes"}).status_code == 200
    assert client.post(path, {"answer": "no"}).status_code == 410  # once
    assert Invitation.objects.get(customer=people[1]).rsvp == "yes"
    assert Invitation.objects.get(customer=people[0]).rsvp == "pending"
    services.attendance_record(by=manager, event_id=event.pk, customer_ids=[people[1].pk])
    titles = [e.title for e in customer_timeline(people[1].pk)]
    assert any("Attended Thank-you gala" in t for t in titles)
    assert any("Invited to Thank-you gala" in t for t in titles)
    client.force_login(manager)
    page = client.get(f"/outreach/events/{event.pk}/").content.decode()
    assert "Fam1" in page
    # the moments calendar shows the invitation
    from rapport.customers.models import Customer
    from rapport.outreach.moments import moments_between

    found = moments_between(
        Customer.objects.filter(pk=people[0].pk),
        timezone.localdate(),
        timezone.localdate() + timedelta(days=6),
    )
    assert any(m.kind == "event" and m.action == "call" for m in found)


@pytest.mark.django_db(transaction=True)
def test_newsletter_archive_per_language(audience, campaign, manager, client, smtp_server):
    audience(2)
    c = campaign(kind="newsletter", name="Spring issue")
    services.campaign_start(by=manager, campaign_id=c.pk)
    zh = client.get("/public/outreach/newsletter/zh-hans/").content.decode()
    assert "您好" in zh and "Fam0" not in zh  # no personal data in the archive
    assert "Dobrý deň" in client.get("/public/outreach/newsletter/sk/").content.decode()
    assert client.get("/public/outreach/newsletter/xx/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_run_due_sends_birthday_greetings_n_days_before_once(
    make_customer, manager, campaign, smtp_server
):
    from lunardate import LunarDate

    from rapport.customers.services import consent_set

    today = timezone.localdate()
    in_three = today + timedelta(days=3)
    lunar = LunarDate.from_solar_date(in_three.year, in_three.month, in_three.day)
    born = LunarDate(1980, lunar.month, min(lunar.day, 29)).to_solar_date()
    c = make_customer(
        emails=[{"address": "bday@example.com"}], birthday=born, celebrates_lunar_birthday=True
    )
    consent_set(customer=c, channel="email", granted=True, method="web_form", by=manager)
    camp = campaign(schedule="before_birthday", days=3)
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
    call_command("campaigns", "run-due")
    call_command("campaigns", "run-due")
    expected = 1 if not lunar.is_leap_month and lunar.day <= 29 else 0
    assert len(smtp_server.to("bday@example.com")) == expected

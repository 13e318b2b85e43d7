"""Mail providers through django-anymail: sending through the configured mailer (EMAIL_URL
anymail:<provider>), and their tracking webhooks recording bounces, complaints and unsubscribes
on the message and on the customer's consents."""

import base64
import json

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail

from rapport.communications.models import OutboundMessage
from rapport.customers.models import MarketingConsent
from rapport.outreach import services
from rapport.outreach.models import CampaignDelivery, Unsubscribe

pytestmark = pytest.mark.django_db

ANYMAIL_TEST = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}


def test_email_url_names_an_anymail_provider_and_smtp_stays_as_it_was():
    from django.core.exceptions import ImproperlyConfigured

    from rapport.settings import _mailer

    assert _mailer("anymail:mailgun") == {"BACKEND": "anymail.backends.mailgun.EmailBackend"}
    assert _mailer("anymail:amazon_ses")["BACKEND"] == "anymail.backends.amazon_ses.EmailBackend"
    assert _mailer("smtp://u:p@mail.example.com:587?tls=1")["OPTIONS"]["use_tls"] is True
    with pytest.raises(ImproperlyConfigured):
        _mailer("anymail:../evil")


@pytest.fixture
def sent(audience, campaign, manager, settings, django_capture_on_commit_callbacks):
    """A campaign sent through anymail's test backend to two consenting customers."""
    settings.MAILERS = ANYMAIL_TEST
    mail.outbox = []
    people = audience(2)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(by=manager, campaign_id=campaign().pk)
    return people


def test_campaign_mail_goes_through_the_anymail_backend(sent):
    assert sorted(m.to[0] for m in mail.outbox) == ["c0@example.com", "c1@example.com"]
    for m in mail.outbox:
        message = OutboundMessage.objects.get(to_address=m.to[0])
        # The provider's message id is kept (its tracking events name it), and our own id travels
        # along as metadata.
        assert message.state == "sent"
        assert message.provider_id == str(m.anymail_status.message_id)
        assert m.anymail_test_params["metadata"] == {"rapport_message": str(message.pk)}
        assert m.extra_headers["List-Unsubscribe"].startswith("<http")


def track(event_type, message, *, by_metadata=False, **extra):
    event = AnymailTrackingEvent(
        event_type=event_type,
        message_id=None if by_metadata else message.provider_id,
        metadata={"rapport_message": str(message.pk)} if by_metadata else {},
        recipient=message.to_address,
        **extra,
    )
    tracking.send(sender=object, event=event, esp_name="Test")


def granted(customer):
    return MarketingConsent.objects.get(customer=customer, channel="email").granted


def test_tracking_bounce_complaint_and_unsubscribe(sent, client):
    a, b = sent
    first, second = (OutboundMessage.objects.get(customer=p) for p in sent)
    track("bounced", first, mta_response="550 5.1.1 no such user")
    first.refresh_from_db()
    assert (first.state, granted(a)) == ("bounced", True)  # a bounce withdraws nothing
    assert "550 5.1.1" in first.reason

    track("unsubscribed", second, by_metadata=True)
    second.refresh_from_db()
    assert second.state == "sent" and "Test" in second.reason
    assert not granted(b) and granted(a)
    delivery = CampaignDelivery.objects.get(message=second)
    assert Unsubscribe.objects.get().delivery == delivery
    # The message's own one-click link now says it was used; a repeated event adds nothing.
    token = services.unsubscribe_token(delivery.pk)
    assert client.post(f"/public/outreach/u/{token}/").status_code == 410
    track("unsubscribed", second)
    assert Unsubscribe.objects.count() == 1

    track("complained", first)
    first.refresh_from_db()
    assert first.state == "complained" and not granted(a)
    track("bounced", first)  # a complaint is never turned back into a bounce
    first.refresh_from_db()
    assert first.state == "complained"


def test_opens_and_unknown_messages_change_nothing(sent):
    first = OutboundMessage.objects.get(customer=sent[0])
    track("opened", first)
    track("delivered", first)
    tracking.send(
        sender=object,
        event=AnymailTrackingEvent(event_type="bounced", message_id="nobody-knows-it"),
        esp_name="Test",
    )
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_a_providers_webhook_records_through_http_only_with_the_secret(sent, client, settings):
    """Postmark's tracking webhook, as Postmark posts it (one of anymail's providers)."""
    first = OutboundMessage.objects.get(customer=sent[0])
    url = "/public/anymail/postmark/tracking/"
    body = json.dumps(
        {
            "RecordType": "SpamComplaint",
            "Type": "SpamComplaint",
            "MessageID": first.provider_id,
            "Email": first.to_address,
            "BouncedAt": "2026-12-06T08:00:00Z",
            "Metadata": {},
        }
    )
    settings.ANYMAIL = {}
    assert client.post(url, body, content_type="application/json").status_code == 403
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()
    r = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=wrong)
    assert r.status_code == 400
    first.refresh_from_db()
    assert first.state == "sent"
    right = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    r = client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=right)
    assert r.status_code == 200
    first.refresh_from_db()
    assert first.state == "complained" and not granted(sent[0])

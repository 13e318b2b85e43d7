"""Campaign messages reach exactly the consenting customers, exactly once, on a real SMTP server."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from rapport.communications.models import OutboundMessage
from rapport.outreach import services
from rapport.outreach.models import CampaignDelivery, CampaignRun, Unsubscribe


def addresses(sink):
    return sorted(m["X-Envelope-To"] for m in sink.messages)


@pytest.mark.django_db(transaction=True)
def test_only_consenting_customers_get_the_campaign_in_their_language(
    audience, campaign, manager, smtp_server, queue
):
    audience(5)
    c = campaign()
    run = services.campaign_start(by=manager, campaign_id=c.pk)
    assert run.total == 5
    queue.drain()
    assert addresses(smtp_server) == [f"c{i}@example.com" for i in range(5)]
    zh = smtp_server.to("c0@example.com")[0]
    assert zh["Subject"] == "Giv0 Fam0，您好"
    assert "优惠码" in zh.get_content()
    assert zh["List-Unsubscribe"].startswith("<http") and zh["List-Unsubscribe-Post"]
    assert "Dobrý deň" in smtp_server.to("c1@example.com")[0]["Subject"]
    c.refresh_from_db()
    assert c.state == "sent"
    assert services.run_progress(run)["done"] == 5
    # Started again (a double click, a retried task): nobody gets a second message.
    services.campaign_start(by=manager, campaign_id=c.pk)
    queue.drain()
    assert len(smtp_server.messages) == 5


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("channel", ["email", "sms", "post"])
def test_a_customer_who_withdrew_on_a_channel_gets_nothing_on_it(
    channel, make_customer, manager, campaign, smtp_server
):
    from rapport.customers.services import consent_set

    c = make_customer(
        emails=[{"address": "w@example.com"}],
        phones=[{"number": "+421905123456"}],
        addresses=[{"line1": "Hlavná 1", "city": "Košice", "country": "SK"}],
    )
    consent_set(customer=c, channel=channel, granted=True, method="web_form", by=manager)
    camp = campaign(channel=channel)
    # The consent is withdrawn after the audience was written, before the messages go out.
    real_send_chunk = services.send_chunk

    def withdraw_then_send(**kw):
        consent_set(customer=c, channel=channel, granted=False, method="phone", by=manager)
        return real_send_chunk(**kw)

    from unittest import mock

    with mock.patch("rapport.outreach.services.send_chunk", withdraw_then_send):
        services.campaign_start(by=manager, campaign_id=camp.pk)
    message = OutboundMessage.objects.get(customer=c)
    assert message.state == "suppressed"
    assert smtp_server.messages == []


@pytest.mark.django_db(transaction=True)
def test_a_task_killed_half_way_and_run_again_sends_each_message_once(
    audience, campaign, manager, smtp_server, queue, monkeypatch
):
    """The sending task dies at its fourth message inside a queue worker (the queue records it
    as failed), after its first batch of three went out; the campaign is started again (the Send
    button, the API) and the workers finish it: each customer gets the message exactly once."""
    monkeypatch.setattr(services, "SEND_BATCH", 3)
    audience(5)
    c = campaign()
    calls = {"n": 0}

    def die_on_the_fourth(delivery):
        calls["n"] += 1
        if calls["n"] == 4:
            raise SystemExit("worker killed")

    services.before_each_message = die_on_the_fourth
    try:
        run = services.campaign_start(by=manager, campaign_id=c.pk)  # queued, not yet run
        assert smtp_server.messages == []
        queue.drain()
    finally:
        services.before_each_message = None
    assert calls["n"] == 4
    assert len(smtp_server.messages) == 3
    assert run.deliveries.filter(message__isnull=True).count() == 2
    services.run_due(by=manager)  # within the hour: the run may still be going, left alone
    queue.drain()
    assert len(smtp_server.messages) == 3
    # An hour later the scheduler (or `rapport campaigns run-due`) resumes the unfinished run.
    CampaignRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=2))
    services.run_due(by=manager)
    queue.drain()
    assert addresses(smtp_server) == [f"c{i}@example.com" for i in range(5)]
    c.refresh_from_db()
    assert c.state == "sent"
    # A message written but whose delivery link was lost (killed between the two writes).
    half = CampaignDelivery.objects.filter(message__isnull=False).first()
    CampaignDelivery.objects.filter(pk=half.pk).update(message=None)
    services.campaign_start(by=manager, campaign_id=c.pk)
    queue.drain()
    assert addresses(smtp_server) == [f"c{i}@example.com" for i in range(5)]
    assert OutboundMessage.objects.filter(state="sent").count() == 5
    c.refresh_from_db()
    assert c.state == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_a_batch_never_sends_it_again(
    audience, campaign, manager, smtp_server, queue, monkeypatch
):
    """The worker dies after handing the first message of a batch to the mail server: the batch
    was written "sending" (claimed as written), so starting the campaign again sends nothing of
    it a second time — the rest of that batch waits, "sending", for a person — and the other
    batches go out once."""
    from rapport.communications import channels

    monkeypatch.setattr(services, "SEND_BATCH", 3)
    audience(5)
    c = campaign()
    real = channels.send_emails
    batches = []

    def dies_after_one(messages, pause):
        batches.append([m.state for m in messages])
        if len(batches) == 1:
            real(messages[:1], pause)
            raise SystemExit("worker killed while sending")
        return real(messages, pause)

    monkeypatch.setitem(channels._batch_backends, "email", dies_after_one)
    run = services.campaign_start(by=manager, campaign_id=c.pk)
    queue.drain()
    assert batches[0] == ["sending"] * 3  # claimed before anything was sent
    assert len(smtp_server.messages) == 1
    assert OutboundMessage.objects.filter(state="sending").count() == 3
    CampaignRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(hours=2))
    services.campaign_start(by=manager, campaign_id=c.pk)
    services.run_due(by=manager)
    queue.drain()
    # The second batch went out once; the first one's other two were never sent twice or again.
    assert len(smtp_server.messages) == 3
    assert len(set(addresses(smtp_server))) == 3
    states = sorted(OutboundMessage.objects.values_list("state", flat=True))
    assert states == ["sending", "sending", "sending", "sent", "sent"]
    assert CampaignDelivery.objects.filter(run=run, message__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_campaign_send_each_message_once(
    audience, campaign, manager, smtp_server, queue
):
    from unittest import mock

    audience(5)
    c = campaign()
    with mock.patch("rapport.outreach.services.enqueue_chunks"):  # nobody sends at start
        run = services.campaign_start(by=manager, campaign_id=c.pk)
    lo, hi = run.deliveries.order_by("pk").first().pk, run.deliveries.order_by("pk").last().pk
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            services.send_chunk(run_id=run.pk, first_id=lo, last_id=hi)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    queue.drain()
    assert errors == []
    assert addresses(smtp_server) == [f"c{i}@example.com" for i in range(5)]
    assert OutboundMessage.objects.filter(state="sent").count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_doubled_task_on_two_workers_sends_each_message_once(
    audience, campaign, manager, smtp_server, queue
):
    """Every chunk's task queued twice (a retried enqueue, two schedulers): the two workers of
    the queue run both copies at once, and still each customer gets one message."""
    audience(5)
    c = campaign()
    real = services.enqueue_chunks

    def twice(run_id, chunks):
        real(run_id, chunks)
        real(run_id, chunks)

    from unittest import mock

    with mock.patch("rapport.outreach.services.enqueue_chunks", twice):
        services.campaign_start(by=manager, campaign_id=c.pk)
    queue.drain()
    assert addresses(smtp_server) == [f"c{i}@example.com" for i in range(5)]
    assert OutboundMessage.objects.filter(state="sent").count() == 5


@pytest.mark.django_db(transaction=True)
def test_one_click_unsubscribe_works_once_without_login_for_that_customer_only(
    audience, campaign, manager, client, smtp_server
):
    from rapport.customers.models import MarketingConsent

    people = audience(2)
    c = campaign()
    services.campaign_start(by=manager, campaign_id=c.pk)
    mine = CampaignDelivery.objects.get(customer=people[0])
    url = smtp_server.to("c0@example.com")[0]["List-Unsubscribe"].strip("<>")
    path = url.split("8000", 1)[-1] if "8000" in url else url
    assert client.get(path).status_code == 200  # no login; showing the page changes nothing
    assert MarketingConsent.objects.get(customer=people[0], channel="email").granted
    # The mail client's one-click POST (RFC 8058).
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not MarketingConsent.objects.get(customer=people[0], channel="email").granted
    assert MarketingConsent.objects.get(customer=people[1], channel="email").granted
    assert Unsubscribe.objects.get().delivery == mine
    # Once: the second use says so and changes nothing.
    assert client.post(path).status_code == 410
    # A forged token (another delivery's id without our signature) is refused.
    other = CampaignDelivery.objects.get(customer=people[1])
    forged = path.replace(services.unsubscribe_token(mine.pk), f"{other.pk}:abc")
    assert client.post(forged).status_code == 410
    assert MarketingConsent.objects.get(customer=people[1], channel="email").granted


@pytest.mark.django_db(transaction=True)
def test_bounce_and_complaint_webhook(audience, campaign, manager, client, settings, smtp_server):
    from rapport.customers.models import MarketingConsent

    settings.RAPPORT_OUTREACH_WEBHOOK_SECRET = "s3cret"
    people = audience(2)
    services.campaign_start(by=manager, campaign_id=campaign().pk)
    first, second = (OutboundMessage.objects.get(customer=p) for p in people)
    assert first.provider_id
    hook = "/public/outreach/webhook/"
    assert client.post(hook, {}, content_type="application/json").status_code == 403
    headers = {"HTTP_X_RAPPORT_SECRET": "s3cret"}
    r = client.post(
        hook,
        {"provider_id": first.provider_id, "event": "bounce"},
        content_type="application/json",
        **headers,
    )
    assert r.json() == {"recorded": True}
    r = client.post(
        hook,
        {"provider_id": second.provider_id, "event": "complaint"},
        content_type="application/json",
        **headers,
    )
    first.refresh_from_db(), second.refresh_from_db()
    assert (first.state, second.state) == ("bounced", "complained")
    assert not MarketingConsent.objects.get(customer=people[1], channel="email").granted

"""Messages to customers: consent decides, a key claims each message once, a real SMTP server
receives exactly what was sent."""

import threading

import pytest
from django.db import connection, connections
from django.test import TestCase

from rapport.communications.models import OutboundMessage
from rapport.communications.services import message_deliver, message_send
from rapport.customers.services import consent_set


def _send(customer, key, *, purpose="marketing", channel="email", by=None):
    """message_send, with the after-commit delivery run when it returns (tests run inside a
    transaction that never commits)."""
    kwargs = {
        "customer_id": customer.pk,
        "channel": channel,
        "purpose": purpose,
        "subject": "Spring Festival greetings",
        "body": "新春快乐!",
        "idempotency_key": key,
        "by": by,
    }
    if connection.in_atomic_block:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return message_send(**kwargs)
    return message_send(**kwargs)


def test_marketing_needs_consent_and_a_withdrawal_stops_it(smtp_server, make_customer, agent):
    c = make_customer(emails=["li.na@example.com"])
    held = _send(c, "greeting-1", by=agent)
    assert held.state == "suppressed" and "not consented" in held.reason
    consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    sent = _send(c, "greeting-2", by=agent)
    assert sent.state == "queued"
    sent.refresh_from_db()
    assert sent.state == "sent" and sent.sent_at is not None
    consent_set(customer=c, channel="email", granted=False, method="email", by=agent)
    after = _send(c, "greeting-3", by=agent)
    assert after.state == "suppressed" and "withdrew" in after.reason
    assert [m["Subject"] for m in smtp_server.to("li.na@example.com")] == [
        "Spring Festival greetings"
    ]
    assert smtp_server.messages[0].get_content().strip() == "新春快乐!"


def test_a_service_message_needs_an_address_but_no_consent(smtp_server, make_customer):
    with_email = make_customer(emails=["wang@example.com"])
    without = make_customer()
    assert _send(with_email, "ack-1", purpose="service").state == "queued"
    missing = _send(without, "ack-2", purpose="service")
    assert missing.state == "suppressed" and "no address" in missing.reason
    assert len(smtp_server.messages) == 1


def test_the_same_key_never_sends_twice(smtp_server, make_customer, agent):
    c = make_customer(emails=["zhang@example.com"])
    consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    first = _send(c, "campaign-7:customer-1")
    again = _send(c, "campaign-7:customer-1")
    assert again.pk == first.pk
    assert message_deliver(message_id=first.pk).state == "sent"  # a retried task: nothing more
    assert len(smtp_server.messages) == 1
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_one_message(smtp_server, make_user, settings):
    from rapport.customers.services import customer_create

    # The task queue is left out: both "workers" call the delivery for the same queued message.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    agent = make_user("agent")
    c = customer_create(by=agent, family_name="Novák", emails=["novak@example.sk"])
    consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    message = _send(c, "newsletter-2026-12:1")
    barrier = threading.Barrier(2)
    states: list[str] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            states.append(message_deliver(message_id=message.pk).state)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(smtp_server.messages) == 1
    assert OutboundMessage.objects.get().state == "sent"
    assert "sent" in states


def test_sms_is_handed_to_a_provider_and_shows_on_the_timeline(make_customer):
    from rapport.core.timeline import customer_timeline

    c = make_customer(phones=["13800138000"])
    message = _send(c, "sms-1", purpose="service", channel="sms")
    message.refresh_from_db()
    assert message.state == "exported" and message.to_address == "+8613800138000"
    titles = [e.title for e in customer_timeline(c.pk) if e.kind == "message"]
    assert titles == ["Message to the customer (SMS): Spring Festival greetings"]


def _batch(customers, prefix, *, channel="email", purpose="marketing"):
    from rapport.communications.services import NewMessage, messages_send

    return messages_send(
        channel=channel,
        purpose=purpose,
        by=None,
        messages=[
            NewMessage(customer=c, subject=f"Hello {i}", body="Hi.", idempotency_key=f"{prefix}{i}")
            for i, c in enumerate(customers)
        ],
    )


def test_many_messages_go_through_the_same_gate_as_one(make_customer, agent):
    from rapport.customers.selectors import contact_permission, contact_permissions

    people = [
        make_customer(
            emails=["a@example.com"], addresses=[{"line1": "Hlavná 1", "city": "Košice"}]
        ),
        make_customer(emails=["b@example.com"]),
        make_customer(emails=["c@example.com"], phones=["13800138000"]),
        make_customer(),
    ]
    consent_set(customer=people[0], channel="email", granted=True, method="web_form", by=agent)
    consent_set(customer=people[0], channel="post", granted=True, method="web_form", by=agent)
    consent_set(customer=people[1], channel="email", granted=True, method="web_form", by=agent)
    consent_set(customer=people[1], channel="email", granted=False, method="phone", by=agent)
    consent_set(customer=people[2], channel="sms", granted=True, method="web_form", by=agent)
    for channel in ("email", "sms", "post", "wechat"):
        for purpose in ("marketing", "service"):
            many = contact_permissions(people, channel=channel, purpose=purpose)
            assert many == {
                c.pk: contact_permission(c, channel=channel, purpose=purpose) for c in people
            }
    written = _batch(people, "batch-")
    assert [m.state for m in written] == ["queued", "suppressed", "suppressed", "suppressed"]
    assert "withdrew" in written[1].reason and "not consented" in written[2].reason
    # The same keys again (a retried task): the same rows, nothing new.
    assert [m.pk for m in _batch(people, "batch-")] == [m.pk for m in written]
    assert OutboundMessage.objects.count() == 4


def test_a_batch_goes_over_one_connection_and_a_refused_message_stops_no_other(
    smtp_server, make_customer, agent
):
    from unittest import mock

    from django.core.mail.backends.smtp import EmailBackend

    from rapport.communications.services import messages_deliver
    from rapport.customers.models import Customer

    people = [make_customer(emails=[f"p{i}@example.com"]) for i in range(6)]
    for c in people:
        consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    written = _batch(people, "one-connection-")
    # The server refuses the third message's recipient.
    Customer.objects.filter(pk=people[2].pk).update(primary_email="refused@example.com")
    OutboundMessage.objects.filter(pk=written[2].pk).update(to_address="nobody@@bad")
    real_open, opened = EmailBackend.open, []

    def counting_open(self):
        new = real_open(self)
        opened.append(new)
        return new

    with mock.patch.object(EmailBackend, "open", counting_open):
        counts = messages_deliver(message_ids=[m.pk for m in written])
    assert counts == {"sent": 5, "failed": 1}
    # One connection for the batch, and a fresh one after the refused message.
    assert opened.count(True) == 2
    assert sorted(m["X-Envelope-To"] for m in smtp_server.messages) == [
        f"p{i}@example.com" for i in (0, 1, 3, 4, 5)
    ]
    states = dict(OutboundMessage.objects.values_list("idempotency_key", "state"))
    assert states["one-connection-2"] == "failed"
    assert OutboundMessage.objects.get(pk=written[2].pk).reason
    # Delivered again (a retried task): nothing is sent twice, the failed one is not retried.
    assert messages_deliver(message_ids=[m.pk for m in written]) == {}
    assert len(smtp_server.messages) == 5


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_batch_send_each_message_once(
    smtp_server, make_user, settings, monkeypatch
):
    from rapport.communications import services
    from rapport.customers.services import customer_create

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    monkeypatch.setattr(services, "DELIVERY_BATCH", 7)  # several claims per worker
    agent = make_user("agent")
    people = [
        customer_create(by=agent, family_name=f"Novák {i}", emails=[f"n{i}@example.sk"])
        for i in range(30)
    ]
    for c in people:
        consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    ids = [m.pk for m in _batch(people, "race-")]
    barrier = threading.Barrier(2)
    counts: list[dict[str, int]] = []

    def worker(order) -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(services.messages_deliver(message_ids=order))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=worker, args=(order,)) for order in (ids, list(reversed(ids)))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(m["X-Envelope-To"] for m in smtp_server.messages) == sorted(
        f"n{i}@example.sk" for i in range(30)
    )
    assert sum(c.get("sent", 0) for c in counts) == 30
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}

"""Wrong passwords lock out the account and the address; password-reset mail is limited."""

import pytest
from django.core import mail
from django.urls import reverse

from rapport.staff.tasks import password_reset_send

pytestmark = pytest.mark.django_db

RIGHT = "tea and mountains 42"


def _login(client, username, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_wrong_passwords_lock_the_account_even_with_the_right_one(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 5
    make_user("agent", username="li", password=RIGHT)
    for _ in range(5):
        assert _login(client, "li", "wrong").status_code in (200, 429)
    response = _login(client, "li", RIGHT)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    # From another address the account stays locked: the lock is on the account as well.
    assert _login(client, "li", RIGHT, address="10.0.0.99").status_code == 429
    assert client.get(reverse("customers:list")).status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 5
    make_user("agent", username="wang", password=RIGHT)
    for n in range(5):
        _login(client, f"guess{n}", "wrong", address="10.0.0.7")
    assert _login(client, "wang", RIGHT, address="10.0.0.7").status_code == 429
    # Someone else, elsewhere, logs in as usual.
    assert _login(client, "wang", RIGHT, address="10.0.0.8").status_code == 302


def test_a_success_before_the_limit_starts_the_count_again(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    make_user("agent", username="li", password=RIGHT)
    _login(client, "li", "wrong")
    _login(client, "li", "wrong")
    assert _login(client, "li", RIGHT).status_code == 302
    client.post(reverse("logout"))
    _login(client, "li", "wrong")
    assert _login(client, "li", RIGHT).status_code == 302


def test_the_lockout_page_is_translated(client, make_user, settings):
    settings.AXES_FAILURE_LIMIT = 1
    make_user("agent", username="li", password=RIGHT)
    _login(client, "li", "wrong")
    response = client.post(
        reverse("login"),
        {"username": "li", "password": RIGHT},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="sk",
    )
    assert response.status_code == 429
    assert "Too many failed logins" not in response.content.decode()


@pytest.fixture
def outbox(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    return mail.outbox


def test_reset_mail_is_limited_per_address_without_saying_so(client, make_user, outbox, settings):
    settings.RAPPORT_PASSWORD_RESET_PER_ADDRESS = 2
    make_user("agent", username="li", email="li@example.com")
    for n in range(4):
        response = client.post(
            reverse("password_reset"), {"email": "li@example.com"}, REMOTE_ADDR=f"10.0.1.{n}"
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
    assert len(outbox) == 2


def test_reset_requests_are_limited_per_client(client, make_user, outbox, settings):
    settings.RAPPORT_PASSWORD_RESET_PER_CLIENT = 3
    make_user("agent", username="li", email="li@example.com")
    for n in range(3):
        response = client.post(reverse("password_reset"), {"email": f"x{n}@example.com"})
        assert response.status_code == 302
    response = client.post(reverse("password_reset"), {"email": "li@example.com"})
    assert response.status_code == 429
    assert "Too many password reset requests" in response.content.decode()
    assert outbox == []


def test_known_and_unknown_addresses_do_the_same_in_the_request(
    client, make_user, outbox, settings, django_assert_num_queries
):
    """The request only queues the mail: the look-up happens in the background, so the answer
    (and its time) does not depend on whether the address belongs to someone."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    make_user("agent", username="li", email="li@example.com")
    answers = []
    for email in ("li@example.com", "nobody@example.com"):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.post(reverse("password_reset"), {"email": email})
        answers.append((response.status_code, response["Location"], len(ctx.captured_queries)))
    assert answers[0] == answers[1]
    assert outbox == []


def test_the_reset_task_sends_only_to_a_known_address(make_user, outbox):
    make_user("agent", username="li", email="li@example.com")
    password_reset_send.call(
        email="nobody@example.com", domain="crm.example.com", use_https=True, language="en"
    )
    assert outbox == []
    password_reset_send.call(
        email="li@example.com", domain="crm.example.com", use_https=True, language="en"
    )
    assert len(outbox) == 1 and "https://crm.example.com/accounts/reset/" in outbox[0].body

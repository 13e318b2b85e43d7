"""The customer portal's doors: private links and sign-in codes let in exactly one customer."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rapport.core import registry as core_registry
from rapport.portal import services
from rapport.portal.models import PortalCode, PortalLink
from rapport.portal.registry import PortalSection, _link_handlers, _sections


@pytest.fixture
def two_customers(make_customer):
    return (
        make_customer(family_name="王", given_name="芳", emails=["wang.fang@example.com"]),
        make_customer(family_name="Kováčová", given_name="Eva", emails=["eva@example.sk"]),
    )


@pytest.fixture
def echo_handler():
    """A purpose whose links show whose record they open (what an app's handler would do)."""
    from django.http import HttpResponse

    def handler(request, link, token):
        if request.method == "POST":
            used = services.link_use(token, purpose="echo")
            return HttpResponse(f"used by {used.customer.display_name}")
        return HttpResponse(f"record {link.target_id} of {link.customer.display_name}")

    _link_handlers["echo"] = handler
    yield
    _link_handlers.pop("echo", None)


def test_a_private_link_opens_its_record_once(two_customers, echo_handler, client):
    wang, _eva = two_customers
    link, token = services.link_issue(
        customer_id=wang.pk, purpose="echo", target=("tests.thing", 7), by=None
    )
    assert token not in str(PortalLink.objects.values_list("token_hash", flat=True)[0])
    url = reverse("portal:link", args=[token])
    assert client.get(url).content.decode() == "record 7 of 王芳"
    assert client.get(url).status_code == 200  # looking does not use it up
    assert client.post(url).content.decode() == "used by 王芳"
    again = client.post(url)
    assert again.status_code == 410 and "only once" in again.content.decode()


def test_expired_revoked_altered_and_foreign_links_open_nothing(
    two_customers, echo_handler, client
):
    wang, eva = two_customers
    expired, t1 = services.link_issue(
        customer_id=wang.pk, purpose="echo", by=None, lifetime=timedelta(seconds=-1)
    )
    revoked, t2 = services.link_issue(customer_id=wang.pk, purpose="echo", by=None)
    services.link_revoke(link_id=revoked.pk, by=None)
    _link, t3 = services.link_issue(customer_id=eva.pk, purpose="echo", by=None)
    assert "expired" in client.get(reverse("portal:link", args=[t1])).content.decode()
    assert "withdrawn" in client.get(reverse("portal:link", args=[t2])).content.decode()
    altered = client.get(reverse("portal:link", args=[t3[:-1] + ("A" if t3[-1] != "A" else "B")]))
    assert altered.status_code == 410 and "王芳" not in altered.content.decode()
    with pytest.raises(services.LinkInvalid):
        services.link_resolve(t3, purpose="survey")  # a link of another purpose


def test_sign_in_with_a_code_sent_by_mail_shows_only_ones_own_things(
    two_customers, smtp_server, django_capture_on_commit_callbacks
):
    wang, eva = two_customers

    def mine(request, customer):
        return {"names": [customer.display_name]}

    with core_registry.restoring():
        _sections["mine"] = PortalSection("mine", "hubtest/_mine.html", mine)
        client = Client()
        assert client.get(reverse("portal:home")).status_code == 200
        # A person takes more than two seconds to fill the form in.
        started = signing.dumps(timezone.now().timestamp() - 5, salt="portal-form")
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("portal:home"),
                {"email": "Wang.Fang@example.com", "website": "", "shown": started},
            )
        assert response.status_code == 302
        (message,) = smtp_server.to("wang.fang@example.com")
        code = next(w for w in message["Subject"].split() if w.isdigit())
        other = "000000" if code != "000000" else "111111"
        wrong = client.post(
            reverse("portal:verify"), {"email": "wang.fang@example.com", "code": other}
        )
        assert "not right" in wrong.content.decode()
        response = client.post(
            reverse("portal:verify"), {"email": "wang.fang@example.com", "code": code}
        )
        assert response.status_code == 302
        page = client.get(reverse("portal:home")).content.decode()
        assert "王芳" in page and "Kováčová" not in page
        # The code works once.
        client.post(reverse("portal:sign_out"))
        reused = client.post(
            reverse("portal:verify"), {"email": "wang.fang@example.com", "code": code}
        )
        assert "not right" in reused.content.decode()
        _sections.pop("mine", None)


def test_unknown_addresses_get_the_same_answer_and_no_mail(two_customers, smtp_server):
    client = Client()
    started = signing.dumps(timezone.now().timestamp() - 5, salt="portal-form")
    response = client.post(
        reverse("portal:home"), {"email": "nobody@example.com", "website": "", "shown": started}
    )
    assert response.status_code == 302 and response["Location"] == reverse("portal:verify")
    assert smtp_server.messages == [] and not PortalCode.objects.exists()


def test_bots_are_refused(two_customers):
    client = Client()
    too_fast = signing.dumps(timezone.now().timestamp(), salt="portal-form")
    for data in (
        {"email": "wang.fang@example.com", "website": "http://spam", "shown": too_fast},
        {"email": "wang.fang@example.com", "website": "", "shown": too_fast},
        {"email": "wang.fang@example.com", "website": "", "shown": "forged"},
    ):
        response = client.post(reverse("portal:home"), data)
        assert response.status_code == 200 and "could not be sent" in response.content.decode()
    assert not PortalCode.objects.exists()


def test_five_wrong_codes_kill_the_code(two_customers, django_capture_on_commit_callbacks):
    wang, _ = two_customers
    with django_capture_on_commit_callbacks(execute=True):
        services.code_request(email="wang.fang@example.com")
    row = PortalCode.objects.get()
    for _i in range(5):
        assert services.code_verify(email="wang.fang@example.com", code="999999x") is None
    row.refresh_from_db()
    assert row.attempts == 5
    # No code works for it any more, not even the right one (guessing stops at five tries).
    assert all(
        services.code_verify(email="wang.fang@example.com", code=f"{n:06d}") is None
        for n in range(20)
    )

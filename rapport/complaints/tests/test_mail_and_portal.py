"""Mail out (a real SMTP server receives the acknowledgement, the decision with the satisfaction
link, in the customer's language), mail in (a piped reply lands on the right complaint), and the
portal: a customer reaches only their own complaints."""

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from rapport.complaints.models import Cause, Complaint, ComplaintEvent, InboundMail, Satisfaction
from rapport.complaints.services import complaint_act

pytestmark = pytest.mark.django_db
LINK = re.compile(r"/portal/l/([\w-]+)/")


def _to_carried_out(c, agent, dept_user, manager, department):
    complaint_act(by=agent, complaint_id=c.pk, action="accept")
    complaint_act(by=agent, complaint_id=c.pk, action="assign", department_id=department.pk)
    complaint_act(
        by=dept_user, complaint_id=c.pk, action="record_cause", cause_id=Cause.objects.first().pk
    )
    complaint_act(by=dept_user, complaint_id=c.pk, action="propose_remedy", kind="exchange")
    complaint_act(by=manager, complaint_id=c.pk, action="approve")
    return complaint_act(by=dept_user, complaint_id=c.pk, action="carry_out")


def test_mails_in_the_customers_language_and_the_satisfaction_link(
    smtp_server,
    make_customer,
    complaint_factory,
    agent,
    dept_user,
    manager,
    department,
    django_capture_on_commit_callbacks,
):
    customer = make_customer(emails=["zhou@example.com"], preferred_language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        c = complaint_factory(customer=customer)
    with django_capture_on_commit_callbacks(execute=True):
        _to_carried_out(c, agent, dept_user, manager, department)
    subjects = [m["Subject"] for m in smtp_server.to("zhou@example.com")]
    assert len(subjects) == 2
    assert all(c.reference in s for s in subjects)
    assert not subjects[0].startswith("We received")  # Chinese, not English
    decision = smtp_server.to("zhou@example.com")[1].get_content()
    token = LINK.search(decision).group(1)
    client = Client()
    page = client.get(f"/portal/l/{token}/")
    assert page.status_code == 200 and 'id="satisfaction-form"' in page.content.decode()
    answered = client.post(f"/portal/l/{token}/", {"solved": "0", "score": "2", "buy_again": "1"})
    assert answered.status_code == 200
    assert Satisfaction.objects.get(complaint=c).score == 2
    c.refresh_from_db()
    assert c.state == "assigned" and c.reopen_count == 1  # not solved: reopened
    again = client.post(f"/portal/l/{token}/", {"solved": "1", "score": "5", "buy_again": "1"})
    assert again.status_code == 410  # one-time
    assert Satisfaction.objects.get(complaint=c).score == 2


def test_not_valid_sends_a_tactful_reply_and_closes(
    smtp_server, complaint_factory, agent, django_capture_on_commit_callbacks
):
    c = complaint_factory()
    with django_capture_on_commit_callbacks(execute=True):
        complaint_act(by=agent, complaint_id=c.pk, action="reject", reason="The seal was intact.")
    c.refresh_from_db()
    assert c.state == "not_upheld" and c.validity_reason == "The seal was intact."
    last = smtp_server.to("ann@example.com")[-1].get_content()
    assert "The seal was intact." in last


def test_a_piped_reply_lands_on_the_right_complaint(complaint_factory, agent, make_customer):
    c = complaint_factory()
    other = complaint_factory(customer=make_customer(emails=["bob@example.com"]))
    complaint_act(by=agent, complaint_id=c.pk, action="wait")
    raw = (
        "From: Ann <ann@example.com>\r\nTo: care@example.com\r\n"
        f"Subject: Re: We received your complaint [{c.reference}]\r\n"
        "Message-ID: <1@example.com>\r\n\r\nHere is the photo of the leak.\r\n"
    ).encode()
    out = io.StringIO()
    call_command("mail", "receive", stdin=io.BytesIO(raw), stdout=out)
    assert c.reference in out.getvalue()
    assert ComplaintEvent.objects.filter(complaint=c, type="message").count() == 1
    assert Complaint.objects.get(pk=c.pk).waiting_since is None  # the customer answered
    # Someone else's reference from Ann's address: a draft, not Bob's complaint.
    spoof = raw.replace(c.reference.encode(), other.reference.encode()).replace(b"<1@", b"<2@")
    call_command("mail", "receive", stdin=io.BytesIO(spoof), stdout=io.StringIO())
    assert ComplaintEvent.objects.filter(complaint=other, type="message").count() == 0
    assert InboundMail.objects.filter(handled=False).count() == 1


def test_inbound_webhook_needs_the_secret(settings, complaint_factory):
    settings.RAPPORT_INBOUND_MAIL_SECRET = "s3cret"
    c = complaint_factory()
    raw = f"From: ann@example.com\r\nSubject: {c.reference}\r\n\r\nThanks\r\n"
    client = Client()
    url = "/portal/complaints/inbound-mail/"
    assert client.post(url, raw, content_type="message/rfc822").status_code == 403
    wrong = client.post(url, raw, content_type="message/rfc822", headers={"X-Rapport-Secret": "x"})
    assert wrong.status_code == 403
    ok = client.post(
        url, raw, content_type="message/rfc822", headers={"X-Rapport-Secret": "s3cret"}
    )
    assert ok.status_code == 202 and ok.json()["complaint"] == c.reference


def _follow_token(smtp_server, address):
    return LINK.search(smtp_server.to(address)[0].get_content()).group(1)


def test_portal_shows_a_customer_only_their_own_complaints(
    smtp_server, make_customer, complaint_factory, django_capture_on_commit_callbacks
):
    from rapport.portal.models import PortalLink
    from rapport.portal.session import SESSION_KEY

    ann = make_customer(emails=["ann2@example.com"])
    bob = make_customer(emails=["bob2@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        mine = complaint_factory(customer=ann)
        theirs = complaint_factory(customer=bob)
    client = Client()
    session = client.session
    session[SESSION_KEY] = ann.pk
    session.save()
    assert client.get(f"/portal/complaints/{mine.reference}/").status_code == 200
    assert client.get(f"/portal/complaints/{theirs.reference}/").status_code == 404
    posted = client.post(f"/portal/complaints/{theirs.reference}/", {"text": "hi"})
    assert posted.status_code == 404
    home = client.get("/portal/").content.decode()
    assert mine.reference in home and theirs.reference not in home
    # Private links: Bob's works for Bob's complaint only; altered, revoked, expired do not.
    token = _follow_token(smtp_server, "bob2@example.com")
    anonymous = Client()
    page = anonymous.get(f"/portal/l/{token}/")
    assert page.status_code == 200 and theirs.reference in page.content.decode()
    assert mine.reference not in page.content.decode()
    assert anonymous.get(f"/portal/l/{token[:-2]}xx/").status_code == 410
    link = PortalLink.objects.get(target_id=theirs.pk, purpose="complaint")
    PortalLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert anonymous.get(f"/portal/l/{token}/").status_code == 410
    PortalLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() + timedelta(days=1), revoked_at=timezone.now()
    )
    assert anonymous.get(f"/portal/l/{token}/").status_code == 410
    # A link whose record is not its customer's complaint opens nothing.
    PortalLink.objects.filter(pk=link.pk).update(revoked_at=None, target_id=mine.pk)
    assert anonymous.get(f"/portal/l/{token}/").status_code == 404


def test_a_signed_in_customer_files_a_complaint(make_customer, settings):
    import time

    from django.core import signing

    from rapport.portal.session import SESSION_KEY

    ann = make_customer(emails=["ann3@example.com"])
    client = Client()
    session = client.session
    session[SESSION_KEY] = ann.pk
    session.save()
    assert client.get("/portal/complaints/new/").status_code == 200
    shown = signing.dumps(time.time() - 30, salt="portal-form")
    response = client.post(
        "/portal/complaints/new/",
        {"category": "transport", "description": "Box crushed", "shown": shown, "website": ""},
    )
    assert response.status_code == 302
    c = Complaint.objects.get(customer=ann)
    assert c.channel == "portal"
    bot = client.post(
        "/portal/complaints/new/",
        {"category": "transport", "description": "spam", "shown": shown, "website": "x"},
    )
    assert bot.status_code == 200 and Complaint.objects.count() == 1
    assert Client().get("/portal/complaints/new/").status_code == 302  # sign in first


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _mail_with_files(sender: str, subject: str, message_id: str) -> bytes:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = (
        sender,
        "care@example.com",
        subject,
        message_id,
    )
    m.set_content("Photos attached.")
    m.add_attachment(PNG, maintype="image", subtype="png", filename="leak.png")
    m.add_attachment(
        b"MZ\x90\x00evil", maintype="application", subtype="octet-stream", filename="invoice.exe"
    )
    return m.as_bytes()


def test_mailed_attachments_are_kept_with_the_complaint(
    complaint_factory, agent, client, settings, tmp_path
):
    """A reply's photo is stored on its complaint (type- and size-checked like an upload: the
    program is refused and noted); a draft's photo follows it to the complaint recorded from it;
    the webhook keeps them the same way."""
    from django.urls import reverse

    from rapport.complaints.models import Attachment

    settings.MEDIA_ROOT = str(tmp_path)
    c = complaint_factory()
    raw = _mail_with_files("Ann <ann@example.com>", f"Re: {c.reference}", "<f1@example.com>")
    call_command("mail", "receive", stdin=io.BytesIO(raw), stdout=io.StringIO())
    kept = Attachment.objects.get(complaint=c)
    assert (kept.name, kept.content_type, kept.from_customer) == ("leak.png", "image/png", True)
    assert kept.file.read() == PNG
    assert "invoice.exe" in InboundMail.objects.get(message_id="<f1@example.com>").body
    client.force_login(agent)
    served = client.get(reverse("complaints:attachment", args=[c.pk, kept.pk]))
    assert served.status_code == 200
    # an unknown sender: a draft holding the photo until an agent records the complaint
    raw = _mail_with_files("stranger@example.com", "Broken kettle", "<f2@example.com>")
    call_command("mail", "receive", stdin=io.BytesIO(raw), stdout=io.StringIO())
    draft = InboundMail.objects.get(message_id="<f2@example.com>")
    assert draft.complaint is None and draft.attachments.count() == 1
    r = client.post(
        reverse("complaints:record"),
        {
            "customer": str(c.customer_id),
            "channel": "email",
            "category": "product_quality",
            "severity": "normal",
            "target": "free_text",
            "description": "Broken kettle",
            "mail": draft.pk,
        },
    )
    assert r.status_code == 302
    recorded = Complaint.objects.latest("pk")
    assert list(recorded.attachments.values_list("name", flat=True)) == ["leak.png"]
    # the webhook does the same
    settings.RAPPORT_INBOUND_MAIL_SECRET = "s3cret"
    raw = _mail_with_files("ann@example.com", c.reference, "<f3@example.com>")
    ok = Client().post(
        "/portal/complaints/inbound-mail/",
        raw,
        content_type="message/rfc822",
        headers={"X-Rapport-Secret": "s3cret"},
    )
    assert ok.status_code == 202 and ok.json()["refused"] == ["invoice.exe"]
    assert Attachment.objects.filter(complaint=c).count() == 2


def test_filing_without_signing_in_confirmed_through_a_private_link(
    smtp_server, make_customer, complaint_factory, django_capture_on_commit_callbacks, settings
):
    """The public form records nothing until the link mailed to the given address is opened and
    confirmed — once; a bot (honeypot, too fast) and a flood (rate limit) get nowhere; the
    confirmation opens the new complaint's private page and nobody else's complaint; an altered
    or expired link opens nothing. The same answer whether or not the address is a customer's."""
    import re
    import time

    from django.core import signing
    from django.core.cache import cache

    from rapport.complaints import portal

    cache.clear()
    bob = make_customer(emails=["bob5@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        theirs = complaint_factory(customer=bob)
    shown = signing.dumps(time.time() - 30, salt="portal-form")
    form = {
        "name": "Eva Malá",
        "category": "transport",
        "description": "The parcel arrived open.",
        "shown": shown,
        "website": "",
    }
    anonymous = Client()
    assert anonymous.get("/portal/complaints/file/").status_code == 200
    bot = anonymous.post("/portal/complaints/file/", dict(form, email="x@example.com", website="y"))
    fast = anonymous.post(
        "/portal/complaints/file/",
        dict(form, email="x@example.com", shown=signing.dumps(time.time(), salt="portal-form")),
    )
    assert bot.status_code == fast.status_code == 200 and not smtp_server.to("x@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        sent = anonymous.post("/portal/complaints/file/", dict(form, email="eva@example.com"))
        known = anonymous.post("/portal/complaints/file/", dict(form, email="bob5@example.com"))
    assert sent.status_code == known.status_code == 200
    assert Complaint.objects.count() == 1  # nothing recorded yet

    def answer(response):
        return re.search(r'<p id="portal-filed">.*?</p>', response.content.decode(), re.S).group(0)

    assert answer(sent).replace("eva@", "bob5@") == answer(known)

    def confirm_path(address):
        text = smtp_server.to(address)[-1].get_content()
        return re.search(r"https?://[^/\s]+(/portal/complaints/confirm/[^/\s]+/)", text).group(1)

    eva_link, bob_link = confirm_path("eva@example.com"), confirm_path("bob5@example.com")
    page = anonymous.get(eva_link)
    assert page.status_code == 200 and "The parcel arrived open." in page.content.decode()
    assert Complaint.objects.count() == 1  # opening the link (a mail scanner) records nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = anonymous.post(eva_link)
    assert done.status_code == 302
    eva = Complaint.objects.exclude(customer=bob).get()
    assert eva.channel == "portal" and eva.customer.primary_email == "eva@example.com"
    follow = anonymous.get(done["Location"]).content.decode()
    assert eva.reference in follow and theirs.reference not in follow
    assert anonymous.post(eva_link).status_code == 410  # once
    assert Complaint.objects.count() == 2
    # Bob's confirmation files for Bob, and shows only the new complaint
    with django_capture_on_commit_callbacks(execute=True):
        done = Client().post(bob_link)
    new = Complaint.objects.filter(customer=bob).latest("pk")
    follow = Client().get(done["Location"]).content.decode()
    assert new.reference in follow and theirs.reference not in follow
    # altered and expired links open nothing
    assert anonymous.get(bob_link[:-3] + "xx/").status_code == 410
    assert anonymous.post(bob_link[:-3] + "xx/").status_code == 410
    settings.USE_TZ = True
    old = signing.dumps({"x": "old"}, salt=portal.FILING_SALT)
    portal_max_age, portal.FILING_MAX_AGE = portal.FILING_MAX_AGE, -1
    try:
        assert anonymous.post(f"/portal/complaints/confirm/{old}/").status_code == 410
    finally:
        portal.FILING_MAX_AGE = portal_max_age
    # a flood from one address is refused
    for _i in range(4):
        flood = anonymous.post("/portal/complaints/file/", dict(form, email="z@example.com"))
    assert "Too many complaints" in flood.content.decode()

"""An owner sets up a member of staff in a real browser: invites, the invitee chooses a password
from the mailed link and works in their role."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_invites_an_agent_who_sets_a_password(page, live_server, make_user, smtp_server):
    make_user("administrator", username="owner", password="an owner passphrase")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "owner")
    page.fill("input[name=password]", "an owner passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")
    page.click("header >> text=Staff")
    page.wait_for_url(f"{live_server.url}/staff/")
    page.click("text=Invite staff")
    page.wait_for_url(f"{live_server.url}/staff/invite/")
    page.fill("input[name=first_name]", "Eva")
    page.fill("input[name=last_name]", "Kováčová")
    page.fill("input[name=email]", "eva@example.sk")
    page.select_option("select[name=role]", label="Customer-service agent")
    page.select_option("main select[name=language]", "en")
    page.click("button:has-text('Send the invitation')")
    page.wait_for_selector("text=The invitation has been sent to eva@example.sk")

    (message,) = smtp_server.to("eva@example.sk")
    link = re.search(r"https?://\S+", message.get_body(("plain",)).get_content()).group(0)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    page.context.clear_cookies()
    page.goto(live_server.url + path)
    page.fill("input[name=new_password1]", "bratislava castle hill")
    page.fill("input[name=new_password2]", "bratislava castle hill")
    page.click("button:has-text('Save and log in')")
    page.wait_for_selector("text=Welcome to Rapport. Your password is set.")
    assert page.url.endswith("/customers/")
    assert page.locator("header >> text=Staff").count() == 0  # an agent, not an administrator

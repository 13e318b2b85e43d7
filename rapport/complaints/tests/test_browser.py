"""One complaint through all eight steps in a browser: the agent records, decides and routes it,
department staff find the cause and propose a remedy, a manager approves, the department carries
it out, the customer answers the satisfaction check on the portal, the agent closes it — then the
Pareto chart shows its cause."""

import re

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(browser, live_server, user, password="a browser passphrase"):
    context = browser.new_context(viewport={"width": 1300, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def _step(page, action, fill=None):
    page.click(f"summary[data-action={action}]")
    form = page.locator(f"form:has(input[name=action][value={action}])")
    for name, value in (fill or {}).items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_eight_steps_in_the_browser(browser, live_server, make_user, make_customer):
    from rapport.communications.models import OutboundMessage
    from rapport.complaints.models import Cause, Complaint
    from rapport.complaints.tests.conftest import ensure_builtins
    from rapport.staff.models import Department

    ensure_builtins()
    password = "a browser passphrase"
    agent = make_user("agent", username="b-agent", password=password)
    dept_user = make_user("department", username="b-dept", password=password)
    manager = make_user("manager", username="b-manager", password=password)
    quality = Department.objects.get(code="quality")
    quality.members.add(dept_user)
    customer = make_customer(emails=["ling@example.com"])
    cause = Cause.objects.get(code="material_defect")

    a = _login(browser, live_server, agent)
    a.goto(f"{live_server.url}/complaints/new/?customer={customer.pk}")
    a.select_option("#id_channel", "phone")
    a.select_option("#id_category", "product_quality")
    a.fill("#id_request", "A new kettle")
    a.fill("#id_description", "The kettle leaks after a week.")
    a.click("#record-form button[type=submit]")
    a.wait_for_url(re.compile(r"/complaints/\d+/$"))
    complaint = Complaint.objects.get()
    _step(a, "accept")  # step 2
    _step(a, "assign", {"department": str(quality.pk)})  # step 3
    assert "with the department" in a.inner_text("#complaint-state").lower()

    d = _login(browser, live_server, dept_user)
    d.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    _step(d, "record_cause", {"cause": str(cause.pk), "responsible": "Line 2"})  # step 4
    _step(d, "propose_remedy", {"kind": "exchange", "amount": "120"})  # step 5
    assert d.locator("summary[data-action=approve]").count() == 0

    m = _login(browser, live_server, manager)
    m.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    _step(m, "approve")  # step 6
    d.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    _step(d, "carry_out")  # step 7
    decision = OutboundMessage.objects.filter(customer=customer).order_by("-pk").first()
    link = re.search(r"https?://\S+/portal/l/[\w-]+/", decision.body).group(0)
    token_path = link[link.index("/portal/") :]

    c = browser.new_context(viewport={"width": 390, "height": 800})  # on a phone
    p = c.new_page()
    p.goto(f"{live_server.url}{token_path}")
    p.check("input[name=solved][value='1']")
    p.check("input[name=score][value='5']")
    p.check("input[name=buy_again][value='1']")
    p.click("#satisfaction-form button[type=submit]")
    p.wait_for_selector("#satisfaction-thanks")

    a.goto(f"{live_server.url}/complaints/{complaint.pk}/")
    _step(a, "close", {"summary": "Kettle exchanged.", "lesson": "Check seals on line 2."})  # 8
    assert "closed" in a.inner_text("#complaint-state").lower()
    assert a.locator("#complaint-timeline li").count() >= 9

    m.goto(f"{live_server.url}/complaints/dashboard/")
    # (wait_for_function evaluates a string in the page, which the Content-Security-Policy forbids)
    for _attempt in range(150):
        if m.evaluate("() => window.complaintChart !== undefined"):
            break
        m.wait_for_timeout(100)
    assert "100.0 %" in m.inner_text("#pareto-table")
    assert cause.label in m.inner_text("#pareto-table")
    assert cause.label in m.inner_text("#cause-costs")  # the remedy's cost, by cause
    for ctx in (a.context, d.context, m.context, c):
        ctx.close()

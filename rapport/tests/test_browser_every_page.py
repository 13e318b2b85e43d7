"""Every page (rapport/tests/pages.py: the staff pages of every app, the customer portal, the
public pages) on a phone (390 px) and a laptop (1366 px) in all four languages: nothing wider
than the screen (the header folds, tables scroll in their own box), and no serious or critical
accessibility problem found by axe-core. Screenshots go to test-artifacts/responsive/.

Cost: one browser context per language, width and side (staff or customer), logged in by its
session cookie; axe-core runs on each page twice, at 1366 px and at 390 px, in a language that
rotates from page to page (so every language is checked at both widths, on a quarter of the
pages each)."""

import re
import time
from pathlib import Path

import pytest
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "assets" / "axe-4.14.1.min.js"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "responsive"
LANGUAGES = ["en", "zh-hans", "zh-hant", "sk"]
WIDTHS = {"phone": (390, 844), "laptop": (1366, 768)}

# What sticks out past the right edge of the screen (for the failure message).
WIDER_THAN_SCREEN = """() => {
  const width = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 1 && box.width > 0) {
      let scroller = el.parentElement, inside = false;
      while (scroller && scroller !== document.body) {
        const s = getComputedStyle(scroller);
        if (['auto', 'scroll', 'hidden'].includes(s.overflowX)) { inside = true; break; }
        scroller = scroller.parentElement;
      }
      if (!inside) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '')
        + ' ' + Math.round(box.right - width) + 'px');
    }
  }
  return out.slice(0, 4);
}"""
# Amounts and figures on more than one line ("4 883 315,01 C / NY").
BROKEN_NUMBERS = """() => [...document.querySelectorAll('td.num, .money')].filter(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const boxes = [...range.getClientRects()].filter(r => r.width > 0);
    return boxes.some(r => r.top >= boxes[0].bottom - 2);  // a box below the first line
  }).slice(0, 3).map(el => el.textContent.trim())"""
AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
  .filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => v.id + ' ×' + v.nodes.length + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))"""


def test_every_page_fits_the_screen_and_is_accessible_in_every_language(
    browser, live_server, make_user, make_product, settings
):
    from rapport.tests.pages import customers_speak, page_data, pages
    from rapport.tests.test_every_page_translated import customer_client

    data = page_data(make_user, make_product)
    staff = Client()
    staff.force_login(data["owner"])
    customer = customer_client(data["customer"])
    found, problems = pages(staff, customer)
    assert not problems, "\n".join(problems)
    whole = [p for p in found if p.whole]  # fragments are checked inside their pages
    assert len(whole) > 80, len(whole)
    cookie = settings.SESSION_COOKIE_NAME
    sessions = {False: staff.cookies[cookie].value, True: customer.cookies[cookie].value}
    axe = AXE.read_text()
    names: dict[str, str] = {}  # a screenshot's name: the route's, the same from run to run
    for p in whole:
        name = re.sub(r"<(?:\w+:)?(\w+)>", r"\1", p.route).strip("/").replace("/", "_") or "home"
        names[p.url] = name + (f"-{len(names)}" if name in names.values() else "")
    SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide, inaccessible = [], []
    started = time.monotonic()
    for li, language in enumerate(LANGUAGES):
        customers_speak(language)
        for wi, (device, (width, height)) in enumerate(WIDTHS.items()):
            for customer_side in (False, True):
                # bypass_csp: axe-core is injected as a script, which Rapport's
                # Content-Security-Policy rightly refuses.
                context = browser.new_context(
                    viewport={"width": width, "height": height}, bypass_csp=True
                )
                context.add_cookies(
                    [
                        {"name": name, "value": value, "url": live_server.url}
                        for name, value in (
                            (cookie, sessions[customer_side]),
                            (settings.LANGUAGE_COOKIE_NAME, language),
                        )
                    ]
                )
                page = context.new_page()
                page.set_default_timeout(15_000)
                for i, p in enumerate(x for x in whole if x.customer_side == customer_side):
                    page.goto(live_server.url + p.url)
                    where = f"{language} {device} {p.url}"
                    if page.evaluate(
                        "document.documentElement.scrollWidth"
                        " - document.documentElement.clientWidth > 1"
                    ):
                        too_wide.append(f"{where}: {page.evaluate(WIDER_THAN_SCREEN)}")
                    if broken := page.evaluate(BROKEN_NUMBERS):
                        too_wide.append(f"{where}: numbers broken across lines: {broken}")
                    name = names[p.url]
                    page.screenshot(path=str(SHOTS / f"{name}-{device}-{language}.jpg"), quality=40)
                    if (i + 2 * wi) % len(LANGUAGES) == li:
                        page.add_script_tag(content=axe)
                        inaccessible += [f"{where}: {v}" for v in page.evaluate(AXE_RUN)]
                context.close()
    elapsed = time.monotonic() - started
    print(f"{len(whole)} pages × {len(LANGUAGES)} languages × 2 widths in {elapsed:.0f} s")
    assert not too_wide + inaccessible, "\n".join(too_wide + inaccessible)

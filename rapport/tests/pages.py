"""Every page of Rapport, derived from the URL map: the browser sweep (test_browser_every_page)
and the translation check (test_every_page_translated) open each of them. A new route is covered
by itself when its parameters are known here; a parameter that is not fails
`test_every_route_is_a_known_page` (add the model its id comes from, or say why it is no page).

`page_data()` makes one object of each kind (demo data, and each app's erasure-test row maker for
the kinds the demo leaves out), so that every detail page has an id to open.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

# Not pages of Rapport's own: Django's admin (English, for superusers) and the JSON API.
OUTSIDE = re.compile(r"^(admin/|api/v1/|public/anymail/)")  # anymail: providers' webhooks

# Routes whose GET is not a page, by what they are (others are sorted out by their answer:
# 405 for an action that only takes POST, a content type other than HTML for a download).
NOT_PAGES = {
    "i18n/setlang/": "the language switch (a form's target)",
    "imports/export/<slug:kind>.<slug:fmt>": "a file download",
    "privacy/customers/<int:pk>/export.json": "a file download",
    "complaints/<int:pk>/attachments/<int:attachment_id>/": "a file download",
    "public/outreach/webhook/": "the mail provider's delivery reports (signed POSTs)",
}

# Pages customers open (no staff login): the portal, public pages, logging in.
CUSTOMER_SIDE = re.compile(
    r"^/(accounts/(login|password-reset|reset|welcome)|portal/|public/|[a-z_-]+/public/)"
)

# The model whose first row's id fills `<int:pk>` under a route prefix (the longest prefix wins).
PK_MODELS = {
    "analytics/customers/": "customers.Customer",
    "communications/customers/": "communications.RememberedDetail",
    "customers/": "customers.Customer",
    "customers/organisations/": "customers.Organisation",
    "complaints/": "complaints.Complaint",
    "duplicates/": "dedupe.DuplicatePair",
    "duplicates/decisions/": "dedupe.NotSamePerson",
    "imports/": "imports.ImportJob",
    "outreach/campaigns/": "outreach.Campaign",
    "outreach/events/": "outreach.CompanyEvent",
    "privacy/customers/": "customers.Customer",
    "recommendations/products/": "sales.Product",
    "sales/orders/": "sales.Order",
    "sales/products/": "sales.Product",
    "service/notice-answers/": "service.RecallNotice",
    "service/notices/": "service.Recall",
    "service/promises/": "service.Commitment",
    "service/requests/": "service.ServiceRequest",
    "service/visits/": "service.Visit",
    "service/public/knowledge/": "service.Article",
    "service/public/notices/": "service.Recall",
    "staff/": "auth.User",
    "surveys/follow-ups/": "surveys.FollowUp",
    "surveys/ideas/": "surveys.ProductIdea",
    "surveys/surveys/": "surveys.Survey",
}
# Routes that need a row in a particular state (a rule on the model's rows).
PK_STATES = {"imports/<int:pk>/columns/": {"status": "pending"}}  # a file not imported yet
# Other named parameters, wherever they appear.
PARAM_MODELS = {
    "customer_pk": "customers.Customer",
    "merge_pk": "customers.CustomerMerge",
    "question_pk": "surveys.Question",
    "contact_pk": "customers.OrganisationContact",
    "attachment_id": "complaints.Attachment",
    "job_id": "imports.ImportJob",
}
# What a private link of each purpose opens (rapport.portal.registry.register_link_handler).
LINK_TARGETS = {
    "survey": "surveys.Invitation",
    "complaint": "complaints.Complaint",
    "complaint_satisfaction": "complaints.Complaint",
    "recall": "service.RecallNotice",
}


def routes() -> list[str]:
    """Every route of the URL map outside the admin and the API."""

    def walk(patterns: list, prefix: str = ""):  # noqa: ANN202
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    return sorted({r for r in walk(get_resolver().url_patterns) if not OUTSIDE.match(r)})


def _first(label: str) -> Any:
    return apps.get_model(label).objects.order_by("pk").first()


def _last(label: str) -> Any:
    return apps.get_model(label).objects.order_by("-pk").first()


def _pk_model(route: str) -> str | None:
    prefixes = [p for p in PK_MODELS if route.startswith(p)]
    return PK_MODELS[max(prefixes, key=len)] if prefixes else None


def _special(route: str, language: str) -> list[str] | None:
    """URLs of routes whose parameters are tokens or names, not ids (None: not special)."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    if route == "portal/l/<str:token>/":
        from rapport.portal.registry import _link_handlers
        from rapport.portal.services import link_issue

        urls = []
        for purpose in sorted(_link_handlers):
            target = _first(LINK_TARGETS[purpose])  # KeyError: a new purpose, add it above
            _link, token = link_issue(
                customer_id=target.customer_id,
                purpose=purpose,
                by=None,
                target=(target._meta.label_lower, target.pk),
            )
            urls.append(f"/portal/l/{token}/")
        return urls
    if route == "public/outreach/u/<str:token>/":
        from rapport.outreach.services import unsubscribe_token

        delivery = _last("outreach.CampaignDelivery")  # page_data's, not unsubscribed yet
        return [f"/public/outreach/u/{unsubscribe_token(delivery.pk)}/"]
    if route == "public/outreach/rsvp/<str:token>/":
        from rapport.outreach.services import rsvp_token

        return [f"/public/outreach/rsvp/{rsvp_token(_first('outreach.Invitation').pk)}/"]
    if route == "public/outreach/newsletter/<str:language>/":
        return [f"/public/outreach/newsletter/{language}/"]
    if route == "portal/complaints/confirm/<str:token>/":  # a public filing's confirmation link
        from django.core import signing

        from rapport.complaints.portal import FILING_SALT

        filing = {"n": "Jana Malá", "e": "jana@example.com", "c": "", "r": "", "d": "Zlomené"}
        filing |= {"l": language, "x": "pages"}
        return [f"/portal/complaints/confirm/{signing.dumps(filing, salt=FILING_SALT)}/"]
    if route == "public/loyalty/r/<str:code>/":
        return [f"/public/loyalty/r/{_first('loyalty.LoyaltyAccount').referral_code}/"]
    if route == "portal/complaints/<str:reference>/":
        return [f"/portal/complaints/{_first('complaints.Complaint').reference}/"]
    if route in ("accounts/reset/<uidb64>/<token>/", "accounts/welcome/<uidb64>/<token>/"):
        from rapport.staff.tokens import invitation_token

        user = apps.get_model("auth.User").objects.filter(password__startswith="!").first()
        user = user or _first("auth.User")
        tokens = invitation_token if "welcome" in route else default_token_generator
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        return [f"/{route.split('<')[0]}{uid}/{tokens.make_token(user)}/"]
    return None


def customers_speak(language: str) -> None:
    """Every customer's language is `language`: what customers see (the portal, their private
    links, their data export) is in their language, whichever the visitor chose."""
    apps.get_model("customers.Customer").objects.update(preferred_language=language)


@dataclass(frozen=True)
class Url:
    route: str
    url: str
    customer_side: bool  # opened as a customer (portal session), not as staff


def urls(language: str = "en") -> tuple[list[Url], list[str]]:
    """A URL for every route (one per purpose for private links), and the routes that could not
    be filled in (an unknown parameter, or no row of its model)."""
    found: list[Url] = []
    unknown: list[str] = []
    for route in routes():
        if route in NOT_PAGES:
            continue
        special = _special(route, language)
        if special is None:
            url, missing = "/" + route, []
            for param in re.findall(r"<(?:\w+:)?(\w+)>", route):
                label = _pk_model(route) if param == "pk" else PARAM_MODELS.get(param)
                if param == "other_pk":  # a second customer (a merge's other record)
                    row = apps.get_model("customers.Customer").objects.order_by("-pk").first()
                elif param == "pk" and route in PK_STATES and label:
                    row = apps.get_model(label).objects.filter(**PK_STATES[route]).first()
                else:
                    row = _first(label) if label else None
                if row is None:
                    missing.append(param)
                    continue
                url = re.sub(rf"<(?:\w+:)?{param}>", str(row.pk), url, count=1)
            if missing:
                unknown.append(f"{route} ({', '.join(missing)})")
                continue
            special = [url]
        found += [Url(route, u, bool(CUSTOMER_SIDE.match(u))) for u in special]
    return found, unknown


@dataclass
class Page:
    url: str
    route: str
    customer_side: bool
    html: str
    whole: bool  # a whole document (not a fragment a page loads into itself)


def pages(
    staff: Any, customer: Any, language: str = "en", on_page: Callable | None = None
) -> tuple[list[Page], list[str]]:
    """Each URL opened by the Django test client `staff` (or `customer` on the customer side):
    the pages (answer 200 in HTML), and the problems (an unknown route, an unexpected answer).
    Actions that take only POST (405) and downloads are not pages."""
    found, problems = urls(language)
    problems = [f"{u}: parameter not known to rapport/tests/pages.py" for u in problems]
    result: list[Page] = []
    for u in found:
        client = customer if u.customer_side else staff
        response = client.get(u.url)
        kind = response.get("Content-Type", "")
        if response.status_code == 405 or (response.status_code == 200 and "html" not in kind):
            continue
        if response.status_code in (301, 302) and "/login/" not in response["Location"]:
            continue  # an action's address sends a GET on (a one-time link to its form)
        if response.status_code != 200:
            problems.append(f"{u.url}: {response.status_code}")
            continue
        html = response.content.decode()
        result.append(Page(u.url, u.route, u.customer_side, html, "<html" in html[:500]))
    return result, problems


def page_data(make_user: Callable, make_product: Callable) -> dict[str, Any]:
    """One object of each kind: demo data, then each app's rows (its erasure-test maker), an
    organisation with a contact, a merge, an import, a knowledge article, a product idea."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from rapport.customers.models import Customer
    from rapport.customers.services import (
        contact_add,
        customer_create,
        customer_merge,
        organisation_create,
    )
    from rapport.demo.services import generate_demo
    from rapport.imports.services import import_job_create, import_job_run
    from rapport.outreach.models import CampaignDelivery
    from rapport.service.choices import ArticleKind
    from rapport.service.services import article_create
    from rapport.staff.roles import ROLE_PERMISSIONS
    from rapport.staff.services import user_create
    from rapport.surveys.choices import Theme
    from rapport.surveys.services import idea_create
    from rapport.tests.test_privacy_erasure import app_row_makers

    generate_demo(customers=8, seed=5)
    owner = user_create(  # a small shop's owner does everything
        username="lin", password="an owner passphrase", roles=list(ROLE_PERMISSIONS)
    )
    staff = make_user("manager")
    customers = list(Customer.objects.order_by("pk"))
    first = customers[0]
    # Each app's rows for two customers of their own (the demo's already have some).
    person = customer_create(by=staff, family_name="Kováčová", given_name="Eva")
    other = customer_create(by=staff, family_name="林", given_name="美華")
    product = make_product()
    for make_rows in app_row_makers():
        make_rows(person, other, staff, product)
    organisation = organisation_create(by=staff, name="Lotus Trading")
    contact_add(organisation=organisation, person=first, buying_role="decision_maker", by=staff)
    customer_merge(
        survivor_id=customers[2].pk,
        other_id=customers[3].pk,
        by=staff,
        survivor_version=None,
        other_version=None,
    )
    job = import_job_create(
        kind="customers",
        by=staff,
        uploaded_file=SimpleUploadedFile("people.csv", "姓,名,城市\n李,娜,深圳\n".encode()),
    )
    import_job_run(job_id=job.pk)
    import_job_create(  # and one waiting for its columns to be chosen
        kind="customers",
        by=staff,
        uploaded_file=SimpleUploadedFile("more.csv", "姓氏,市\n陳,台北\n".encode()),
    )
    article_create(
        by=staff,
        kind=next(iter(ArticleKind)).value,
        texts={"en": {"title": "Descaling the kettle", "body": "Fill with vinegar and water."}},
    )
    idea_create(by=staff, title="A smaller teapot", theme=next(iter(Theme)).value)
    delivery = CampaignDelivery.objects.get(customer=person)
    CampaignDelivery.objects.create(
        campaign=delivery.campaign,
        run=delivery.run,
        occurrence="again",
        customer=other,
        channel="email",
    )
    make_user("agent", username="novak", password=None, email="novak@example.com")
    return {"owner": owner, "customer": first}

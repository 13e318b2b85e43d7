"""The readable access page names every column and coded value in the person's language (issue
#10 item 12); the file keeps the machine names and codes."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

pytestmark = pytest.mark.django_db


def test_the_access_page_shows_labels_and_the_file_codes(manager_client, make_customer):
    from rapport.portal.models import PortalLink
    from rapport.surveys.models import SurveyEvent

    customer = make_customer(preferred_language="sk", external_id="X-1")
    PortalLink.objects.create(
        customer=customer,
        purpose="survey",
        token_hash="h" * 64,
        expires_at=timezone.now() + timedelta(days=3),
    )
    SurveyEvent.objects.create(
        customer_id=customer.pk, type="invited", parameters={"survey": "Po doručení"}
    )
    page = manager_client.get(reverse("privacy:export", args=[customer.pk])).content.decode()
    with translation.override("sk"):
        survey, external_id = gettext("survey"), gettext("external id")
        asked = gettext("Asked to answer the survey “%(survey)s”.") % {"survey": "Po doručení"}
    assert survey != "survey" and external_id != "external id"
    assert f"<td>{survey}</td>" in page  # the link's purpose, not the code
    assert f"<td>{asked}</td>" in page  # what happened, not "invited"
    assert f">{external_id[0].upper()}{external_id[1:]}</th>" in page
    assert "<td>survey</td>" not in page and "<td>invited</td>" not in page

    data = json.loads(
        manager_client.get(reverse("privacy:export_json", args=[customer.pk])).content
    )
    links = next(s for s in data["sections"] if s["key"] == "portal.portallink.customer")
    assert links["rows"][0]["purpose"] == "survey" and "purpose" in links["columns"]
    events = next(s for s in data["sections"] if s["key"].startswith("surveys.surveyevent"))
    assert events["rows"][0]["type"] == "invited"
    assert data["profile"]["external_id"] == "X-1"

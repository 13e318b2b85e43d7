"""The campaign pages and API: define, preview per language, test-send, send, see progress."""

import pytest

from rapport.api.tests.helpers import token_client
from rapport.outreach.models import Campaign


@pytest.mark.django_db(transaction=True)
def test_marketing_defines_previews_and_sends_a_campaign(
    audience, make_user, client, smtp_server, django_assert_max_num_queries
):
    audience(3)
    user = make_user("marketing", email="me@example.com")
    client.force_login(user)
    assert client.get("/outreach/campaigns/new/").status_code == 200
    response = client.post(
        "/outreach/campaigns/new/",
        {
            "name": "Mid-Autumn",
            "kind": "campaign",
            "channel": "email",
            "schedule": "once",
            "days": 0,
            "subject_en": "Happy Mid-Autumn, {{ name }}",
            "body_en": "Mooncakes for {{ given_name }}.",
            "subject_zh_hans": "{{ name }}，中秋快乐",
            "body_zh_hans": "月饼送给{{ name }}。",
        },
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{campaign.pk}/")
    with django_assert_max_num_queries(40):
        page = client.get(f"/outreach/campaigns/{campaign.pk}/?language=zh-hans")
    assert "中秋快乐" in page.content.decode() and "Giv0 Fam0" in page.content.decode()
    client.post(
        f"/outreach/campaigns/{campaign.pk}/send/", {"action": "test", "language": "zh-hans"}
    )
    assert smtp_server.to("me@example.com")[0]["Subject"].startswith("[TEST]")
    client.post(f"/outreach/campaigns/{campaign.pk}/send/", {"action": "activate"})
    assert len(smtp_server.messages) == 4
    progress = client.get(f"/outreach/campaigns/{campaign.pk}/progress/").content.decode()
    assert "3 of 3" in progress
    assert "Mid-Autumn" in client.get("/outreach/campaigns/").content.decode()
    # Agents see campaigns but may not send them.
    agent = make_user("agent")
    client.force_login(agent)
    assert (
        client.post(f"/outreach/campaigns/{campaign.pk}/send/", {"action": "activate"}).status_code
        == 403
    )


@pytest.mark.django_db(transaction=True)
def test_the_api_defines_previews_and_sends(audience, make_user, smtp_server):
    audience(2)
    api = token_client(make_user("marketing"))
    created = api.post(
        "/api/v1/outreach/campaigns",
        {
            "name": "Hello",
            "messages": [{"language": "sk", "subject": "Ahoj {{ name }}", "body": "Text"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    preview = api.get(f"/api/v1/outreach/campaigns/{pk}/preview", {"language": "sk"}).json()
    assert preview[0]["subject"].startswith("Ahoj")
    bad = api.post(
        "/api/v1/outreach/campaigns",
        {"name": "Bad", "messages": [{"language": "sk", "subject": "{{ nope }}", "body": "x"}]},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "messages" in bad.json()["errors"]
    sent = api.post(f"/api/v1/outreach/campaigns/{pk}/send").json()
    assert sent["runs"][0]["done"] == 2
    assert len(smtp_server.messages) == 2


@pytest.mark.django_db(transaction=True)
def test_sms_campaigns_are_handed_over_as_a_list(
    make_customer, make_user, client, campaign, manager
):
    from rapport.customers.services import consent_set

    c = make_customer(phones=[{"number": "+421905123456"}], preferred_language="sk")
    consent_set(customer=c, channel="sms", granted=True, method="web_form", by=manager)
    camp = campaign(channel="sms")
    from rapport.outreach import services

    services.campaign_start(by=manager, campaign_id=camp.pk)
    client.force_login(make_user("marketing"))
    page = client.get(f"/outreach/campaigns/{camp.pk}/").content.decode()
    assert 'id="provider-list"' in page
    response = client.get(f"/imports/export/campaign_messages.csv?campaign={camp.pk}")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "+421905123456" in text and "Dobrý deň" in text

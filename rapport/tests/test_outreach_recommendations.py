"""Campaigns use recommendations through the hub's seams, without importing them: the audience
filter "should be offered product P" (a customer filter) and the merge field
{{ recommended_products }} (rapport.core.registry.MergeField)."""

import pytest
from django.utils import timezone

from rapport.core import registry

pytestmark = pytest.mark.django_db


def recommend(customer, *products):
    from rapport.recommendations.models import Recommendation

    for rank, product in enumerate(products, start=1):
        Recommendation.objects.create(
            customer=customer,
            product=product,
            rank=rank,
            score=1.0 / rank,
            reason="popular",
            customers=10,
            method="popularity",
            computed_at=timezone.now(),
        )


def test_recommendations_register_a_merge_field_and_an_audience_filter():
    field = registry.merge_field("recommended_products")
    assert field is not None and str(field.label) == "products we recommend"
    assert registry.customer_filter("recommended_product") is not None


def test_a_campaign_offers_the_recommended_products_to_those_who_should_get_them(
    make_customer, make_product, manager, settings, django_capture_on_commit_callbacks
):
    from django.core import mail

    from rapport.customers.services import consent_set
    from rapport.outreach import services

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    tea = make_product(sku="TEA-1", name="Oolong tea")
    cups = make_product(sku="CUP-1", name="Tea cups")
    pot = make_product(sku="POT-1", name="Clay pot")
    ann = make_customer(given_name="Ann", emails=[{"address": "ann@example.com"}])
    li = make_customer(
        family_name="李", given_name="娜", emails=[{"address": "li@example.com"}],
        preferred_language="zh-hans",
    )  # fmt: skip
    bob = make_customer(given_name="Bob", emails=[{"address": "bob@example.com"}])
    for c in (ann, li, bob):
        consent_set(customer=c, channel="email", granted=True, method="web_form", by=manager)
    recommend(ann, tea, cups, pot)
    recommend(li, cups, tea)
    recommend(bob, pot)  # tea is not recommended to Bob
    campaign = services.campaign_create(
        by=manager,
        name="Tea time",
        audience={"recommended_product": "TEA-1"},
        messages=[
            {"language": "en", "subject": "For {{ name }}", "body": "We recommend {{ recommended_products }}."},
            {"language": "zh-hans", "subject": "{{ name }}", "body": "推荐：{{ recommended_products }}"},
        ],
    )  # fmt: skip
    shown = {s["customer"]: s["body"] for s in services.preview(campaign, "en")}
    assert set(shown) == {ann, li}  # the audience: those who should be offered TEA-1
    assert shown[ann] == "We recommend Oolong tea, Tea cups and Clay pot."
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_start(by=manager, campaign_id=campaign.pk)
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert set(bodies) == {"ann@example.com", "li@example.com"}
    assert bodies["li@example.com"].startswith("推荐：Tea cups 和 Oolong tea")


def test_an_unknown_merge_field_is_still_refused(manager):
    from rapport.core.exceptions import ValidationError
    from rapport.outreach import services

    with pytest.raises(ValidationError):
        services.campaign_create(
            by=manager,
            name="Typo",
            messages=[{"language": "en", "subject": "Hi", "body": "{{ recomended_products }}"}],
        )


def test_the_campaign_form_lists_the_registered_merge_fields(client, make_user):
    client.force_login(make_user("marketing"))
    page = client.get("/outreach/campaigns/new/").content.decode()
    assert "{{ recommended_products }} (products we recommend)" in page
    assert 'name="audience_recommended_product"' in page

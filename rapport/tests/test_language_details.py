"""Details of each language: words that agree with what they describe, Slovak dates with the
month in the genitive, Chinese punctuation not doubled, preferences in a sentence."""

from datetime import date

import pytest
from django import forms
from django.urls import reverse
from django.utils import formats, translation

pytestmark = pytest.mark.django_db


def test_slovak_dates_use_the_genitive_month():
    with translation.override("sk"):
        assert formats.date_format(date(2026, 9, 15)) == "15. septembra 2026"
        assert formats.date_format(date(2026, 5, 1), "MONTH_DAY_FORMAT") == "1. mája"


def test_a_chinese_question_label_gets_no_second_punctuation():
    class Form(forms.Form):
        why = forms.CharField(label="客户为什么离开？")

    class Name(forms.Form):
        family_name = forms.CharField(label="姓")

    with translation.override("zh-hans"):
        assert "离开？</label>" in str(Form()["why"].label_tag())
        assert "姓：</label>" in str(Name()["family_name"].label_tag())  # full-width colon


def test_other_agrees_with_what_it_describes():
    from rapport.customers.choices import BuyingRole, Gender, PhoneKind

    with translation.override("sk"):
        assert (str(Gender.OTHER.label), str(PhoneKind.OTHER.label)) == ("iné", "iný")
        assert str(BuyingRole.OTHER.label) == "iná"


def test_preferences_read_as_a_sentence(agent_client, make_customer):
    c = make_customer(preferred_channel="wechat", preferred_language="zh-hans")
    html = agent_client.get(reverse("customers:detail", args=[c.pk])).content.decode()
    assert "Prefers WeChat, in Simplified Chinese" in html


def test_analytics_filters_that_do_not_apply_are_disabled_with_the_reason(analyst_client):
    from rapport.analytics import services
    from rapport.analytics.tests import factories as f

    f.customers(3)
    services.analytics_refresh(as_of=date(2024, 12, 31))
    segments = analyst_client.get(reverse("analytics:segments")).content.decode()
    assert 'id="filter-period" disabled aria-describedby="filter-scope"' in segments
    assert 'id="filter-segment" disabled' not in segments
    assert 'id="filter-scope"' in segments
    promotions = analyst_client.get(reverse("analytics:promotion")).content.decode()
    assert 'id="filter-segment" disabled' in promotions
    assert 'id="filter-period" disabled' not in promotions

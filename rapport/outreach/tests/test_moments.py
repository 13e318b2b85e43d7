"""The calendar of moments: who has a birthday, anniversary, holiday or event this week."""

from datetime import date

import pytest
from lunardate import LunarDate

from rapport.customers.models import Customer
from rapport.outreach.choices import MomentKind
from rapport.outreach.moments import moments_between, window

pytestmark = pytest.mark.django_db


def personal(found):
    return {(m.customer_name, m.kind, m.day) for m in found if m.customer_id}


def test_this_week_across_the_year_boundary(make_customer):
    make_customer(family_name="Novak", given_name="Jan", birthday=date(1980, 1, 2))
    make_customer(family_name="Kral", given_name="Eva", birthday=date(1980, 1, 20))
    # Lunar 12/5 of 1975; lunar 2025's 12/5 falls on 23 Jan 2026 — not this week.
    born_12th = LunarDate(1975, 12, 5).to_solar_date()
    make_customer(
        family_name="李", given_name="娜", birthday=born_12th, celebrates_lunar_birthday=True
    )
    # Lunar 11/12 of 1988; lunar 2025's 11/12 is 31 Dec 2025.
    born_11th = LunarDate(1988, 11, 12).to_solar_date()
    make_customer(
        family_name="张", given_name="伟", birthday=born_11th, celebrates_lunar_birthday=True
    )
    start, end = window("week", date(2025, 12, 29))
    found = moments_between(Customer.objects.all(), start, end)
    assert personal(found) == {
        ("Jan Novak", MomentKind.BIRTHDAY, date(2026, 1, 2)),
        ("张伟", MomentKind.LUNAR_BIRTHDAY, LunarDate(2025, 11, 12).to_solar_date()),
    }


def test_spring_festival_week(make_customer):
    make_customer(
        family_name="王",
        given_name="芳",
        addresses=[{"line1": "长安街 1 号", "city": "北京", "country": "CN"}],
        birthday=date(1990, 1, 27),  # born on Spring Festival 1990
        celebrates_lunar_birthday=True,
    )
    make_customer(
        family_name="陈",
        given_name="静",
        preferred_language="zh-hans",
        addresses=[{"line1": "Hlavná 1", "city": "Bratislava", "country": "SK"}],
    )
    start, end = window("week", date(2026, 2, 14))
    found = moments_between(Customer.objects.all(), start, end)
    assert ("王芳", MomentKind.LUNAR_BIRTHDAY, date(2026, 2, 17)) in personal(found)
    holidays = [(m.day, m.country, m.customers) for m in found if m.kind == MomentKind.HOLIDAY]
    assert (date(2026, 2, 17), "CN", 1) in holidays  # China's public holiday
    assert (date(2026, 2, 17), "", 1) in holidays  # the festival for the Chinese reader in Slovakia


def test_anniversary_and_suggested_action(make_customer):
    make_customer(family_name="Horak", given_name="Petr", customer_since=date(2020, 6, 3))
    make_customer(family_name="Mala", given_name="Ana", birthday=date(1976, 6, 4))
    found = moments_between(Customer.objects.all(), date(2025, 6, 1), date(2025, 6, 7))
    by_name = {m.customer_name: m for m in found if m.customer_id}
    assert by_name["Petr Horak"].kind == MomentKind.ANNIVERSARY
    assert by_name["Petr Horak"].action == "gift"  # five years
    assert by_name["Ana Mala"].action == "card"  # 49: an ordinary birthday


def test_the_page_filters_and_counts_queries(
    client, make_user, make_customer, django_assert_max_num_queries
):
    from django.utils import timezone

    today = timezone.localdate()
    make_customer(
        family_name="Tag", given_name="Ged", birthday=today.replace(year=1990), tags=["vip"]
    )
    make_customer(family_name="Other", given_name="One", birthday=today.replace(year=1991))
    client.force_login(make_user("marketing"))
    with django_assert_max_num_queries(20):
        page = client.get("/outreach/moments/?view=week&tag=vip")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Ged Tag" in text and "One Other" not in text
    assert client.get("/outreach/moments/?view=month").status_code == 200


def test_the_audience_filters_city_product_consent_and_churn_risk(
    make_customer, make_product, manager
):
    from rapport.customers.selectors import customer_queryset
    from rapport.customers.services import consent_set
    from rapport.sales.services import order_create

    a = make_customer(addresses=[{"line1": "Hlavná 1", "city": "Košice", "country": "SK"}])
    b = make_customer(addresses=[{"line1": "Main 2", "city": "Praha", "country": "CZ"}])
    tea = make_product(sku="TEA-1")
    order_create(by=manager, customer_id=b.pk, lines=[{"product_id": tea.pk, "quantity": 1}])
    consent_set(customer=a, channel="sms", granted=True, method="web_form", by=manager)
    assert list(customer_queryset(filters={"city": "košice"})) == [a]
    assert list(customer_queryset(filters={"bought_product": "TEA-1"})) == [b]
    assert list(customer_queryset(filters={"consent": "sms:granted"})) == [a]
    assert list(customer_queryset(filters={"churn_risk": "nonsense"})) == []


def test_holiday_names_follow_the_language_of_each_request():
    """One process serves every language: a holiday's name is not kept in the first one asked."""
    from django.utils import translation

    from rapport.outreach.moments import country_holidays

    with translation.override("sk"):
        slovak = dict(country_holidays("SK", 2027))
    with translation.override("en"):
        english = dict(country_holidays("SK", 2027))
    new_year = date(2027, 1, 1)
    assert slovak[new_year] != english[new_year]


def test_the_page_walks_every_moment_once_by_day_and_name(make_customer, client, manager):
    from django.core.cache import cache

    from rapport.outreach.moments import moments_page

    cache.clear()
    for i, (name, born) in enumerate(
        [
            ("Zeman", date(1980, 1, 2)),
            ("Adam", date(1981, 1, 2)),
            ("Beňo", date(1982, 1, 2)),
            ("Cyril", date(1970, 1, 4)),
            ("Dano", date(1990, 12, 31)),
            ("Emil", date(1991, 1, 2)),
        ]
    ):
        make_customer(
            family_name=name,
            given_name="X",
            birthday=born,
            customer_since=date(2020, 1, 2) if i % 2 else None,
            addresses=[{"line1": "Hlavná 1", "city": "Košice", "country": "SK"}],
        )
    start, end = window("week", date(2025, 12, 29))
    expected = moments_between(Customer.objects.all(), start, end)
    walked, holidays, after, pages = [], None, "", 0
    while True:
        page = moments_page(Customer.objects.all(), start, end, after=after, size=2)
        pages += 1
        holidays = page.holidays if holidays is None else holidays
        assert pages == 1 or page.holidays == []
        walked += page.moments
        if not page.after:
            break
        after = page.after
    assert pages > 2
    keys = [(m.day, m.customer_name, m.kind) for m in walked]
    assert len(keys) == len(set(keys))  # nobody twice
    assert [(d, n) for d, n, _k in keys] == sorted((d, n) for d, n, _k in keys)
    assert personal(walked) == personal(expected)
    assert {(m.day, m.country, m.customers) for m in holidays} == {
        (m.day, m.country, m.customers) for m in expected if m.kind == MomentKind.HOLIDAY
    }
    assert (date(2026, 1, 1), "SK", 6) in {(m.day, m.country, m.customers) for m in holidays}


def test_the_api_pages_moments_soonest_first(make_customer, make_user):
    """`GET /api/v1/outreach/moments` gives the holidays on the first page, then every personal
    moment of the week once, by day and name, a page at a time; a made-up cursor is a 400."""
    from datetime import timedelta
    from unittest import mock

    from django.core.cache import cache

    from rapport.api.tests.helpers import token_client

    cache.clear()
    today = date(2026, 3, 9)  # a Monday
    born = {}
    for i in range(7):
        day = today + timedelta(days=6 - i)  # created latest day first: the order must not matter
        name = f"Person{i}"
        make_customer(
            family_name=name,
            given_name="X",
            birthday=day.replace(year=1980),
            addresses=[{"line1": "Hlavná 1", "city": "Košice", "country": "SK"}],
        )
        born[f"X {name}"] = day
    api = token_client(make_user("marketing"))
    seen, cursor, pages = [], None, 0
    with mock.patch("django.utils.timezone.localdate", return_value=today):
        while True:
            query = {"view": "week", "limit": 2} | ({"cursor": cursor} if cursor else {})
            response = api.get("/api/v1/outreach/moments", query)
            assert response.status_code == 200, response.content
            body = response.json()
            pages += 1
            holidays = [m for m in body["items"] if m["kind"] == MomentKind.HOLIDAY]
            assert pages == 1 or not holidays
            seen += [m for m in body["items"] if m["customer_id"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        bad = api.get("/api/v1/outreach/moments", {"cursor": "not-a-mark"})
    assert pages >= 4
    assert [(m["customer_name"], date.fromisoformat(m["day"])) for m in seen] == sorted(
        born.items(), key=lambda kv: (kv[1], kv[0])
    )
    assert bad.status_code == 400 and "cursor" in bad.json()["errors"]


def test_the_whole_files_holiday_counts_are_kept_per_country(
    make_customer, django_assert_num_queries
):
    """Another week with holidays of the same countries reads the kept counts (one query, for
    the countries), and they are the right ones; a filtered list is always counted."""
    from django.core.cache import cache

    from rapport.outreach.moments import holiday_moments

    cache.clear()
    for i in range(3):
        make_customer(
            family_name=f"Kováč{i}",
            given_name="Ján",
            addresses=[{"line1": "Hlavná 1", "city": "Košice", "country": "SK"}],
        )
    make_customer(
        family_name="Dvořák",
        given_name="Petr",
        addresses=[{"line1": "Národní 1", "city": "Praha", "country": "CZ"}],
    )
    new_year = holiday_moments(Customer.objects.all(), date(2027, 1, 1), date(2027, 1, 1))
    assert {(m.country, m.customers) for m in new_year} == {("SK", 3), ("CZ", 1)}
    with django_assert_num_queries(1):  # Epiphany: Slovakia's only, its count already kept
        epiphany = holiday_moments(Customer.objects.all(), date(2027, 1, 6), date(2027, 1, 6))
    assert [(m.day, m.country, m.customers) for m in epiphany] == [(date(2027, 1, 6), "SK", 3)]
    one = Customer.objects.filter(family_name="Kováč0")
    assert [m.customers for m in holiday_moments(one, date(2027, 1, 6), date(2027, 1, 6))] == [1]


def test_an_event_early_in_the_morning_is_on_its_local_day(make_customer, manager):
    """At 07:00 local time it is still the day before in UTC: the customer's card shows the
    event on the day the invitation names."""
    import datetime as dt

    from django.utils import timezone

    from rapport.outreach import services
    from rapport.outreach.models import Invitation
    from rapport.outreach.moments import customer_moments

    day = timezone.localdate() + dt.timedelta(days=3)
    starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(7, 0)))
    assert starts_at.astimezone(dt.UTC).date() < day  # the zone is ahead of UTC
    event = services.event_create(
        by=manager, name="Tea tasting", kind="training", starts_at=starts_at
    )
    customer = make_customer()
    Invitation.objects.create(event=event, customer=customer)
    found = customer_moments(customer, timezone.localdate(), day + dt.timedelta(days=3))
    assert [(m.kind, m.day) for m in found if m.kind == MomentKind.EVENT] == [
        (MomentKind.EVENT, day)
    ]

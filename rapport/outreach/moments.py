"""The calendar of moments: birthdays (Gregorian or lunar), customer anniversaries, public and
lunar holidays of the customer's country, and company events they are invited to.

Birthdays are found in the database, not customer by customer: for each day of the window the
Gregorian (month, day) and, for people who keep the lunar birthday, the list of birth dates whose
lunar birthday falls on that day (`lunar.lunar_birth_dates_celebrated_on`) become one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.db.models import Func, IntegerField, Q, QuerySet
from django.db.models.lookups import In
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.outreach import lunar
from rapport.outreach.choices import MomentKind, SuggestedAction

# Festivals kept by Chinese-speaking customers wherever they live (lunar month, day).
LUNAR_FESTIVALS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "spring_festival"),
    (1, 15, "lantern_festival"),
    (5, 5, "dragon_boat_festival"),
    (8, 15, "mid_autumn_festival"),
    (9, 9, "double_ninth_festival"),
)


def festival_name(key: str) -> str:
    return {
        "spring_festival": _("Spring Festival"),
        "lantern_festival": _("Lantern Festival"),
        "dragon_boat_festival": _("Dragon Boat Festival"),
        "mid_autumn_festival": _("Mid-Autumn Festival"),
        "double_ninth_festival": _("Double Ninth Festival"),
    }[key]


@dataclass
class Moment:
    day: date
    kind: str
    title: str
    action: str
    customer_id: int | None = None
    customer_name: str = ""
    customers: int = 0  # a holiday: how many customers of the list it concerns
    country: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(MomentKind(self.kind).label)

    @property
    def action_label(self) -> str:
        return str(SuggestedAction(self.action).label)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def window(view: str, today: date) -> tuple[date, date]:
    """ "week": today and the 6 days after; "month": today and the 29 days after."""
    return today, today + timedelta(days=6 if view == "week" else 29)


class MonthDay(Func):
    """month × 100 + day of a date column, in the very shape the moments indexes hold
    (migration outreach 0002): EXTRACT on PostgreSQL; on SQLite the digits of the ISO text (no
    per-row Python function, as Django's `__month` would call there)."""

    template = "(EXTRACT(MONTH FROM %(expressions)s) * 100 + EXTRACT(DAY FROM %(expressions)s))"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(
            compiler,
            connection,
            template="(CAST(substr(%(expressions)s, 6, 2) AS INTEGER) * 100 "
            "+ CAST(substr(%(expressions)s, 9, 2) AS INTEGER))",
            **extra,
        )


def _month_days(start: date, end: date, *, leap_day: bool) -> list[int]:
    keys = set()
    for d in days(start, end):
        keys.add(d.month * 100 + d.day)
        if leap_day and d.month == 3 and d.day == 1 and not _leap(d.year):
            keys.add(229)  # born on 29 February: celebrated on 1 March in other years
    return sorted(keys)


def birthday_q(start: date, end: date) -> Q:
    """Customers whose birthday (lunar where they keep it) is celebrated from start to end."""
    gregorian = Q(In(MonthDay("birthday"), _month_days(start, end, leap_day=True)))
    lunar_dates: set[date] = set()
    for d in days(start, end):
        lunar_dates.update(lunar.lunar_birth_dates_celebrated_on(d))
    q = Q(celebrates_lunar_birthday=False) & gregorian
    if lunar_dates:
        q |= Q(celebrates_lunar_birthday=True, birthday__in=sorted(lunar_dates))
    # Births outside the lunar calendar's range fall back to the Gregorian date.
    q |= Q(celebrates_lunar_birthday=True, birthday__lt=lunar.FIRST_SOLAR) & gregorian
    return q


def anniversary_q(start: date, end: date) -> Q:
    """Customers since a day whose (month, day) falls from start to end, before `end` (the
    moments themselves are only those after the day they became customers)."""
    return Q(
        In(MonthDay("customer_since"), _month_days(start, end, leap_day=False)),
        customer_since__lt=end,
    )


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def country_holidays(country: str, year: int) -> tuple[tuple[date, str], ...]:
    """Public holidays of a country in a year, named in the active language where `holidays`
    has it (else English)."""
    from django.utils.translation import get_language

    language = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "sk": "sk"}.get(
        get_language() or "", "en_US"
    )
    return _country_holidays(country, year, language)


@lru_cache(maxsize=256)
def _country_holidays(country: str, year: int, language: str) -> tuple[tuple[date, str], ...]:
    # The language is part of the key: one process serves every language.
    import holidays

    try:
        found = holidays.country_holidays(country, years=year, language=language)
    except (NotImplementedError, KeyError, AttributeError):  # a country `holidays` does not know
        return ()
    return tuple(sorted(found.items()))


def lunar_festivals(start: date, end: date) -> list[tuple[date, str]]:
    """The lunar festivals from start to end, named in the active language."""
    return [(d, festival_name(key)) for d, key in _lunar_festival_days(start, end)]


@lru_cache(maxsize=64)
def _lunar_festival_days(start: date, end: date) -> tuple[tuple[date, str], ...]:
    # A lunar date per day of the window: worth keeping (every message of a campaign asks).
    found = []
    for d in days(start, end):
        here = lunar.lunar_of(d)
        if here and not here[2]:
            for month, day, key in LUNAR_FESTIVALS:
                if (here[0], here[1]) == (month, day):
                    found.append((d, key))
    return tuple(found)


def _birthday_action(age: int | None, segment: str) -> str:
    if age is not None and age % 10 == 0:
        return SuggestedAction.CALL
    if segment in ("champions", "loyal"):
        return SuggestedAction.GIFT
    if segment in ("at_risk", "cant_lose", "hibernating", "about_to_sleep"):
        return SuggestedAction.COUPON
    return SuggestedAction.CARD


def _segments(ids: list[int]) -> dict[int, str]:
    from rapport.analytics.models import CustomerScore

    return dict(
        CustomerScore.objects.filter(customer_id__in=ids).values_list("customer_id", "segment")
    )


def moments_between(
    customers: QuerySet, start: date, end: date, *, limit: int = 500
) -> list[Moment]:
    """The holidays from start to end, then the first `limit` personal moments of the customers
    in the queryset, soonest first and by name within a day: the pages of `moments_page` walked
    until `limit` (a customer's moments of one day are never split, so a few more may come)."""
    page = moments_page(customers, start, end, size=limit)
    return page.holidays + page.moments


def address_countries() -> list[str]:
    """The countries of all addresses, by a walk down the (country, customer) index: one index
    probe per country instead of a scan of every address."""
    from django.db import connection

    from rapport.customers.models import CustomerAddress

    table = CustomerAddress._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE c(country) AS ("  # noqa: S608 (the table name is the model's)
            f"SELECT MIN(country) FROM {table} WHERE country > '' "
            f"UNION ALL SELECT (SELECT MIN(country) FROM {table} t WHERE t.country > c.country) "
            "FROM c WHERE c.country IS NOT NULL) "
            "SELECT country FROM c WHERE country IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


def models_count():
    from django.db.models import Count

    return Count("customer", distinct=True)


def customer_moments(customer: Any, start: date, end: date) -> list[Moment]:
    """One customer's moments (their card on the customer page): birthday, anniversary and the
    holidays of their countries from the customer already loaded (its addresses prefetched),
    and one query for their invitations."""
    from rapport.outreach.models import Invitation

    found: list[Moment] = []
    if customer.birthday:
        is_lunar = customer.celebrates_lunar_birthday
        for d in lunar.birthdays_between(customer.birthday, is_lunar, start, end):
            age = d.year - customer.birthday.year
            found.append(
                Moment(
                    day=d,
                    kind=MomentKind.LUNAR_BIRTHDAY if is_lunar else MomentKind.BIRTHDAY,
                    title=_("Birthday (%(age)s)") % {"age": age},
                    action=_birthday_action(age, ""),
                    customer_id=customer.pk,
                    customer_name=customer.display_name,
                )
            )
    if since := customer.customer_since:
        for d in days(start, end):
            if (d.month, d.day) == (since.month, since.day) and d > since:
                years = d.year - since.year
                found.append(
                    Moment(
                        day=d,
                        kind=MomentKind.ANNIVERSARY,
                        title=_("Customer for %(years)s years") % {"years": years},
                        action=SuggestedAction.GIFT if years % 5 == 0 else SuggestedAction.CARD,
                        customer_id=customer.pk,
                        customer_name=customer.display_name,
                    )
                )
    countries = {a.country for a in customer.addresses.all() if a.country}
    for country in sorted(countries):
        for year in range(start.year, end.year + 1):
            for d, name in country_holidays(country, year):
                if start <= d <= end:
                    found.append(
                        Moment(
                            day=d,
                            kind=MomentKind.HOLIDAY,
                            title=name,
                            action=SuggestedAction.CARD,
                            country=country,
                        )
                    )
    if "CN" not in countries and customer.preferred_language in ("zh-hans", "zh-hant"):
        for d, name in lunar_festivals(start, end):
            found.append(
                Moment(day=d, kind=MomentKind.HOLIDAY, title=name, action=SuggestedAction.CARD)
            )
    invitations = Invitation.objects.filter(
        customer_id=customer.pk, event__starts_at__date__gte=start, event__starts_at__date__lte=end
    ).values_list("event__name", "event__starts_at", "rsvp")
    for name, starts_at, rsvp in invitations:
        found.append(
            Moment(
                day=timezone.localdate(starts_at),  # the business's day, not UTC's
                kind=MomentKind.EVENT,
                title=name,
                action=SuggestedAction.CALL if rsvp == "pending" else SuggestedAction.CARD,
                customer_id=customer.pk,
                customer_name=customer.display_name,
            )
        )
    found.sort(key=lambda m: (m.day, m.kind))
    return found


# The "this week" and "this month" page: a page of personal moments at a time -----------------

PAGE_SIZE = 100
HOLIDAY_COUNTS_SECONDS = 3600  # how long the whole file's holiday counts are kept


@dataclass
class MomentPage:
    holidays: list[Moment]  # on the first page only
    moments: list[Moment]  # personal moments, by day, then customer name
    after: str = ""  # where the next page starts ("" when this is the last)


def moments_page(
    customers: QuerySet, start: date, end: date, *, after: str = "", size: int = PAGE_SIZE
) -> MomentPage:
    """About `size` personal moments from start to end (a customer's moments of one day are
    never split), soonest first and by name within a day, from the `after` mark of the page
    before: each day is read from the birthday and anniversary indexes up to what the page
    still needs, so a page costs the same in a quiet week and in a week of 40,000 moments."""
    from rapport.outreach.models import CompanyEvent

    mark = parse_mark(after)
    found: list[Moment] = []
    last: tuple[date, int] | None = None
    zone = timezone.get_current_timezone()
    event_days: dict[date, list[int]] = {}  # the window's events (a handful), by local day
    for pk, starts_at in CompanyEvent.objects.filter(
        starts_at__gte=datetime.combine(start, time.min, zone),
        starts_at__lt=datetime.combine(end + timedelta(days=1), time.min, zone),
    ).values_list("pk", "starts_at"):
        event_days.setdefault(timezone.localtime(starts_at, zone).date(), []).append(pk)
    for day in days(start, end):
        if mark and day < mark[0]:
            continue
        after_here = (mark[1], mark[2]) if mark and day == mark[0] else None
        people = _day_people(
            customers, day, after_here, size - len(found) + 1, event_days.get(day, [])
        )
        for key, moments in people:
            if len(found) >= size:
                return MomentPage(
                    holidays=[] if mark else holiday_moments(customers, start, end),
                    moments=found,
                    after=f"{last[0].isoformat()}.{last[1]}" if last else "",
                )
            found.extend(moments)
            last = (day, key[1])
    return MomentPage(
        holidays=[] if mark else holiday_moments(customers, start, end), moments=found
    )


def parse_mark(after: str) -> tuple[date, str, int] | None:
    """The page mark "YYYY-MM-DD.<customer id>" as (day, that customer's name, id)."""
    from rapport.customers.models import Customer

    day, _dot, pk = after.partition(".")
    try:
        when, customer_id = date.fromisoformat(day), int(pk)
    except ValueError:
        return None
    name = Customer.objects.filter(pk=customer_id).values_list("display_name", flat=True).first()
    return (when, name, customer_id) if name is not None else None


def _day_people(
    customers: QuerySet, day: date, after: tuple[str, int] | None, need: int, events: list[int]
) -> list[tuple[tuple[str, int], list[Moment]]]:
    """The first `need` customers (by name, id; after `after`) with a moment on `day` (the
    `events` of the day included), each with their moments of the day."""
    from rapport.outreach.models import Invitation

    later = Q()
    if after is not None:
        later = Q(display_name__gt=after[0]) | Q(display_name=after[0], pk__gt=after[1])
    people = list(
        customers.filter(birthday_q(day, day) | anniversary_q(day, day))
        .filter(later)
        .order_by("display_name", "pk")
        .values("id", "display_name", "birthday", "celebrates_lunar_birthday", "customer_since")[
            :need
        ]
    )
    invitations = []
    if events:
        everyone = not customers.query.has_filters()
        of_list = {} if everyone else {"customer__in": customers.order_by().values("pk")}
        inv_later = Q()
        if after is not None:
            inv_later = Q(customer__display_name__gt=after[0]) | Q(
                customer__display_name=after[0], customer_id__gt=after[1]
            )
        invitations = list(
            Invitation.objects.filter(inv_later, **of_list, event__in=events)
            .order_by("customer__display_name", "customer_id")
            .values("customer_id", "customer__display_name", "event__name", "rsvp")[:need]
        )
    segments = _segments([p["id"] for p in people]) if people else {}
    by_person: dict[tuple[str, int], list[Moment]] = {}
    birthday_title = _("Birthday (%(age)s)")  # looked up once, not per customer
    anniversary_title = _("Customer for %(years)s years")
    for p in people:
        mine = by_person.setdefault((p["display_name"], p["id"]), [])
        if p["birthday"] and day in lunar.birthdays_between(
            p["birthday"], p["celebrates_lunar_birthday"], day, day
        ):
            age = day.year - p["birthday"].year
            mine.append(
                Moment(
                    day=day,
                    kind=(
                        MomentKind.LUNAR_BIRTHDAY
                        if p["celebrates_lunar_birthday"]
                        else MomentKind.BIRTHDAY
                    ),
                    title=birthday_title % {"age": age},
                    action=_birthday_action(age, segments.get(p["id"], "")),
                    customer_id=p["id"],
                    customer_name=p["display_name"],
                )
            )
        since = p["customer_since"]
        if since and (day.month, day.day) == (since.month, since.day) and day > since:
            years = day.year - since.year
            mine.append(
                Moment(
                    day=day,
                    kind=MomentKind.ANNIVERSARY,
                    title=anniversary_title % {"years": years},
                    action=SuggestedAction.GIFT if years % 5 == 0 else SuggestedAction.CARD,
                    customer_id=p["id"],
                    customer_name=p["display_name"],
                )
            )
    for inv in invitations:
        by_person.setdefault((inv["customer__display_name"], inv["customer_id"]), []).append(
            Moment(
                day=day,
                kind=MomentKind.EVENT,
                title=inv["event__name"],
                action=SuggestedAction.CALL if inv["rsvp"] == "pending" else SuggestedAction.CARD,
                customer_id=inv["customer_id"],
                customer_name=inv["customer__display_name"],
            )
        )
    ordered = sorted((key, moments) for key, moments in by_person.items() if moments)
    return ordered[:need]


def holiday_moments(customers: QuerySet, start: date, end: date) -> list[Moment]:
    """One line per public holiday and country from start to end, with how many customers of
    the list live there, and the lunar festivals with how many Chinese-speaking customers live
    outside China. For the whole file the counts are kept (HOLIDAY_COUNTS_SECONDS): they are
    counts over every address; for a filtered list they are counted."""
    from django.core.cache import cache

    from rapport.customers.models import CustomerAddress

    everyone = not customers.query.has_filters()
    of_list = {} if everyone else {"customer__in": customers.order_by().values("pk")}
    in_window = {
        country: [
            (d, name)
            for year in range(start.year, end.year + 1)
            for d, name in country_holidays(country, year)
            if start <= d <= end
        ]
        for country in address_countries()
    }
    in_window = {country: found for country, found in in_window.items() if found}
    festivals = lunar_festivals(start, end)

    def count(countries: list[str] | None, lunar_readers: bool) -> dict[str, int]:
        """Customers of the list per country (every country where `countries` is None)."""
        counts: dict[str, int] = {}
        if countries is None or countries:
            addresses = CustomerAddress.objects.filter(**of_list)
            if countries is not None:
                addresses = addresses.filter(country__in=countries)
            counts.update(
                addresses.exclude(country="")
                .values_list("country")
                .annotate(n=models_count())
                .values_list("country", "n")
            )
        if lunar_readers:
            counts[""] = (
                customers.filter(preferred_language__in=("zh-hans", "zh-hant"))
                .exclude(addresses__country="CN")
                .order_by()
                .values("pk")
                .distinct()
                .count()
            )
        return counts

    if everyone:
        # Every country's count at once (one pass over the addresses, as one country's count
        # takes), kept for an hour and shared by every week's view; the festivals' readers apart.
        counts = dict(
            cache.get_or_set(
                "outreach:holiday-counts", lambda: count(None, False), HOLIDAY_COUNTS_SECONDS
            )
        )
        if festivals:
            counts[""] = cache.get_or_set(
                "outreach:holiday-readers", lambda: count([], True)[""], HOLIDAY_COUNTS_SECONDS
            )
    else:
        counts = count(sorted(in_window), bool(festivals))
    found = [
        Moment(
            day=d,
            kind=MomentKind.HOLIDAY,
            title=name,
            action=SuggestedAction.CARD,
            customers=counts[country],
            country=country,
        )
        for country in sorted(in_window)
        if counts.get(country)
        for d, name in in_window[country]
    ]
    if counts.get(""):
        found += [
            Moment(
                day=d,
                kind=MomentKind.HOLIDAY,
                title=name,
                action=SuggestedAction.CARD,
                customers=counts[""],
            )
            for d, name in festivals
        ]
    found.sort(key=lambda m: (m.day, m.country))
    return found

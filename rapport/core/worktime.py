"""The working-time clock: deadlines and durations counted in working hours only.

A `WorkCalendar` knows the working hours of each weekday (split shifts allowed), the time zone,
and the public holidays of a country from the `holidays` library — including the weekend days that
China declares working days (调休), which then follow the working hours of a normal Monday.

The clock turns the calendar into one sorted list of working intervals with their running total
of working seconds, so that

    deadline(start, 8 hours)   and   worked(start, end)

are a binary search each, not a walk over the days (a sweep over a million open complaints
computes a deadline per complaint). Pauses (waiting for the customer) are intervals whose working
time does not count.

Definitions used everywhere (complaint deadlines, service commitments, survey follow-ups):
- worked(a, b) = working seconds in [a, b), minus the working seconds of the pauses within it.
- deadline(a, d) = the earliest instant t with worked(a, t) = d. A deadline never falls in a
  break: if the target is reached exactly at the end of a shift, the deadline is that end.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

Shift = tuple[time, time]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STANDARD_HOURS: dict[str, list[list[str]]] = {
    **{day: [["09:00", "12:00"], ["13:00", "18:00"]] for day in WEEKDAYS[:5]},
    "sat": [],
    "sun": [],
}


def parse_hours(spec: Mapping[str, Iterable[Iterable[str]]]) -> tuple[tuple[Shift, ...], ...]:
    """{"mon": [["09:00", "12:00"], ["13:30", "18:00"]], …} → shifts per weekday (Monday first).

    ValueError for a time that does not parse, a shift that ends before it starts, or shifts that
    overlap. A weekday left out has no working hours."""
    unknown = set(spec) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday {sorted(unknown)[0]!r}")
    week: list[tuple[Shift, ...]] = []
    for day in WEEKDAYS:
        shifts = sorted(
            (time.fromisoformat(str(a)), time.fromisoformat(str(b))) for a, b in spec.get(day, ())
        )
        for start, end in shifts:
            if end <= start:
                raise ValueError(f"{day}: a shift must end after it starts ({start}–{end})")
        for (_s1, e1), (s2, _e2) in zip(shifts, shifts[1:], strict=False):
            if s2 < e1:
                raise ValueError(f"{day}: shifts overlap")
        week.append(tuple(shifts))
    return tuple(week)


@dataclass(frozen=True)
class WorkCalendar:
    """Working hours per weekday in a time zone, closed on the country's public holidays."""

    week: tuple[tuple[Shift, ...], ...]
    time_zone: str = "Asia/Shanghai"
    country: str = ""  # ISO code for `holidays` ("CN", "SK", "TW"); "" for no public holidays
    closed: frozenset[date] = frozenset()  # extra days off (a company holiday)
    open_days: frozenset[date] = frozenset()  # extra working days (they follow Monday's hours)

    @classmethod
    def standard(cls, *, time_zone: str = "Asia/Shanghai", country: str = "CN") -> WorkCalendar:
        return cls(parse_hours(STANDARD_HOURS), time_zone=time_zone, country=country)

    def shifts_on(self, day: date) -> tuple[Shift, ...]:
        """The working shifts of a calendar day (none on a holiday)."""
        if day in self.closed:
            return ()
        rules = _country_rules(self.country, day.year)
        if day in self.open_days or day in rules.workdays:
            return self.week[0] or next((s for s in self.week if s), ())
        if day in rules.holidays:
            return ()
        return self.week[day.weekday()]


@dataclass(frozen=True)
class _CountryRules:
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days declared working days (China's 调休)


@cache
def _country_rules(country: str, year: int) -> _CountryRules:
    if not country:
        return _CountryRules(frozenset(), frozenset())
    table = holidays_lib.country_holidays(country, years=year)
    return _CountryRules(
        frozenset(table.keys()),
        frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year),
    )


@dataclass
class WorkClock:
    """Deadlines and elapsed working time on one calendar (see the module docstring)."""

    calendar: WorkCalendar
    # Working intervals in microseconds since the epoch (integers: sums are exact), sorted, and
    # the working microseconds before each.
    _starts: list[int] = field(default_factory=list)
    _ends: list[int] = field(default_factory=list)
    _before: list[int] = field(default_factory=list)
    _first: date | None = None
    _last: date | None = None

    def __post_init__(self) -> None:
        if not any(self.calendar.week) and not self.calendar.open_days:
            raise ValueError("a working-time calendar needs some working hours")
        self._zone = ZoneInfo(self.calendar.time_zone)
        self._lo = self._hi = 0  # the instants the table covers with margin (see _cover)

    # Building the interval table ---------------------------------------------------------------

    def _intervals(self, first: date, last: date) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        day = first
        while day <= last:
            for start, end in self.calendar.shifts_on(day):
                a = _us(datetime.combine(day, start, self._zone))
                b = _us(datetime.combine(day, end, self._zone))
                if b > a:
                    out.append((a, b))
            day += timedelta(days=1)
        return out

    def _cover(self, instant: int) -> None:
        """Make sure the table reaches well beyond `instant` (a year on either side)."""
        if self._lo < instant < self._hi:  # the common case: a plain comparison
            return
        self._grow(instant)
        assert self._first is not None and self._last is not None
        # a week of margin on either side, as the growth rule below keeps
        self._lo = _us(datetime.combine(self._first + timedelta(days=8), time(), UTC))
        self._hi = _us(datetime.combine(self._last - timedelta(days=8), time(), UTC))

    def _grow(self, instant: int) -> None:
        day = (_EPOCH + timedelta(microseconds=instant)).date()
        if self._first is None:
            self._first, self._last = day - timedelta(days=7), day + timedelta(days=366)
            rows = self._intervals(self._first, self._last)
            self._starts = [a for a, _b in rows]
            self._ends = [b for _a, b in rows]
            self._before = []
            total = 0
            for a, b in rows:
                self._before.append(total)
                total += b - a
            return
        assert self._first is not None and self._last is not None
        if day - timedelta(days=7) < self._first:
            first = min(day - timedelta(days=366), self._first - timedelta(days=366))
            rows = self._intervals(first, self._first - timedelta(days=1))
            shift = sum(b - a for a, b in rows)
            self._before = [x + shift for x in self._before]
            before: list[int] = []
            total = 0
            for a, b in rows:
                before.append(total)
                total += b - a
            self._starts = [a for a, _b in rows] + self._starts
            self._ends = [b for _a, b in rows] + self._ends
            self._before = before + self._before
            self._first = first
        if day + timedelta(days=7) > self._last:
            last = max(day + timedelta(days=366), self._last + timedelta(days=366))
            rows = self._intervals(self._last + timedelta(days=1), last)
            total = self._total()
            for a, b in rows:
                self._starts.append(a)
                self._ends.append(b)
                self._before.append(total)
                total += b - a
            self._last = last

    def _total(self) -> int:
        return (self._before[-1] + self._ends[-1] - self._starts[-1]) if self._starts else 0

    # Working seconds since the table's start -------------------------------------------------

    def _cumulative(self, instant: int) -> int:
        self._cover(instant)
        i = bisect.bisect_right(self._starts, instant) - 1
        if i < 0:
            return 0
        return self._before[i] + min(instant, self._ends[i]) - self._starts[i]

    def _instant(self, cumulative: int) -> int:
        """The earliest instant at which `cumulative` working seconds have passed."""
        i = bisect.bisect_left(self._before, cumulative) - 1
        while True:
            if i < 0:
                i = 0
            if i >= len(self._starts):
                # beyond the table: grow it and try again
                self._cover(self._ends[-1] + _DAY * 30)
                i = bisect.bisect_left(self._before, cumulative) - 1
                continue
            length = self._ends[i] - self._starts[i]
            if self._before[i] + length >= cumulative:
                return self._starts[i] + (cumulative - self._before[i])
            i += 1

    # The interface -------------------------------------------------------------------------------

    def worked(
        self,
        start: datetime,
        end: datetime,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> timedelta:
        """Working time in [start, end), less the working time of the pauses inside it (a pause
        still open — end None — runs until `end`)."""
        a, b = _us(start), _us(end)
        if b <= a:
            return timedelta(0)
        # Both ends covered first: growing the table back in time re-bases the cumulative sums,
        # so a sum taken before that growth cannot be subtracted from one taken after it.
        self._cover(a)
        self._cover(b)
        total = self._cumulative(b) - self._cumulative(a)
        total -= self._paused_us(a, b, _pause_us(pauses))
        return timedelta(microseconds=max(total, 0))

    def deadline(
        self,
        start: datetime,
        duration: timedelta,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> datetime:
        """When `duration` of working time will have passed since `start` (aware, in the
        calendar's time zone), the working time of `pauses` not counted; a pause still open (end
        None) counts until now, so recompute the deadline when it ends."""
        a = _us(start)
        target = self._cumulative(a) + _span_us(duration)
        end = self._instant(target)
        if not pauses:  # the common case: no waiting to leave out
            return _at(max(end, a), self._zone)
        spans = _pause_us(pauses)
        for _round in range(len(spans) + 1):  # each pause that falls before the end moves it
            paused = self._paused_us(a, end, spans)
            moved = self._instant(target + paused)
            if moved == end:
                break
            end = moved
        # Nothing to work (or a start in a break): the deadline is not before the start.
        return _at(max(end, a), self._zone)

    def is_working(self, instant: datetime) -> bool:
        t = _us(instant)
        self._cover(t)
        i = bisect.bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def _paused_us(self, a: int, b: int, pauses: list[tuple[int, int]]) -> int:
        total = 0
        for p0, p1 in _disjoint(pauses):
            lo, hi = max(a, p0), min(b, p1)
            if hi > lo:
                total += self._cumulative(hi) - self._cumulative(lo)
        return total


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_DAY = 86_400_000_000


def _us(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (an aware datetime)."""
    return _span_us(instant - _EPOCH)


def _span_us(span: timedelta) -> int:
    # the fields, not `span // _MICRO`: twice as fast, and the clock runs this per deadline
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def _at(us: int, zone: ZoneInfo) -> datetime:
    """The instant `us` microseconds after the epoch, in `zone` (fold set by the zone)."""
    seconds, micro = divmod(us, 1_000_000)
    return datetime.fromtimestamp(seconds, zone).replace(microsecond=micro)


def _pause_us(pauses: Iterable[tuple[datetime, datetime | None]]) -> list[tuple[int, int]]:
    now = datetime.now(UTC)
    return [(_us(p0), _us(p1 or now)) for p0, p1 in pauses]


def _disjoint(pauses: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pauses with overlaps joined (two pauses at once count once)."""
    out: list[tuple[int, int]] = []
    for p0, p1 in sorted(pauses):
        if out and p0 <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], p1))
        elif p1 > p0:
            out.append((p0, p1))
    return out

"""The working-time clock: deadlines and durations in working hours, holidays, pauses, time zones."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.core.worktime import WorkCalendar, WorkClock, parse_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
BRATISLAVA = ZoneInfo("Europe/Bratislava")
CN = WorkClock(WorkCalendar.standard(time_zone="Asia/Shanghai", country="CN"))
SK = WorkClock(WorkCalendar.standard(time_zone="Europe/Bratislava", country="SK"))
# A shop open in two shifts on weekdays and a morning on Saturday, no public holidays.
SHOP = WorkClock(
    WorkCalendar(
        parse_hours(
            {
                **{d: [["08:30", "11:30"], ["14:00", "19:00"]] for d in ("mon", "tue", "wed")},
                "thu": [["08:30", "11:30"], ["14:00", "19:00"]],
                "fri": [["08:30", "11:30"], ["14:00", "19:00"]],
                "sat": [["09:00", "12:00"]],
            }
        ),
        time_zone="Asia/Taipei",
    )
)

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=40 * 3600).map(lambda s: timedelta(seconds=s))


@settings(max_examples=300, deadline=None)
@given(start=instants, duration=durations, clock=st.sampled_from([CN, SK, SHOP]))
def test_a_deadline_measured_back_is_the_duration(start, duration, clock):
    due = clock.deadline(start, duration)
    assert due >= start
    assert clock.worked(start, due) == duration


@settings(max_examples=200, deadline=None)
@given(a=instants, b=instants, c=instants, clock=st.sampled_from([CN, SK, SHOP]))
def test_working_time_adds_up_over_consecutive_spans(a, b, c, clock):
    a, b, c = sorted((a, b, c))
    assert clock.worked(a, b) + clock.worked(b, c) == clock.worked(a, c)
    assert clock.worked(a, c) <= c - a


@settings(max_examples=200, deadline=None)
@given(start=instants, duration=durations)
def test_a_deadline_never_falls_outside_working_hours_unless_it_is_the_start(start, duration):
    due = CN.deadline(start, duration)
    if duration:
        just_before = due - timedelta(microseconds=1)
        assert CN.is_working(just_before)


def test_spring_festival_week_and_the_saturdays_worked_for_it():
    friday_evening = datetime(2026, 2, 13, 17, 0, tzinfo=SHANGHAI)
    # One hour left on Friday; Saturday the 14th is a working day in exchange for the holiday.
    assert CN.deadline(friday_evening, timedelta(hours=2)) == datetime(
        2026, 2, 14, 10, 0, tzinfo=SHANGHAI
    )
    # A day's work from Saturday noon: the rest of Saturday (5 h), then nothing until Tuesday the
    # 24th (16–20 and 23 February are the holiday, 21–22 the weekend).
    assert CN.deadline(datetime(2026, 2, 14, 12, 0, tzinfo=SHANGHAI), timedelta(hours=8)) == (
        datetime(2026, 2, 24, 12, 0, tzinfo=SHANGHAI)
    )
    assert CN.worked(
        datetime(2026, 2, 15, 0, 0, tzinfo=SHANGHAI), datetime(2026, 2, 24, 0, 0, tzinfo=SHANGHAI)
    ) == timedelta(0)


def test_a_slovak_public_holiday_is_not_worked():
    # Epiphany, Tuesday 6 January 2026.
    monday_evening = datetime(2026, 1, 5, 17, 0, tzinfo=BRATISLAVA)
    assert SK.deadline(monday_evening, timedelta(hours=2)) == datetime(
        2026, 1, 7, 10, 0, tzinfo=BRATISLAVA
    )


def test_summer_time_does_not_change_the_working_day():
    # Clocks go forward in Bratislava on Sunday 29 March 2026; Monday still has 8 working hours.
    monday = datetime(2026, 3, 30, 9, 0, tzinfo=BRATISLAVA)
    assert SK.deadline(monday, timedelta(hours=8)) == datetime(
        2026, 3, 30, 18, 0, tzinfo=BRATISLAVA
    )
    friday = datetime(2026, 3, 27, 9, 0, tzinfo=BRATISLAVA)
    assert SK.worked(friday, monday + timedelta(hours=9)) == timedelta(hours=16)


def test_split_shifts_and_a_deadline_at_the_end_of_a_shift():
    start = datetime(2026, 12, 7, 8, 30, tzinfo=ZoneInfo("Asia/Taipei"))  # a Monday
    assert SHOP.deadline(start, timedelta(hours=3)) == start.replace(hour=11, minute=30)
    assert SHOP.deadline(start, timedelta(hours=3, minutes=1)) == start.replace(hour=14, minute=1)


def test_time_waiting_for_the_customer_does_not_count():
    start = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)  # Monday
    waiting = [(start.replace(hour=10), start.replace(hour=15))]  # 2 + 2 working hours paused
    assert CN.worked(start, start.replace(hour=18), pauses=waiting) == timedelta(hours=4)
    assert CN.deadline(start, timedelta(hours=4), pauses=waiting) == start.replace(hour=18)
    # Two overlapping pauses count once.
    both = [*waiting, (start.replace(hour=11), start.replace(hour=14))]
    assert CN.worked(start, start.replace(hour=18), pauses=both) == timedelta(hours=4)


def test_working_hours_are_checked():
    with pytest.raises(ValueError, match="end after"):
        parse_hours({"mon": [["12:00", "09:00"]]})
    with pytest.raises(ValueError, match="overlap"):
        parse_hours({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})
    with pytest.raises(ValueError, match="weekday"):
        parse_hours({"monday": [["09:00", "12:00"]]})
    with pytest.raises(ValueError, match="some working hours"):
        WorkClock(WorkCalendar(parse_hours({})))


def test_far_dates_grow_the_table_both_ways():
    clock = WorkClock(WorkCalendar.standard(country="CN"))
    late = datetime(2031, 6, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
    early = datetime(2021, 6, 1, 9, 0, tzinfo=SHANGHAI)  # a Tuesday
    assert clock.deadline(late, timedelta(hours=1)) == late.replace(hour=10)
    assert clock.deadline(early, timedelta(hours=1)) == early.replace(hour=10)
    assert clock.worked(early, early.replace(hour=12)) == timedelta(hours=3)


def test_a_span_reaching_back_before_what_the_clock_has_seen_is_counted_whole():
    """A long-running process has worked out this year's deadlines; then an old complaint's
    working time is asked for: the clock's table grows back in time meanwhile, and the answer
    is the same as a fresh clock's."""

    def fresh():
        return WorkClock(WorkCalendar.standard(time_zone="Europe/Bratislava", country="SK"))

    a = datetime(2024, 1, 15, 21, 48, 52, tzinfo=UTC)
    b = datetime(2026, 2, 10, 23, 39, 25, tzinfo=UTC)
    c = datetime(2026, 12, 10, 7, 22, 30, tzinfo=UTC)
    clock = fresh()
    clock.worked(b, c)  # the clock knows 2026 only
    assert clock.worked(a, b) == fresh().worked(a, b)
    assert clock.worked(a, b) + clock.worked(b, c) == clock.worked(a, c)

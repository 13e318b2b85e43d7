from datetime import date

from rapport.core.calendar import lunar_of, next_birthday


def test_lunar_birthday_moves_with_the_lunar_calendar():
    born = date(1990, 2, 27)  # lunar 1990-02-03
    assert lunar_of(born)[:2] == (2, 3)
    nxt = next_birthday(born, lunar=True, today=date(2026, 1, 1))
    assert lunar_of(nxt)[:2] == (2, 3)
    assert nxt.year == 2026 and nxt != date(2026, 2, 27)


def test_gregorian_birthday_and_29_february():
    assert next_birthday(date(1980, 5, 10), lunar=False, today=date(2026, 5, 11)) == date(
        2027, 5, 10
    )
    assert next_birthday(date(2000, 2, 29), lunar=False, today=date(2026, 2, 1)) == date(2026, 3, 1)

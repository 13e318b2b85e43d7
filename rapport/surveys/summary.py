"""The satisfaction dashboard's roll-up (`AnswerSummary`): written here with every answer stored,
changed or gone, rebuilt here from the answers.

Each answer counts once in each grain of GRAINS. A grain is the set of dimensions — attribute,
product, department, month — its rows are kept per (the survey and the answer's kind, measure,
value and label always); a dimension outside the grain holds its "any" value. The dashboard reads
the smallest grain holding its filters and its grouping: a few thousand rows instead of millions
(`grain_for`). One more grain keeps attribute × department per local day (`DAY_GRAIN`, the day in
the month column): the partial months at a period's edges are counted from it, not from the
answers (unless the period is filtered by product, which it does not hold).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from rapport.surveys.models import Answer, AnswerSummary

ATTRIBUTE, PRODUCT, DEPARTMENT, MONTH, DAY = 1, 2, 4, 8, 16
DIMENSIONS = {
    ATTRIBUTE: "attribute",
    PRODUCT: "product_id",
    DEPARTMENT: "department_id",
    MONTH: "month",
}
# The grains kept, in the order the dashboard prefers them (smallest first): attribute ×
# department × month serves the headline and the attribute, department and month tables; the
# grains with the product serve the product table under any filter; all four the rest.
GRAINS = (
    ATTRIBUTE | DEPARTMENT | MONTH,
    PRODUCT,
    PRODUCT | ATTRIBUTE,
    PRODUCT | DEPARTMENT,
    PRODUCT | MONTH,
    PRODUCT | ATTRIBUTE | DEPARTMENT,
    PRODUCT | ATTRIBUTE | MONTH,
    PRODUCT | DEPARTMENT | MONTH,
    PRODUCT | ATTRIBUTE | DEPARTMENT | MONTH,
)
# Attribute × department per day (settings.TIME_ZONE's calendar day, in the month column): the
# days of a period's partial months. Never chosen by `grain_for`.
DAY_GRAIN = ATTRIBUTE | DEPARTMENT | DAY
KEPT = (*GRAINS, DAY_GRAIN)  # every grain written
ANY_MONTH = date(1, 1, 1)
NO_VALUE = -1
KEY = (
    "grain",
    "month",
    "survey_id",
    "attribute",
    "product_id",
    "department_id",
    "kind",
    "measure",
    "value",
    "label",
)
SUMS = ("n", "gap_n", "sum_expectation", "sum_experience", "sum_gap")


def grain_for(dimensions: Iterable[str]) -> int:
    """The first kept grain holding all these dimensions (names as in DIMENSIONS)."""
    wanted = 0
    for bit, name in DIMENSIONS.items():
        if name in dimensions:
            wanted |= bit
    return next(g for g in GRAINS if g & wanted == wanted)


def local_day(moment: Any) -> date:
    """The calendar day of an aware time in settings.TIME_ZONE (the day grain's day)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _key(answer: Answer, grain: int) -> tuple[Any, ...]:
    return (
        grain,
        answer.month
        if grain & MONTH
        else local_day(answer.answered_at)
        if grain & DAY
        else ANY_MONTH,
        answer.survey_id,
        answer.attribute if grain & ATTRIBUTE else "",
        (answer.product_id or 0) if grain & PRODUCT else 0,
        (answer.department_id or 0) if grain & DEPARTMENT else 0,
        answer.kind,
        answer.measure,
        NO_VALUE if answer.value is None else answer.value,
        answer.label,
    )


def summary_add(answers: Iterable[Answer], *, sign: int = 1) -> None:
    """Count these answers in (sign 1) or out of (sign -1) the roll-up, in the caller's
    transaction. Rows are written in key order, so two writers never wait for each other in a
    circle."""
    deltas: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for answer in answers:
        known = answer.gap is not None
        for grain in KEPT:
            d = deltas[_key(answer, grain)]
            d[0] += sign
            if known:
                d[1] += sign
                d[2] += sign * (answer.expectation or 0)
                d[3] += sign * (answer.experience or 0)
                d[4] += sign * answer.gap
    if not deltas:
        return
    table = AnswerSummary._meta.db_table
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in (*KEY, *SUMS))
    updates = ", ".join(f"{qn(c)} = {table}.{qn(c)} + excluded.{qn(c)}" for c in SUMS)
    placeholders = "(" + ", ".join(["%s"] * (len(KEY) + len(SUMS))) + ")"
    adapt = connection.ops.adapt_datefield_value
    rows = [(k[0], adapt(k[1]), *k[2:], *d) for k, d in sorted(deltas.items(), key=_order)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))} "  # noqa: S608 (names are the model's)
                f"ON CONFLICT ({', '.join(qn(c) for c in KEY)}) DO UPDATE SET {updates}",
                [v for row in chunk for v in row],
            )


def _order(item: tuple[tuple[Any, ...], list[int]]) -> tuple[Any, ...]:
    return tuple(str(v) if isinstance(v, date) else v for v in item[0])


def answer_going(sender: Any, instance: Answer, **kwargs: Any) -> None:
    """pre_delete of an answer: however it goes (changed answers, a customer's erasure, a
    deleted invitation or customer — cascades that no service sees), it leaves the roll-up."""
    summary_add([instance], sign=-1)


def summary_rebuild(grains: Iterable[int] = KEPT) -> int:
    """Write the roll-up (or these of its grains) again from the answers, in one transaction;
    returns its rows."""
    table = AnswerSummary._meta.db_table
    qn = connection.ops.quote_name
    columns = ", ".join(qn(c) for c in (*KEY, *SUMS))
    grains = tuple(grains)
    day, day_params = connection.ops.datetime_cast_date_sql(
        qn("answered_at"), (), settings.TIME_ZONE
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if set(grains) == set(KEPT):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (the model's table)
        else:
            cursor.execute(
                f"DELETE FROM {table} WHERE grain IN ({', '.join(['%s'] * len(grains))})",  # noqa: S608
                grains,
            )
        for grain in grains:
            kept = {
                "month": "month" if grain & MONTH else day if grain & DAY else "%s",
                "attribute": "attribute" if grain & ATTRIBUTE else "''",
                "product_id": "COALESCE(product_id, 0)" if grain & PRODUCT else "0",
                "department_id": "COALESCE(department_id, 0)" if grain & DEPARTMENT else "0",
            }
            select = [
                str(grain),
                kept["month"],
                "survey_id",
                kept["attribute"],
                kept["product_id"],
                kept["department_id"],
                "kind",
                "measure",
                f"COALESCE(value, {NO_VALUE})",
                "label",
            ]
            # grouped by position: the day's expression holds a parameter
            group = [
                str(i) for i, e in enumerate(select, 1) if i > 1 and e not in ("%s", "''", "0")
            ]
            params: list[Any] = (
                []
                if grain & MONTH
                else list(day_params)
                if grain & DAY
                else [connection.ops.adapt_datefield_value(ANY_MONTH)]
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {', '.join(select)}, COUNT(*), "  # noqa: S608
                "COUNT(gap), COALESCE(SUM(CASE WHEN gap IS NOT NULL THEN expectation END), 0), "
                "COALESCE(SUM(CASE WHEN gap IS NOT NULL THEN experience END), 0), "
                f"COALESCE(SUM(gap), 0) FROM {Answer._meta.db_table} GROUP BY {', '.join(group)} "
                # written in key order: a grain's months lie together on disk, and a table read
                # by month reads a few pages, not a page per row
                f"ORDER BY {', '.join(group)}",
                params,
            )
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608 (the model's table)
        return int(cursor.fetchone()[0])

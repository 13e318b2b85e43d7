"""Reads: the satisfaction dashboard's figures (computed in the database, a handful of queries
whatever the number of answers), the customer panel, queues and the timeline."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Avg, Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.timeline import TimelineEntry
from rapport.surveys import scoring
from rapport.surveys.choices import Attribute, FollowUpState, GapLabel, Measure, QuestionKind
from rapport.surveys.models import (
    Answer,
    AnswerSummary,
    FollowUp,
    Suggestion,
    SurveyEvent,
)
from rapport.surveys.summary import DAY_GRAIN, NO_VALUE
from rapport.surveys.summary import grain_for as summary_grain_for

FILTERS = ("survey", "attribute", "product", "department", "date_from", "date_to", "customer")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        return None


def answer_queryset(filters: dict[str, Any] | None = None) -> QuerySet[Answer]:
    """Answers matching the dashboard's filters (survey, attribute, product, department, period
    from–to by answer day, customer). Unknown values match nothing; they never raise."""
    filters = filters or {}
    qs = Answer.objects.all()
    for name, column in (
        ("survey", "survey_id"),
        ("product", "product_id"),
        ("department", "department_id"),
        ("customer", "customer_id"),
    ):
        if filters.get(name) not in (None, ""):
            value = _int(filters[name])
            qs = qs.filter(**{column: value}) if value is not None else qs.none()
    if attribute := filters.get("attribute"):
        # Narrows the attribute tables; answers about no attribute (CSAT, NPS, effort) stay.
        qs = qs.filter(Q(attribute=str(attribute)) | Q(attribute=""))
    zone = timezone.get_current_timezone()
    if (start := _day(filters.get("date_from"))) is not None:
        qs = qs.filter(answered_at__gte=datetime.combine(start, time.min, zone))
    if (end := _day(filters.get("date_to"))) is not None:
        qs = qs.filter(answered_at__lt=datetime.combine(end, time.max, zone))
    return qs


def attribute_label(code: str) -> str:
    labels = dict(Attribute.choices)
    return str(labels.get(code, code or "—"))


@dataclass(frozen=True)
class GapRow:
    key: Any
    label: str
    n: int
    expectation: float | None
    experience: float | None
    gap: float | None
    dissatisfied: int
    satisfied: int
    delighted: int

    @property
    def verdict(self) -> str:
        """The label of the mean gap (rounded to one decimal), in the documents' terms."""
        if self.gap is None:
            return ""
        g = round(self.gap, 1)
        return (
            GapLabel.DISSATISFIED if g < 0 else GapLabel.SATISFIED if g == 0 else GapLabel.DELIGHTED
        ).value

    @property
    def verdict_label(self) -> str:
        return str(dict(GapLabel.choices).get(self.verdict, ""))

    def share(self, count: int) -> float:
        return 100 * count / self.n if self.n else 0.0


_GAP_AGGREGATES = {
    "n": Count("pk"),
    "expectation": Avg("expectation"),
    "experience": Avg("experience"),
    "gap": Avg("gap"),
    "dissatisfied": Count("pk", filter=Q(label=GapLabel.DISSATISFIED)),
    "satisfied": Count("pk", filter=Q(label=GapLabel.SATISFIED)),
    "delighted": Count("pk", filter=Q(label=GapLabel.DELIGHTED)),
}


def _gap_rows(qs: QuerySet[Answer], by: str, labeller: Any) -> list[GapRow]:
    rows = (
        qs.filter(kind=QuestionKind.PAIRED, gap__isnull=False)
        .values(by)
        .annotate(**_GAP_AGGREGATES)
        .order_by(by)
    )
    return [
        GapRow(
            key=r[by],
            label=labeller(r[by]),
            n=r["n"],
            expectation=r["expectation"],
            experience=r["experience"],
            gap=r["gap"],
            dissatisfied=r["dissatisfied"],
            satisfied=r["satisfied"],
            delighted=r["delighted"],
        )
        for r in rows
    ]


def gaps_by_attribute(qs: QuerySet[Answer]) -> list[GapRow]:
    return _gap_rows(qs, "attribute", attribute_label)


def gaps_by_product(qs: QuerySet[Answer]) -> list[GapRow]:
    from rapport.sales.models import Product

    rows = _gap_rows(qs, "product_id", lambda pk: "")
    names = {
        p.pk: str(p)
        for p in Product.objects.only("sku", "name").filter(pk__in=[r.key for r in rows if r.key])
    }
    return [GapRow(**{**r.__dict__, "label": names.get(r.key, _("no product"))}) for r in rows]


def gaps_by_department(qs: QuerySet[Answer]) -> list[GapRow]:
    from rapport.staff.models import Department

    rows = _gap_rows(qs, "department_id", lambda pk: "")
    names = {d.pk: str(d) for d in Department.objects.filter(pk__in=[r.key for r in rows if r.key])}
    return [GapRow(**{**r.__dict__, "label": names.get(r.key, _("no department"))}) for r in rows]


def gaps_by_month(qs: QuerySet[Answer]) -> list[GapRow]:
    rows = (
        qs.filter(kind=QuestionKind.PAIRED, gap__isnull=False)
        .values("month")
        .annotate(**_GAP_AGGREGATES)
        .order_by("month")
    )
    return [
        GapRow(
            key=r["month"],
            label=r["month"].strftime("%Y-%m") if r["month"] else "—",
            n=r["n"],
            expectation=r["expectation"],
            experience=r["experience"],
            gap=r["gap"],
            dissatisfied=r["dissatisfied"],
            satisfied=r["satisfied"],
            delighted=r["delighted"],
        )
        for r in rows
    ]


@dataclass(frozen=True)
class Headline:
    csat: scoring.Score
    nps: scoring.Score
    effort: scoring.Score
    promoters: int
    passives: int
    detractors: int


_CSAT_YES = Q(measure=Measure.CSAT) & (
    Q(kind=QuestionKind.SCALE_5, value__gte=4) | Q(kind=QuestionKind.SCALE_7, value__gte=5)
)


def headline(qs: QuerySet[Answer]) -> Headline:
    """CSAT, NPS and effort with their sample sizes and 95 % intervals, in one query."""
    return _headline(headline_counts(qs))


def headline_counts(qs: QuerySet[Answer]) -> dict[str, Any]:
    """The counts and sums behind the headline figures."""
    return dict(
        qs.aggregate(
            csat_n=Count("pk", filter=Q(measure=Measure.CSAT, value__isnull=False)),
            csat_yes=Count("pk", filter=_CSAT_YES),
            promoters=Count("pk", filter=Q(kind=QuestionKind.NPS, value__gte=9)),
            passives=Count("pk", filter=Q(kind=QuestionKind.NPS, value__gte=7, value__lte=8)),
            detractors=Count("pk", filter=Q(kind=QuestionKind.NPS, value__lte=6)),
            effort_n=Count("pk", filter=Q(measure=Measure.EFFORT, value__isnull=False)),
            effort_sum=Sum("value", filter=Q(measure=Measure.EFFORT)),
            effort_sq=Sum(F("value") * F("value"), filter=Q(measure=Measure.EFFORT)),
        )
    )


def _headline(figures: dict[str, Any]) -> Headline:
    figures = {k: v or 0 for k, v in figures.items()}
    return Headline(
        csat=scoring.csat(figures["csat_yes"], figures["csat_n"]),
        nps=scoring.nps(figures["promoters"], figures["passives"], figures["detractors"]),
        effort=scoring.mean_interval_from_sums(
            figures["effort_n"], float(figures["effort_sum"] or 0), float(figures["effort_sq"] or 0)
        ),
        promoters=figures["promoters"],
        passives=figures["passives"],
        detractors=figures["detractors"],
    )


@dataclass(frozen=True)
class GridPoint:
    attribute: str
    label: str
    importance: float
    performance: float
    n: int
    quadrant: str


IMPORTANCE_SAMPLE = 8_000  # the newest paired answers used for the correlation


def importance_performance(qs: QuerySet[Answer]) -> tuple[str, list[GridPoint]]:
    """Which attributes matter most and score worst.

    Performance is the mean experience, as a share of the scale (0–100 %). Importance is
    *derived*: the correlation (Pearson) of an attribute's experience with the same response's
    overall-satisfaction (CSAT) answer, over the newest IMPORTANCE_SAMPLE paired answers. When
    fewer than 5 responses have both, importance is *stated*: the mean expectation as a share of
    the scale (what customers expect most of, they care most about). Returns which was used
    ("derived" or "stated") and one point per attribute, with its quadrant split at the means.

    Two queries: the sample's oldest time, then the database sums the sample per attribute and scale (n, Σx, Σy, Σxy, Σx², Σy²
    of the pairs with an overall answer — a response with two takes the higher); the
    correlation is worked out from the sums, exactly (integers).
    """
    if qs.query.is_empty():
        return "stated", []
    paired = qs.filter(kind=QuestionKind.PAIRED, experience__isnull=False).order_by("-answered_at")
    columns = ["attribute", "expectation", "experience", "question__scale_max"]  # scales joined
    sums = (
        "SELECT s.attribute, COALESCE(s.top, 7), COUNT(*), SUM(s.expectation), "
        "SUM(s.experience), COUNT(s.y), SUM(CASE WHEN s.y IS NOT NULL THEN s.experience END), "
        "SUM(s.y), SUM(s.experience * s.y), "
        "SUM(CASE WHEN s.y IS NOT NULL THEN s.experience * s.experience END), SUM(s.y * s.y) "
        "FROM grid_sample s GROUP BY s.attribute, COALESCE(s.top, 7)"
    )
    try:
        if connection.vendor == "postgresql":
            # The overall answers of the period the sample spans (its oldest time read first: a
            # bound the planner sees, so it reads the answers' index by time), joined by response.
            overall = qs.filter(measure=Measure.CSAT, value__isnull=False)
            oldest = paired.values_list("answered_at", flat=True)[IMPORTANCE_SAMPLE - 1 :][:1]
            if oldest := list(oldest):
                overall = overall.filter(answered_at__gte=oldest[0])
            overall = overall.values("response_id").annotate(top=Max("value")).order_by()
            sample_sql, sample_params = paired.values_list("response_id", *columns)[
                :IMPORTANCE_SAMPLE
            ].query.sql_with_params()
            overall_sql, overall_params = overall.values_list(
                "response_id", "top"
            ).query.sql_with_params()
            sql = (
                f"WITH grid_paired (response_id, attribute, expectation, experience, top) AS "  # noqa: S608 (Django's queries, values as parameters)
                f"({sample_sql}), grid_overall (response_id, y) AS ({overall_sql}), "
                "grid_sample AS (SELECT p.attribute, p.expectation, p.experience, p.top, o.y "
                "FROM grid_paired p LEFT JOIN grid_overall o ON o.response_id = p.response_id) "
            )
            params = [*sample_params, *overall_params]
        else:
            # SQLite: the overall answer looked up per sampled answer, by its response (an index
            # probe each; a join to the period's overall answers is read without an index there).
            overall = (
                qs.filter(
                    response_id=OuterRef("response_id"), measure=Measure.CSAT, value__isnull=False
                )
                .order_by("-value")
                .values("value")[:1]
            )
            sample_sql, sample_params = (
                paired.annotate(overall=Subquery(overall))
                .values_list(*columns, "overall")[:IMPORTANCE_SAMPLE]
                .query.sql_with_params()
            )
            sql = (
                f"WITH grid_sample (attribute, expectation, experience, top, y) AS ({sample_sql}) "
            )
            params = list(sample_params)
    except EmptyResultSet:  # a filter no answer can match (an id out of range)
        return "stated", []
    with connection.cursor() as cursor:
        cursor.execute(sql + sums, params)
        found = cursor.fetchall()
    if not found:
        return "stated", []
    by_attribute: dict[str, list[int]] = {}
    share: dict[str, list[float]] = {}  # Σ (expectation − 1) / (top − 1), the same of experience
    for attribute, top, n, sum_x, sum_e, *pairs in found:
        sums = by_attribute.setdefault(attribute, [0] * 7)
        for i, v in enumerate((n, *pairs)):
            sums[i] += int(v or 0)
        shares = share.setdefault(attribute, [0.0, 0.0])
        shares[0] += (int(sum_x or 0) - n) / (top - 1)
        shares[1] += (int(sum_e or 0) - n) / (top - 1)
    derived = all(sums[1] >= 5 for sums in by_attribute.values())
    points = []
    for attribute, (n, m, sx, sy, sxy, sxx, syy) in sorted(by_attribute.items()):
        performance = 100 * share[attribute][1] / n
        if derived:
            importance = 100 * max(0.0, _pearson_from_sums(m, sx, sy, sxy, sxx, syy))
        else:
            importance = 100 * share[attribute][0] / n
        points.append((attribute, importance, performance, n))
    mean_i = sum(p[1] for p in points) / len(points)
    mean_p = sum(p[2] for p in points) / len(points)
    quadrants = {
        (True, False): _("Concentrate here"),
        (True, True): _("Keep up the good work"),
        (False, False): _("Low priority"),
        (False, True): _("Possible overkill"),
    }
    return "derived" if derived else "stated", [
        GridPoint(
            attribute=a,
            label=attribute_label(a),
            importance=i,
            performance=p,
            n=n,
            quadrant=str(quadrants[(i >= mean_i, p >= mean_p)]),
        )
        for a, i, p, n in points
    ]


def _pearson_from_sums(n: int, sx: int, sy: int, sxy: int, sxx: int, syy: int) -> float:
    """Pearson's r of n pairs from their sums (integers: no cancellation)."""
    if n < 2:
        return 0.0
    cov = n * sxy - sx * sy
    var_x, var_y = n * sxx - sx * sx, n * syy - sy * sy
    if var_x <= 0 or var_y <= 0:
        return 0.0
    return cov / math.sqrt(var_x * var_y)


def theme_counts(filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from rapport.surveys.choices import Theme

    labels = dict(Theme.choices)
    rows = Suggestion.objects.values("theme").annotate(n=Count("pk")).order_by("-n", "theme")
    return [
        {"theme": r["theme"], "label": labels.get(r["theme"], r["theme"]), "n": r["n"]}
        for r in rows
    ]


# The dashboard from the roll-up ------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard counts under one set of filters."""

    headline: Headline
    by_attribute: list[GapRow]
    by_product: list[GapRow]
    by_department: list[GapRow]
    by_month: list[GapRow]
    product_ids: list[int]  # the products answers under these filters are about


def _month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _answer_days(first: date, last: date, today: date) -> int:
    """How many days of answers lie in first–last (none after today)."""
    return max(0, (min(last, today) - first).days + 1)


def _period_plan(
    start: date | None, end: date | None, today: date
) -> tuple[date | None, date | None, list[tuple[date, date]], list[tuple[date, date]]]:
    """How to count the days start–end (either open): the roll-up's months first–last (None:
    open), plus the answers of the days in `add`, minus those of the days in `subtract` (first
    and last day of each range). A partial month at an edge is read from its answers, or taken
    whole from the roll-up less the answers of its other days — whichever reads fewer days."""
    first = start.replace(day=1) if start else None
    last = end.replace(day=1) if end else None
    add: list[tuple[date, date]] = []
    subtract: list[tuple[date, date]] = []
    if start and end and first == last and (start.day != 1 or end != _month_end(end)):
        month_end = _month_end(start)
        outside = _answer_days(start.replace(day=1), start - timedelta(days=1), today)
        outside += _answer_days(end + timedelta(days=1), month_end, today)
        if _answer_days(start, end, today) <= outside:
            return None, None, [(start, end)], []
        if start.day != 1:
            subtract.append((start.replace(day=1), start - timedelta(days=1)))
        if end != month_end:
            subtract.append((end + timedelta(days=1), month_end))
        return first, last, add, subtract
    if start and first and start.day != 1:
        month_end = _month_end(start)
        before = _answer_days(first, start - timedelta(days=1), today)
        if _answer_days(start, month_end, today) <= before:
            add.append((start, month_end))
            first = month_end + timedelta(days=1)
        else:
            subtract.append((first, start - timedelta(days=1)))
    if end and last and end != _month_end(end):
        after = _answer_days(end + timedelta(days=1), _month_end(end), today)
        if _answer_days(last, end, today) < after:
            add.append((last, end))
            last = (last - timedelta(days=1)).replace(day=1)
        else:
            subtract.append((end + timedelta(days=1), _month_end(end)))
    return first, last, add, subtract


@dataclass
class _Period:
    """The answers of a period's partial months to add and to take away (days first–last), and
    where to count them: the roll-up's day grain (`days`, under the same filters), or the
    answers (`answers`, the filters but the period) when the filters hold a product."""

    add: list[tuple[date, date]]
    subtract: list[tuple[date, date]]
    days: QuerySet[AnswerSummary] | None
    answers: QuerySet[Answer]


def _summary_and_edges(
    filters: dict[str, Any], raw: QuerySet[Answer]
) -> tuple[QuerySet[AnswerSummary] | None, set[str], _Period | None]:
    """The roll-up rows matching the filters, the dimensions they filter on, and the partial
    months of a period (see `_period_plan`); no roll-up for one customer's answers, which it
    does not keep."""
    if raw.query.is_empty() or filters.get("customer") not in (None, ""):
        return None, set(), None
    rows = AnswerSummary.objects.all()
    dimensions: set[str] = set()
    for name, column in (
        ("survey", "survey_id"),
        ("product", "product_id"),
        ("department", "department_id"),
    ):
        if filters.get(name) not in (None, ""):
            value = _int(filters[name]) or 0
            if value <= 0:  # 0 stands for "none" in the roll-up: no such record anyway
                return None, set(), None
            rows = rows.filter(**{column: value})
            if name != "survey":  # kept in every grain
                dimensions.add(column)
    if attribute := filters.get("attribute"):
        rows = rows.filter(attribute__in=[str(attribute), ""])
        dimensions.add("attribute")
    start, end = _day(filters.get("date_from")), _day(filters.get("date_to"))
    if start is None and end is None:
        return rows, dimensions, None
    undated_rows = rows
    dimensions.add("month")
    first, last, add, subtract = _period_plan(start, end, timezone.localdate())
    if (start and first is None) or (first and last and first > last):
        rows = rows.none()
    else:
        if first is not None:
            rows = rows.filter(month__gte=first)
        if last is not None:
            rows = rows.filter(month__lte=last)
    if not add and not subtract:
        return rows, dimensions, None
    return (
        rows,
        dimensions,
        _Period(
            add=add,
            subtract=subtract,
            days=None
            if "product_id" in dimensions
            else undated_rows.filter(grain=DAY_GRAIN, product_id=0),
            answers=answer_queryset(
                {k: v for k, v in filters.items() if k not in ("date_from", "date_to")}
            ),
        ),
    )


def _summary_days(ranges: list[tuple[date, date]]) -> Q:
    days = Q()
    for first, last in ranges:
        days |= Q(month__gte=first, month__lte=last)
    return days


def _days(ranges: list[tuple[date, date]]) -> Q:
    zone = timezone.get_current_timezone()
    days = Q()
    for first, last in ranges:
        days |= Q(
            answered_at__gte=datetime.combine(first, time.min, zone),
            answered_at__lt=datetime.combine(last, time.max, zone),
        )
    return days


_GAP_SUMS = {
    "pairs": Sum("gap_n"),
    "sum_x": Sum("sum_expectation"),
    "sum_e": Sum("sum_experience"),
    "sum_g": Sum("sum_gap"),
    "n_dis": Sum("n", filter=Q(label=GapLabel.DISSATISFIED)),
    "n_sat": Sum("n", filter=Q(label=GapLabel.SATISFIED)),
    "n_del": Sum("n", filter=Q(label=GapLabel.DELIGHTED)),
}
_GAP_SUMS_RAW = {
    "pairs": Count("pk"),
    "sum_x": Sum("expectation"),
    "sum_e": Sum("experience"),
    "sum_g": Sum("gap"),
    "n_dis": Count("pk", filter=Q(label=GapLabel.DISSATISFIED)),
    "n_sat": Count("pk", filter=Q(label=GapLabel.SATISFIED)),
    "n_del": Count("pk", filter=Q(label=GapLabel.DELIGHTED)),
}
_GAP_FIELDS = tuple(_GAP_SUMS)
_NONE_IS_ZERO = {"product_id", "department_id"}


def _sums_by(
    summary: QuerySet[AnswerSummary],
    dimensions: set[str],
    by: str,
    edges: dict[Any, list[int]],
    answered: dict[Any, int] | None = None,
) -> dict[Any, list[int]]:
    """Per value of `by`: the paired answers' count, sums and labels from the roll-up, plus
    those of the edges' answers. Added into `answered`: how many answers of any kind each value
    has (only paired answers have a count of pairs, sums or a label: no filter on the kind)."""
    totals = {k: list(v) for k, v in edges.items()}
    rows = (
        summary.filter(grain=summary_grain_for(dimensions | {by}))
        .values(by)
        .annotate(**_GAP_SUMS, answers=Sum("n"))
        .order_by()
    )
    for r in rows:
        key = None if by in _NONE_IS_ZERO and r[by] == 0 else r[by]
        if answered is not None:
            answered[key] = answered.get(key, 0) + int(r["answers"] or 0)
        if not r["pairs"]:
            continue
        into = totals.setdefault(key, [0] * len(_GAP_FIELDS))
        for i, name in enumerate(_GAP_FIELDS):
            into[i] += int(r[name] or 0)
    return {k: v for k, v in totals.items() if v[0]}


@dataclass
class _Edges:
    """The answers of a period's partial months, counted in two queries each way."""

    headline: dict[str, int]
    by: dict[str, dict[Any, list[int]]]
    product_answers: dict[Any, int]


def _count_edges(period: _Period | None) -> _Edges:
    counted = _Edges(
        headline=dict.fromkeys(
            (
                "csat_n",
                "csat_yes",
                "promoters",
                "passives",
                "detractors",
                "effort_n",
                "effort_sum",
                "effort_sq",
            ),
            0,
        ),
        by={"attribute": {}, "department_id": {}, "month": {}, "product_id": {}},
        product_answers={},
    )
    if period is None:
        return counted
    for ranges, sign in ((period.add, 1), (period.subtract, -1)):
        if not ranges:
            continue
        answers = period.answers.filter(_days(ranges))
        if period.days is None:
            cells = answers.values(*_CELLS).annotate(**_SUMS_RAW).order_by()
        else:  # the day grain: its rows as they are (one per key and day, the day in `month`)
            cells = period.days.filter(_summary_days(ranges)).values(
                *_CELLS,
                count=F("n"),
                pairs=F("gap_n"),
                sum_x=F("sum_expectation"),
                sum_e=F("sum_experience"),
                sum_g=F("sum_gap"),
            )
        _count_cells(counted, cells, sign, days=period.days is not None)
        products = answers.values("product_id", "kind", "label").annotate(**_SUMS_RAW).order_by()
        for r in products:
            _add_pairs(counted.by["product_id"], r["product_id"], r, sign)
            totals = counted.product_answers
            totals[r["product_id"]] = totals.get(r["product_id"], 0) + sign * r["count"]
    return counted


_CELLS = ("attribute", "department_id", "month", "kind", "measure", "value", "label")
_SUMS_RAW = {  # COUNT(*), not of the id: read from the covering index alone
    "count": Count("*"),
    "pairs": Count("gap"),
    "sum_x": Sum("expectation", filter=Q(gap__isnull=False)),
    "sum_e": Sum("experience", filter=Q(gap__isnull=False)),
    "sum_g": Sum("gap"),
}
_LABELS = (GapLabel.DISSATISFIED, GapLabel.SATISFIED, GapLabel.DELIGHTED)


def _add_pairs(table: dict[Any, list[int]], key: Any, r: dict[str, Any], sign: int) -> None:
    if r["kind"] != QuestionKind.PAIRED or not r["pairs"]:
        return
    into = table.setdefault(key, [0] * len(_GAP_FIELDS))
    for i, name in enumerate(("pairs", "sum_x", "sum_e", "sum_g")):
        into[i] += sign * int(r[name] or 0)
    if r["label"] in _LABELS:
        into[4 + _LABELS.index(r["label"])] += sign * int(r["pairs"])


def _count_cells(
    counted: _Edges, cells: Iterable[dict[str, Any]], sign: int, *, days: bool
) -> None:
    """Add the edges' cells (attribute, department, month or day, kind, measure, value, label
    with their count and sums) into the headline and the attribute, department and month
    tables; from the day grain (`days`), the roll-up's stand-ins for none are read back."""
    head = counted.headline
    for r in cells:
        if days:
            r["month"] = r["month"].replace(day=1)
            r["department_id"] = r["department_id"] or None
            r["value"] = None if r["value"] == NO_VALUE else r["value"]
        for by in ("attribute", "department_id", "month"):
            _add_pairs(counted.by[by], r[by], r, sign)
        value, kind, n = r["value"], r["kind"], sign * int(r["count"])
        if value is None:
            continue
        if r["measure"] == Measure.CSAT:
            head["csat_n"] += n
            if (kind == QuestionKind.SCALE_5 and value >= 4) or (
                kind == QuestionKind.SCALE_7 and value >= 5
            ):
                head["csat_yes"] += n
        elif r["measure"] == Measure.EFFORT:
            head["effort_n"] += n
            head["effort_sum"] += value * n
            head["effort_sq"] += value * value * n
        if kind == QuestionKind.NPS:
            group = "promoters" if value >= 9 else "passives" if value >= 7 else "detractors"
            head[group] += n


def _figures_from_answers(qs: QuerySet[Answer]) -> Figures:
    return Figures(
        headline=headline(qs),
        by_attribute=gaps_by_attribute(qs),
        by_product=gaps_by_product(qs),
        by_department=gaps_by_department(qs),
        by_month=gaps_by_month(qs),
        product_ids=sorted(
            qs.exclude(product_id=None).order_by().values_list("product_id", flat=True).distinct()
        ),
    )


def _gap_row(key: Any, label: str, sums: list[int]) -> GapRow:
    n, expectation, experience, gap, dissatisfied, satisfied, delighted = sums
    return GapRow(
        key=key,
        label=label,
        n=n,
        expectation=expectation / n,
        experience=experience / n,
        gap=gap / n,
        dissatisfied=dissatisfied,
        satisfied=satisfied,
        delighted=delighted,
    )


def _sorted(keys: Iterable[Any]) -> list[Any]:
    return sorted(keys, key=lambda k: (k is None, k))  # "no product" and the like last


def satisfaction_figures(filters: dict[str, Any] | None = None, *, summary: bool = True) -> Figures:
    """The dashboard's figures under its filters (as `answer_queryset` reads them), from the
    roll-up (`AnswerSummary`) and the answers of the partial months at a period's edges; with
    `summary=False`, from the answers alone (the same figures, slower)."""
    from rapport.sales.models import Product
    from rapport.staff.models import Department

    filters = filters or {}
    raw = answer_queryset(filters)
    rows, dimensions, period = _summary_and_edges(filters, raw)
    if not summary or rows is None:
        return _figures_from_answers(raw)
    edges = _count_edges(period)

    known = ~Q(value=NO_VALUE)
    effort = Q(measure=Measure.EFFORT) & known
    counted = rows.filter(grain=summary_grain_for(dimensions)).aggregate(
        csat_n=Sum("n", filter=Q(measure=Measure.CSAT) & known),
        csat_yes=Sum("n", filter=_CSAT_YES),
        promoters=Sum("n", filter=Q(kind=QuestionKind.NPS, value__gte=9)),
        passives=Sum("n", filter=Q(kind=QuestionKind.NPS, value__gte=7, value__lte=8)),
        detractors=Sum("n", filter=Q(kind=QuestionKind.NPS, value__gte=0, value__lte=6)),
        effort_n=Sum("n", filter=effort),
        effort_sum=Sum(F("value") * F("n"), filter=effort),
        effort_sq=Sum(F("value") * F("value") * F("n"), filter=effort),
    )
    figures = {k: edges.headline[k] + int(v or 0) for k, v in counted.items()}
    by_attribute = _sums_by(rows, dimensions, "attribute", edges.by["attribute"])
    answered = dict(edges.product_answers)
    by_product = _sums_by(rows, dimensions, "product_id", edges.by["product_id"], answered)
    product_ids = {k for k, n in answered.items() if k is not None and n > 0}
    by_department = _sums_by(rows, dimensions, "department_id", edges.by["department_id"])
    by_month = _sums_by(rows, dimensions, "month", edges.by["month"])
    product_names = {
        p.pk: str(p)
        for p in Product.objects.only("sku", "name").filter(pk__in=[k for k in by_product if k])
    }
    department_names = {
        d.pk: str(d) for d in Department.objects.filter(pk__in=[k for k in by_department if k])
    }
    return Figures(
        headline=_headline(figures),
        by_attribute=[
            _gap_row(k, attribute_label(k), by_attribute[k]) for k in _sorted(by_attribute)
        ],
        by_product=[
            _gap_row(k, product_names.get(k, _("no product")), by_product[k])
            for k in _sorted(by_product)
        ],
        by_department=[
            _gap_row(k, department_names.get(k, _("no department")), by_department[k])
            for k in _sorted(by_department)
        ],
        by_month=[
            _gap_row(k, k.strftime("%Y-%m") if k else "—", by_month[k]) for k in _sorted(by_month)
        ],
        product_ids=sorted(product_ids),
    )


# The customer page -------------------------------------------------------------------------


def customer_gaps(customer_id: int) -> dict[str, Any]:
    """Two queries: the gaps per attribute, and the open follow-ups."""
    return {
        "by_attribute": gaps_by_attribute(Answer.objects.filter(customer_id=customer_id)),
        "follow_ups": list(
            FollowUp.objects.filter(customer_id=customer_id, state=FollowUpState.OPEN).order_by(
                "due_at"
            )[:5]
        ),
    }


def follow_up_queue(*, state: str = FollowUpState.OPEN, user_id: int | None = None) -> QuerySet:
    qs = FollowUp.objects.select_related("customer", "invitation__survey", "assigned_to")
    if state:
        qs = qs.filter(state=state)
    if user_id is not None:
        qs = qs.filter(assigned_to_id=user_id)
    return qs


def survey_event_timeline(customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = SurveyEvent.objects.filter(customer_id=customer_id).order_by("-time", "-pk")[:limit]
    return [
        TimelineEntry(time=e.time, kind="survey", title=e.sentence(), actor=e.user_name)
        for e in rows
    ]


def filter_customers_by_gap(queryset: QuerySet, value: str) -> QuerySet:
    """Customers with at least one paired answer of this label."""
    if value not in GapLabel.values:
        return queryset.none()
    return queryset.filter(
        pk__in=Answer.objects.filter(kind=QuestionKind.PAIRED, label=value).values("customer_id")
    )


# The analytics source ----------------------------------------------------------------------

LABEL_SCORE = {GapLabel.DISSATISFIED: 2.0, GapLabel.SATISFIED: 4.0, GapLabel.DELIGHTED: 5.0}


def satisfaction_source(end: datetime) -> Any:
    """customer_id, satisfaction: the mean of a customer's answers up to `end` on a 1–5 scale —
    CSAT answers (a 1–7 answer rescaled) and paired answers by their label (dissatisfied 2,
    satisfied 4, delighted 5)."""
    import polars as pl

    qs = Answer.objects.filter(answered_at__lt=end)
    csat = qs.filter(measure=Measure.CSAT, value__isnull=False).values_list(
        "customer_id", "kind", "value"
    )
    paired = (
        qs.filter(kind=QuestionKind.PAIRED).exclude(label="").values_list("customer_id", "label")
    )
    ids: list[int] = []
    values: list[float] = []
    for customer_id, kind, value in csat.iterator(chunk_size=10_000):
        ids.append(customer_id)
        values.append(float(value) if kind == QuestionKind.SCALE_5 else 1 + (value - 1) * 4 / 6)
    for customer_id, label in paired.iterator(chunk_size=10_000):
        ids.append(customer_id)
        values.append(LABEL_SCORE[label])
    frame = pl.DataFrame(
        {"customer_id": ids, "satisfaction": values},
        schema={"customer_id": pl.Int64, "satisfaction": pl.Float64},
    )
    return frame.group_by("customer_id").agg(pl.col("satisfaction").mean())

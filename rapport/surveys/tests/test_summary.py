"""The satisfaction dashboard read from its roll-up shows exactly the figures the answers give,
under every filter, after answers are stored, imported, changed, erased and merged — and the
roll-up kept along the way is the one a rebuild writes."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from rapport.core.relations import customer_relations
from rapport.surveys import selectors, services
from rapport.surveys.models import Answer, AnswerSummary, Invitation
from rapport.surveys.summary import ATTRIBUTE, DAY_GRAIN, DEPARTMENT, MONTH, summary_rebuild
from rapport.surveys.tests.conftest import answers_for

pytestmark = pytest.mark.django_db


def _same(a, b) -> None:
    assert a.headline.promoters == b.headline.promoters
    assert a.headline.passives == b.headline.passives
    assert a.headline.detractors == b.headline.detractors
    for name in ("csat", "nps", "effort"):
        x, y = getattr(a.headline, name), getattr(b.headline, name)
        assert x.n == y.n
        assert x.value == pytest.approx(y.value)
    for table in ("by_attribute", "by_product", "by_department", "by_month"):
        # (the answers' own queries order a missing product first on SQLite, last on PostgreSQL)
        rows, raw = (
            sorted(getattr(x, table), key=lambda r: (r.key is None, r.key)) for x in (a, b)
        )
        assert [(r.key, r.label, r.n) for r in rows] == [(r.key, r.label, r.n) for r in raw]
        for r, s in zip(rows, raw, strict=True):
            assert (r.dissatisfied, r.satisfied, r.delighted) == (
                s.dissatisfied,
                s.satisfied,
                s.delighted,
            )
            assert (r.expectation, r.experience, r.gap) == pytest.approx(
                (float(s.expectation), float(s.experience), float(s.gap))
            )
    assert a.product_ids == b.product_ids


def _filter_sets(survey, products, department, customer) -> list[dict]:
    today = timezone.localdate()
    month = today.replace(day=1)
    before = (month - timedelta(days=1)).replace(day=1)
    end_of_before = month - timedelta(days=1)
    return [
        {},
        {"survey": survey.pk},
        {"survey": survey.pk + 1000},
        {"attribute": "delivery"},
        {"attribute": "quality", "department": department.pk},
        {"product": products[0].pk},
        {"product": products[1].pk, "attribute": "delivery"},
        {"department": department.pk},
        {"customer": customer.pk},
        {"product": "x"},
        {"product": "0"},
        {"date_from": (today - timedelta(days=90)).isoformat()},
        {"date_from": (today - timedelta(days=90)).isoformat(), "attribute": "delivery"},
        {"date_from": before.isoformat(), "date_to": end_of_before.isoformat()},  # a whole month
        {"date_from": (before + timedelta(days=3)).isoformat(), "date_to": today.isoformat()},
        {"date_from": "2025-01-01", "date_to": "2025-03-20", "product": products[0].pk},
        {"date_from": "2025-02-10", "date_to": "2025-02-20"},  # inside one month
        {"date_to": "2025-02-27"},
        {"date_from": "2025-02-28", "department": department.pk},
        {"date_from": "not a day"},
        # a partial month is read from its days' answers, or taken whole less the other days'
        {"date_from": "2025-02-02", "date_to": "2025-02-27"},
        {"date_from": "2025-02-01", "date_to": "2025-02-28", "attribute": "quality"},
        {"date_from": "2025-01-31", "date_to": "2025-02-14"},
        {"date_from": "2025-01-02", "date_to": "2025-03-30"},
        {"date_from": (today - timedelta(days=3)).isoformat(), "date_to": today.isoformat()},
        {"date_to": (today - timedelta(days=1)).isoformat(), "product": products[1].pk},
        # single days at a month's edge (the day grain; a day ends at local midnight)
        {"date_from": "2025-01-31", "date_to": "2025-01-31"},
        {"date_from": "2025-02-01", "date_to": "2025-02-01", "attribute": "delivery"},
        {"date_from": "2025-01-20", "date_to": "2025-02-01", "department": department.pk},
        {"date_from": "2025-02-15", "date_to": "2025-03-20", "survey": survey.pk},
    ]


def _check_all(filter_sets) -> None:
    for filters in filter_sets:
        _same(
            selectors.satisfaction_figures(filters),
            selectors.satisfaction_figures(filters, summary=False),
        )


def _kept() -> set[tuple]:
    return set(
        AnswerSummary.objects.filter(n__gt=0).values_list(
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
            "n",
            "gap_n",
            "sum_expectation",
            "sum_experience",
            "sum_gap",
        )
    )


def _check_rebuild() -> None:
    kept = _kept()
    summary_rebuild()
    assert _kept() == kept
    # The day grain adds up, month by month, to attribute × department × month.
    months: dict[tuple, list[int]] = {}
    for row in kept:
        if row[0] == DAY_GRAIN:
            key = (row[1].replace(day=1), *row[2:10])
            sums = months.setdefault(key, [0] * 5)
            for i, v in enumerate(row[10:]):
                sums[i] += v
    by_month = {
        (row[1], *row[2:10]): list(row[10:])
        for row in kept
        if row[0] == ATTRIBUTE | DEPARTMENT | MONTH
    }
    assert months == {k: v for k, v in by_month.items() if any(v)}
    assert months


def test_the_dashboard_from_the_roll_up_equals_the_answers_under_every_filter(
    survey, consenting, invite_and_link, make_product, manager
):
    from rapport.customers.services import customer_merge
    from rapport.staff.models import Department

    services.survey_update(
        by=manager, survey_id=survey.pk, expected_version=None, allow_changes=True
    )
    survey.refresh_from_db()
    products = [make_product(name="Kettle"), make_product(name="Toaster")]
    department, _c = Department.objects.get_or_create(code="logistics")
    customers = [consenting() for _ in range(5)]
    questions = {q.attribute or q.kind: q for q in survey.questions.exclude(kind="text")}

    # History from a file: answers over several months (no product, no department).
    rows = []
    zone = timezone.get_current_timezone()
    for i, (day, hour) in enumerate(
        [
            (date(2025, 1, 31), 23),  # the month's last hour, local time
            (date(2025, 2, 1), 0),
            (date(2025, 2, 15), 12),
            (date(2025, 2, 28), 9),
            (date(2025, 3, 20), 18),
            (timezone.localdate() - timedelta(days=40), 10),
        ]
    ):
        when = datetime.combine(day, time(hour, 30), zone)
        customer = customers[i % len(customers)]
        for attribute, pair in (("quality", (4, 3 + i % 3)), ("delivery", (5, 7 - i % 4))):
            rows.append(
                {
                    "survey_id": survey.pk,
                    "customer_id": customer.pk,
                    "question_id": questions[attribute].pk,
                    "answered_at": when,
                    "expectation": pair[0],
                    "experience": pair[1],
                }
            )
        rows.append(
            {
                "survey_id": survey.pk,
                "customer_id": customer.pk,
                "question_id": questions["scale_5"].pk,
                "answered_at": when,
                "value": 1 + i % 5,
            }
        )
        rows.append(
            {
                "survey_id": survey.pk,
                "customer_id": customer.pk,
                "question_id": questions["nps"].pk,
                "answered_at": when,
                "value": (3, 7, 9, 10, 6, 8)[i],
            }
        )
    services.answers_import(rows, by=manager)

    # Answers given today through the survey's page, about products and a department.
    invitations = []
    for i, customer in enumerate(customers):
        invitation, _t = invite_and_link(
            survey,
            customer,
            product_id=products[i % 2].pk,
            department_id=department.pk if i % 3 == 0 else None,
        )
        services.response_submit(
            invitation_id=invitation.pk,
            answers=answers_for(
                survey, quality=(5, 3 + i), delivery=(6, 7 - i), csat=1 + i, nps=2 * i, text="ok"
            ),
            by=None,
        )
        invitations.append(invitation)
    filter_sets = _filter_sets(survey, products, department, customers[0])
    _check_all(filter_sets)
    _check_rebuild()

    # A customer changes their answers (the survey allows it).
    services.response_submit(
        invitation_id=invitations[1].pk,
        answers=answers_for(survey, quality=(2, 7), delivery=(7, 1), csat=5, nps=10),
        by=None,
    )
    _check_all(filter_sets)
    _check_rebuild()

    # A customer's erasure takes their answers out of every figure: it deletes the rows the
    # relations declare Erase.delete() as rapport.privacy does (a raw delete of the rows and what
    # cascades from them), and a deleted invitation takes its answers along.
    erased = customers[2]
    assert Answer.objects.filter(customer=erased).exists()
    for relation in customer_relations():
        if relation.model._meta.app_label == "surveys" and relation.erase.action == "delete":
            relation.model._base_manager.filter(**{relation.field: erased.pk}).delete()
    assert not Answer.objects.filter(customer=erased).exists()
    _check_all(filter_sets)
    _check_rebuild()
    Invitation.objects.filter(pk=invitations[4].pk).delete()
    _check_all(filter_sets)
    _check_rebuild()

    # Two records of one person merged: the answers move, the figures stay.
    before = selectors.satisfaction_figures({})
    keep, other = customers[0], customers[3]
    keep.refresh_from_db()
    other.refresh_from_db()
    customer_merge(
        survivor_id=keep.pk,
        other_id=other.pk,
        by=manager,
        survivor_version=keep.version,
        other_version=other.version,
    )
    _same(selectors.satisfaction_figures({}), before)
    _check_all(filter_sets)
    _check_rebuild()
    assert AnswerSummary.objects.filter(n__gt=0).exists()

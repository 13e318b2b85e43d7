"""Survey answers by file: answers collected before Rapport (on paper, in another tool) or
Rapport's own export of answers, which imports again. One row per answer: the survey (its number
or name), the customer, the question (its number, its attribute, or its text in any language),
and the value (a choice by its number as exported, the first 0, or its text; several separated
by ";"), the expectation and experience (paired questions) or the text; rows of one
survey, customer and time make one response. The gap and the label are computed, never read.
The file is checked whole first: one bad row and nothing is imported, every row's error listed.
Imported answers are history: they open no follow-up and send nothing."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.actors import Actor
from rapport.imports.kinds.base import KindImporter, Progress, RowError, WriteCounts
from rapport.imports.mapping import CUSTOMER_NUMBER, T, Target
from rapport.imports.values import parse_datetime, split_list
from rapport.surveys.models import Answer

ANSWER_COLUMNS: tuple[Target, ...] = (
    T("survey", gettext_lazy("survey"), "问卷", "問卷", "prieskum", required=True),
    CUSTOMER_NUMBER,
    T("question", gettext_lazy("question"), "问题", "問題", "otázka", required=True),
    T("value", gettext_lazy("value"), "answer", "答案", "评分", "評分", "odpoveď", "hodnota"),
    T("expectation", gettext_lazy("expectation"), "期望", "očakávanie"),
    T("experience", gettext_lazy("experience"), "实际", "實際", "skúsenosť"),
    T("text", gettext_lazy("text"), "comment", "意见", "意見", "komentár"),
    T(
        "answered_at",
        gettext_lazy("answered at"),
        "date",
        "日期",
        "回答时间",
        "回答時間",
        "dátum",
        required=True,
    ),
    # In Rapport's export; computed again here, so the cells are not read.
    T("kind", gettext_lazy("kind"), "题型", "題型", "druh"),
    T("attribute", gettext_lazy("attribute"), "属性", "屬性", "atribút"),
    T("gap", gettext_lazy("gap"), "差距", "rozdiel"),
    T("label", gettext_lazy("label"), "标签", "標籤", "označenie"),
)


@dataclass(slots=True)
class AnswerRecord:
    row: int
    survey: str
    customer_id: int
    question: str
    answered_at: Any
    raw: dict[str, Any] = field(default_factory=dict)
    survey_id: int | None = None
    question_id: int | None = None
    value: dict[str, Any] = field(default_factory=dict)
    match_id: int | None = None  # always new (the pipeline counts updates by it)


class AnswerImporter(KindImporter):
    kind = "survey_answers"
    model = Answer
    duplicate_messages = {
        "answer": gettext_lazy("The same question answered at the same time as row %(row)d.")
    }

    def clean(self, row: int, cells: list[Any]) -> tuple[AnswerRecord | None, list[RowError]]:
        from rapport.customers.numbers import parse_customer_number

        errors: list[RowError] = []
        survey, question = self.text(cells, "survey"), self.text(cells, "question")
        if not survey:
            errors.append(RowError(row, self.column("survey"), _("This cell is empty.")))
        if not question:
            errors.append(RowError(row, self.column("question"), _("This cell is empty.")))
        customer = parse_customer_number(self.text(cells, "customer"))
        if customer is None:
            errors.append(RowError(row, self.column("customer"), _("Enter a customer number.")))
        try:
            when = parse_datetime(self.cell(cells, "answered_at"))
        except ValueError:
            when = None
        if when is None:
            errors.append(RowError(row, self.column("answered_at"), _("Enter a date and time.")))
        if errors:
            return None, errors
        raw = {
            "value": self.text(cells, "value") if self.has("value") else "",
            "expectation": self.text(cells, "expectation") if self.has("expectation") else "",
            "experience": self.text(cells, "experience") if self.has("experience") else "",
            "text": self.text(cells, "text") if self.has("text") else "",
        }
        assert customer is not None
        return AnswerRecord(row, survey, customer, question, when, raw), []

    def keys(self, record: AnswerRecord) -> Iterable[tuple[str, Hashable]]:
        key = (record.survey, record.customer_id, record.question, record.answered_at)
        yield "answer", key

    def resolve(self, records: list[AnswerRecord]) -> list[RowError]:
        from rapport.core.exceptions import ValidationError
        from rapport.customers.models import Customer
        from rapport.surveys.models import Question, Survey
        from rapport.surveys.services import _clean_answer

        ids = {r.customer_id for r in records}
        known = set(Customer.objects.filter(pk__in=ids).values_list("pk", flat=True))
        surveys = {str(s.pk): s.pk for s in Survey.objects.only("pk")}
        surveys.update({s.name.strip().lower(): s.pk for s in Survey.objects.only("pk", "name")})
        wanted = {surveys.get(r.survey.strip().lower()) for r in records} - {None}
        questions: dict[int, dict[str, Question]] = {}
        for q in Question.objects.filter(survey_id__in=wanted):
            names = questions.setdefault(q.survey_id, {})
            names[str(q.pk)] = q
            for text in q.text.values():
                names.setdefault(str(text).strip().lower(), q)
            if q.attribute:
                names.setdefault(q.attribute, q)
        errors: list[RowError] = []
        for r in records:
            if r.customer_id not in known:
                errors.append(RowError(r.row, self.column("customer"), _("No such customer.")))
            r.survey_id = surveys.get(r.survey.strip().lower())
            if r.survey_id is None:
                errors.append(RowError(r.row, self.column("survey"), _("No such survey.")))
                continue
            question = questions.get(r.survey_id, {}).get(r.question.strip().lower())
            if question is None:
                errors.append(
                    RowError(r.row, self.column("question"), _("The survey has no such question."))
                )
                continue
            r.question_id = question.pk
            raw = dict(r.raw)
            if question.kind in ("single", "multiple"):
                picked = [_option(question, v) for v in split_list(raw["value"])]
                raw["choices"], raw["value"] = picked, picked[0] if picked else ""
            try:
                value = _clean_answer(question, raw)
            except ValidationError as exc:
                message = next(iter(exc.message_dict.values()))[0]
                column = "expectation" if question.kind == "paired" else "value"
                errors.append(RowError(r.row, self.column(column), message))
                continue
            if value is None:
                errors.append(RowError(r.row, self.column("value"), _("This cell is empty.")))
                continue
            r.value = value
        return errors

    def decision(self, summary: AnswerRecord) -> tuple:
        return (summary.survey_id, summary.question_id, summary.value)

    def settle(self, record: AnswerRecord, decision: tuple) -> None:
        record.survey_id, record.question_id, record.value = decision

    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        from rapport.surveys.services import answers_import

        counts = WriteCounts()
        for batch in self.batches():
            created = answers_import(
                [
                    {
                        "survey_id": r.survey_id,
                        "customer_id": r.customer_id,
                        "question_id": r.question_id,
                        "answered_at": r.answered_at,
                        **r.value,
                    }
                    for r in batch
                ],
                by=by,
                note=note,
            )
            counts.created += created
            counts.unchanged += len(batch) - created
            progress(len(batch))
        return counts


def _option(question: Any, cell: str) -> Any:
    """A choice cell: the option's number as stored and exported (the first is 0), or its text
    in any language."""
    cell = cell.strip()
    if cell.isdigit():
        return cell
    for index, option in enumerate(question.options):
        texts = option.values() if isinstance(option, dict) else [option]
        if any(str(t).strip().lower() == cell.lower() for t in texts):
            return str(index)
    return cell  # refused by the answer's own check

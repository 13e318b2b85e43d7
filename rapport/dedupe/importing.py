"""Imports use the same matcher (registered into customers' import seam, see apps.py), and the page
where a person decides, row by row, about the rows an import stopped at because they probably are
an existing customer: the same person (update them), a new customer, or leave the row out.

The decisions go to a new run of the same file (rapport.imports.services.import_job_decided) in
the task worker; a decision that no longer holds stops that run before anything is written, so
the decisions are applied all together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.customers.importing.matching import PROBABLE_MATCH

NEW, SKIP = "new", "skip"
# what the rows nobody decided about become in the next run (the job's "probable_matches")
UNDECIDED = ("ask", "match", "new", "skip")


def register() -> None:
    from rapport.core.registry import ImportReview, register_import_review
    from rapport.customers.importing.matching import register_matcher
    from rapport.dedupe.services import import_matches

    register_matcher(import_matches)
    register_import_review(
        ImportReview(
            key=PROBABLE_MATCH,
            label=gettext_lazy("Decide about the rows that are probably existing customers"),
            url_name="dedupe:import_review",
            permission="imports.import_data",
        )
    )


@dataclass
class Candidate:
    customer: Any  # None: deleted or merged away since the check
    customer_id: int
    score: float | None
    words: str

    @property
    def value(self) -> str:
        from rapport.customers.numbers import customer_number

        return customer_number(self.customer_id)


@dataclass
class ReviewRow:
    row: int
    name: str
    birthday: str
    phones: list[str]
    emails: list[str]
    candidates: list[Candidate] = field(default_factory=list)
    message: str = ""
    chosen: str = ""  # what the page shows as chosen (the decision posted)

    def choices(self) -> set[str]:
        return {NEW, SKIP} | {c.value for c in self.candidates if c.customer is not None}


def review_rows(job: Any) -> list[ReviewRow]:
    """The rows of an import that wait for a decision, with the customers each probably is (one
    query for all of them), the evidence said in the active language."""
    from rapport.customers.models import Customer
    from rapport.dedupe.evidence import describe

    waiting = [e for e in job.errors or [] if e.get("review") == PROBABLE_MATCH]
    ids = {c["customer_id"] for e in waiting for c in (e.get("data") or {}).get("candidates", [])}
    customers = Customer.objects.in_bulk(ids) if ids else {}
    rows = []
    for e in waiting:
        data = e.get("data") or {}
        name = " ".join(p for p in (data.get("family_name"), data.get("given_name")) if p)
        rows.append(
            ReviewRow(
                row=int(e["row"]),
                name=name,
                birthday=str(data.get("birthday") or ""),
                phones=list(data.get("phones") or []),
                emails=list(data.get("emails") or []),
                message="" if data.get("candidates") else str(e.get("message") or ""),
                candidates=[
                    Candidate(
                        customer=customers.get(c["customer_id"]),
                        customer_id=c["customer_id"],
                        score=c.get("score"),
                        words=describe(c["evidence"]) if c.get("evidence") else c.get("words", ""),
                    )
                    for c in data.get("candidates", [])
                ],
            )
        )
    return rows


def import_decide(
    *, job_id: int, decisions: dict[int, str], undecided: str = "ask", by: Any
) -> Any:
    """Run the import again with a person's decision for rows that probably are existing
    customers: {row: "new" | "skip" | the customer number of one of the row's candidates}; the
    rows not decided follow `undecided` ("ask": they stop the import again). The run is handed to
    the task worker; returns its job."""
    from rapport.imports.choices import ImportStatus
    from rapport.imports.models import ImportJob
    from rapport.imports.services import import_job_decided, import_job_start

    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportStatus.INVALID:
        raise ValidationError(_("This import is not waiting for decisions."))
    rows = {r.row: r for r in review_rows(job)}
    if not rows:
        raise ValidationError(_("This import is not waiting for decisions."))
    if undecided not in UNDECIDED:
        raise ValidationError({"undecided": [_("Choose what the other rows become.")]})
    errors = []
    for row, decision in decisions.items():
        if row not in rows or decision not in rows[row].choices():
            errors.append(
                _("Row %(row)d: “%(decision)s” is not one of its choices.")
                % {"row": row, "decision": decision}
            )
    if not decisions and undecided == "ask":
        errors.append(_("Decide about at least one row."))
    if errors:
        raise ValidationError(errors)
    again = import_job_decided(
        job_id=job.pk,
        decisions={str(row): d for row, d in decisions.items()},
        options={"probable_matches": undecided},
        by=by,
    )
    return import_job_start(job_id=again.pk, background=True)

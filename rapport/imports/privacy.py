"""Uploaded import files and import jobs that name a person: what an access request lists and what
an erasure removes (registered as a personal-data holder in `apps.py`).

An uploaded file stays on disk after its import (a check can be imported, a failed job run
again) until the retention period (RAPPORT_RETENTION_IMPORT_FILES_DAYS) ends. A file with a row
that names the person — their number, external id, email, phone, or full name — is listed row by
row in an access export; an erasure deletes the whole file (a spreadsheet is not edited in place)
and redacts any error message of any job that quotes one of the person's values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from rapport.core.relations import Person, fold
from rapport.imports.models import ImportEvent, ImportJob
from rapport.imports.readers import UnreadableFile, open_table

REDACTED = "—"
_DIGITS = re.compile(r"\D+")


def _digits(value: str) -> str:
    return _DIGITS.sub("", value)


class _Matcher:
    def __init__(self, person: Person) -> None:
        self.values = person.identifying() | {fold(person.number)}
        self.names = {fold(n) for n in person.names if n}
        self.phones = {_digits(p) for p in person.phones if len(_digits(p)) >= 8}

    def cell(self, text: str) -> bool:
        if text in self.values or text in self.names:  # a two-character Chinese name too
            return True
        digits = _digits(text)
        return len(digits) >= 8 and any(p.endswith(digits) for p in self.phones)

    def row(self, cells: list[Any]) -> bool:
        texts = [fold(c) for c in cells if c not in (None, "")]
        if any(self.cell(t) for t in texts):
            return True
        # a name split over two columns (family name, given name), in either order
        for a in texts:
            for b in texts:
                if a is not b and (f"{a} {b}" in self.names or f"{a}{b}" in self.names):
                    return True
        return False


def _files() -> dict[str, list[ImportJob]]:
    """Every stored upload that is still on disk, with the jobs that read it."""
    media = Path(settings.MEDIA_ROOT).resolve()
    by_path: dict[str, list[ImportJob]] = {}
    for job in ImportJob.objects.exclude(file_path="").order_by("pk"):
        by_path.setdefault(job.file_path, []).append(job)
    return {
        path: jobs
        for path, jobs in by_path.items()
        if Path(path).is_file() and Path(path).resolve().is_relative_to(media)
    }


def _matching_rows(path: str, name: str, matcher: _Matcher) -> Iterator[dict[str, Any]]:
    try:
        table = open_table(path, name)
        for number, cells in table.rows:
            if matcher.row(cells):
                yield {
                    "row": number,
                    "cells": {
                        (
                            table.headers[i]
                            if i < len(table.headers) and table.headers[i]
                            else str(i + 1)
                        ): ("" if c is None else str(c))
                        for i, c in enumerate(cells)
                    },
                }
    except (UnreadableFile, OSError, ValueError):
        return


def person_import_rows(person: Person) -> list[dict[str, Any]]:
    """The rows of stored uploads that name the person: file, when uploaded, row number, cells."""
    matcher = _Matcher(person)
    found = []
    for path, jobs in _files().items():
        job = jobs[0]
        for row in _matching_rows(path, job.file_name, matcher):
            found.append(
                {
                    "file": job.file_name,
                    "uploaded_at": job.created_at.isoformat(),
                    "row": row["row"],
                    "cells": row["cells"],
                }
            )
    return found


def _quotes(value: Any, values: Iterable[str]) -> bool:
    text = fold(value)
    return any(v in text for v in values)


@transaction.atomic
def person_import_erase(person: Person) -> int:
    """Delete every stored upload with a row naming the person (the jobs keep their counts and say
    the file is gone) and redact job messages and row errors that quote the person's values.
    Returns how many files and jobs were touched."""
    matcher = _Matcher(person)
    touched = 0
    for path, jobs in _files().items():
        if next(_matching_rows(path, jobs[0].file_name, matcher), None) is None:
            continue
        delete_upload(Path(path))
        ImportJob.objects.filter(file_path=path).update(file_path="")
        touched += 1
    values = person.all_values() | {fold(person.number)}
    for job in ImportJob.objects.only("pk", "errors", "message"):
        errors = [
            {**e, "message": REDACTED, "value": REDACTED} if _quotes(e, values) else e
            for e in job.errors or []
        ]
        message = REDACTED if _quotes(job.message, values) else job.message
        if errors != job.errors or message != job.message:
            ImportJob.objects.filter(pk=job.pk).update(errors=errors, message=message)
            touched += 1
    # an event's reason may quote what the database refused
    for event in ImportEvent.objects.exclude(parameters={}).only("pk", "parameters"):
        if _quotes(event.parameters, values):
            ImportEvent.objects.filter(pk=event.pk).update(
                parameters={
                    k: (REDACTED if isinstance(v, str) and _quotes(v, values) else v)
                    for k, v in event.parameters.items()
                }
            )
            touched += 1
    return touched


def delete_upload(path: Path) -> None:
    """Delete an uploaded file (and its folder, once empty) when the transaction commits: an
    erasure or a purge that is rolled back keeps the file its rows still point to."""
    transaction.on_commit(lambda: _delete_now(path))


def _delete_now(path: Path) -> None:
    path.unlink(missing_ok=True)
    media = Path(settings.MEDIA_ROOT).resolve()
    folder = path.parent
    # the upload's own folder (imports/<uuid>/), if nothing else is in it
    if folder.resolve() != media and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()

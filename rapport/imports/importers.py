"""The import pipeline, the same for the web page, the CLI and the background task.

Read the file, map its columns, validate every row (nothing touches the data yet), then write
the valid records in one transaction. See rapport.imports.kinds.base for the steps of a kind.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.registry import import_kind
from rapport.imports import parallel
from rapport.imports.kinds.base import KindImporter, RowError, WriteCounts
from rapport.imports.mapping import ColumnPlan, map_columns
from rapport.imports.readers import UnreadableFile, open_table

MAX_ERRORS = 10_000  # kept on the job; the count of all of them is kept too


@dataclass
class Validation:
    """Every row checked; the records to write wait in `importer`."""

    importer: KindImporter | None
    plan: ColumnPlan | None
    total_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    invalid_rows: set[int] = field(default_factory=set)
    fatal: bool = False  # the file as a whole cannot be imported (unreadable, bad columns)
    undecided: int = 0  # rows waiting for a person's decision (RowError.review): nothing is written

    def add(self, errors: list[RowError], *, fatal: bool = False) -> None:
        self.error_count += len(errors)
        self.undecided += sum(1 for e in errors if e.review)
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])
        self.invalid_rows.update(e.row for e in errors if not fatal)
        self.fatal = self.fatal or fatal

    @property
    def to_create(self) -> int:
        return self.importer.to_create if self.importer else 0

    @property
    def to_update(self) -> int:
        return self.importer.to_update if self.importer else 0

    def close(self) -> None:
        if self.importer:
            self.importer.close()


def validate_file(
    *,
    kind: str,
    path: str | Path,
    file_name: str = "",
    column_map: dict[str, str] | None = None,
    region: str | None = None,
    progress: Callable[[int], None] | None = None,
    expected_rows: int = 0,
    after_chunk: Callable[[Validation], None] | None = None,
    options: dict[str, Any] | None = None,
) -> Validation:
    """Read and check every row of the file; nothing is written. Call `.close()` when done.

    Files of `expected_rows` >= RAPPORT_IMPORT_PARALLEL_ROWS have their rows checked in worker
    processes (see rapport.imports.parallel). `after_chunk`, if given, is called after each chunk
    of rows has been checked and kept, with the importer streaming (see import_file).
    """
    try:
        table = open_table(path, file_name or None)
    except UnreadableFile as exc:
        result = Validation(importer=None, plan=None)
        result.add([RowError(1, "", str(exc))], fatal=True)
        return result
    plan = map_columns(kind, table.headers, column_map)
    importer = importer_class(kind)(plan, region=region, options=options)
    importer.streaming = after_chunk is not None
    result = Validation(importer=importer, plan=plan)
    if plan.problems:
        result.add([RowError(table.header_row, col, msg) for col, msg in plan.problems], fatal=True)
        result.total_rows = sum(1 for _row in table.rows)  # say how many rows, check none
        return result
    threshold = parallel.min_rows()
    if importer.parallel and threshold and expected_rows >= threshold and parallel.workers() > 1:
        checked = parallel.check_rows_in_workers(importer, table.rows, column_map=column_map)
    else:
        checked = parallel.check_rows(importer, table.rows, name=file_name or str(path))
    try:
        for records, results in checked:
            passed = []
            for _row, summary, errors in results:
                result.total_rows += 1
                if not errors:
                    errors = importer.accept(summary)
                if errors:
                    result.add(errors)
                else:
                    passed.append(summary)
            if passed:
                problems = importer.resolve(passed)
                result.add(problems)
                bad = {e.row for e in problems}
                importer.keep(records, [s for s in passed if s.row not in bad])
            if after_chunk:
                after_chunk(result)
            if progress:
                progress(result.total_rows)
    except UnreadableFile as exc:
        result.add([RowError(1, "", str(exc))], fatal=True)
    if not result.fatal:
        result.add(importer.finish(result.invalid_rows))
    if not result.total_rows and not result.fatal:
        result.add(
            [RowError(table.header_row, "", _("The file has no rows to import."))], fatal=True
        )
    result.errors.sort(key=lambda e: e.row)  # stable: a row's errors stay in column order
    return result


def write_validated(
    validation: Validation,
    *,
    by: Actor,
    note: str,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> WriteCounts:
    """Write the valid records in one transaction (all of them, or none if anything fails,
    `before_commit` included)."""
    assert validation.importer is not None and not validation.fatal
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done)

    with _big_cache(), transaction.atomic():
        counts = validation.importer.write(by=by, note=note, progress=advance)
        if before_commit:
            before_commit()
        return counts


class _NotWritten(Exception):
    """Rolls the streamed writes back: the file has errors and every row had to be valid."""


def importer_class(kind: str) -> type[KindImporter]:
    """The importer the app that owns `kind` registered (rapport.core.registry)."""
    return import_string(import_kind(kind).importer.replace(":", "."))


def streams(kind: str) -> bool:
    return importer_class(kind).streams


def import_file(
    *,
    kind: str,
    path: str | Path,
    file_name: str = "",
    column_map: dict[str, str] | None = None,
    region: str | None = None,
    all_or_nothing: bool = True,
    by: Actor,
    note: str,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[], None] | None = None,
    expected_rows: int = 0,
    options: dict[str, Any] | None = None,
) -> tuple[Validation, WriteCounts | None]:
    """Check and write the file in one transaction, each chunk of rows written as soon as it has
    been checked, so that checking (in worker processes) and writing (here) overlap. Kinds whose
    importer `streams` only (customers).

    Nothing is visible to anyone before the commit, and the commit happens only when the whole
    file has been checked: with errors and `all_or_nothing`, the writes stop at the first error,
    the rest of the file is still checked (to list every error) and everything is rolled back.
    Returns the validation (call `.close()`) and the counts, or None when nothing was written.
    """
    counts = WriteCounts()
    validation: Validation | None = None

    def write_kept(result: Validation) -> None:
        importer = result.importer
        assert importer is not None
        if result.fatal or result.undecided or (all_or_nothing and result.error_count):
            importer.discard_kept()
            return
        done = importer.write(by=by, note=note, progress=lambda n: None)
        counts.created += done.created
        counts.updated += done.updated
        counts.unchanged += done.unchanged

    try:
        with _big_cache(), transaction.atomic():
            validation = validate_file(
                kind=kind,
                path=path,
                file_name=file_name,
                column_map=column_map,
                region=region,
                progress=progress,
                expected_rows=expected_rows,
                after_chunk=write_kept,
                options=options,
            )
            if (
                validation.fatal
                or validation.undecided
                or (all_or_nothing and validation.error_count)
            ):
                raise _NotWritten
            if validation.importer is not None:
                write_kept(validation)  # what the last checks kept, if anything
            if before_commit:
                before_commit()
    except _NotWritten:
        assert validation is not None
        if validation.importer is not None:
            validation.importer.discard_kept()
        return validation, None
    except BaseException:
        if validation is not None:
            validation.close()
        raise
    return validation, counts


# SQLite's page cache for the connection while an import writes (KiB): the indexes of the
# customers, their search terms and the history are updated at random places, and SQLite's
# default cache (2 MiB) makes each of those a read from the file once the tables outgrow it.
SQLITE_IMPORT_CACHE_KIB = 131_072


@contextmanager
def _big_cache() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")

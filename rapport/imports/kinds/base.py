"""What every kind of import does, in the order the pipeline calls it.

1. `clean(row, cells)`: one row, no database: the record or the row's errors (pure, so its
   results can be cached and it can run in another process).
2. `summary(record)`: the part of the record the next steps need.
3. `accept(summary)`: checks against the earlier rows of the file (duplicates).
4. `resolve(summaries)`: a chunk of rows against the database (match existing records, look up
   references), a fixed number of queries per chunk.
5. `keep(records, summaries)`: the chunk's records, pickled, and what resolve() decided.
6. `finish(invalid_rows)`: last word once the whole file is read (orders drop incomplete orders).
7. `write(…)`: inside one transaction, creates and updates in bulk, with history.
"""

import abc
import pickle
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.imports.mapping import ColumnPlan, targets_by_field
from rapport.imports.values import text


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str
    # A row waiting for a person's decision rather than a mistake in the file: the import stops
    # before writing anything, whatever its mode, and the page registered for this key
    # (rapport.core.registry.register_import_review) asks; `data` is what that page shows.
    review: str = ""
    data: dict[str, Any] | None = field(default=None, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        out = {"row": self.row, "column": self.column, "message": self.message}
        if self.review:
            out.update(review=self.review, data=self.data or {})
        return out


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


Progress = Callable[[int], None]


class Spool:
    """Checked records waiting for the write, in a temporary file so memory stays flat however
    long the file is. Each entry is a chunk of records as pickled where they were checked (a
    worker process, maybe) and what the checks against the database decided for each row."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by close())
        self.count = 0

    def add(self, records: bytes, decisions: dict[int, tuple]) -> None:
        if decisions:
            pickle.dump((records, decisions), self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self.count += len(decisions)

    def chunks(self) -> Iterator[tuple[list[Any], dict[int, tuple]]]:
        self._file.seek(0)
        while True:
            try:
                records, decisions = pickle.load(self._file)  # noqa: S301  (our own file)
            except EOFError:
                return
            yield pickle.loads(records), decisions  # noqa: S301  (pickled by our own workers)

    def close(self) -> None:
        self._file.close()


class KindImporter(abc.ABC):
    kind: ClassVar[str]
    model: ClassVar[type[models.Model]]
    # field -> the field whose column an error on it should point at, when it has none of its own
    error_columns: ClassVar[dict[str, str]] = {}
    # clean() has no side effects, so rows may be checked in other processes
    parallel: ClassVar[bool] = True
    # the records wait for the write in the spool (orders keep theirs in memory, grouped)
    spools: ClassVar[bool] = True
    # the records may be written chunk by chunk while the rest of the file is checked (see
    # rapport.imports.importers.import_file): resolve() must then not match a record this import
    # created
    streams: ClassVar[bool] = False
    # key field -> the whole sentence for a row that repeats an earlier row's key (translators
    # get whole sentences, never a field name glued into one); %(row)d and %(value)s
    duplicate_messages: ClassVar[dict[str, Any]] = {}

    def __init__(
        self, plan: ColumnPlan, *, region: str | None = None, options: dict[str, Any] | None = None
    ) -> None:
        self.plan = plan
        self.options = dict(options or {})  # the job's choices for this kind (ImportJob.options)
        self.region = region or settings.RAPPORT_DEFAULT_REGION
        self.targets = targets = targets_by_field(plan.kind)
        self.index: dict[str, int] = {}
        self.multi: dict[str, list[int]] = {}
        for i, name in plan.columns:
            if targets[name].multi:
                self.multi.setdefault(name, []).append(i)
            else:
                self.index.setdefault(name, i)
        self._seen: dict[str, dict[Hashable, int]] = {}
        self._matched: dict[int, int] = {}  # existing record -> the row that updates it
        self.spool = Spool()
        self.streaming = False  # set by the pipeline before the first row
        self._kept: list[tuple[bytes, dict[int, tuple]]] = []
        self.to_create = 0
        self.to_update = 0

    # Reading cells ---------------------------------------------------------------------------

    def has(self, name: str) -> bool:
        return name in self.index or name in self.multi

    def cell(self, cells: list[Any], name: str) -> Any:
        i = self.index.get(name)
        return cells[i] if i is not None and i < len(cells) else None

    def text(self, cells: list[Any], name: str) -> str:
        return text(self.cell(cells, name))

    def cells_of(self, cells: list[Any], name: str) -> Iterator[tuple[str, Any]]:
        """(header, cell) for each column of a field that may repeat (phones, emails)."""
        for i in self.multi.get(name, ()):
            if i < len(cells):
                yield self.plan.headers[i], cells[i]

    def column(self, name: str) -> str:
        header = self.plan.header_for(name)
        if not header and name in self.error_columns:
            header = self.plan.header_for(self.error_columns[name])
        return header

    def errors_from(
        self, row: int, exc: ValidationError, column: str | None = None
    ) -> list[RowError]:
        """A service's ValidationError as row errors, each on the column its field came from."""
        if column is not None or not hasattr(exc, "error_dict"):
            return [RowError(row, column or "", m) for m in exc.messages]
        return [
            RowError(row, self.column(name) if name != "__all__" else "", message)
            for name, messages in exc.message_dict.items()
            for message in messages
        ]

    # The steps -------------------------------------------------------------------------------

    @abc.abstractmethod
    def clean(self, row: int, cells: list[Any]) -> tuple[Any, list[RowError]]:
        """The row's record and no errors, or None and the row's errors (no database access)."""

    def keys(self, record: Any) -> Iterable[tuple[str, Hashable]]:
        """(field, value) pairs that must be unique within the file."""
        return ()

    def accept(self, record: Any) -> list[RowError]:
        """Refuse a record whose key an earlier row of the file has."""
        keys = list(self.keys(record))
        errors = []
        for name, value in keys:
            first = self._seen.get(name, {}).get(value)
            if first is not None:
                message = self.duplicate_messages.get(name) or _(
                    "The same value as in row %(row)d: “%(value)s”."
                )
                errors.append(
                    RowError(
                        record.row, self.column(name), message % {"row": first, "value": value}
                    )
                )
        if not errors:
            for name, value in keys:
                self._seen.setdefault(name, {})[value] = record.row
        return errors

    def matched_once(self, record: Any, match: int, label: str) -> list[RowError]:
        """Two rows of one file must not update the same record."""
        first = self._matched.setdefault(match, record.row)
        if first == record.row:
            return []
        return [
            RowError(
                record.row,
                "",
                _("Row %(row)d updates the same record (%(record)s).")
                % {"row": first, "record": label},
            )
        ]

    def resolve(self, records: list[Any]) -> list[RowError]:
        return []

    def summary(self, record: Any) -> Any:
        """What accept() and resolve() look at: a record, or a small part of it that travels
        cheaply between processes. resolve() sets its `match_id`."""
        return record

    def decision(self, summary: Any) -> tuple:
        """What resolve() found for a row, to apply to the record before the write: (match_id,)."""
        return (summary.match_id,)

    def settle(self, record: Any, decision: tuple) -> None:
        record.match_id = decision[0]

    def keep(self, records: bytes | None, summaries: list[Any]) -> None:
        """Hold the chunk's records (pickled) for the write; `summaries` are the rows that passed."""
        decisions = {s.row: self.decision(s) for s in summaries}
        if self.streaming:
            if decisions:
                self._kept.append((records or b"", decisions))
        else:
            self.spool.add(records or b"", decisions)
        updates = sum(1 for s in summaries if s.match_id is not None)
        self.to_update += updates
        self.to_create += len(summaries) - updates

    def discard_kept(self) -> None:
        """Streaming: forget the records kept since the last write (the import will not be written)."""
        self._kept.clear()

    def _kept_chunks(self) -> Iterator[tuple[list[Any], dict[int, tuple]]]:
        while self._kept:
            records, decisions = self._kept.pop(0)
            yield pickle.loads(records), decisions  # noqa: S301  (pickled by our own workers)

    def batches(self) -> Iterator[list[Any]]:
        """The records that passed every check, with what resolve() decided, a chunk at a time
        (streaming: those kept since the last write)."""
        chunks = self._kept_chunks() if self.streaming else self.spool.chunks()
        for records, decisions in chunks:
            batch = []
            for record in records:
                if (decision := decisions.get(record.row)) is not None:
                    self.settle(record, decision)
                    batch.append(record)
            if batch:
                yield batch

    def finish(self, invalid_rows: set[int]) -> list[RowError]:
        return []

    @abc.abstractmethod
    def write(self, *, by: Actor, note: str, progress: Progress) -> WriteCounts:
        """Write every kept record (inside the caller's transaction), with history; calls
        `progress(n)` after each batch of n records."""

    def close(self) -> None:
        self.spool.close()


def field_errors(model: type[models.Model], values: dict[str, Any]) -> dict[str, list[str]]:
    """The model fields' own validators (lengths, URLs, digits) for values a rule left unchecked."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if value in (None, ""):
            continue
        try:
            model._meta.get_field(name).run_validators(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


def amount_errors(model: type[models.Model], values: dict[str, Any]) -> dict[str, list[str]]:
    """For amounts the sales rules cannot even round (1E100): the fields' digit limits, or
    "Enter a number." (rapport.sales.services.to_decimal lets decimal.InvalidOperation out)."""
    from decimal import Decimal, InvalidOperation

    errors: dict[str, list[str]] = {}
    for name, raw in values.items():
        try:
            value = Decimal(str(raw).replace(",", ""))
        except InvalidOperation:
            continue  # to_decimal says "Enter a number." for these itself
        messages = field_errors(model, {name: value}).get(name) if value.is_finite() else None
        if messages:
            errors[name] = messages
    return errors or {name: [_("Enter a number.")] for name in values}


def tag_names(cell: Any) -> list[str]:
    """Tags from one cell, trimmed to the tag name's length as rapport.customers does. Google
    Contacts' own labels ("* myContacts", "* starred") are not tags of the shop's."""
    from rapport.imports.values import split_list

    return list(
        dict.fromkeys(
            t[:60].strip() for t in split_list(cell) if t[:60].strip() and not t.startswith("* ")
        )
    )

"""Multi-row INSERT and UPDATE built from the models' own metadata, for the import's hot path.

Django's bulk_create spends nine tenths of its time preparing each value of each object; a million
customers bring ten million search terms, so the customer import writes rows as tuples through
these helpers instead (one statement per few thousand rows, values adapted like the ORM does).
"""

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from rapport.core.actors import Actor, actor_name, actor_user
from rapport.core.choices import ChangeAction
from rapport.core.fields import concrete_field, many_to_many_field
from rapport.core.models import ObjectChange
from rapport.core.services import ORIGIN, diff, snapshot

_MAX_PARAMS = 30_000


def _column(model: type[models.Model], name: str) -> str:
    column = concrete_field(model, name).column
    assert column is not None, name
    return str(column)


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.DecimalField):
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    if isinstance(field, models.JSONField):
        return lambda v: field.get_db_prep_save(v, connection)
    return None


def _prepare(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> list[Any]:
    """The rows' values, adapted for the database, in one flat list (multi-row VALUES)."""
    params: list[Any] = []
    extend = params.extend
    for row in _prepared_rows(model, columns, rows):
        extend(row)
    return params


def _prepared_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterable[Sequence[Any]]:
    """The rows with their values adapted for the database (the rows themselves when no column
    needs it), for executemany and COPY."""
    fields = [concrete_field(model, c) for c in columns]
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _adapter(f))]
    if not adapters:
        return rows
    return _adapted(rows, adapters, len(fields))


def _adapted(
    rows: Iterable[Sequence[Any]], adapters: list[tuple[int, Callable[[Any], Any]]], width: int
) -> Iterator[list[Any]]:
    # Rows share values (the batch's timestamp, the history note): adapt each distinct object once.
    last_in: list[Any] = [None] * width
    last_out: list[Any] = [None] * width
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            value = row[i]
            if value is None:
                continue
            if value is not last_in[i]:
                last_in[i], last_out[i] = value, adapt(value)
            row[i] = last_out[i]
        yield row


def insert_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool = False,
) -> list[int]:
    """Insert `rows` (tuples in `columns` order, attnames); with `returning`, their new ids in order."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy_rows(model, columns, rows, returning=returning)
    if connection.vendor == "sqlite":
        return _sqlite_rows(model, columns, rows, returning=returning)
    qn = connection.ops.quote_name
    table = qn(str(model._meta.db_table))
    cols = ", ".join(qn(_column(model, c)) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, _MAX_PARAMS // len(columns))
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Identifiers come from model metadata; every value is a parameter.
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
            if returning:
                cursor.execute(
                    sql + f" RETURNING {qn(_column(model, model._meta.pk.attname))}",
                    _prepare(model, columns, chunk),
                )
                ids.extend(r[0] for r in cursor.fetchall())
            else:
                cursor.execute(sql, _prepare(model, columns, chunk))
    return ids


def _sqlite_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """SQLite, on the driver's own connection (Django's cursor rewrites every %s of a long
    statement into ?, which costs more than the insert): one prepared INSERT run for every row
    (executemany), or multi-row INSERTs … RETURNING when the new ids are wanted."""
    qn = connection.ops.quote_name
    meta = model._meta
    table = qn(str(meta.db_table))
    cols = ", ".join(qn(_column(model, c)) for c in columns)
    width = len(columns)
    one = "(" + ", ".join(["?"] * width) + ")"
    connection.ensure_connection()
    raw = connection.connection
    started = time.monotonic()
    ids: list[int] = []
    # Identifiers come from model metadata; every value is a parameter.
    if returning:
        flat = _prepare(model, columns, rows)
        per_statement = max(1, _MAX_PARAMS // width)
        step = per_statement * width
        for start in range(0, len(flat), step):
            params = flat[start : start + step]
            sql = f"INSERT INTO {table} ({cols}) VALUES {', '.join([one] * (len(params) // width))} RETURNING {qn(_column(model, meta.pk.attname))}"  # noqa: S608
            # SQLite returns the rows in insertion order, as Django's bulk_create relies on.
            ids.extend(r[0] for r in raw.execute(sql, params).fetchall())
    else:
        sql = f"INSERT INTO {table} ({cols}) VALUES {one}"  # noqa: S608
        raw.executemany(sql, _prepared_rows(model, columns, rows))
    _log(sql, len(rows), started)
    return ids


def _log(sql: str, rows: int, started: float) -> None:
    if connection.queries_logged:  # count it like any query (tests bound the number of queries)
        connection.queries_log.append(
            {"sql": f"{sql[:200]} -- {rows} rows", "time": f"{time.monotonic() - started:.3f}"}
        )


def _copy_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: bool,
) -> list[int]:
    """PostgreSQL: COPY, the fastest way in; new ids are taken from the table's sequence first."""
    qn = connection.ops.quote_name
    meta = model._meta
    ids: list[int] = []
    started = time.monotonic()
    with connection.cursor() as cursor:
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            ids = [r[0] for r in cursor.fetchall()]
            columns = [meta.pk.attname, *columns]
            rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
        cols = ", ".join(qn(_column(model, c)) for c in columns)
        sql = f"COPY {qn(str(meta.db_table))} ({cols}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            write_row = copy.write_row
            for row in _prepared_rows(model, columns, rows):
                write_row(row)
    _log(sql, len(rows), started)
    return ids


def insert_new_rows(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    unique: str,
) -> dict[Any, int]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING, in one statement: the rows whose `unique`
    value (one of `columns`, a unique column) the table does not hold yet are written; returns
    {unique value: new id} of the rows this statement wrote — a value already there, or written
    by a racing writer first, is left out, so the caller knows which rows are its own."""
    if not rows:
        return {}
    qn = connection.ops.quote_name
    meta = model._meta
    cols = ", ".join(qn(_column(model, c)) for c in columns)
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = (
        f" ON CONFLICT ({qn(_column(model, unique))}) DO NOTHING "
        f"RETURNING {qn(_column(model, unique))}, {qn(_column(model, meta.pk.attname))}"
    )
    per_statement = max(1, _MAX_PARAMS // len(columns))
    written: dict[Any, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            # Identifiers come from model metadata; every value is a parameter.
            sql = f"INSERT INTO {qn(str(meta.db_table))} ({cols}) VALUES {', '.join([one] * len(chunk))}"  # noqa: S608
            cursor.execute(sql + tail, _prepare(model, columns, chunk))
            written.update(cursor.fetchall())
    return written


def update_rows(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """UPDATE … SET columns … WHERE pk = last value of each row: on PostgreSQL one statement
    (UPDATE … FROM VALUES) per few thousand rows, elsewhere one executemany per call."""
    if not rows:
        return
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql" and len({row[-1] for row in rows}) == len(rows):
        _update_from_values(model, columns, rows)
        return
    sets = ", ".join(f"{qn(_column(model, c))} = %s" for c in columns)
    sql = f"UPDATE {qn(str(model._meta.db_table))} SET {sets} WHERE {qn(_column(model, model._meta.pk.attname))} = %s"  # noqa: S608
    width = len(columns) + 1
    flat = _prepare(model, [*columns, model._meta.pk.attname], rows)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [flat[i : i + width] for i in range(0, len(flat), width)])


def _update_from_values(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """PostgreSQL: UPDATE … FROM (VALUES …), each value cast to its column's type without a
    length (a value too long for its column is refused on assignment, as by a plain UPDATE)."""
    qn = connection.ops.quote_name
    meta = model._meta
    names = [*columns, meta.pk.attname]
    fields = [concrete_field(model, c) for c in names]
    cols = [qn(_column(model, c)) for c in names]
    types = [re.sub(r"\(.*?\)", "", str(f.db_type(connection))) for f in fields]
    one = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    sets = ", ".join(f"{c} = v.{c}" for c in cols[:-1])
    width = len(names)
    per_statement = max(1, _MAX_PARAMS // width)
    flat = _prepare(model, names, rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            params = flat[start * width : (start + per_statement) * width]
            # Identifiers and types come from model metadata; every value is a parameter.
            cursor.execute(
                f"UPDATE {qn(str(meta.db_table))} AS t SET {sets} FROM (VALUES "  # noqa: S608
                f"{', '.join([one] * (len(params) // width))}) AS v({', '.join(cols)}) "
                f"WHERE t.{cols[-1]} = v.{cols[-1]}",
                params,
            )


def lock_for_update(model: type[models.Model], ids: Iterable[int]) -> models.QuerySet:
    """The records, locked in id order (no deadlocks between two writers) where the database
    can."""
    qs = model._default_manager.filter(pk__in=list(ids)).order_by("pk")
    return qs.select_for_update(of=("self",)) if connection.features.has_select_for_update else qs


def delete_where_in(model: type[models.Model], column: str, values: Sequence[Any]) -> None:
    for start in range(0, len(values), _MAX_PARAMS):
        model._default_manager.filter(
            **{f"{column}__in": values[start : start + _MAX_PARAMS]}
        ).delete()


class History:
    """ObjectChange rows for one model and one user, in the format rapport.core.services writes."""

    COLUMNS = (
        "time",
        "user_id",
        "user_name",
        "action",
        "content_type_id",
        "object_id",
        "object_repr",
        "customer_id",
        "changes",
    )

    def __init__(self, model: type[models.Model], by: Actor) -> None:
        user = actor_user(by)
        self.user_id = user.pk if user else None
        self.user_name = actor_name(by)[:150]
        self.content_type_id = ContentType.objects.get_for_model(model, for_concrete_model=True).pk
        self.rows: list[tuple] = []
        self.now = timezone.now()
        self._notes: dict[str, dict] = {}

    def created(self, object_id: int, repr_: str, customer_id: int | None, note: str) -> None:
        """Like rapport.core.services.bulk_record_creates: the note says where the record came from."""
        if note not in self._notes:
            self._notes[note] = {ORIGIN: [None, note]} if note else {}
        self._add(ChangeAction.CREATE.value, object_id, repr_, customer_id, self._notes[note])

    def add_create(
        self,
        object_id: int,
        repr_: str,
        customer_id: int | None,
        changes: dict,
        *,
        time: Any = None,
    ) -> None:
        """A creation with the values it was created with ({field: [None, value]}); `time`
        backdates it (demo data drawn with a history)."""
        self._add(ChangeAction.CREATE.value, object_id, repr_, customer_id, changes, time=time)

    def updated(self, object_id: int, repr_: str, customer_id: int | None, changes: dict) -> None:
        if changes:
            self._add(ChangeAction.UPDATE.value, object_id, repr_, customer_id, changes)

    def _add(
        self,
        action: str,
        object_id: int,
        repr_: str,
        customer_id: int | None,
        changes: dict,
        *,
        time: Any = None,
    ) -> None:
        self.rows.append(
            (
                time or self.now,
                self.user_id,
                self.user_name,
                action,
                self.content_type_id,
                object_id,
                repr_[:200],
                customer_id,
                changes,
            )
        )

    def flush(self) -> None:
        insert_rows(ObjectChange, self.COLUMNS, self.rows)
        self.rows = []
        self.now = timezone.now()


class FieldUpdates:
    """Set fields on existing records in bulk, each change recorded (`history`); with `tag_ids`,
    the records' tags too (added, never removed). Used by the owning apps' writers."""

    def __init__(
        self, model: type[models.Model], history: History, tag_ids: dict[str, int] | None = None
    ) -> None:
        self.model = model
        self.history = history
        self.tag_ids = tag_ids

    def apply(self, records: list[Any], prepare: Callable[[Any], None] | None = None) -> int:
        """Returns how many records changed."""
        qs = lock_for_update(self.model, [r.match_id for r in records])
        if self.tag_ids is not None:
            qs = qs.prefetch_related("tags")
        current = {obj.pk: obj for obj in qs}
        now = timezone.now()
        changed: list[Any] = []
        fields: set[str] = set()
        new_tags: list[tuple[int, int]] = []
        for r in records:
            obj = current[r.match_id]
            before = snapshot(obj)
            for name, value in r.fields.items():
                setattr(obj, name, value)
            if prepare:
                prepare(obj)
            after = snapshot(obj)
            if self.tag_ids is not None:
                before["tags"] = sorted(t.name for t in obj.tags.all())
                added = [t for t in r.tags if t not in before["tags"]]
                after["tags"] = sorted(before["tags"] + added)
                new_tags.extend((obj.pk, self.tag_ids[t]) for t in added)
            changes = diff(before, after)
            if not changes:
                continue
            obj.version += 1
            obj.updated_at = now
            fields.update(k for k in changes if k != "tags")
            changed.append(obj)
            self.history.updated(obj.pk, str(obj), None, changes)
        if changed:
            names = {concrete_field(self.model, f).name for f in fields}
            self.model._default_manager.bulk_update(
                changed, sorted(names | {"version", "updated_at"}), batch_size=500
            )
        if new_tags:
            through = many_to_many_field(self.model, "tags").remote_field.through
            assert through is not None and not isinstance(through, str)
            insert_rows(through, (f"{self.model._meta.model_name}_id", "tag_id"), new_tags)
        return len(changed)

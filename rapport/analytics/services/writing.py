"""Writing the scores: TRUNCATE and COPY on PostgreSQL, one upsert on SQLite."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl
from django.db import connection

from rapport.analytics.models import CustomerScore
from rapport.analytics.services import scoring
from rapport.analytics.services.database import is_postgres
from rapport.analytics.services.names import sql_names

_LOCK_KEY = 4_004_001  # PostgreSQL advisory lock: one refresh writes at a time

SCORE_COLUMNS = [*scoring.SCORE_COLUMNS, "computed_at"]
MONEY_COLUMNS = (
    "monetary",
    "avg_repeat_value",
    "expected_avg_value",
    "clv",
    "revenue",
    "gross_margin",
    "cost_to_serve",
    "net_contribution",
)


def _score_table(scores: pl.DataFrame, computed_at: datetime) -> pl.DataFrame:
    """The rows as the table stores them: money to cents, probabilities and weeks to six
    decimals (a smaller load), the timestamp as the database's text."""
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    return scores.with_columns(
        pl.col(*MONEY_COLUMNS).round(2),
        pl.col("p_alive", "expected_purchases", "churn_risk", "recency_weeks", "age_weeks").round(
            6
        ),
        pl.lit(str(stamp)).alias("computed_at"),
    ).select(SCORE_COLUMNS)


def write_scores(scores: pl.DataFrame, *, computed_at: datetime) -> None:
    """Replace every score row (customers no longer scored lose theirs). The caller holds the
    transaction. PostgreSQL: TRUNCATE and COPY, rebuilding the secondary indexes and foreign key
    once — readers wait for the commit; SQLite: one executemany upsert."""
    frame = _score_table(scores, computed_at)
    with connection.cursor() as cursor:
        if is_postgres():
            _pg_replace(
                cursor, CustomerScore._meta.db_table, frame.drop("computed_at"), computed_at
            )
        else:
            _sqlite_upsert(cursor, CustomerScore._meta.db_table, frame, computed_at)


def _pg_replace(cursor: Any, table: str, frame: pl.DataFrame, computed_at: datetime) -> None:
    """TRUNCATE, COPY, then build the indexes and the foreign key once: 4× faster than an
    upsert that maintains them row by row (bench/RESULTS.md, "What the measurements decided"). The one
    computed_at comes in as the column's default for the load (not parsed a million times)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # Altering foreign keys needs no pending deferred checks in this transaction: run them now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conrelid = %s::regclass AND c.conname = i.indexname)",
        [table, table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    foreign = cursor.fetchall()
    qn = connection.ops.quote_name
    cursor.execute(f"TRUNCATE {qn(table)}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {qn(name)}")
    for name, _definition in foreign:
        cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
    cursor.execute(
        f"ALTER TABLE {qn(table)} ALTER COLUMN computed_at SET DEFAULT %s", [computed_at]
    )
    with cursor.cursor.copy(
        f"COPY {qn(table)} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)"
    ) as copy:
        for offset in range(0, frame.height, 200_000):
            copy.write(frame.slice(offset, 200_000).write_csv(include_header=False))
    cursor.execute(f"ALTER TABLE {qn(table)} ALTER COLUMN computed_at DROP DEFAULT")
    # a customer deleted since the read would fail the foreign key
    n = sql_names()
    cursor.execute(
        f"DELETE FROM {qn(table)} t WHERE NOT EXISTS "  # noqa: S608 - names from _meta
        f"(SELECT 1 FROM {n.customer} c WHERE c.{n.customer_id} = t.customer_id)"
    )
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign:
        cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are deferred by default


def _sqlite_upsert(cursor: Any, table: str, frame: pl.DataFrame, computed_at: datetime) -> None:
    cols = ", ".join(SCORE_COLUMNS)
    updates = ", ".join(f"{c} = excluded.{c}" for c in SCORE_COLUMNS[1:])
    rows = frame.with_columns(
        pl.col("first_purchase", "last_purchase").cast(pl.String),
        pl.col("was_referred").cast(pl.Int8),
    )
    marks = ", ".join(["%s"] * len(SCORE_COLUMNS))
    sql = (
        f"INSERT INTO {table} ({cols}) VALUES ({marks}) "  # noqa: S608 - fixed SQL
        f"ON CONFLICT (customer_id) DO UPDATE SET {updates}"
    )
    for offset in range(0, rows.height, 100_000):
        cursor.executemany(sql, rows.slice(offset, 100_000).iter_rows())
    stamp = connection.ops.adapt_datetimefield_value(computed_at)
    n = sql_names()
    cursor.execute(
        f"DELETE FROM {table} WHERE computed_at <> %s "  # noqa: S608 - names from _meta
        f"OR customer_id NOT IN (SELECT {n.customer_id} FROM {n.customer})",
        [stamp],
    )

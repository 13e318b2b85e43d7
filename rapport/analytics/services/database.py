"""Reading the database into polars. PostgreSQL streams with binary COPY straight into numpy
(fixed-width rows, no per-row Python); SQLite returns rows through the driver. Either way each
table is read once per refresh."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import psycopg
from django.conf import settings
from django.db import DatabaseError, connection

WORK_MEM = "512MB"  # PostgreSQL work_mem for the refresh's own session


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def analytics_session() -> Iterator[None]:
    """PostgreSQL settings for the refresh's big reads and index builds: sorts and hashes in
    memory, no JIT compilation (it costs seconds and saves nothing on these plans)."""
    if not is_postgres():
        yield
        return
    names = ("work_mem", "maintenance_work_mem", "jit")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))
        before = cursor.fetchone()
        for name, value in zip(names, (WORK_MEM, WORK_MEM, "off"), strict=True):
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in zip(names, before, strict=True):
                cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


def local_day_sql(column: str) -> str:
    """SQL for the local calendar day of an aware timestamp column (settings.TIME_ZONE)."""
    if is_postgres():
        return f"({column} AT TIME ZONE %s)::date"
    return f"django_datetime_cast_date({column}, %s, 'UTC')"


def end_of(as_of: date) -> datetime:
    """The first instant after `as_of` in the business's time zone."""
    return datetime.combine(
        as_of + timedelta(days=1), dtime.min, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


Field = tuple[str, str, str]  # output name, kind, SQL expression (never NULL)
# kinds: int8/int4/int2, float8, date, timestamptz, and cents/milli: a numeric read as a scaled
# bigint (PostgreSQL converts numeric to float8 through text, three times slower) and returned as
# float64 units.
_PG_BINARY = {
    "int8": ">i8",
    "int4": ">i4",
    "int2": ">i2",
    "float8": ">f8",
    "date": ">i4",
    "timestamptz": ">i8",
    "cents": ">i8",
    "milli": ">i8",
}
_PG_CAST = {"cents": "(({expr}) * 100)::int8", "milli": "(({expr}) * 1000)::int8"}
_SCALE = {"cents": 100.0, "milli": 1000.0}
_PG_EPOCH_DAYS = 10_957  # PostgreSQL counts from 2000-01-01, polars from 1970-01-01
_PG_EPOCH_US = _PG_EPOCH_DAYS * 86_400_000_000
_POLARS = {
    "int8": pl.Int64,
    "int4": pl.Int32,
    "int2": pl.Int16,
    "float8": pl.Float64,
    "cents": pl.Float64,
    "milli": pl.Float64,
}


def read_frame(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    """`SELECT <fields> <rest>` as a typed polars frame (dates as Date, timestamps as UTC)."""
    if is_postgres():
        return _read_pg(fields, rest, params)
    return _read_sqlite(fields, rest, params)


def _read_pg(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    select = ", ".join(
        _PG_CAST.get(kind, "({expr})::" + kind).format(expr=expr) for _n, kind, expr in fields
    )
    query = connection.ops.compose_sql(f"SELECT {select} {rest}", params)
    data = _copy_out(f"COPY ({query}) TO STDOUT WITH (FORMAT binary)")
    start = 19 + int.from_bytes(data[15:19], "big")  # signature, flags, header extension
    layout: list[tuple[str, str]] = [("n", ">i2")]
    for name, kind, _expr in fields:
        layout += [(f"{name}.size", ">i4"), (name, _PG_BINARY[kind])]
    dtype = np.dtype(layout)
    body_size = len(data) - start - 2  # the trailer is one int16
    if body_size % dtype.itemsize:
        raise ValueError("unexpected row layout in PostgreSQL's binary COPY (a NULL?)")
    rows = np.frombuffer(data, dtype=dtype, offset=start, count=body_size // dtype.itemsize)
    if len(rows) and (
        np.any(rows["n"] != len(fields))
        or any(
            np.any(rows[f"{name}.size"] != np.dtype(_PG_BINARY[kind]).itemsize)
            for name, kind, _expr in fields
        )
    ):
        raise ValueError("unexpected row layout in PostgreSQL's binary COPY (a NULL?)")
    columns = []
    for name, kind, _expr in fields:
        values = rows[name].astype(rows[name].dtype.newbyteorder("="))
        if kind == "date":
            columns.append(pl.Series(name, values + _PG_EPOCH_DAYS, dtype=pl.Int32).cast(pl.Date))
        elif kind == "timestamptz":
            columns.append(
                pl.Series(name, values + _PG_EPOCH_US, dtype=pl.Int64)
                .cast(pl.Datetime("us"))
                .dt.replace_time_zone("UTC")
            )
        elif kind in _SCALE:
            columns.append(pl.Series(name, values / _SCALE[kind], dtype=pl.Float64))
        else:
            columns.append(pl.Series(name, values, dtype=_POLARS[kind]))
    return pl.DataFrame(columns)


def _copy_out(statement: str) -> bytearray:
    """The whole output of a `COPY … TO STDOUT`. PostgreSQL sends one message per row; psycopg's
    `Copy` iterator spends ~3 µs of Python per message, so this drives libpq directly (~0.9 µs)."""
    connection.ensure_connection()
    pgconn = connection.connection.pgconn
    data = bytearray()
    pgconn.send_query(statement.encode())
    result = pgconn.get_result()
    if result is None or result.status != psycopg.pq.ExecStatus.COPY_OUT:
        _drain(pgconn)
        raise DatabaseError(_pq_error(result, pgconn))
    get = pgconn.get_copy_data
    while True:
        size, block = get(0)
        if size <= 0:
            break
        data += block
    error = _drain(pgconn)
    if error:
        raise DatabaseError(error)
    return data


def _drain(pgconn: Any) -> str:
    """Consume the remaining results of a command; the first error message, if any."""
    error = ""
    while (result := pgconn.get_result()) is not None:
        if result.status == psycopg.pq.ExecStatus.FATAL_ERROR and not error:
            error = _pq_error(result, pgconn)
    return error


def _pq_error(result: Any, pgconn: Any) -> str:
    message = result.error_message if result is not None else pgconn.error_message
    return (message or b"COPY failed").decode(errors="replace").strip()


def _read_sqlite(fields: list[Field], rest: str, params: list[Any]) -> pl.DataFrame:
    # CAST AS TEXT also keeps the driver from parsing every date into a Python object
    casts = {
        "float8": "REAL",
        "cents": "REAL",
        "milli": "REAL",
        "date": "TEXT",
        "timestamptz": "TEXT",
    }
    select = ", ".join(
        f"CAST(({expr}) AS {casts.get(kind, 'INTEGER')})" for _n, kind, expr in fields
    )
    schema = {
        name: (pl.String if kind in ("date", "timestamptz") else _POLARS[kind])
        for name, kind, _expr in fields
    }
    parts = []
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {select} {rest}", params)
        while rows := cursor.fetchmany(250_000):
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return frame.with_columns(
        *[pl.col(n).str.slice(0, 10).str.to_date() for n, k, _e in fields if k == "date"],
        *[
            pl.col(n).str.slice(0, 19).str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
            for n, k, _e in fields
            if k == "timestamptz"
        ],
    )


def local_day(column: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(settings.TIME_ZONE).dt.date()

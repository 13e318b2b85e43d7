"""``recommend evaluate``: check the recommendation methods on any transaction file.

    recommend evaluate --csv FILE --customer COL --date COL --product COL --split-date YYYY-MM-DD
                       [--k 10] [--quantity COL] [--date-format FORMAT] [--rebuy history|none]

Trains on the purchases before the split date, tests on those on or after it, and prints one JSON
object::

    {"model": {"precision_at_k": …, "recall_at_k": …, "ndcg_at_k": …, "coverage": …},
     "popularity": {…the same keys…}, "chosen": "<method>", "customers_evaluated": N}

where the customers evaluated have purchases before the split and, after it, a purchase a method
could have offered (not a product they had already bought, unless customers buy it again), and
"chosen" is the method picked, with its settings, on a validation split inside the training period
(evaluate.choose).

Real retail exports are read as they come: every column as text; product codes of mixed types
("85123A", 22423, "22423.0") compared as trimmed upper-case text; dates with or without a time
(the analytics engine's date forms; ``--date-format day-first`` for ambiguous slashed dates);
returns as negative quantities (a column named quantity/qty is used when ``--quantity`` is not
given): a customer-product pair whose quantities add up to zero or less is not a purchase. Rows
without a customer or a product are skipped. A product counts once per customer and day. With
``--rebuy history`` (the default) a product customers bought more than once in the training period
may be recommended again to its buyers; ``--rebuy none`` never recommends what was bought.
Bad input prints ``error: …`` to stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import sys
from typing import TextIO

import numpy as np
import polars as pl

from rapport.analytics.engine.cli import CliError, parse_dates

from .evaluation import evaluate_split

__all__ = ["normalise_product", "run_recommend_cli"]

_FLOAT_CODE = re.compile(r"^(-?\d+)\.0+$")
_QUANTITY_NAMES = ("quantity", "qty", "quantité", "množstvo", "数量", "數量")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(message)


def normalise_product(value: str | None) -> str | None:
    """A product code as text: trimmed, upper-case, "22423.0" → "22423"; empty → None."""
    if value is None:
        return None
    v = str(value).strip()
    if not v:
        return None
    if m := _FLOAT_CODE.match(v):
        v = m.group(1)
    return v.upper()


def _parser() -> _Parser:
    p = _Parser(prog="rapport recommend", description="Recommendations from purchase history.")
    sub = p.add_subparsers(dest="command", required=True)
    ev = sub.add_parser("evaluate", help="Offline evaluation on a time split of a CSV file.")
    ev.add_argument("--csv", required=True)
    ev.add_argument("--customer", required=True)
    ev.add_argument("--date", required=True)
    ev.add_argument("--product", required=True)
    ev.add_argument("--split-date", required=True, type=_iso_date)
    ev.add_argument("--k", type=_positive_int, default=10)
    ev.add_argument("--quantity", default=None)
    ev.add_argument("--date-format", default=None)
    ev.add_argument("--rebuy", choices=("history", "none"), default="history")
    return p


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {value!r}")
    return n


def _read_csv(path: str) -> pl.DataFrame:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raw = raw.decode("latin-1").encode("utf-8")  # old retail exports are often Latin-1
    if not raw.strip():
        raise CliError(f"{path} is empty")
    try:
        return pl.read_csv(io.BytesIO(raw), infer_schema=False)
    except Exception as exc:  # polars raises several error types for malformed CSV
        raise CliError(f"cannot parse {path} as CSV: {str(exc).splitlines()[0]}") from None


def _quantity(text: str | None) -> float | None:
    if text is None:
        return None
    v = text.strip().replace(" ", "").replace("\u00a0", "")
    if not v:
        return None
    if v.startswith("(") and v.endswith(")"):
        v = "-" + v[1:-1]
    v = v.replace(",", ".") if v.count(",") == 1 and "." not in v else v.replace(",", "")
    try:
        return float(v)
    except ValueError:
        return None


def load_transactions(path: str, args: argparse.Namespace) -> dict[str, np.ndarray]:
    frame = _read_csv(path)
    for name in (args.customer, args.date, args.product):
        if name not in frame.columns:
            raise CliError(
                f"{path} has no column {name!r}; its columns: {', '.join(frame.columns)}"
            )
    qty_col = args.quantity
    if qty_col is None:
        qty_col = next((c for c in frame.columns if c.strip().lower() in _QUANTITY_NAMES), None)
    elif qty_col not in frame.columns:
        raise CliError(f"{path} has no column {qty_col!r}")
    customers = [(c or "").strip() for c in frame[args.customer].to_list()]
    customers = [_FLOAT_CODE.sub(r"\1", c) for c in customers]
    products = [normalise_product(p) for p in frame[args.product].to_list()]
    raw_dates = [(d or "").strip() for d in frame[args.date].to_list()]
    distinct = sorted({d for d in raw_dates if d})
    parsed = dict(zip(distinct, parse_dates(distinct, args.date_format), strict=True))
    bad = next((d for d in distinct if parsed[d] is None), None)
    if bad is not None:
        raise CliError(f"{path}: {bad!r} in column {args.date!r} is not a date")
    quantities = (
        [_quantity(q) for q in frame[qty_col].to_list()] if qty_col else [1.0] * frame.height
    )
    keep = [
        i
        for i in range(frame.height)
        if customers[i]
        and products[i]
        and raw_dates[i]
        and quantities[i] is not None
        and quantities[i] != 0
    ]
    if not keep:
        raise CliError(f"{path} has no rows with a customer, a product and a date")
    dates = np.array([parsed[raw_dates[i]] for i in keep], dtype="datetime64[D]")
    return {
        "customer": np.array([customers[i] for i in keep], dtype=object),
        "product": np.array([products[i] for i in keep], dtype=object),
        "date": dates,
        "quantity": np.array([quantities[i] for i in keep], dtype=float),
    }


def _run(args: argparse.Namespace, stdout: TextIO) -> None:
    tx = load_transactions(args.csv, args)
    result = evaluate_split(
        tx["customer"],
        tx["product"],
        tx["date"],
        args.split_date,
        k=args.k,
        quantities=tx["quantity"],
        baskets=tx["date"].astype(str).astype(object),
        rebuy=args.rebuy,
    )
    out = {key: result[key] for key in ("model", "popularity", "chosen", "customers_evaluated")}
    stdout.write(json.dumps(out) + "\n")


def run_recommend_cli(
    argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        args = _parser().parse_args(argv)
        _run(args, stdout)
    except CliError as exc:
        stderr.write(f"error: {exc}\n")
        return 2
    return 0

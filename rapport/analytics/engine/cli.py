"""``analytics clv``: fit BG/NBD, Pareto/NBD and Gamma-Gamma on any transaction CSV and score CLV.

    analytics clv --csv FILE --customer COL --date COL --amount COL --calibration-end YYYY-MM-DD
                  [--horizon-weeks N] [--observation-end YYYY-MM-DD] [--discount-rate R] [--out FILE]

Prints JSON (fitted parameters, log-likelihoods, BG/NBD standard errors, number of customers) and,
with ``--out``, writes one CSV row per customer scored with BG/NBD + Gamma-Gamma (margin 1, so CLV
is discounted revenue). With ``--observation-end`` the JSON also carries a ``holdout`` block:
predicted vs actual repeat purchases in (calibration-end, observation-end].
Bad input prints a clear message to stderr and returns exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import sys
from typing import TextIO

import polars as pl

from . import bgnbd, clv, gammagamma, holdout, paretonbd, summary

__all__ = ["CliError", "run_clv_cli"]

OUT_COLUMNS = [
    "customer",
    "frequency",
    "recency",
    "T",
    "monetary",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv",
]
# ISO first; the rest are common exports (compact, slashed) — tried in order per value
_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


class CliError(Exception):
    """A user-facing input problem: printed as ``error: ...`` with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(message)


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from None


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0: {value!r}")
    return number


def _rate(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not math.isfinite(number) or number <= -1:
        raise argparse.ArgumentTypeError(f"must be > -1 (e.g. 0.1 for 10% a year): {value!r}")
    return number


def _parser() -> _Parser:
    parser = _Parser(
        prog="analytics", description="Customer analytics (BG/NBD, Pareto/NBD, Gamma-Gamma)."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "clv", help="fit the models on a transaction CSV and score customer lifetime value"
    )
    p.add_argument(
        "--csv", required=True, metavar="FILE", help="transaction CSV (UTF-8, BOM allowed)"
    )
    p.add_argument("--customer", required=True, metavar="COL", help="customer id column")
    p.add_argument(
        "--date", required=True, metavar="COL", help="order date column (YYYY-MM-DD ...)"
    )
    p.add_argument("--amount", required=True, metavar="COL", help="order value column")
    p.add_argument(
        "--calibration-end",
        required=True,
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="last day (inclusive) of the period the models are fitted on",
    )
    p.add_argument(
        "--horizon-weeks",
        type=_positive,
        default=52.0,
        metavar="N",
        help="horizon of expected purchases and CLV, in weeks (default 52)",
    )
    p.add_argument(
        "--observation-end",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="end of a holdout period to compare predictions with (optional)",
    )
    p.add_argument(
        "--discount-rate",
        type=_rate,
        default=0.10,
        metavar="R",
        help="annual discount rate for CLV (default 0.10)",
    )
    p.add_argument("--out", metavar="FILE", help="write one scored CSV row per customer here")
    return parser


def _read_csv(path: str) -> pl.DataFrame:
    """All columns as strings; a UTF-8 byte-order mark is dropped."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise CliError(f"{path} is not UTF-8 text (line {line})") from None
    if not raw.strip():
        raise CliError(f"{path} is empty")
    try:
        return pl.read_csv(io.BytesIO(raw), infer_schema=False, truncate_ragged_lines=False)
    except Exception as exc:  # polars raises several error types for malformed CSV
        raise CliError(f"cannot parse {path} as CSV: {str(exc).splitlines()[0]}") from None


def _first_bad(frame: pl.DataFrame, raw: str, parsed: pl.Expr) -> tuple[int, str] | None:
    """(1-based data row, raw value) of the first value that failed to parse, if any."""
    bad = frame.with_row_index("_row").filter(parsed.is_null()).select("_row", raw)
    if bad.height == 0:
        return None
    value = bad[raw][0]
    return int(bad["_row"][0]) + 1, "" if value is None else str(value)


def _transactions(
    frame: pl.DataFrame, path: str, customer: str, date: str, amount: str
) -> pl.DataFrame:
    """Validate and type the three columns, naming the row and value of the first bad cell."""
    for col in (customer, date, amount):
        if col not in frame.columns:
            present = ", ".join(frame.columns)
            raise CliError(f"column '{col}' not found in {path}; columns present: {present}")
    text = pl.col(date).str.strip_chars()
    parsed_date = pl.coalesce([text.str.to_date(fmt, strict=False) for fmt in _DATE_FORMATS])
    parsed_amount = pl.col(amount).str.strip_chars().cast(pl.Float64, strict=False)
    cust = pl.col(customer).str.strip_chars()
    checks = [
        (pl.when(cust != "").then(cust), "missing customer id", customer),
        (parsed_date, "cannot parse date", date),
        (pl.when(parsed_amount.is_finite()).then(parsed_amount), "cannot parse amount", amount),
    ]
    for expr, what, col in checks:
        bad = _first_bad(frame, col, expr)
        if bad is not None:
            row, value = bad
            raise CliError(
                f"{path}: {what} {value!r} in column '{col}' at data row {row} (line {row + 1})"
            )
    return frame.select(
        cust.alias("customer"), parsed_date.alias("date"), parsed_amount.alias("amount")
    )


def _fit_all(
    cal: pl.DataFrame,
) -> tuple[bgnbd.BGNBDFit, paretonbd.ParetoNBDFit, gammagamma.GammaGammaFit]:
    if cal.height == 0:
        raise CliError("no customer made a purchase on or before --calibration-end")
    if int(cal["frequency"].max()) == 0:  # type: ignore[arg-type]
        raise CliError("no customer made a repeat purchase before --calibration-end; cannot fit")
    if ((cal["frequency"] > 0) & (cal["monetary"] > 0)).sum() == 0:
        raise CliError("no repeat purchase has a positive amount; cannot fit the spend model")
    x, t_x, t_cal = cal["frequency"], cal["recency"], cal["T"]
    return (
        bgnbd.fit(x, t_x, t_cal),
        paretonbd.fit(x, t_x, t_cal),
        gammagamma.fit(x, cal["monetary"]),
    )


def _run(args: argparse.Namespace, stdout: TextIO) -> None:
    frame = _read_csv(args.csv)
    tx = _transactions(frame, args.csv, args.customer, args.date, args.amount)
    if args.observation_end is not None:
        if args.observation_end <= args.calibration_end:
            raise CliError("--observation-end must be after --calibration-end")
        cal = summary.calibration_holdout_summary(tx, args.calibration_end, args.observation_end)
    else:
        cal = summary.rfm_summary(tx, args.calibration_end)
    bg, pnbd, gg = _fit_all(cal)
    report: dict[str, object] = {
        "bgnbd": {
            **bg.params,
            "log_likelihood": bg.log_likelihood,
            "standard_errors": bg.standard_errors,
        },
        "gamma_gamma": {**gg.params, "log_likelihood": gg.log_likelihood},
        "pareto_nbd": {**pnbd.params, "log_likelihood": pnbd.log_likelihood},
        "customers": cal.height,
    }
    if args.observation_end is not None:
        comparison = holdout.holdout_comparison(cal, bg)
        report["holdout"] = {
            "weeks": comparison.duration_weeks,
            "actual": comparison.total_actual,
            "predicted_bgnbd": comparison.total_predicted,
            "predicted_pareto_nbd": holdout.holdout_comparison(cal, pnbd).total_predicted,
            "by_frequency": comparison.by_frequency.to_dicts(),
        }
    if args.out:
        scored = clv.score(
            cal.select("customer", "frequency", "recency", "T", "monetary"),
            bg,
            gg,
            horizon_weeks=args.horizon_weeks,
            annual_discount_rate=args.discount_rate,
        )
        try:
            scored.select(OUT_COLUMNS).write_csv(args.out)
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    stdout.write(json.dumps(_json_safe(report)) + "\n")


def _json_safe(obj: object) -> object:
    """NaN/inf (e.g. an undefined standard error) become null: strict JSON has no NaN."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_json_safe(v) for v in obj]
    return obj


def run_clv_cli(argv: list[str], stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run ``analytics clv ...`` with ``argv`` = the arguments after the program name (a leading
    ``analytics`` is tolerated). Returns the exit code: 0 on success, 2 on bad input."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    args_list = list(argv)
    if args_list[:1] == ["analytics"]:
        args_list = args_list[1:]
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
        _run(args, out)
    except CliError as exc:
        err.write(f"error: {exc}\n")
        if not args_list or args_list[0] != "clv":
            err.write(parser.format_usage())
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    return 0

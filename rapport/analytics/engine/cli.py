"""``analytics clv``: fit the purchase and spend models on any transaction CSV and score CLV.

    analytics clv --csv FILE --customer COL --date COL --amount COL --calibration-end YYYY-MM-DD
                  [--date-format FORMAT] [--horizon-weeks N] [--observation-end YYYY-MM-DD]
                  [--discount-rate R] [--out FILE]

Fits BG/NBD, the modified BG/NBD, Pareto/NBD and Gamma-Gamma on the purchases up to the
calibration end, chooses the model that scores the customers as the refresh does
(``selection``: never BG/NBD, which calls every one-time buyer certainly active), and prints JSON:
every model's parameters, standard errors and log-likelihood, ``scored_by`` and why, and the
number of customers. With ``--out`` it writes one CSV row per customer (discounted revenue over
the horizon). With ``--observation-end`` the JSON also carries a ``holdout`` block: each model's
predicted vs actual repeat purchases in (calibration-end, observation-end] and its mean absolute
error per customer.

The file's forms: dates as ISO dates or timestamps (``2024-03-01``, ``2024-03-01T09:30``,
``2024-03-01 09:30:15.5+08:00``, ``…Z``; the calendar day is the one written), ``20240301``,
``2024/03/01``, ``01.03.2024``, and day-first or month-first ``01/03/2024`` — decided from the
file when a day above 12 shows which, else by ``--date-format`` (``day-first``, ``month-first`` or a
strptime pattern); amounts with a currency symbol or code, thousands separators, a decimal comma,
a minus sign or accounting parentheses. A file whose amounts name more than one currency is
refused. Negative amounts are refunds, netted against the customer's purchase (summary module).
Bad input prints a clear message to stderr and returns exit code 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import math
import re
import sys
from typing import TextIO

import numpy as np
import polars as pl

from . import clv, gammagamma, holdout, selection, summary
from ._fit import FitResult

__all__ = ["CliError", "parse_amount", "parse_dates", "run_clv_cli"]

OUT_COLUMNS = [
    "customer",
    "frequency",
    "recency",
    "T",
    "monetary",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "value_basis",
    "clv",
    "scored_by",
]
PURCHASE_MODELS = ("bgnbd", "mbgnbd", "pareto_nbd")


class CliError(Exception):
    """A user-facing input problem: printed as ``error: ...`` with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise CliError(message)


# --- Dates --------------------------------------------------------------------------------------

# The time of day and zone that may follow a date; the day is the calendar day as written.
_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s?[AaPp][Mm])?)?\s*(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)?"
_YEAR_FIRST = re.compile(rf"^(\d{{4}})[-/.](\d{{1,2}})[-/.](\d{{1,2}}){_TIME}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DOTTED = re.compile(rf"^(\d{{1,2}})\.(\d{{1,2}})\.(\d{{4}}){_TIME}$")  # day first (DE, SK, RU)
_YEAR_LAST = re.compile(rf"^(\d{{1,2}})[/-](\d{{1,2}})[/-](\d{{4}}){_TIME}$")  # ambiguous
DATE_ORDERS = ("day-first", "month-first")


def _date(y: str, m: str, d: str) -> dt.date | None:
    try:
        return dt.date(int(y), int(m), int(d))
    except ValueError:
        return None


def parse_dates(values: list[str], date_format: str | None = None) -> list[dt.date | None]:
    """Each value as a calendar day (None where it is not a date). Slashed dates with the year
    last are day-first or month-first: ``date_format`` says which, or a day above 12 in the values
    shows it; when nothing does, CliError asks for ``--date-format``."""
    if date_format and date_format not in DATE_ORDERS:
        return [_strptime(v, date_format) for v in values]
    order = date_format
    if order is None:
        pairs = [m.groups()[:2] for v in values if (m := _YEAR_LAST.match(v))]
        if pairs:
            first_big = any(int(a) > 12 for a, _ in pairs)
            second_big = any(int(b) > 12 for _, b in pairs)
            if first_big and not second_big:
                order = "day-first"
            elif second_big and not first_big:
                order = "month-first"
            elif not first_big:
                raise CliError(
                    f"dates such as {values[0]!r} could be day-first or month-first; say which "
                    "with --date-format day-first or --date-format month-first"
                )
    out: list[dt.date | None] = []
    for v in values:
        if m := _YEAR_FIRST.match(v):
            out.append(_date(*m.groups()[:3]))
        elif m := _COMPACT.match(v):
            out.append(_date(*m.groups()))
        elif m := _DOTTED.match(v):
            d, mo, y = m.groups()[:3]
            out.append(_date(y, mo, d))
        elif (m := _YEAR_LAST.match(v)) and order:
            a, b, y = m.groups()[:3]
            out.append(_date(y, b, a) if order == "day-first" else _date(y, a, b))
        else:
            out.append(None)
    return out


def _strptime(value: str, pattern: str) -> dt.date | None:
    try:
        return dt.datetime.strptime(value, pattern).date()
    except ValueError:
        return None


# --- Amounts ------------------------------------------------------------------------------------

_CURRENCY = r"[$€£¥￥₩₹₽]|[A-Z]{3}|Kč|zł|kr"
_AMOUNT = re.compile(
    rf"^(?P<before>{_CURRENCY})?\s*(?P<number>[-+]?[\d.,'\s\u00a0\u202f]*\d[\d.,'\s\u00a0\u202f]*-?)"
    rf"\s*(?P<after>{_CURRENCY})?$"
)
_SEPARATORS = re.compile(r"[\s\u00a0\u202f']")


def parse_amount(value: str) -> tuple[float | None, str]:
    """(amount, currency as written or "") for one cell: a currency symbol or code before or
    after the number, thousands separators (",", ".", spaces, apostrophes), a decimal comma, "-"
    before or after, or accounting parentheses. When both "," and "." appear the later one is
    the decimal separator; a lone "," is a thousands separator before groups of three digits
    ("1,234") and a decimal comma otherwise."""
    text = value.strip()
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1].strip()
    m = _AMOUNT.match(text)
    if m is None:
        return None, next(iter(re.findall(_CURRENCY, text)), "")
    if m["before"] and m["after"] and m["before"] != m["after"]:
        return None, m["before"]
    currency = m["before"] or m["after"] or ""
    text = _SEPARATORS.sub("", m["number"])
    if text.startswith("-") or text.endswith("-"):
        negative, text = not negative, text.strip("-")
    text = text.lstrip("+")
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
        text = text.replace("." if decimal == "," else ",", "").replace(",", ".")
    elif "," in text:
        text = (
            text.replace(",", "")
            if re.fullmatch(r"\d{1,3}(,\d{3})+", text)
            else text.replace(",", ".")
        )
    elif re.fullmatch(r"\d{1,3}(\.\d{3}){2,}", text):  # 1.234.567: dots as thousands
        text = text.replace(".", "")
    if not re.fullmatch(r"\d+(\.\d*)?|\.\d+", text):
        return None, currency
    number = float(text)
    return (-number if negative else number), currency


# --- Arguments ----------------------------------------------------------------------------------


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
        prog="analytics",
        description="Customer analytics (BG/NBD, modified BG/NBD, Pareto/NBD, Gamma-Gamma).",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser(
        "clv", help="fit the models on a transaction CSV and score customer lifetime value"
    )
    p.add_argument(
        "--csv", required=True, metavar="FILE", help="transaction CSV (UTF-8, BOM allowed)"
    )
    p.add_argument("--customer", required=True, metavar="COL", help="customer id column")
    p.add_argument("--date", required=True, metavar="COL", help="order date or timestamp column")
    p.add_argument(
        "--amount", required=True, metavar="COL", help="order value column (refunds negative)"
    )
    p.add_argument(
        "--calibration-end",
        required=True,
        type=_iso_date,
        metavar="YYYY-MM-DD",
        help="last day (inclusive) of the period the models are fitted on",
    )
    p.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="day-first, month-first (for dates like 01/03/2024), or a strptime pattern "
        "such as %%d/%%m/%%Y %%H:%%M",
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


# --- Reading --------------------------------------------------------------------------------------


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


def _by_distinct(column: pl.Series, parse, dtype: pl.DataType) -> pl.Series:  # noqa: ANN001
    """``parse`` applied once per distinct value (files repeat dates and amounts)."""
    distinct = column.unique().drop_nulls().to_list()
    parsed = parse(distinct)
    return column.replace_strict(distinct, parsed, default=None, return_dtype=dtype)


def _first_bad(raw: pl.Series, parsed: pl.Series) -> tuple[int, str] | None:
    """(1-based data row, raw value) of the first value that failed to parse, if any."""
    bad = np.flatnonzero(parsed.is_null().to_numpy())
    if not len(bad):
        return None
    value = raw[int(bad[0])]
    return int(bad[0]) + 1, "" if value is None else str(value)


def _transactions(frame: pl.DataFrame, path: str, args: argparse.Namespace) -> pl.DataFrame:
    """Validate and type the three columns, naming the row and value of the first bad cell."""
    customer, date, amount = args.customer, args.date, args.amount
    for col in (customer, date, amount):
        if col not in frame.columns:
            present = ", ".join(frame.columns)
            raise CliError(f"column '{col}' not found in {path}; columns present: {present}")
    cust = frame[customer].str.strip_chars()
    dates = _by_distinct(
        frame[date].str.strip_chars(), lambda v: parse_dates(v, args.date_format), pl.Date
    )
    amounts_and_currencies = {v: parse_amount(v) for v in frame[amount].unique().drop_nulls()}
    amounts = frame[amount].replace_strict(
        {k: a for k, (a, _c) in amounts_and_currencies.items()},
        default=None,
        return_dtype=pl.Float64,
    )
    checks = [
        (pl.select(pl.when(cust != "").then(cust)).to_series(), "missing customer id", customer),
        (dates, "cannot parse date", date),
        (amounts, "cannot parse amount", amount),
    ]
    for parsed, what, col in checks:
        bad = _first_bad(frame[col], parsed)
        if bad is not None:
            row, value = bad
            raise CliError(
                f"{path}: {what} {value!r} in column '{col}' at data row {row} (line {row + 1})"
            )
    currencies = sorted({c for _a, c in amounts_and_currencies.values() if c})
    if len(currencies) > 1:
        raise CliError(
            f"{path}: the amounts are in several currencies ({', '.join(currencies)}); adding "
            "them would be wrong: convert them to one currency first"
        )
    return pl.DataFrame({"customer": cust, "date": dates, "amount": amounts})


# --- Fitting and the report -----------------------------------------------------------------------


def _fit_all(cal: pl.DataFrame) -> tuple[dict[str, FitResult | None], FitResult | None]:
    if cal.height == 0:
        raise CliError("no customer made a purchase on or before --calibration-end")
    if (short := selection.shortfall(cal["frequency"])) is not None:
        raise CliError(
            "too little history to fit the models: {customers} customers, {repeat_customers} of "
            "them with a repeat purchase, before --calibration-end; at least {min_customers} "
            "customers and {min_repeat_customers} with a repeat purchase are needed".format(**short)
        )
    fits: dict[str, FitResult | None] = {}
    for name in PURCHASE_MODELS:
        try:
            fits[name] = selection.fit_model(name, cal)
        except (ValueError, FloatingPointError):
            fits[name] = None
    spend = None
    if ((cal["frequency"] > 0) & (cal["monetary"] > 0)).sum() >= selection.MIN_REPEAT_CUSTOMERS:
        try:
            spend = gammagamma.fit(cal["frequency"], cal["monetary"])
        except ValueError:
            spend = None
        if spend is not None and (spend.params["q"] <= 1 or not selection.usable(spend)):
            spend = None
    return fits, spend


def _model_json(fit: FitResult | None) -> dict[str, object]:
    if fit is None:
        return {"error": "could not be fitted"}
    return {
        **fit.params,
        "log_likelihood": fit.log_likelihood,
        "standard_errors": fit.standard_errors,
        "converged": fit.converged,
        "usable": selection.usable(fit),
    }


def _validation_frame(tx: pl.DataFrame, args: argparse.Namespace) -> pl.DataFrame | None:
    cal_tx = tx.filter(pl.col("date") <= args.calibration_end)
    first = cal_tx["date"].min()
    span = (args.calibration_end - first).days / summary.DAYS_PER_WEEK
    weeks = selection.validation_weeks(span, args.horizon_weeks)
    if not weeks:
        return None
    inner = args.calibration_end - dt.timedelta(days=round(weeks * summary.DAYS_PER_WEEK))
    return summary.calibration_holdout_summary(cal_tx, inner, args.calibration_end)


def _run(args: argparse.Namespace, stdout: TextIO) -> None:
    frame = _read_csv(args.csv)
    tx = _transactions(frame, args.csv, args)
    if args.observation_end is not None:
        if args.observation_end <= args.calibration_end:
            raise CliError("--observation-end must be after --calibration-end")
        cal = summary.calibration_holdout_summary(tx, args.calibration_end, args.observation_end)
    else:
        cal = summary.rfm_summary(tx, args.calibration_end)
    fits, spend = _fit_all(cal)
    chosen = selection.choose(_validation_frame(tx, args), fits)
    if chosen.chosen is None:
        raise CliError(
            "neither Pareto/NBD nor the modified BG/NBD could be estimated from this history "
            "(no converged fit with finite standard errors); no customer was scored"
        )
    report: dict[str, object] = {
        **{name: _model_json(fits[name]) for name in PURCHASE_MODELS},
        "gamma_gamma": _model_json(spend)
        if spend
        else {"error": "too few repeat purchases with a value (customers' own averages used)"},
        "scored_by": chosen.chosen,
        "selection": chosen.as_dict(),
        "customers": cal.height,
    }
    if args.observation_end is not None:
        actual = cal["frequency_holdout"].cast(pl.Float64)
        block: dict[str, object] = {"weeks": float(cal["duration_holdout"][0])}
        block["actual"] = float(actual.sum())
        for name in PURCHASE_MODELS:
            if fits[name] is None:
                continue
            comparison = holdout.holdout_comparison(cal, fits[name])
            block[name] = {
                "predicted": comparison.total_predicted,
                "mean_absolute_error": float(
                    (comparison.per_customer["predicted"] - actual).abs().mean()
                ),
                "by_frequency": comparison.by_frequency.to_dicts(),
            }
        report["holdout"] = block
    if args.out:
        scored = clv.score(
            cal.select("customer", "frequency", "recency", "T", "monetary", "paid"),
            fits[chosen.chosen],
            spend,
            horizon_weeks=args.horizon_weeks,
            annual_discount_rate=args.discount_rate,
        ).with_columns(pl.lit(chosen.chosen).alias("scored_by"))
        try:  # a model that gives no finite number leaves the cell empty, never "NaN"
            scored.select(OUT_COLUMNS).with_columns(pl.col(pl.Float64).fill_nan(None)).write_csv(
                args.out
            )
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

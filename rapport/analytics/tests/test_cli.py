"""`analytics clv` command line: good files, bad files, and the Django management command."""

import csv
import io
import json
import os

import pytest

from rapport.analytics.engine.cli import OUT_COLUMNS, run_clv_cli

from . import cdnow


@pytest.fixture(autouse=True)
def _english():
    """Shadow, for this module only, the project-wide autouse fixture that needs pytest-django's
    ``settings``: these tests use no Django settings and also run with ``-p no:django``."""
    return None


HEADER = (
    "customer,frequency,recency,T,monetary,p_alive,expected_purchases,expected_avg_value,"
    "value_basis,clv,scored_by"
)
MODELS = {"bgnbd", "mbgnbd", "pareto_nbd", "gamma_gamma"}


def sig(value, digits=3):
    return float(f"{value:.{digits - 1}e}")


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = run_clv_cli(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def clv_args(path, *extra, customer="cust", date="order_date", amount="value"):
    return (
        "clv",
        "--csv",
        str(path),
        "--customer",
        customer,
        "--date",
        date,
        "--amount",
        amount,
        "--calibration-end",
        "1997-09-30",
        *extra,
    )


@pytest.fixture(scope="module")
def cdnow_csv(tmp_path_factory):
    return cdnow.write_csv(tmp_path_factory.mktemp("cli") / "cdnow.csv", bom=True)


def test_good_file_prints_json_and_writes_the_csv(cdnow_csv, tmp_path):
    out_file = tmp_path / "scores.csv"
    code, out, err = run(*clv_args(cdnow_csv, "--out", str(out_file), "--horizon-weeks", "26"))
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == MODELS | {"customers", "scored_by", "selection"}
    assert report["customers"] == 2357
    bg = report["bgnbd"]
    for name in MODELS:  # standard errors for every model (issue 9, item 11)
        assert report[name]["standard_errors"] and report[name]["converged"], name
        assert all(0 < se < 100 for se in report[name]["standard_errors"].values()), name
    assert set(bg["standard_errors"]) == {"r", "alpha", "a", "b"}
    assert (sig(bg["r"]), sig(bg["alpha"]), sig(bg["a"]), sig(bg["b"])) == (
        0.243,
        4.41,
        0.793,
        2.43,
    )
    assert sig(report["gamma_gamma"]["p"]) == 6.25
    assert sig(report["pareto_nbd"]["beta"]) == 11.7
    assert sig(report["mbgnbd"]["b"]) == 1.61  # lifetimes' ModifiedBetaGeoFitter on CDNOW
    assert report["scored_by"] == "pareto_nbd" and report["selection"]["reason"] == "validation"
    text = out_file.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER == ",".join(OUT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2357
    first = rows[0]
    assert first["customer"] == "1" and first["frequency"] == "2"
    assert 0 < float(first["p_alive"]) <= 1 and float(first["clv"]) > 0
    assert {r["scored_by"] for r in rows} == {"pareto_nbd"}
    # nobody is certainly active: one-time buyers idle for 30 weeks and more are not (item 1)
    idle = [r for r in rows if r["frequency"] == "0" and float(r["T"]) > 30]
    assert len(idle) > 1000 and max(float(r["p_alive"]) for r in idle) < 0.6
    assert {r["value_basis"] for r in idle} <= {"population", "none"}
    assert "nan" not in text.lower()


def test_holdout_block_with_observation_end(cdnow_csv):
    code, out, err = run(
        *clv_args(cdnow_csv, "--observation-end", "1998-06-30", "--discount-rate", "0.05")
    )
    assert code == 0, err
    report = json.loads(out)
    hold = report["holdout"]
    assert hold["weeks"] == pytest.approx(39.0) and hold["actual"] == 1882
    groups = [g["group"] for g in hold["bgnbd"]["by_frequency"]]
    assert groups == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # The model that scores, chosen on the calibration data alone, is no worse per customer over
    # the 39 holdout weeks than the best of lifetimes' two models (Pareto/NBD 0.7545, BG/NBD
    # 0.7855, to the four decimals lifetimes' figures are given in).
    scored = hold[report["scored_by"]]["mean_absolute_error"]
    assert round(scored, 4) <= 0.7545 < hold["bgnbd"]["mean_absolute_error"]


def small_file(path, lines, bom=False):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig" if bom else "utf-8")
    return path


def test_file_without_bom_other_names_and_compact_dates(tmp_path):
    tx = cdnow.transactions().filter(cdnow.transactions()["customer"] <= 600)
    lines = ["Kunde,Datum,Betrag"] + [
        f"K{c},{d:%Y%m%d},{a}"
        for c, d, a in zip(tx["customer"], tx["date"], tx["amount"], strict=True)
    ]
    path = small_file(tmp_path / "x.csv", lines)
    code, out, err = run(*clv_args(path, customer="Kunde", date="Datum", amount="Betrag"))
    assert code == 0, err
    report = json.loads(out)
    assert report["customers"] == 600
    assert 0 < report["bgnbd"]["r"] < 5 and 0 < report["gamma_gamma"]["p"] < 50


def test_missing_column_is_named_with_the_columns_present(cdnow_csv):
    code, out, err = run(*clv_args(cdnow_csv, amount="price"))
    assert code == 2 and out == ""
    assert "'price'" in err and "cust, order_date, value" in err


def test_bad_date_reports_row_and_value(tmp_path):
    path = small_file(
        tmp_path / "bad.csv",
        [
            "cust,order_date,value",
            "1,1997-01-01,10",
            "1,1997-02-01,5",
            "2,1997-13-45,7",
            "2,1997-03-01,1",
        ],
        bom=True,
    )
    code, out, err = run(*clv_args(path))
    assert code == 2 and out == ""
    assert "'1997-13-45'" in err and "data row 3" in err and "line 4" in err


def test_bad_amount_reports_row_and_value(tmp_path):
    path = small_file(
        tmp_path / "bad.csv",
        ["cust,order_date,value", "1,1997-01-01,10", "1,1997-02-01,12 EUR 5", "2,1997-01-02,7"],
    )
    code, out, err = run(*clv_args(path))
    assert code == 2
    assert "'12 EUR 5'" in err and "data row 2" in err and "line 3" in err and "value" in err


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("1997-03-01", "1997-03-01"),
        ("1997-03-01T23:30:00Z", "1997-03-01"),
        ("1997-03-01T23:30:00+08:00", "1997-03-01"),
        ("1997-03-01 23:30:00.250-05:00", "1997-03-01"),
        ("1997-03-01 09:30", "1997-03-01"),
        ("1997-03-01T09:30", "1997-03-01"),
        ("19970301", "1997-03-01"),
        ("1997/03/01", "1997-03-01"),
        ("01.03.1997", "1997-03-01"),
        ("01.03.1997 09:30", "1997-03-01"),
    ],
)
def test_dates_in_the_forms_exports_use(written, day):
    from rapport.analytics.engine.cli import parse_dates

    assert [d.isoformat() for d in parse_dates([written])] == [day]


def test_day_first_and_month_first_dates():
    from rapport.analytics.engine.cli import CliError, parse_dates

    assert parse_dates(["13/03/1997", "01/04/1997"])[1].isoformat() == "1997-04-01"  # day first
    assert parse_dates(["03/13/1997", "04/01/1997"])[1].isoformat() == "1997-04-01"  # month first
    with pytest.raises(CliError, match="--date-format"):
        parse_dates(["01/04/1997", "02/05/1997"])
    assert parse_dates(["01/04/1997"], "day-first")[0].isoformat() == "1997-04-01"
    assert parse_dates(["01/04/1997"], "month-first")[0].isoformat() == "1997-01-04"
    assert parse_dates(["1997|04|01"], "%Y|%m|%d")[0].isoformat() == "1997-04-01"
    assert parse_dates(["1997-13-45", "01.13.1997"]) == [None, None]


@pytest.mark.parametrize(
    ("written", "amount", "currency"),
    [
        ("12.50", 12.5, ""),
        ("$1,234.50", 1234.5, "$"),
        ("1.234,50 €", 1234.5, "€"),
        ("1 234,50 EUR", 1234.5, "EUR"),
        ("CNY 12,345", 12345.0, "CNY"),
        ("¥12,5", 12.5, "¥"),
        ("1'234.50", 1234.5, ""),
        ("-40.00", -40.0, ""),
        ("(40.00)", -40.0, ""),
        ("1.234.567", 1234567.0, ""),
        ("12 EUR 5", None, "EUR"),
        ("abc", None, ""),
        ("$12 €", None, "$"),
    ],
)
def test_amounts_in_the_forms_exports_use(written, amount, currency):
    from rapport.analytics.engine.cli import parse_amount

    assert parse_amount(written) == (amount, currency)


def test_a_file_in_export_forms_gives_the_same_fit(cdnow_csv, tmp_path):
    """Timestamps with offsets, day-first dates and amounts with symbols and separators give
    exactly the fit of the plain ISO file."""
    tx = cdnow.transactions()
    lines = ["cust;when;value"] + [
        f'{c};{d:%d/%m/%Y} 10:15;"$ {a:,.2f}"'
        for c, d, a in zip(tx["customer"], tx["date"], tx["amount"], strict=True)
    ]
    path = small_file(
        tmp_path / "export.csv",
        [lines[0].replace(";", ",")] + [line.replace(";", ",", 2) for line in lines[1:]],
    )
    code, out, err = run(*clv_args(path, date="when"))
    assert code == 0, err
    code, plain, err = run(*clv_args(cdnow_csv))
    got, want = json.loads(out), json.loads(plain)
    assert got["pareto_nbd"]["r"] == pytest.approx(want["pareto_nbd"]["r"], rel=1e-9)
    assert got["gamma_gamma"]["p"] == pytest.approx(want["gamma_gamma"]["p"], rel=1e-9)


def test_mixed_currencies_are_refused(tmp_path):
    path = small_file(
        tmp_path / "mixed.csv",
        ["cust,order_date,value", "1,1997-01-01,$10", "1,1997-02-01,€12", "2,1997-01-02,$7"],
    )
    code, out, err = run(*clv_args(path))
    assert code == 2 and out == "" and "several currencies" in err and "$, €" in err


def test_refunds_on_a_later_day_count_like_same_day_ones(tmp_path):
    """Two customers with the same net spend get the same monetary value (item 5)."""
    tx = cdnow.transactions().filter(cdnow.transactions()["customer"] <= 300)
    rows = ["cust,order_date,value"] + [  # enough customers to fit
        f"{c},{d.isoformat()},{a}"
        for c, d, a in zip(tx["customer"], tx["date"], tx["amount"], strict=True)
    ]
    rows += ["a,1997-01-01,30", "a,1997-03-01,50", "a,1997-03-01,-10"]
    rows += ["b,1997-01-01,30", "b,1997-03-01,50", "b,1997-03-09,-10"]
    out_file = tmp_path / "s.csv"
    code, _, err = run(*clv_args(small_file(tmp_path / "r.csv", rows), "--out", str(out_file)))
    assert code == 0, err
    scored = {r["customer"]: r for r in csv.DictReader(io.StringIO(out_file.read_text()))}
    assert float(scored["a"]["monetary"]) == float(scored["b"]["monetary"]) == 40.0


@pytest.mark.parametrize("customers", [1, 3, 15])
def test_too_little_history_is_refused_and_never_written_as_nan(tmp_path, customers):
    """A 1- or 3-customer file used to fit r = 1.8e6 with standard errors of 1e10, or write
    NaN (item 8)."""
    rows = ["cust,order_date,value"] + [
        f"{c},1997-0{1 + k}-0{1 + c % 7},{10 + c + k}" for c in range(customers) for k in range(3)
    ]
    out_file = tmp_path / "s.csv"
    code, out, err = run(*clv_args(small_file(tmp_path / "t.csv", rows), "--out", str(out_file)))
    assert code == 2 and out == "" and not out_file.exists()
    assert f"{customers} customers" in err and "at least 20 customers" in err


def test_empty_amount_and_unreadable_file(tmp_path):
    path = small_file(tmp_path / "bad.csv", ["cust,order_date,value", "1,1997-01-01,"])
    code, _, err = run(*clv_args(path))
    assert code == 2 and "data row 1" in err
    code, _, err = run(*clv_args(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err


def test_bad_arguments_exit_2(cdnow_csv):
    code, _, err = run(*clv_args(cdnow_csv)[:-2], "--calibration-end", "30/09/1997")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = run("clv", "--csv", str(cdnow_csv))
    assert code == 2 and "required" in err
    code, _, err = run(*clv_args(cdnow_csv, "--observation-end", "1997-01-01"))
    assert code == 2 and "observation-end" in err


def test_management_command(cdnow_csv, tmp_path):
    """`rapport analytics clv ...` through Django's call_command (no database involved)."""
    django = pytest.importorskip("django")
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
        django.setup()
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out_file = tmp_path / "s.csv"
    stdout = io.StringIO()
    call_command("analytics", *clv_args(cdnow_csv, "--out", str(out_file)), stdout=stdout)
    assert json.loads(stdout.getvalue())["customers"] == 2357
    assert out_file.read_text().splitlines()[0] == HEADER
    with pytest.raises(CommandError):
        call_command(
            "analytics",
            *clv_args(cdnow_csv, amount="nope"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )

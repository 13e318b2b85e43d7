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


HEADER = "customer,frequency,recency,T,monetary,p_alive,expected_purchases,expected_avg_value,clv"


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
    assert set(report) == {"bgnbd", "gamma_gamma", "pareto_nbd", "customers"}
    assert report["customers"] == 2357
    bg = report["bgnbd"]
    assert set(bg) == {"r", "alpha", "a", "b", "log_likelihood", "standard_errors"}
    assert set(bg["standard_errors"]) == {"r", "alpha", "a", "b"}
    assert (sig(bg["r"]), sig(bg["alpha"]), sig(bg["a"]), sig(bg["b"])) == (
        0.243,
        4.41,
        0.793,
        2.43,
    )
    assert set(report["gamma_gamma"]) == {"p", "q", "gamma", "log_likelihood"}
    assert sig(report["gamma_gamma"]["p"]) == 6.25
    assert set(report["pareto_nbd"]) == {"r", "alpha", "s", "beta", "log_likelihood"}
    assert sig(report["pareto_nbd"]["beta"]) == 11.7
    text = out_file.read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER == ",".join(OUT_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2357
    first = rows[0]
    assert first["customer"] == "1" and first["frequency"] == "2"
    assert 0 < float(first["p_alive"]) <= 1 and float(first["clv"]) > 0


def test_holdout_block_with_observation_end(cdnow_csv):
    code, out, err = run(
        *clv_args(cdnow_csv, "--observation-end", "1998-06-30", "--discount-rate", "0.05")
    )
    assert code == 0, err
    hold = json.loads(out)["holdout"]
    assert hold["weeks"] == pytest.approx(39.0)
    assert hold["actual"] > 0 and hold["predicted_bgnbd"] > 0 and hold["predicted_pareto_nbd"] > 0
    assert [g["group"] for g in hold["by_frequency"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]


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
        ["cust,order_date,value", "1,1997-01-01,10", "1,1997-02-01,12 EUR", "2,1997-01-02,7"],
    )
    code, out, err = run(*clv_args(path))
    assert code == 2
    assert "'12 EUR'" in err and "data row 2" in err and "line 3" in err and "value" in err


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

import io

import pytest
from django.core.management import CommandError, call_command

from rapport.core.models import ObjectChange
from rapport.customers.models import Customer
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db

ROWS = [
    ["姓", "名", "手机", "邮箱"],
    ["王", "小明", "13800138000", "xm@example.cn"],
    ["李", "雷", "13900139000", ""],
]


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_prints_counts(write_csv):
    output = run("import", "customers", str(write_csv(ROWS)))
    assert "data.csv: 2 rows; created 2, updated 0, unchanged 0, with errors 0." in output
    assert Customer.objects.count() == 2
    assert ObjectChange.objects.filter(action="create").first().user_name == "command line"


def test_invalid_file_prints_the_errors_and_exits_with_1(write_csv):
    path = write_csv([*ROWS, ["", "", "12345", "bad"]])
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "customers", str(path), stdout=out)
    assert exc.value.returncode == 1
    output = out.getvalue()
    assert "     4  手机  “12345” is not a valid phone number." in output
    assert "     4  邮箱  “bad” is not a valid email address." in output
    assert not Customer.objects.exists()


def test_exit_status_through_the_rapport_command(write_csv, capsys):
    from rapport.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["rapport", "import", "customers", str(write_csv([*ROWS, ["", "", "12345", ""]]))])
    assert exc.value.code == 1
    assert "is not a valid phone number" in capsys.readouterr().out


def test_dry_run_valid_only_map_and_user(write_csv, manager):
    path = write_csv(
        [["Nachname", "Vorname", "Handy"], ["Müller", "Eva", "+49 30 901820"], ["", "", "1"]]
    )
    run(
        "import",
        "customers",
        str(path),
        "--dry-run",
        "--valid-only",
        "--map",
        "Nachname=family_name",
        "--map",
        "Vorname=given_name",
        "--map",
        "Handy=phone",
    )
    assert not Customer.objects.exists()
    output = run(
        "import",
        "customers",
        str(path),
        "--valid-only",
        "--map",
        "Nachname=family_name",
        "--map",
        "Vorname=given_name",
        "--map",
        "Handy=phone",
        "--user",
        manager.username,
    )
    assert "created 1" in output and "with errors 1" in output
    customer = Customer.objects.get()
    assert (customer.display_name, customer.primary_phone, customer.created_by) == (
        "Eva Müller",
        "+4930901820",
        manager,
    )
    assert ImportJob.objects.filter(dry_run=True).count() == 1


def test_bad_arguments(write_csv, tmp_path):
    with pytest.raises(CommandError, match="HEADER=FIELD"):
        call_command("import", "customers", str(write_csv(ROWS)), "--map", "oops")
    with pytest.raises(CommandError, match="No user"):
        call_command("import", "customers", str(write_csv(ROWS)), "--user", "nobody")
    with pytest.raises(CommandError, match="no file"):
        call_command("import", "customers", str(tmp_path / "missing.csv"))


def test_export_with_a_tag(make_customer, tmp_path):
    from openpyxl import load_workbook

    make_customer(family_name="王", given_name="小明", tags=["VIP"])
    make_customer(family_name="Lee", given_name="Bo")
    target = tmp_path / "vip.csv"
    run("export", "customers", str(target), "--tag", "VIP")
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].split(",")[2:4] == ["王", "小明"]
    target = tmp_path / "all.xlsx"
    run("export", "customers", str(target))
    sheet = load_workbook(target, read_only=True).worksheets[0]
    assert [r[2] for r in sheet.iter_rows(values_only=True)] == ["family_name", "王", "Lee"]
    with pytest.raises(CommandError, match=".csv or .xlsx"):
        call_command("export", "customers", str(tmp_path / "x.pdf"))

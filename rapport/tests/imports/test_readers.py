from datetime import date, datetime

import pytest
from django.utils import timezone

from rapport.imports.readers import (
    UnreadableFile,
    detect_encoding,
    estimate_rows,
    open_table,
    sniff_delimiter,
)
from rapport.imports.values import (
    choice,
    country,
    decimal_text,
    parse_bool,
    parse_date,
    parse_datetime,
    split_full_name,
    split_list,
    text,
)

ROWS = [["姓", "名", "电话"], ["王", "小明", "13800138000"], ["Novák", "Ján", "+421 905 123 456"]]


def read_all(path):
    table = open_table(path)
    return table.headers, list(table.rows)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])
def test_utf8_with_and_without_bom(write_csv, encoding):
    path = write_csv(ROWS, encoding=encoding)
    assert detect_encoding(path) == "utf-8-sig"
    headers, rows = read_all(path)
    assert headers == ["姓", "名", "电话"]  # no BOM stuck to the first header
    assert rows == [(2, ["王", "小明", "13800138000"]), (3, ["Novák", "Ján", "+421 905 123 456"])]


def test_gbk_chinese_file(write_csv):
    path = write_csv(ROWS[:2], encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    assert detect_encoding(path) == "gb18030"
    headers, rows = read_all(path)
    assert headers == ["姓", "名", "电话"]
    assert rows == [(2, ["王", "小明", "13800138000"])]


def test_excel_unicode_text_is_utf16_with_tabs(write_csv):
    path = write_csv(ROWS, encoding="utf-16", delimiter="\t")
    headers, rows = read_all(path)
    assert headers == ["姓", "名", "电话"] and rows[1][1][0] == "Novák"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3", ","),
        ("a;b;c\n1;2;3", ";"),
        ("a\tb\tc\n", "\t"),
        ("single\n1", ","),
        ('"x;y",b,c\n', ","),
        ("a;b,c;d\n", ";"),
    ],
)
def test_sniff_delimiter(sample, expected):
    assert sniff_delimiter(sample) == expected


def test_semicolon_csv_as_slovak_excel_writes_it(write_csv):
    path = write_csv([["Priezvisko", "Meno", "Cena"], ["Novák", "Ján", "12,50"]], delimiter=";")
    headers, rows = read_all(path)
    assert headers == ["Priezvisko", "Meno", "Cena"] and rows[0][1] == ["Novák", "Ján", "12,50"]


def test_row_numbers_are_what_the_spreadsheet_shows(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text('name,notes\n\nAnna,"two\nlines"\n,\nBen,x\n', encoding="utf-8")
    headers, rows = read_all(path)
    # Blank line = row 2, the quoted two-line cell is one row (3), the empty record row 4 is skipped.
    assert [r[0] for r in rows] == [3, 5]
    assert rows[0][1] == ["Anna", "two\nlines"]


def test_xlsx_with_dates_and_numbers(write_xlsx):
    path = write_xlsx(
        [
            ["Name", "Birthday", "Customer since", "Phone"],
            ["Anna", datetime(1980, 3, 5), 45123, 13800138000],
        ],
        number_formats={2: "yyyy-mm-dd"},
    )
    headers, rows = read_all(path)
    assert headers == ["Name", "Birthday", "Customer since", "Phone"]
    number, cells = rows[0]
    assert number == 2
    assert parse_date(cells[1]) == date(1980, 3, 5)  # a date cell
    assert parse_date(cells[2]) == date(2023, 7, 16)  # a serial number in a date column
    assert text(cells[3]) == "13800138000"


def test_xlsx_header_below_empty_rows(write_xlsx):
    path = write_xlsx([[None, None], ["sku", "name"], ["A-1", "Tea"]])
    table = open_table(path)
    assert table.headers == ["sku", "name"] and list(table.rows) == [(3, ["A-1", "Tea"])]


def test_old_excel_and_broken_xlsx_are_refused(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(UnreadableFile, match="xlsx"):
        open_table(old)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile):
        open_table(broken)


def test_estimate_rows(write_csv, write_xlsx):
    assert estimate_rows(write_csv(ROWS)) == 2
    assert estimate_rows(write_xlsx(ROWS)) == 2


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03-05",
        "2024/3/5",
        "2024.03.05",
        "05.03.2024",
        "5.3.2024",
        "5. 3. 2024",
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "20240305",
        "2024-03-05 10:30",
        "45356",
        45356,
        datetime(2024, 3, 5, 8),
        date(2024, 3, 5),
    ],
)
def test_parse_date_spellings(raw):
    assert parse_date(raw) == date(2024, 3, 5)


@pytest.mark.parametrize(
    "raw", ["2024-13-01", "31.02.2024", "03/05/2024", "yesterday", "2024", "12345678901"]
)
def test_parse_date_refuses(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_parse_date_empty():
    assert parse_date("") is None and parse_date(None) is None and parse_date("  ") is None


def test_parse_datetime_is_aware_local_time():
    moment = parse_datetime("2024-03-05 14:30")
    assert timezone.is_aware(moment)
    assert timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") == "2024-03-05 14:30"
    assert timezone.localtime(parse_datetime("05.03.2024 9:05")).strftime("%H:%M") == "09:05"
    assert parse_datetime("2024-03-05T14:30:00+00:00").utcoffset().total_seconds() == 0
    assert timezone.localtime(parse_datetime(45356.5)).hour == 12
    with pytest.raises(ValueError):
        parse_datetime("2024-03-05 25:00")


def test_cell_helpers():
    assert text(13800138000.0) == "13800138000"
    assert text("'=SUM(A1)") == "=SUM(A1)" and text("'quoted") == "'quoted"
    assert parse_bool("是") is True and parse_bool("nie") is False and parse_bool("") is None
    with pytest.raises(ValueError):
        parse_bool("perhaps")
    assert decimal_text("1 234,50 €") == "1234.50"
    assert decimal_text("1,234.50") == "1,234.50"  # thousands separators are to_decimal's business
    assert decimal_text(12.5) == "12.5"
    assert split_list("VIP, 北京；上海、Bratislava") == ["VIP", "北京", "上海", "Bratislava"]
    assert country("Slovensko") == country("斯洛伐克") == country("sk") == "SK"
    with pytest.raises(ValueError):
        country("Atlantis")


def test_choice_accepts_labels_and_synonyms():
    from rapport.customers.choices import Gender, Language

    assert choice("男", Gender, "gender") == "male"
    assert choice("Female", Gender, "gender") == "female"
    assert choice("slovenčina", Language, "preferred_language") == "sk"
    assert choice("繁體中文", Language, "preferred_language") == "zh-hant"
    assert choice("martian", Gender, "gender") == "martian"  # left for the rule to refuse


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("王小明", ("王", "小明")),
        ("欧阳修", ("欧阳", "修")),
        ("Ján Novák", ("Novák", "Ján")),
        ("Novák, Ján", ("Novák", "Ján")),
        ("Mary Ann Smith", ("Smith", "Mary Ann")),
        ("Cher", ("Cher", "")),
    ],
)
def test_split_full_name(full, expected):
    assert split_full_name(full) == expected

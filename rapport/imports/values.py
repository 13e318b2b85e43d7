"""Reading one cell: text, dates in the spellings our users write, yes/no, amounts and lists.

Each reader returns the value or raises ValueError; the row validators turn that into the
translated message of the rule that owns the field.
"""

import re
from datetime import date, datetime, time
from functools import cache
from typing import Any

from django.db.models import TextChoices
from django.utils import timezone, translation

from rapport.core.calendar import YEAR_UNKNOWN
from rapport.core.names import fold

# Spreadsheet programs store dates as days since 1899-12-30; this range is 1900-01-01..9999-12-31.
_SERIAL_MIN, _SERIAL_MAX = 2, 2958465
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](.+))?$")
_DMY = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})(?:\s+(.+))?$")  # 05.03.2024, 5. 3. 2024
_CJK_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?(?:\s*(.+))?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(?:[.,]\d+)?)?$")
# Google Contacts writes several values in one cell as "a ::: b".
_LIST_SEPARATORS = re.compile(r"(?:\s*:::\s*|[,，;；、\n])+")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")  # 5/14/1985 (Outlook), 14/5/1985
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")  # --07-21 (Google), --0721 (vCard)
_EMPTY_DATES = {"0/0/00", "0/0/0000", "00/00/0000", "0000-00-00"}  # Outlook's "no date"

_FORMULA_ESCAPE = re.compile(r"^'[=+\-@]")
_DECIMAL_COMMA = re.compile(r"^-?\d+,\d{1,2}$")
_NUMBER_NOISE = re.compile(r"[\s\u00a0\u202f¥￥€$]")


def text(value: Any) -> str:
    """The cell as trimmed text; whole floats lose their '.0' (Excel stores phone numbers so)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = value.strip()
        # Our exports prefix text that a spreadsheet would run as a formula with an apostrophe.
        return value[1:] if value[:1] == "'" and _FORMULA_ESCAPE.match(value) else value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date from a date cell, a spreadsheet serial number or a written date; None when empty."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(value).date()
    raw = text(value)
    if not raw or raw in _EMPTY_DATES:
        return None
    if m := _NO_YEAR.match(raw):
        return date(YEAR_UNKNOWN, int(m.group(1)), int(m.group(2)))
    if m := _SLASHED.match(raw):
        return _slashed(int(m.group(1)), int(m.group(2)), m.group(3), raw)
    if raw.isdigit() and len(raw) == 5:  # a serial date saved as text (45123); 4 digits is a year
        return _from_serial(int(raw)).date()
    day, _rest = _split_date(raw)
    return day


class AmbiguousDate(ValueError):
    """A date that reads two ways (5/6/1985: 6 May or 5 June); the message names both and the
    forms that are never ambiguous."""


def _slashed(first: int, second: int, year_text: str, raw: str) -> date:
    """Month/day/year (Outlook's US form) or day/month/year, whichever the numbers allow."""
    year = int(year_text)
    if len(year_text) == 2:  # 85 -> 1985, 07 -> 2007: a birthday or a recent date
        year += 2000 if year <= timezone.localdate().year % 100 else 1900
    if first > 12 >= second:
        return date(year, second, first)
    if second > 12 >= first or first == second:
        return date(year, first, second)
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    raise AmbiguousDate(
        _(
            "“%(value)s” could be %(one)s or %(other)s: write the date as year-month-day "
            "(1985-05-14), day.month.year (14.5.1985) or with the month in words."
        )
        % {
            "value": raw,
            "one": date_format(date(year, first, second)),
            "other": date_format(date(year, second, first)),
        }
    )


def parse_datetime(value: Any) -> datetime | None:
    """An aware datetime (local time zone when the cell has none); a bare date means midnight."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_serial(value)
    else:
        raw = text(value)
        if not raw:
            return None
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            day, rest = _split_date(raw)
            moment = datetime.combine(day, _parse_time(rest) if rest else time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _from_serial(number: float) -> datetime:
    from openpyxl.utils.datetime import from_excel

    if not _SERIAL_MIN <= number <= _SERIAL_MAX:
        raise ValueError("not a date serial")
    return from_excel(number)


def _split_date(raw: str) -> tuple[date, str]:
    for pattern, order in ((_ISO, "ymd"), (_CJK_DATE, "ymd"), (_DMY, "dmy"), (_COMPACT, "ymd")):
        if m := pattern.match(raw):
            parts = [int(g) for g in m.groups()[:3]]
            y, mo, d = parts if order == "ymd" else parts[::-1]
            rest = m.group(4) if pattern.groups >= 4 else None
            return date(y, mo, d), (rest or "").strip()
    raise ValueError("not a date")


def _parse_time(raw: str) -> time:
    m = _TIME.match(raw)
    if not m:
        raise ValueError("not a time")
    return time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


_TRUE = {
    "1",
    "yes",
    "y",
    "true",
    "t",
    "x",
    "✓",
    "✔",
    "是",
    "对",
    "對",
    "有",
    "ano",
    "a",
    "ja",
    "oui",
}
_FALSE = {"0", "no", "n", "false", "f", "-", "否", "不", "不是", "无", "無", "nie"}


def parse_bool(value: Any) -> bool | None:
    """Yes/no in the four languages; None when empty; ValueError for anything else."""
    if isinstance(value, bool):
        return value
    raw = fold(text(value))
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError("not a yes/no")


def decimal_text(value: Any) -> str:
    """Amount text for rapport.sales.services.to_decimal: '1 234,50 €' -> '1234.50'."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) and not value.is_integer() else text(value)
    raw = _NUMBER_NOISE.sub("", text(value))
    if _DECIMAL_COMMA.match(raw):
        raw = raw.replace(",", ".")  # Slovak decimal comma: 12,50
    return raw


def split_list(value: Any) -> list[str]:
    """A cell holding several values (tags, phone numbers): comma, semicolon, 、 or new line."""
    return [part.strip() for part in _LIST_SEPARATORS.split(text(value)) if part.strip()]


# Choices: the stored value, or its label in any of our languages, or a common synonym.
_SYNONYMS: dict[str, dict[str, str]] = {
    "gender": {
        "m": "male",
        "man": "male",
        "男": "male",
        "男性": "male",
        "先生": "male",
        "muz": "male",
        "f": "female",
        "w": "female",
        "woman": "female",
        "女": "female",
        "女性": "female",
        "女士": "female",
        "zena": "female",
        # Outlook writes "Unspecified" in every row without a gender: it means empty.
        "unspecified": "",
        "unknown": "",
        "其他": "other",
        "ine": "other",
    },
    "preferred_language": {
        "english": "en",
        "英语": "en",
        "英語": "en",
        "anglictina": "en",
        "zh": "zh-hans",
        "zh-cn": "zh-hans",
        "zh_hans": "zh-hans",
        "chinese": "zh-hans",
        "中文": "zh-hans",
        "简体中文": "zh-hans",
        "簡體中文": "zh-hans",
        "普通话": "zh-hans",
        "zh-tw": "zh-hant",
        "zh-hk": "zh-hant",
        "zh_hant": "zh-hant",
        "繁體中文": "zh-hant",
        "繁体中文": "zh-hant",
        "slovak": "sk",
        "slovencina": "sk",
        "slovensky": "sk",
        "斯洛伐克语": "sk",
    },
    "preferred_channel": {
        "电话": "phone",
        "電話": "phone",
        "telefon": "phone",
        "短信": "sms",
        "簡訊": "sms",
        "邮件": "email",
        "电子邮件": "email",
        "郵件": "email",
        "e-mail": "email",
        "mail": "email",
        "微信": "wechat",
        "邮寄": "post",
        "郵寄": "post",
        "posta": "post",
        "上门": "visit",
    },
}


@cache
def _choice_table(choices: type[TextChoices], field: str) -> dict[str, str]:
    table = {fold(v): v for v in choices.values}
    for code in ("en", "zh-hans", "zh-hant", "sk"):
        with translation.override(code):
            table.update({fold(str(label)): value for value, label in choices.choices if value})
    table.update({fold(k): v for k, v in _SYNONYMS.get(field, {}).items()})
    return table


def choice(value: Any, choices: type[TextChoices], field: str = "") -> str:
    """The stored value for a cell; unknown text comes back as written, for the rule to refuse."""
    raw = text(value)
    return _choice_table(choices, field).get(fold(raw), raw) if raw else ""


@cache
def _countries() -> dict[str, str]:
    from babel import Locale

    table: dict[str, str] = {}
    for code in ("en", "zh_Hans", "zh_Hant", "sk"):
        for territory, name in Locale.parse(code).territories.items():
            if len(territory) == 2 and territory.isalpha():
                table.setdefault(fold(name), territory)
                table[fold(territory)] = territory
    return table


def country(value: Any) -> str:
    """Two-letter code from 'SK', 'Slovakia', 'Slovensko' or '斯洛伐克'; ValueError otherwise."""
    raw = text(value)
    if not raw:
        return ""
    code = _countries().get(fold(raw))
    if code is None:
        raise ValueError("not a country")
    return code


# Two-character family names; every other Chinese name starts with a one-character family name.
_COMPOUND_SURNAMES = frozenset(
    (
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "令狐",
        "慕容",
        "尉迟",
        "公孙",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "歐陽",
        "司馬",
        "諸葛",
        "東方",
        "長孫",
        "軒轅",
        "西門",
        "獨孤",
        "呼延",
        "百里",
        "万俟",
        "萬俟",
        "闻人",
        "聞人",
        "澹台",
        "澹臺",
        "公冶",
        "太史",
        "申屠",
    )
)


def split_full_name(full: str) -> tuple[str, str]:
    """(family, given) from one name cell: '王小明' -> ('王', '小明'); 'Ján Novák' -> ('Novák', 'Ján');
    'Novák, Ján' -> ('Novák', 'Ján')."""
    from rapport.core.names import is_cjk

    full = " ".join(full.split())
    if not full:
        return "", ""
    if "," in full:
        family, _sep, given = full.partition(",")
        return family.strip(), given.strip()
    if is_cjk(full) and " " not in full:
        cut = 2 if full[:2] in _COMPOUND_SURNAMES and len(full) > 2 else 1
        return full[:cut], full[cut:]
    given, _sep, family = full.rpartition(" ")
    return family, given

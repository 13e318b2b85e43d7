"""Which column holds which field: header aliases in our four languages, and the user's overrides.

Headers match case-, accent-, space- and punctuation-insensitively ("Last name", "last_name" and
"LASTNAME" are one header). Fields that may appear in several columns (phones, emails) also match
with a number after them: "phone 2", "email_3", "手机2".

Each import kind's columns belong to the app that owns the kind (e.g. rapport.customers.importing.
columns); the words most kinds share (notes, tags, external id, phone, email, address) are here.
"""

import re
from dataclasses import dataclass, field
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.names import fold

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_TRAILING_NUMBER = re.compile(r"\d+$")
# A number inside a header names the n-th of several columns: "Phone 2 - Value" (Google
# Contacts), "E-mail 2 Address" (Outlook).
_INNER_NUMBER = re.compile(r"(?<=\D)\d+(?=\D)")
IGNORE = ("", "-", "ignore")


@dataclass(frozen=True)
class Target:
    """One column a file of a kind may have: the field it fills, its translated label, the header
    spellings that name it, and where it appears (the import, the export, or both)."""

    field: str
    label: Promise
    aliases: tuple[str, ...]
    multi: bool = False  # may appear in several columns
    required: bool = False  # the file must have a column for it
    imported: bool = True  # read from files (False: written to exports only)
    exported: bool = True  # a column of the export (False: accepted on import only)


def T(
    field: str,
    label: Promise,
    *aliases: str,
    multi: bool = False,
    required: bool = False,
    imported: bool = True,
    exported: bool = True,
) -> Target:
    return Target(field, label, (field, *aliases), multi, required, imported, exported)


# The customer a row of a business app's kind belongs to, by number ("C0000042", "c42", "42"):
# complaints, survey answers, service visits, coupons, points… all name it the same way.
CUSTOMER_NUMBER = T(
    "customer",
    gettext_lazy("customer number"),
    "customer_id",
    "客户编号",
    "客戶編號",
    "číslo zákazníka",
    "zákazník",
    required=True,
)

ADDRESS = (
    T(
        "address",
        gettext_lazy("address"),
        "street",
        "address line 1",
        # Outlook's and Google Contacts' exports
        "home street",
        "address 1 - street",
        "street address",
        "地址",
        "住址",
        "通讯地址",
        "通訊地址",
        "adresa",
        "ulica",
    ),
    T(
        "city",
        gettext_lazy("city"),
        "town",
        "home city",
        "address 1 - city",
        "城市",
        "市",
        "mesto",
        "obec",
    ),
    T(
        "region",
        gettext_lazy("region"),
        "province",
        "state",
        "home state",
        "address 1 - region",
        "省",
        "省份",
        "地区",
        "地區",
        "kraj",
    ),
    T(
        "postal_code",
        gettext_lazy("postal code"),
        "postcode",
        "zip",
        "zip code",
        "home postal code",
        "address 1 - postal code",
        "邮编",
        "邮政编码",
        "郵遞區號",
        "郵政編碼",
        "psč",
    ),
    T(
        "country",
        gettext_lazy("country"),
        "country/region",
        "home country/region",
        "home country",
        "address 1 - country",
        "国家",
        "國家",
        "krajina",
        "štát",
    ),
)
PHONE_ALIASES = (
    "phones",
    "telephone",
    "tel",
    "mobile",
    "mobile phone",
    "cell",
    "cell phone",
    "phone number",
    "primary phone",
    "other phone",
    "car phone",
    "phone - value",  # Google Contacts: "Phone 1 - Value", "Phone 2 - Value"
    "电话",
    "手机",
    "手机号",
    "手机号码",
    "电话号码",
    "联系电话",
    "移动电话",
    "電話",
    "手機",
    "電話號碼",
    "手機號碼",
    "聯絡電話",
    "行動電話",
    "telefón",
    "mobil",
    "tel. číslo",
    "telefónne číslo",
)
EMAIL_ALIASES = (
    "emails",
    "e-mail",
    "email address",
    "e-mail address",  # Outlook: "E-mail Address", "E-mail 2 Address"
    "e-mail - value",  # Google Contacts: "E-mail 1 - Value"
    "mail",
    "邮箱",
    "电子邮件",
    "电子邮箱",
    "邮件",
    "電子郵件",
    "郵箱",
    "電郵",
    "電子信箱",
    "e-mailová adresa",
)
NOTES = T(
    "notes",
    gettext_lazy("notes"),
    "note",
    "remarks",
    "comments",
    "comment",
    "备注",
    "備註",
    "poznámka",
    "poznámky",
)
TAGS = T(
    "tags",
    gettext_lazy("tags"),
    "tag",
    "labels",
    "categories",
    "group membership",
    "标签",
    "標籤",
    "štítky",
    "značky",
)
EXTERNAL_ID = T(
    "external_id",
    gettext_lazy("external id"),
    "external id",
    "ext id",
    "id",
    "source id",
    "外部编号",
    "外部编码",
    "外部編號",
    "外部id",
    "externé id",
    "externý identifikátor",
)


def normalize_header(header: str) -> str:
    """'  Last-Name ' -> 'lastname'; 'Telefón' -> 'telefon'; CJK unchanged."""
    return _NOT_WORD.sub("", fold(header or ""))


def export_only_headers(kind: str) -> set[str]:
    """The normalised headers of the columns an export writes and the import leaves out (consent
    per channel): an exported file imports again without them counting as unknown columns."""
    from rapport.core.registry import import_kind

    return {
        normalize_header(name)
        for t in import_kind(kind).targets()
        if not t.imported
        for name in (*t.aliases, str(t.label))
    }


def targets_for(kind: str) -> tuple[Target, ...]:
    """The columns a file of `kind` may have (registered by the app that owns the kind)."""
    from rapport.core.registry import import_kind

    return tuple(t for t in import_kind(kind).targets() if t.imported)


def export_columns(targets: tuple[Target, ...]) -> tuple[str, ...]:
    """An export's header row: the exported targets' field names, in the targets' order (so an
    export imports again as it is)."""
    return tuple(t.field for t in targets if t.exported)


@cache
def _alias_table(kind: str) -> dict[str, Target]:
    table: dict[str, Target] = {}
    for target in targets_for(kind):
        for alias in target.aliases:
            table.setdefault(normalize_header(alias), target)
    return table


def target_for(kind: str, header: str) -> Target | None:
    table = _alias_table(kind)
    key = normalize_header(header)
    if target := table.get(key):
        return target
    for stem in (_TRAILING_NUMBER.sub("", key), _INNER_NUMBER.sub("", key, count=1)):
        target = table.get(stem) if stem != key else None
        if target and target.multi:
            return target
    return None


def targets_by_field(kind: str) -> dict[str, Target]:
    return {t.field: t for t in targets_for(kind)}


@dataclass
class ColumnPlan:
    """Where each field is in the rows; `problems` are (column, message) for the whole file."""

    kind: str
    headers: list[str]
    columns: list[tuple[int, str]] = field(default_factory=list)  # (index, field)
    unknown: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def fields(self) -> set[str]:
        return {f for _i, f in self.columns}

    def header_for(self, name: str) -> str:
        """The user's header for a field (the first, for fields in several columns)."""
        return next((self.headers[i] for i, f in self.columns if f == name), "")

    def describe(self) -> list[tuple[str, str]]:
        """(header, field label) for display."""
        labels = targets_by_field(self.kind)
        return [(self.headers[i], str(labels[f].label)) for i, f in self.columns]


def map_columns(
    kind: str, headers: list[str], overrides: dict[str, str] | None = None
) -> ColumnPlan:
    """Match headers to fields; the user's `overrides` ({header: field or ""}) win."""
    by_field = targets_by_field(kind)
    normalized_overrides = {normalize_header(h): f for h, f in (overrides or {}).items()}
    plan = ColumnPlan(kind=kind, headers=list(headers))
    export_only = export_only_headers(kind)
    for header, name in (overrides or {}).items():
        if name not in IGNORE and name not in by_field:
            plan.problems.append(
                (header, _("“%(field)s” is not a field you can import here.") % {"field": name})
            )
    taken: dict[str, str] = {}
    for index, header in enumerate(headers):
        if not header:
            continue
        override = (overrides or {}).get(header, normalized_overrides.get(normalize_header(header)))
        if override is not None:
            target = by_field.get(override)
            if target is None:
                continue
        else:
            target = target_for(kind, header)
        if target is None:
            if normalize_header(header) not in export_only:  # an exported file imports again
                plan.unknown.append(header)
            continue
        if target.field in taken and not target.multi:
            plan.problems.append(
                (
                    header,
                    _(
                        "The columns “%(first)s” and “%(second)s” are both read as the field "
                        "“%(field)s”: keep one, or map one to another field."
                    )
                    % {"first": taken[target.field], "second": header, "field": target.label},
                )
            )
            continue
        taken.setdefault(target.field, header)
        plan.columns.append((index, target.field))
    for target in targets_for(kind):
        if target.required and target.field not in taken:
            plan.problems.append(
                (
                    "",
                    _("The file has no column for the field “%(field)s”.")
                    % {"field": target.label},
                )
            )
    return plan


def parse_overrides(lines: list[str]) -> dict[str, str]:
    """{header: field} from "Header = field" lines (CLI --map, the upload form); "Header =" ignores
    the column. ValueError names the first line without an equals sign."""
    overrides: dict[str, str] = {}
    for line in lines:
        if not line.strip():
            continue
        header, sep, target = line.partition("=")
        if not sep or not header.strip():
            raise ValueError(line)
        overrides[header.strip()] = target.strip()
    return overrides

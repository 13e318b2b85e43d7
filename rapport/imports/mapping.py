"""Which column holds which field: header aliases in our four languages, and the user's overrides.

Headers match case-, accent-, space- and punctuation-insensitively ("Last name", "last_name" and
"LASTNAME" are one header). Fields that may appear in several columns (phones, emails) also match
with a number after them: "phone 2", "email_3", "手机2".
"""

import re
from dataclasses import dataclass, field
from functools import cache

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from rapport.core.names import fold
from rapport.imports.choices import ImportKind

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
_TRAILING_NUMBER = re.compile(r"\d+$")
IGNORE = ("", "-", "ignore")


@dataclass(frozen=True)
class Target:
    field: str
    label: Promise
    aliases: tuple[str, ...]
    multi: bool = False  # may appear in several columns
    required: bool = False  # the file must have a column for it


def T(
    field: str, label: Promise, *aliases: str, multi: bool = False, required: bool = False
) -> Target:
    return Target(field, label, (field, *aliases), multi, required)


_ADDRESS = (
    T(
        "address",
        gettext_lazy("address"),
        "street",
        "address line 1",
        "地址",
        "住址",
        "通讯地址",
        "通訊地址",
        "adresa",
        "ulica",
    ),
    T("city", gettext_lazy("city"), "town", "城市", "市", "mesto", "obec"),
    T("region", gettext_lazy("region"), "province", "state", "省", "省份", "地区", "地區", "kraj"),
    T(
        "postal_code",
        gettext_lazy("postal code"),
        "postcode",
        "zip",
        "zip code",
        "邮编",
        "邮政编码",
        "郵遞區號",
        "郵政編碼",
        "psč",
    ),
    T("country", gettext_lazy("country"), "国家", "國家", "krajina", "štát"),
)
_PHONE_ALIASES = (
    "phones",
    "telephone",
    "tel",
    "mobile",
    "mobile phone",
    "cell",
    "cell phone",
    "phone number",
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
_EMAIL_ALIASES = (
    "emails",
    "e-mail",
    "email address",
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
_NOTES = T(
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
_TAGS = T("tags", gettext_lazy("tags"), "tag", "labels", "标签", "標籤", "štítky", "značky")
_EXTERNAL_ID = T(
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
_SKU = T(
    "sku",
    gettext_lazy("SKU"),
    "item code",
    "product code",
    "code",
    "货号",
    "商品编码",
    "产品编号",
    "產品編號",
    "貨號",
    "商品編碼",
    "kód",
    "kód produktu",
    required=True,
)

BUILTIN_TARGETS: dict[str, tuple[Target, ...]] = {
    ImportKind.CUSTOMERS: (
        T(
            "number",
            gettext_lazy("customer number"),
            "customer number",
            "customer no",
            "客户编号",
            "客戶編號",
            "客户号",
            "číslo zákazníka",
        ),
        _EXTERNAL_ID,
        T(
            "name",
            gettext_lazy("full name"),
            "full name",
            "姓名",
            "全名",
            "meno a priezvisko",
            "celé meno",
        ),
        T(
            "family_name",
            gettext_lazy("family name"),
            "family name",
            "last name",
            "lastname",
            "surname",
            "姓",
            "姓氏",
            "priezvisko",
        ),
        T(
            "given_name",
            gettext_lazy("given name"),
            "given name",
            "first name",
            "firstname",
            "forename",
            "名",
            "名字",
            "meno",
            "krstné meno",
        ),
        T("gender", gettext_lazy("gender"), "sex", "性别", "性別", "pohlavie"),
        T(
            "birthday",
            gettext_lazy("birthday"),
            "birth date",
            "date of birth",
            "dob",
            "born",
            "生日",
            "出生日期",
            "出生年月日",
            "dátum narodenia",
            "narodeniny",
        ),
        T(
            "celebrates_lunar_birthday",
            gettext_lazy("celebrates the lunar birthday"),
            "lunar birthday",
            "农历生日",
            "农历",
            "阴历生日",
            "農曆生日",
            "過農曆生日",
            "lunárne narodeniny",
        ),
        T(
            "hobbies",
            gettext_lazy("hobbies"),
            "hobby",
            "interests",
            "爱好",
            "兴趣",
            "兴趣爱好",
            "愛好",
            "興趣",
            "záľuby",
            "koníčky",
        ),
        T(
            "personality",
            gettext_lazy("personality notes"),
            "personality notes",
            "性格",
            "个性",
            "個性",
            "osobnosť",
            "povaha",
        ),
        T(
            "family_situation",
            gettext_lazy("family situation"),
            "family situation",
            "family",
            "家庭情况",
            "家庭状况",
            "家庭狀況",
            "家庭情況",
            "rodinná situácia",
            "rodina",
        ),
        T(
            "occupation",
            gettext_lazy("occupation"),
            "job",
            "profession",
            "职业",
            "職業",
            "工作",
            "povolanie",
            "zamestnanie",
        ),
        T(
            "income_band",
            gettext_lazy("income band"),
            "income band",
            "income",
            "收入",
            "收入水平",
            "príjem",
        ),
        T(
            "preferred_language",
            gettext_lazy("preferred language"),
            "preferred language",
            "language",
            "语言",
            "語言",
            "首选语言",
            "jazyk",
            "preferovaný jazyk",
        ),
        T(
            "preferred_channel",
            gettext_lazy("preferred channel"),
            "preferred channel",
            "channel",
            "首选渠道",
            "联系方式",
            "偏好渠道",
            "聯繫方式",
            "kanál",
            "preferovaný kanál",
        ),
        T(
            "customer_since",
            gettext_lazy("customer since"),
            "customer since",
            "since",
            "成为客户日期",
            "入会日期",
            "客户起始日期",
            "入會日期",
            "zákazníkom od",
            "zákazník od",
        ),
        T(
            "source",
            gettext_lazy("source"),
            "lead source",
            "来源",
            "客户来源",
            "來源",
            "客戶來源",
            "zdroj",
        ),
        T(
            "referred_by",
            gettext_lazy("referred by"),
            "referred by",
            "referrer",
            "推荐人",
            "介绍人",
            "推薦人",
            "介紹人",
            "odporučil",
            "odporúčateľ",
        ),
        _NOTES,
        T("phone", gettext_lazy("phone"), *_PHONE_ALIASES, multi=True),
        T(
            "home_phone",
            gettext_lazy("home phone"),
            "home phone",
            "家庭电话",
            "住宅电话",
            "住家電話",
            "telefón domov",
            multi=True,
        ),
        T(
            "work_phone",
            gettext_lazy("work phone"),
            "work phone",
            "office phone",
            "business phone",
            "办公电话",
            "公司电话",
            "辦公電話",
            "公司電話",
            "telefón do práce",
            "pracovný telefón",
            multi=True,
        ),
        T("email", gettext_lazy("email"), *_EMAIL_ALIASES, multi=True),
        _TAGS,
        *_ADDRESS,
    ),
    ImportKind.ORGANISATIONS: (
        _EXTERNAL_ID,
        T(
            "name",
            gettext_lazy("name"),
            "organisation",
            "organization",
            "company",
            "company name",
            "公司",
            "公司名称",
            "单位",
            "机构",
            "企业",
            "公司名稱",
            "機構",
            "企業",
            "organizácia",
            "firma",
            "názov",
        ),
        T("industry", gettext_lazy("industry"), "sector", "行业", "行業", "odvetvie"),
        T("website", gettext_lazy("website"), "web", "url", "网站", "網站", "webstránka"),
        T("phone", gettext_lazy("phone"), *_PHONE_ALIASES),
        T("email", gettext_lazy("email"), *_EMAIL_ALIASES),
        T(
            "tax_id",
            gettext_lazy("tax id"),
            "tax id",
            "vat",
            "vat id",
            "税号",
            "纳税人识别号",
            "统一社会信用代码",
            "統一編號",
            "dič",
            "ič dph",
        ),
        T("address", gettext_lazy("address"), "street", "地址", "adresa", "ulica"),
        T("city", gettext_lazy("city"), "town", "城市", "市", "mesto", "obec"),
        T("country", gettext_lazy("country"), "国家", "國家", "krajina", "štát"),
        _NOTES,
        _TAGS,
    ),
    ImportKind.PRODUCTS: (
        _SKU,
        T(
            "name",
            gettext_lazy("name"),
            "product",
            "product name",
            "名称",
            "商品名称",
            "产品名称",
            "品名",
            "商品名稱",
            "產品名稱",
            "názov",
            "produkt",
        ),
        T("category", gettext_lazy("category"), "类别", "分类", "類別", "分類", "kategória"),
        T("price", gettext_lazy("price"), "售价", "价格", "價格", "售價", "cena"),
        T(
            "unit_cost",
            gettext_lazy("unit cost"),
            "unit cost",
            "cost",
            "成本",
            "进价",
            "進價",
            "náklad",
            "nákupná cena",
        ),
        T("active", gettext_lazy("active"), "enabled", "在售", "启用", "啟用", "aktívny"),
    ),
    ImportKind.ORDERS: (
        T(
            "number",
            gettext_lazy("order number"),
            "order number",
            "order no",
            "order",
            "订单号",
            "订单编号",
            "訂單號",
            "訂單編號",
            "číslo objednávky",
            "objednávka",
            required=True,
        ),
        T(
            "customer",
            gettext_lazy("customer"),
            "customer ref",
            "customer id",
            "customer number",
            "customer external id",
            "customer email",
            "customer phone",
            "客户",
            "顾客",
            "客户编号",
            "客戶",
            "客戶編號",
            "顧客",
            "zákazník",
            required=True,
        ),
        T(
            "organisation",
            gettext_lazy("organisation"),
            "organization",
            "company",
            "公司",
            "单位",
            "機構",
            "organizácia",
            "firma",
        ),
        T(
            "ordered_at",
            gettext_lazy("ordered at"),
            "ordered at",
            "order date",
            "date",
            "下单时间",
            "订单日期",
            "日期",
            "訂購日期",
            "訂單日期",
            "dátum",
            "dátum objednávky",
        ),
        T("sku", gettext_lazy("SKU"), *_SKU.aliases[1:], required=True),
        T("quantity", gettext_lazy("quantity"), "qty", "数量", "數量", "množstvo", "počet"),
        T(
            "batch",
            gettext_lazy("batch / lot"),
            "batch",
            "lot",
            "lot number",
            "batch number",
            "批次",
            "批号",
            "批號",
            "šarža",
            "číslo šarže",
        ),
        T(
            "unit_price",
            gettext_lazy("unit price"),
            "unit price",
            "price",
            "单价",
            "單價",
            "价格",
            "價格",
            "cena",
            "jednotková cena",
        ),
        T("discount", gettext_lazy("discount"), "折扣", "优惠", "優惠", "zľava"),
        T(
            "promotion_code",
            gettext_lazy("promotion code"),
            "promotion code",
            "promo code",
            "coupon",
            "促销码",
            "优惠码",
            "優惠碼",
            "促銷碼",
            "promo kód",
            "kupón",
        ),
        T("status", gettext_lazy("status"), "状态", "狀態", "stav"),
        T(
            "channel",
            gettext_lazy("channel"),
            "sales channel",
            "渠道",
            "销售渠道",
            "通路",
            "銷售渠道",
            "kanál",
        ),
        T("currency", gettext_lazy("currency"), "币种", "货币", "幣別", "貨幣", "mena"),
        # Exports carry it; on import it is worked out from quantity, price and discount.
        T(
            "line_total",
            gettext_lazy("line total (calculated, not imported)"),
            "line total",
            "小计",
            "小計",
            "spolu",
        ),
        _NOTES,
    ),
}


def normalize_header(header: str) -> str:
    """'  Last-Name ' -> 'lastname'; 'Telefón' -> 'telefon'; CJK unchanged."""
    return _NOT_WORD.sub("", fold(header or ""))


def targets_for(kind: str) -> tuple[Target, ...]:
    """The columns a file of `kind` may have (registered by the app that owns the kind)."""
    from rapport.core.registry import import_kind

    return tuple(import_kind(kind).targets())


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
    stem = _TRAILING_NUMBER.sub("", key)
    target = table.get(stem) if stem != key else None
    return target if target and target.multi else None


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

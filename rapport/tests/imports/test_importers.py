from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.core.models import ObjectChange
from rapport.customers.models import (
    Customer,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
    Organisation,
    Tag,
)
from rapport.imports.choices import ImportMode, ImportStatus
from rapport.imports.importers import importer_class
from rapport.imports.mapping import map_columns, targets_for
from rapport.sales.models import Order, OrderLine, Product

pytestmark = pytest.mark.django_db

HEADER = [
    "external_id",
    "surname",
    "given name",
    "mobile",
    "email",
    "birthday",
    "tags",
    "occupation",
]
GOOD = [
    [
        "A1",
        "Novák",
        "Ján",
        "+421 905 123 456",
        "jan@novak.sk",
        "05.03.1980",
        "VIP, Bratislava",
        "teacher",
    ],
    ["A2", "王", "小明", "13800138000", "XM@Example.cn", "1985年3月5日", "VIP；北京", ""],
    ["A3", "Smith", "Anna", "+44 20 7946 0958", "", "2001/12/31", "", "nurse"],
]


def error_triples(job):
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def test_valid_file_creates_customers_with_contacts_tags_terms_and_history(
    write_csv, run_import, manager
):
    job = run_import("customers", write_csv([HEADER, *GOOD]))
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.created_count, job.updated_count, job.skipped_count) == (3, 3, 0, 0)
    assert job.processed_rows == 3 and job.finished_at
    jan = Customer.objects.get(external_id="A1")
    assert (jan.display_name, jan.sort_name, jan.birthday) == (
        "Ján Novák",
        "jan novak",
        date(1980, 3, 5),
    )
    assert (jan.primary_phone, jan.primary_email, jan.source, jan.created_by) == (
        "+421905123456",
        "jan@novak.sk",
        "import",
        manager,
    )
    assert jan.occupation == "teacher" and jan.version == 1
    assert sorted(jan.tags.values_list("name", flat=True)) == ["Bratislava", "VIP"]
    xm = Customer.objects.get(external_id="A2")
    assert xm.display_name == "王小明" and xm.primary_email == "xm@example.cn"
    assert CustomerPhone.objects.get(customer=xm).number == "+8613800138000"
    assert set(CustomerSearchTerm.objects.filter(customer=xm).values_list("term", flat=True)) >= {
        "王",
        "小明",
    }
    assert Tag.objects.filter(name="VIP").count() == 1
    changes = ObjectChange.objects.filter(action="create", content_type__model="customer")
    assert changes.count() == 3
    # The history row holds every field the customer was created with, and where it came from.
    created = changes.get(object_id=jan.pk).changes
    assert created["origin"] == [None, "import data.csv"] and created["source"] == [None, "import"]
    assert created["family_name"] == [None, "Novák"] and created["occupation"] == [None, "teacher"]
    assert created["birthday"] == [None, "1980-03-05"]
    assert created["phones"] == [None, ["+421905123456"]]
    assert created["tags"] == [None, ["Bratislava", "VIP"]]
    assert changes.get(object_id=jan.pk).customer_id == jan.pk
    assert changes.get(object_id=jan.pk).user == manager


def test_one_bad_row_writes_nothing_and_says_where(write_csv, run_import):
    bad = ["A4", "Lee", "Bo", "12345", "not-an-email", "31.02.1990", "", ""]
    job = run_import("customers", write_csv([HEADER, GOOD[0], bad, GOOD[1]]))
    assert job.status == ImportStatus.INVALID
    assert not Customer.objects.exists() and not ObjectChange.objects.exists()
    assert error_triples(job) == [
        (3, "birthday", "Enter a valid date."),
        (3, "mobile", "“12345” is not a valid phone number."),
        (3, "email", "“not-an-email” is not a valid email address."),
    ]
    assert job.skipped_count == 1 and job.created_count == 0


def test_valid_only_writes_the_good_rows_and_lists_the_others(write_csv, run_import):
    bad = ["A4", "", "", "", "", "", "", ""]
    job = run_import(
        "customers", write_csv([HEADER, GOOD[0], bad, GOOD[1]]), mode=ImportMode.VALID_ONLY
    )
    assert job.status == ImportStatus.DONE
    assert (job.created_count, job.skipped_count) == (2, 1)
    assert error_triples(job) == [(3, "surname", "Enter a family name or a given name.")]
    assert set(Customer.objects.values_list("external_id", flat=True)) == {"A1", "A2"}


def test_dry_run_writes_nothing(write_csv, run_import, make_customer):
    make_customer(external_id="A1", family_name="Novák", given_name="Ján")
    job = run_import("customers", write_csv([HEADER, *GOOD]), dry_run=True)
    assert job.status == ImportStatus.DONE and "nothing was written" in job.message
    assert (job.created_count, job.updated_count) == (2, 1)  # what it would do
    assert Customer.objects.count() == 1 and Customer.objects.get().occupation == ""


def test_reimport_creates_no_duplicates(write_csv, run_import):
    path = write_csv([HEADER, *GOOD])
    run_import("customers", path)
    again = run_import("customers", path)
    assert again.status == ImportStatus.DONE
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert Customer.objects.count() == 3 and CustomerPhone.objects.count() == 3
    assert not ObjectChange.objects.filter(action="update").exists()


@pytest.mark.parametrize(
    ("row", "how"),
    [
        (["A9", "Novák", "Ján", "", "", "", "", "pilot"], "external id"),
        (["", "Novák", "Ján", "", "JAN@novak.sk", "", "", "pilot"], "email"),
        (["", "Novák", "Ján", "+421905123456", "", "", "", "pilot"], "phone"),
    ],
)
def test_matching_updates_the_existing_customer_and_records_the_change(
    write_csv, run_import, make_customer, row, how
):
    existing = make_customer(
        external_id="A9" if how == "external id" else None,
        family_name="Novák",
        given_name="Ján",
        phones=["+421 905 123 456"],
        emails=["jan@novak.sk"],
        occupation="teacher",
        tags=["old"],
    )
    job = run_import("customers", write_csv([HEADER, [*row[:6], "new, old", row[7]]]))
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.created_count, job.updated_count) == (0, 1)
    existing.refresh_from_db()
    assert existing.occupation == "pilot" and existing.version == 2
    assert Customer.objects.count() == 1 and CustomerPhone.objects.count() == 1
    assert sorted(existing.tags.values_list("name", flat=True)) == ["new", "old"]
    change = ObjectChange.objects.get(action="update", object_id=existing.pk)
    assert change.changes["occupation"] == ["teacher", "pilot"]
    assert change.changes["tags"] == [["old"], ["new", "old"]]
    assert change.customer_id == existing.pk


def test_update_adds_contacts_and_keeps_what_the_file_leaves_empty(
    write_csv, run_import, make_customer
):
    existing = make_customer(
        external_id="A1",
        family_name="Novák",
        given_name="Ján",
        occupation="teacher",
        birthday=date(1980, 3, 5),
    )
    job = run_import(
        "customers",
        write_csv(
            [
                [
                    "external_id",
                    "given name",
                    "phone",
                    "phone 2",
                    "email",
                    "occupation",
                    "birthday",
                ],
                ["A1", "Janko", "13800138000", "+421 905 123 456", "j@n.sk", "", ""],
            ]
        ),
    )
    assert job.status == ImportStatus.DONE, job.errors
    existing.refresh_from_db()
    assert (existing.given_name, existing.display_name, existing.occupation, existing.birthday) == (
        "Janko",
        "Janko Novák",
        "teacher",
        date(1980, 3, 5),
    )
    assert existing.primary_phone == "+8613800138000" and existing.primary_email == "j@n.sk"
    assert sorted(existing.phones.values_list("number", "is_primary")) == [
        ("+421905123456", False),
        ("+8613800138000", True),
    ]
    terms = set(CustomerSearchTerm.objects.filter(customer=existing).values_list("term", flat=True))
    assert "janko" in terms
    change = ObjectChange.objects.get(action="update")
    assert change.changes["given_name"] == ["Ján", "Janko"]
    assert change.changes["phones"] == [[], ["+421905123456", "+8613800138000"]]


def test_duplicates_within_the_file(write_csv, run_import):
    job = run_import(
        "customers",
        write_csv(
            [
                ["id", "name", "email", "phone"],
                ["X1", "Anna Smith", "anna@x.com", "13800138000"],
                ["X1", "Anna Smith", "other@x.com", ""],
                ["X2", "Ben Smith", "ANNA@x.com", ""],
                ["X3", "Cy Smith", "", "138 0013 8000"],
            ]
        ),
    )
    assert job.status == ImportStatus.INVALID
    assert error_triples(job) == [
        (3, "id", "Same external id as row 2: “X1”."),
        (4, "email", "Same email as row 2: “anna@x.com”."),
        (5, "phone", "Same phone as row 2: “+8613800138000”."),
    ]


def test_conflicting_external_ids_are_refused(write_csv, run_import, make_customer):
    make_customer(external_id="CRM-1", family_name="Lee", emails=["lee@x.com"])
    job = run_import(
        "customers",
        write_csv([["external id", "surname", "email"], ["SHOP-7", "Lee", "lee@x.com"]]),
    )
    assert job.status == ImportStatus.INVALID
    assert "external id is “CRM-1”" in job.errors[0]["message"]


def test_customer_number_and_referrer(write_csv, run_import, make_customer):
    anna = make_customer(family_name="Smith", given_name="Anna")
    job = run_import(
        "customers",
        write_csv(
            [
                ["number", "name", "referred by", "notes"],
                [anna.number, "", "", "met at the fair"],
                ["", "Ben Smith", anna.number, ""],
                ["C9999999", "Cy Smith", "", ""],
                ["", "Di Smith", "nobody@x.com", ""],
                ["no. 5", "Ed Smith", "", ""],
            ]
        ),
        mode=ImportMode.VALID_ONLY,
    )
    assert error_triples(job) == [
        (5, "referred by", "No such customer."),
        (6, "number", "No customer has this number."),
    ]
    anna.refresh_from_db()
    assert anna.notes == "met at the fair"
    assert Customer.objects.get(given_name="Ben").referred_by == anna
    assert Customer.objects.filter(
        given_name="Cy"
    ).exists()  # another database's number: a new customer


def test_full_name_column_and_choices_in_any_language(write_csv, run_import):
    header = ["姓名", "性别", "语言", "农历生日", "地址", "国家", "城市"]
    rows = [
        ["欧阳小明", "男", "简体中文", "是", "长安街1号", "中国", "北京"],
        ["Ján Novák", "muž", "slovenčina", "nie", "", "Slovensko", "Bratislava"],
    ]
    # A city without a street is an address (rapport.customers.validation.clean_addresses).
    job = run_import("customers", write_csv([header, *rows]))
    assert job.status == ImportStatus.DONE, job.errors
    xm = Customer.objects.get(family_name="欧阳")
    assert (xm.given_name, xm.gender, xm.preferred_language, xm.celebrates_lunar_birthday) == (
        "小明",
        "male",
        "zh-hans",
        True,
    )
    address = xm.addresses.get()
    assert (address.line1, address.city, address.country, address.kind) == (
        "长安街1号",
        "北京",
        "CN",
        "home",
    )
    jan = Customer.objects.get(family_name="Novák")
    assert (jan.preferred_language, jan.celebrates_lunar_birthday) == ("sk", False)
    address = jan.addresses.get()
    assert (address.line1, address.city, address.country) == ("", "Bratislava", "SK")


def test_unreadable_and_wrongly_shaped_files(tmp_path, write_csv, run_import):
    empty = write_csv([["surname"]])
    assert error_triples(run_import("customers", empty)) == [
        (1, "", "The file has no rows to import.")
    ]
    job = run_import(
        "customers", write_csv([["Surname", "Last name"], ["A", "B"]]), mode=ImportMode.VALID_ONLY
    )
    assert (
        job.status == ImportStatus.INVALID
        and job.total_rows == 1
        and job.errors[0]["column"] == "Last name"
    )
    assert not Customer.objects.exists()


def test_error_messages_follow_the_jobs_language(write_csv, run_import):
    from django.utils.translation import gettext

    path = write_csv([["surname", "phone"], ["Lee", "12345"]])
    english = run_import("customers", path, language="en").errors[0]["message"]
    assert english == "“12345” is not a valid phone number."
    msgid = "“%(value)s” is not a valid phone number."
    for language in ("zh-hans", "sk"):
        message = run_import("customers", path, language=language).errors[0]["message"]
        with translation.override(language):
            assert message == gettext(msgid) % {"value": "12345"}  # the job's language, via gettext


# Organisations and products -----------------------------------------------------------------


def test_organisations_match_on_external_id_then_name(write_csv, run_import, manager):
    from rapport.customers.services import organisation_create

    acme = organisation_create(by=manager, name="ACME s.r.o.", industry="retail")
    job = run_import(
        "organisations",
        write_csv(
            [
                ["公司名称", "行业", "external id", "电话", "网站", "国家", "tags"],
                ["acme S.R.O.", "wholesale", "", "", "", "SK", "partner"],
                [
                    "华为",
                    "telecom",
                    "HW-1",
                    "+86 755 2878 0808",
                    "https://www.huawei.com",
                    "中国",
                    "",
                ],
                ["Beta", "", "", "", "not a url", "", ""],
            ]
        ),
        mode=ImportMode.VALID_ONLY,
    )
    assert error_triples(job) == [
        (4, "网站", "Enter a valid web address, e.g. https://example.com.")
    ]
    acme.refresh_from_db()
    assert (acme.industry, acme.country, acme.version) == ("wholesale", "SK", 2)
    assert list(acme.tags.values_list("name", flat=True)) == ["partner"]
    huawei = Organisation.objects.get(external_id="HW-1")
    assert (huawei.sort_name, huawei.phone, huawei.country) == ("华为", "+8675528780808", "CN")
    update = ObjectChange.objects.get(
        action="update", object_id=acme.pk, content_type__model="organisation"
    )
    assert update.changes["industry"] == ["retail", "wholesale"]
    assert (
        ObjectChange.objects.filter(action="create", content_type__model="organisation").count()
        == 2
    )
    again = run_import("organisations", write_csv([["name", "external_id"], ["华为", "HW-1"]]))
    assert (again.created_count, again.unchanged_count) == (0, 1)


def test_products_match_on_sku(write_csv, run_import, make_product):
    tea = make_product(sku="TEA-1", name="Tea", price="10.00")
    job = run_import(
        "products",
        write_csv(
            [
                ["货号", "品名", "售价", "成本", "在售"],
                ["TEA-1", "", "12,50", "", "否"],
                ["COF-1", "Coffee", "1 234.00", "800", "是"],
                ["NEW-1", "No price", "", "", ""],
                ["X-1", "Bad", "abc", "", ""],
            ]
        ),
        mode=ImportMode.VALID_ONLY,
    )
    assert error_triples(job) == [
        (4, "售价", "This field is required."),
        (5, "售价", "Enter a number."),
    ]
    tea.refresh_from_db()
    assert (tea.name, tea.price, tea.active, tea.version) == ("Tea", Decimal("12.50"), False, 2)
    coffee = Product.objects.get(sku="COF-1")
    assert (coffee.price, coffee.unit_cost, coffee.active) == (
        Decimal("1234.00"),
        Decimal("800.00"),
        True,
    )
    change = ObjectChange.objects.get(
        action="update", object_id=tea.pk, content_type__model="product"
    )
    assert change.changes == {"active": [True, False], "price": ["10.00", "12.50"]}


# Orders ----------------------------------------------------------------------------------------

ORDER_HEADER = [
    "order number",
    "customer",
    "ordered at",
    "sku",
    "quantity",
    "unit price",
    "discount",
    "promotion code",
]


@pytest.fixture
def shop(make_customer, make_product):
    anna = make_customer(
        external_id="CUST-1",
        family_name="Smith",
        given_name="Anna",
        emails=["anna@x.com"],
        phones=["13800138000"],
    )
    return (
        anna,
        make_product(sku="TEA", price="10.00", unit_cost="4.00"),
        make_product(sku="MUG", price="25.00"),
    )


def test_orders_group_lines_and_reimport_does_not_duplicate(write_csv, run_import, shop):
    anna, tea, mug = shop
    path = write_csv(
        [
            ORDER_HEADER,
            ["SO-1", "CUST-1", "2024-03-05 10:00", "TEA", "2", "", "", "SPRING"],
            ["SO-2", "anna@x.com", "2024-03-06", "MUG", "1", "20", "", ""],
            ["SO-1", "", "", "MUG", "1", "", "5", ""],
            ["SO-3", "138 0013 8000", "2024-03-07", "TEA", "1.5", "", "", ""],
        ]
    )
    job = run_import("orders", path)
    assert job.status == ImportStatus.DONE, job.errors
    assert (job.total_rows, job.created_count) == (4, 3)
    so1 = Order.objects.get(number="SO-1")
    assert (so1.customer, so1.promotion_code, so1.total, so1.cost) == (
        anna,
        "SPRING",
        Decimal("40.00"),
        Decimal("68.00"),
    )
    assert sorted(so1.lines.values_list("product__sku", "line_total")) == [
        ("MUG", Decimal("20.00")),
        ("TEA", Decimal("20.00")),
    ]
    assert Order.objects.get(number="SO-2").total == Decimal("20.00")
    assert Order.objects.get(number="SO-3").lines.get().quantity == Decimal("1.5")
    assert (
        ObjectChange.objects.filter(
            action="create", content_type__model="order", customer_id=anna.pk
        ).count()
        == 3
    )
    again = run_import("orders", path)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert Order.objects.count() == 3 and OrderLine.objects.count() == 4


def test_reimported_order_with_other_lines_is_updated(write_csv, run_import, shop):
    run_import(
        "orders",
        write_csv([ORDER_HEADER, ["SO-1", "CUST-1", "2024-03-05", "TEA", "2", "", "", ""]]),
    )
    job = run_import(
        "orders",
        write_csv(
            [
                [*ORDER_HEADER, "status"],
                ["SO-1", "CUST-1", "2024-03-05", "TEA", "3", "", "", "", "delivered"],
            ]
        ),
    )
    assert (job.created_count, job.updated_count) == (0, 1), job.errors
    order = Order.objects.get()
    assert (order.total, order.status, order.lines.get().quantity, order.version) == (
        Decimal("30.00"),
        "delivered",
        Decimal("3"),
        2,
    )
    change = ObjectChange.objects.get(action="update", content_type__model="order")
    assert change.changes["lines"] == [1, 1] and change.changes["total"] == ["20.00", "30.00"]


def test_order_errors_and_incomplete_orders(write_csv, run_import, shop):
    job = run_import(
        "orders",
        write_csv(
            [
                ORDER_HEADER,
                ["SO-1", "CUST-1", "2024-03-05", "TEA", "2", "", "", ""],
                ["SO-1", "CUST-1", "2024-03-05", "NOPE", "1", "", "", ""],
                ["SO-2", "nobody@x.com", "2024-03-05", "TEA", "1", "", "", ""],
                ["SO-3", "CUST-1", "2024-03-05", "TEA", "0", "", "", ""],
                ["SO-4", "CUST-1", "2024-03-05", "TEA", "1", "", "50", ""],
                ["SO-5", "CUST-1", "", "TEA", "1", "", "", ""],
                ["SO-6", "CUST-1", "2024-03-05", "TEA", "1", "", "", ""],
                ["SO-6", "anna@x.com", "2024-03-05", "MUG", "1", "", "", ""],
                ["SO-7", "CUST-1", "2024-03-05", "MUG", "1", "", "", ""],
            ]
        ),
        mode=ImportMode.VALID_ONLY,
    )
    assert job.status == ImportStatus.DONE
    assert sorted(error_triples(job)) == [
        (2, "order number", "Not imported: row 3 of the same order has errors."),
        (3, "sku", "Unknown SKU: NOPE"),
        (4, "customer", "No customer matches “nobody@x.com”."),
        (5, "quantity", "The quantity must be positive."),
        (6, "discount", "The discount exceeds the line amount."),
        (7, "ordered at", "Enter the date of the order."),
        (8, "order number", "Not imported: row 9 of the same order has errors."),
        (
            9,
            "customer",
            "Row 8 of order SO-6 has another value in the column “customer”: “CUST-1”.",
        ),
    ]
    assert list(Order.objects.values_list("number", flat=True)) == ["SO-7"]


# The row validator never crashes ---------------------------------------------------------------

cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1e9",
            "NaN",
            "Infinity",
            "2024-02-30",
            "45123",
            "+86",
            "@",
            "'=1",
            "C0000001",
            "是",
        ]
    ),
)


@pytest.mark.parametrize("kind", ["customers", "organisations", "products", "orders"])
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_row_validator_accepts_or_explains_any_row(kind, data):
    headers = [t.aliases[0] for t in targets_for(kind)]
    importer = importer_class(kind)(map_columns(kind, headers))
    cells = data.draw(st.lists(cell, min_size=len(headers), max_size=len(headers)))
    record, errors = importer.clean(7, cells)
    assert (record is None) == bool(errors)
    assert all(e.row == 7 and isinstance(e.message, str) and e.message for e in errors)
    assert all(e.column in headers or e.column == "" for e in errors)


# Queries do not grow with the file -----------------------------------------------------------


def _rows(n: int, start: int = 0) -> list[list]:
    return [
        [
            f"Q{i}",
            f"Family{i}",
            "Given",
            f"1380013{i:04d}",
            f"p{i}@x.com",
            "1990-01-01",
            "VIP, bulk",
            "",
        ]
        for i in range(start, start + n)
    ]


@pytest.mark.parametrize("n", [10, 300])
def test_customer_import_queries_do_not_grow_with_rows(
    write_csv, run_import, django_assert_max_num_queries, n
):
    path = write_csv([HEADER, *_rows(n)])
    with django_assert_max_num_queries(40):
        job = run_import("customers", path)
    assert job.created_count == n and CustomerEmail.objects.count() == n
    path = write_csv([HEADER, *[[*r[:7], "updated"] for r in _rows(n)]], name="again.csv")
    with django_assert_max_num_queries(45):
        job = run_import("customers", path)
    assert job.updated_count == n and ObjectChange.objects.filter(action="update").count() == n


@pytest.mark.parametrize("n", [5, 200])
def test_order_import_queries_do_not_grow_with_rows(
    write_csv, run_import, shop, django_assert_max_num_queries, n
):
    path = write_csv(
        [
            ORDER_HEADER,
            *[[f"SO-{i // 2}", "CUST-1", "2024-03-05", "TEA", "1", "", "", ""] for i in range(n)],
        ]
    )
    with django_assert_max_num_queries(30):
        job = run_import("orders", path)
    assert job.created_count == (n + 1) // 2, job.errors


# Big files are checked in worker processes ----------------------------------------------------


def test_rows_checked_in_worker_processes_give_the_same_result(
    write_csv, run_import, settings, monkeypatch
):
    from rapport.imports import parallel

    rows = [
        HEADER,
        *_rows(30),
        ["Q1", "Dup", "Row", "", "", "", "", ""],
        ["", "", "", "123", "", "", "", ""],
    ]
    path = write_csv(rows)
    serial = run_import("customers", path, dry_run=True, language="sk")
    settings.RAPPORT_IMPORT_PARALLEL_ROWS = 10
    monkeypatch.setattr(parallel, "workers", lambda: 2)
    monkeypatch.setattr(parallel, "CHUNK_ROWS", 7)  # chunks end inside runs of duplicates
    used = []
    real = parallel.check_rows_in_workers
    monkeypatch.setattr(
        parallel, "check_rows_in_workers", lambda *a, **k: used.append(1) or real(*a, **k)
    )
    job = run_import("customers", path, mode=ImportMode.VALID_ONLY, language="sk")
    assert used == [1]
    assert (
        job.errors == serial.errors and len(job.errors) == 2
    )  # the workers speak the job's language
    assert (job.created_count, job.skipped_count) == (30, 2)
    assert (
        Customer.objects.count() == 30
        and CustomerSearchTerm.objects.filter(term="family1").exists()
    )


def test_reimport_after_a_merge_updates_the_kept_customer(write_csv, run_import, manager):
    from rapport.customers.services import customer_merge

    first = run_import("customers", write_csv([HEADER, *GOOD]))
    assert first.status == ImportStatus.DONE, first.errors
    kept, merged = Customer.objects.get(external_id="A1"), Customer.objects.get(external_id="A3")
    customer_merge(
        survivor_id=kept.pk,
        other_id=merged.pk,
        by=manager,
        survivor_version=None,
        other_version=None,
    )
    # The source that knew the merged record sends it again, by its external id; another file
    # names it by its old customer number. Both update the kept customer and create nobody.
    again = run_import(
        "customers",
        write_csv(
            [
                ["external_id", "surname", "given name", "occupation"],
                ["A3", "Smith", "Anna", "midwife"],
            ]
        ),
    )
    assert again.status == ImportStatus.DONE, again.errors
    assert (again.created_count, again.updated_count) == (0, 1)
    kept.refresh_from_db()
    assert kept.occupation == "midwife"
    by_number = run_import(
        "customers", write_csv([["number", "occupation"], [merged.number, "doctor"]])
    )
    assert by_number.status == ImportStatus.DONE, by_number.errors
    assert (by_number.created_count, by_number.updated_count) == (0, 1)
    kept.refresh_from_db()
    assert kept.occupation == "doctor" and Customer.objects.count() == 2

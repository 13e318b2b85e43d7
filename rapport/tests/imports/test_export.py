from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.customers.models import Customer, Organisation
from rapport.imports.choices import ImportStatus
from rapport.imports.services import export_rows
from rapport.sales.models import Order, Product

pytestmark = pytest.mark.django_db


def export_to(tmp_path, kind, fmt, source=None):
    path = tmp_path / f"{kind}.{fmt}"
    path.write_bytes(b"".join(export_rows(kind=kind, queryset_or_filters=source, fmt=fmt)))
    return path


def customer_state():
    return sorted(
        (
            c.display_name,
            c.gender,
            c.birthday,
            c.celebrates_lunar_birthday,
            c.notes,
            c.external_id,
            c.preferred_language,
            c.customer_since,
            c.source or "import",  # an import says where it came from
            tuple(sorted(c.phones.values_list("number", "kind"))),
            tuple(sorted(c.emails.values_list("address", flat=True))),
            tuple(sorted(c.tags.values_list("name", flat=True))),
            tuple(c.addresses.values_list("line1", "city", "postal_code", "country")),
        )
        for c in Customer.objects.all()
    )


@pytest.fixture
def people(make_customer):
    anna = make_customer(
        family_name="Smith",
        given_name="Anna",
        external_id="CRM-1",
        gender="female",
        birthday=date(1980, 3, 5),
        phones=["+44 20 7946 0958", {"number": "+44 7911 123456", "kind": "work"}],
        emails=["anna@example.com", "a.smith@work.example"],
        tags=["VIP", "London"],
        addresses=[{"line1": "1 High St", "city": "London", "postal_code": "N1", "country": "GB"}],
        notes='=HYPERLINK("http://evil")',
        preferred_language="en",
        source="referral",
    )
    make_customer(
        family_name="王",
        given_name="小明",
        phones=["13800138000"],
        celebrates_lunar_birthday=True,
        birthday=date(1990, 8, 1),
        notes="喜欢喝茶\n第二行",
        tags=["VIP"],
    )
    make_customer(
        family_name="Novák",
        given_name="Ján",
        emails=["jan@novak.sk"],
        notes="-5 % zľava",
        preferred_language="sk",
    )
    return anna


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_customer_export_round_trip(tmp_path, run_import, people, fmt):
    before = customer_state()
    path = export_to(tmp_path, "customers", fmt)
    again = run_import("customers", path)
    assert again.status == ImportStatus.DONE, again.errors
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 3)
    assert again.message == ""  # every exported column is one the importer reads
    # Into an empty database: the same customers come back.
    Customer.objects.all().delete()
    fresh = run_import("customers", path)
    assert (fresh.status, fresh.created_count) == (ImportStatus.DONE, 3), fresh.errors
    assert customer_state() == before


def test_formula_cells_are_neutralised(tmp_path, people):
    text = export_to(tmp_path, "customers", "csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'-5 % zľava" in text
    assert "+447911123456" in text and "'+44" not in text  # phone numbers stay as they are
    from openpyxl import load_workbook

    sheet = load_workbook(export_to(tmp_path, "customers", "xlsx")).worksheets[0]
    notes = sheet.cell(2, [c.value for c in sheet[1]].index("notes") + 1)
    assert (
        notes.value == '=HYPERLINK("http://evil")' and notes.data_type == "s"
    )  # text, not a formula


def test_customer_export_with_filters(tmp_path, people):
    lines = (
        export_to(tmp_path, "customers", "csv", {"tag": "VIP", "preferred_language": "en"})
        .read_text(encoding="utf-8-sig")
        .splitlines()
    )
    assert len(lines) == 2 and "CRM-1" in lines[1]
    qs = Customer.objects.filter(family_name="王")
    lines = export_to(tmp_path, "customers", "csv", qs).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 3 and "王" in lines[1]  # the quoted note holds a line break


@pytest.mark.parametrize("n", [10, 120])
def test_export_queries_do_not_grow_with_rows(
    make_customer, django_assert_max_num_queries, n, monkeypatch
):
    from rapport.imports import exports

    monkeypatch.setattr(exports, "CHUNK", 200)
    for i in range(n):
        make_customer(family_name=f"F{i}", phones=[f"1380013{i:04d}"], tags=["t"])
    with django_assert_max_num_queries(7):
        body = b"".join(export_rows(kind="customers", queryset_or_filters={}, fmt="csv"))
    assert body.count(b"\n") == n + 1


def test_organisation_product_and_order_round_trip(
    tmp_path, run_import, manager, make_customer, make_product
):
    from rapport.customers.services import organisation_create
    from rapport.sales.services import order_create

    acme = organisation_create(
        by=manager,
        name="ACME s.r.o.",
        external_id="ORG-1",
        website="https://acme.example",
        country="SK",
        tags=["partner"],
    )
    organisation_create(by=manager, name="华为", industry="telecom")
    tea, mug = (
        make_product(sku="TEA", price="10.00", category="drinks"),
        make_product(sku="MUG", price="25.50"),
    )
    Product.objects.filter(pk=mug.pk).update(active=False)
    anna = make_customer(family_name="Smith", given_name="Anna")
    order_create(
        by=manager,
        customer_id=anna.pk,
        number="SO-1",
        organisation_id=acme.pk,
        promotion_code="SPRING",
        ordered_at=timezone.make_aware(datetime(2024, 3, 5, 14, 30)),
        lines=[
            {"product_id": tea.pk, "quantity": "2.5"},
            {"product_id": mug.pk, "quantity": 1, "discount": "0.50"},
        ],
    )
    order_create(
        by=manager,
        customer_id=anna.pk,
        number="SO-2",
        lines=[{"product_id": tea.pk, "quantity": 1}],
    )
    for kind, fmt in (
        ("organisations", "csv"),
        ("products", "xlsx"),
        ("orders", "csv"),
        ("orders", "xlsx"),
    ):
        job = run_import(kind, export_to(tmp_path, kind, fmt))
        assert job.status == ImportStatus.DONE, (kind, fmt, job.errors)
        assert (job.created_count, job.updated_count, job.skipped_count) == (0, 0, 0), (
            kind,
            fmt,
            job.message,
        )
        assert job.unchanged_count == 2
    # Orders into a database without them come back with the same lines and totals.
    totals = dict(Order.objects.values_list("number", "total"))
    path = export_to(tmp_path, "orders", "csv")
    Order.objects.all().delete()
    job = run_import("orders", path)
    assert job.created_count == 2, job.errors
    assert (
        dict(Order.objects.values_list("number", "total"))
        == totals
        == {"SO-1": Decimal("50.00"), "SO-2": Decimal("10.00")}
    )
    so1 = Order.objects.get(number="SO-1")
    assert (so1.organisation, so1.promotion_code) == (acme, "SPRING")
    assert timezone.localtime(so1.ordered_at).strftime("%Y-%m-%d %H:%M") == "2024-03-05 14:30"
    assert Organisation.objects.count() == 2

"""Service visits by file: headers and kinds in the four languages, all or nothing with each
row's error, Rapport's own export imports again, and imported visits send no survey."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.imports.models import ImportJob
from rapport.service.models import ServiceEvent, Visit

pytestmark = pytest.mark.django_db


def test_visits_import_in_traditional_chinese(make_customer, make_product, manager, tmp_path):
    c = make_customer(emails=["v@example.com"])
    make_product(sku="KET-1")
    path = tmp_path / "visits.csv"
    path.write_text(
        "客戶編號,服務類型,開始,結束,技術員,貨號,零件費,工時,人工費,完成時間\n"
        f"C{c.pk:07d},維修,2024-02-29 09:00,2024-02-29 10:30,{manager.username},KET-1,"
        "12.50,90,60,2024-02-29 10:30\n"
        f"C{c.pk:07d},installation,2024-03-31 14:00,,,,,,,\n",
        encoding="utf-8",
    )
    call_command("import", "service_visits", str(path))
    done, booked = Visit.objects.order_by("starts_at")
    assert (done.kind, done.state, done.technician_id) == ("repair", "done", manager.pk)
    assert (done.parts_cost, done.labour_minutes, done.labour_cost) == (12.5, 90, 60)
    assert done.product.sku == "KET-1"
    assert (booked.kind, booked.state) == ("installation", "scheduled")
    assert (booked.ends_at - booked.starts_at).total_seconds() == 3600
    types = sorted(ServiceEvent.objects.values_list("type", flat=True))
    assert types == ["visit_done", "visit_scheduled"]  # on the customer's timeline


def test_one_bad_row_and_nothing_is_imported(make_customer, tmp_path):
    c = make_customer(emails=["w@example.com"])
    path = tmp_path / "visits.csv"
    path.write_text(
        "customer,kind,starts_at,ends_at,technician,sku,parts_cost\n"
        f"C{c.pk:07d},repair,2024-01-31 09:00,,,,\n"
        f"C{c.pk:07d},juggling,2024-01-31 09:00,,,,\n"
        f"C{c.pk:07d},repair,2024-01-31 09:00,2024-01-31 08:00,,,\n"
        f"C{c.pk:07d},repair,2024-01-31 09:00,,nobody,NOPE,-3\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError):
        call_command("import", "service_visits", str(path))
    errors = ImportJob.objects.get().errors
    assert sorted((e["row"], e["column"]) for e in errors) == [
        (3, "kind"),
        (4, "ends_at"),
        (5, "parts_cost"),
    ]
    assert not Visit.objects.exists()


def test_the_export_imports_again(make_customer, manager, tmp_path):
    from django.utils import timezone

    from rapport.core.registry import export_kind
    from rapport.service import services

    c = make_customer(emails=["x@example.com"])
    visit = services.visit_schedule(
        by=manager, customer_id=c.pk, kind="repair", starts_at=timezone.now()
    )
    services.visit_done(by=manager, visit_id=visit.pk, labour_cost="50", labour_minutes=30)
    spec = export_kind("service_visits")
    lines = [",".join(spec.columns)]
    lines += [
        ",".join("" if v is None else str(v) for v in row) for row in spec.rows(spec.queryset({}))
    ]
    fields = ("customer_id", "kind", "state", "labour_minutes", "labour_cost")
    before = list(Visit.objects.values_list(*fields))
    Visit.objects.all().delete()
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import", "service_visits", str(path))
    assert list(Visit.objects.values_list(*fields)) == before

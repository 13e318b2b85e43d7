"""Past complaints imported from a file (headers in any of the four languages) and exported back."""

import csv
import io

import pytest
from django.core.management import call_command

from rapport.complaints.models import Complaint, ComplaintEvent

pytestmark = pytest.mark.django_db


def test_import_past_complaints_and_export_them(tmp_path, make_customer, manager):
    ann = make_customer()
    path = tmp_path / "complaints.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["客户编号", "日期", "类别", "内容", "部门", "原因", "状态"])
        w.writerow(
            [
                ann.number,
                "2025-03-01 10:00",
                "transport",
                "箱子压坏了",
                "logistics",
                "poor_packing",
                "closed",
            ]
        )
        w.writerow([ann.number, "2025-04-01 10:00", "service", "态度差", "", "", "new"])
    call_command("import", "complaints", str(path), stdout=io.StringIO())
    made = list(Complaint.objects.order_by("received_at"))
    assert [c.state for c in made] == ["closed", "new"]
    assert made[0].department.code == "logistics" and made[0].cause.code == "poor_packing"
    assert ComplaintEvent.objects.filter(complaint=made[0], type="transition").count() == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,category,description\nC9999999,transport,x\n", encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017,PT011  (the command reports the row errors)
        call_command("import", "complaints", str(bad), stdout=io.StringIO())
    assert Complaint.objects.count() == 2
    out = tmp_path / "out.csv"
    call_command("export", "complaints", str(out), stdout=io.StringIO())
    rows = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert rows[0][:2] == ["reference", "customer"]
    assert len(rows) == 3

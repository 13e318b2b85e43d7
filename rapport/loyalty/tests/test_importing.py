"""Point adjustments imported from a file (points carried over from an old scheme): headers in any
of the four languages, each row an "adjust" entry of the ledger with its reason and who imported
it, the whole file or nothing, and no balance below 0."""

import csv

import pytest

from rapport.imports.services import import_job_create, import_job_run
from rapport.loyalty import services
from rapport.loyalty.models import PointsEntry

pytestmark = pytest.mark.django_db


def run(tmp_path, rows, by=None):
    path = tmp_path / "points.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    job = import_job_create(kind="loyalty_points", path=path, by=by)
    return import_job_run(job_id=job.pk)


def test_point_adjustments_all_or_nothing_never_below_zero(tmp_path, make_customer, manager):
    ann, bob = make_customer(given_name="Ann"), make_customer(given_name="Bob")
    services.points_adjust(customer_id=bob.pk, points=50, reason="welcome", by=manager)
    bad = run(
        tmp_path,
        [
            ["客户编号", "积分", "原因"],
            [ann.number, "300", "旧会员卡积分"],
            [ann.number, "-200", "换购"],  # fine: the row above gave 300
            [bob.number, "-80", "too much"],  # 50 - 80 < 0
            [ann.number, "-150", "now too much"],  # 100 - 150 < 0
            ["C9999999", "10", "nobody"],
            [ann.number, "1.5", ""],
        ],
    )
    assert bad.status == "invalid"
    found = {(e["row"], e["column"]) for e in bad.errors}
    assert found == {(4, "积分"), (5, "积分"), (6, "客户编号"), (7, "积分"), (7, "原因")}
    assert [e["message"] for e in bad.errors if e["row"] == 4] == [
        "The balance cannot go below 0 (it would be -30)."
    ]
    assert PointsEntry.objects.count() == 1  # nothing written

    good = run(
        tmp_path,
        [
            ["zákazník", "body", "dôvod"],
            [ann.number, "300", "stará karta"],
            [bob.number, "-20", "x"],
        ],
        by=manager,
    )
    assert good.status == "done", good.errors
    assert (services.balance(ann.pk), services.balance(bob.pk)) == (300, 30)
    entry = PointsEntry.objects.get(customer=ann)
    assert (entry.kind, entry.reason, entry.user) == ("adjust", "stará karta", manager)

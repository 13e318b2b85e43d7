"""Coupons and event attendance imported from a file through the imports app (headers in any of
the four languages), written whole or not at all, each error named by row and column."""

import csv
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from rapport.core.timeline import customer_timeline
from rapport.imports.services import import_job_create, import_job_run
from rapport.outreach import services
from rapport.outreach.models import Coupon, Invitation

pytestmark = pytest.mark.django_db


def run(tmp_path, kind, rows, name="file.csv"):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    job = import_job_create(kind=kind, path=path, by=None)
    return import_job_run(job_id=job.pk)


def errors(job):
    return sorted((e["row"], e["column"], e["message"]) for e in job.errors)


def test_coupons_in_chinese_and_slovak_headers_all_or_nothing(tmp_path, make_product, manager):
    tea = make_product(sku="TEA-1")
    services.coupon_create(by=manager, code="OLD10", name="Old", amount=Decimal("10"))
    bad = run(
        tmp_path,
        "coupons",
        [
            ["优惠码", "名称", "金额", "折扣", "截止", "产品", "次数"],
            ["spring-10", "春节优惠", "10", "", "2027-02-28", "TEA-1", "1"],
            ["OLD10", "again", "5", "", "", "", ""],  # exists already
            ["X", "too short", "", "", "", "", ""],  # bad code, no value
            ["HALF", "half", "", "150", "", "", ""],  # more than 100 %
            ["GOOD-1", "fine but", "5", "", "", "NOPE", ""],  # unknown product
            ["spring-10", "twice", "10", "", "", "", ""],  # same code as row 2
        ],
    )
    assert bad.status == "invalid"
    found = errors(bad)
    assert (3, "优惠码", "This code exists already.") in found
    assert (4, "优惠码", "Use 3 to 40 letters, digits or dashes.") in found
    assert (4, "金额", "Give either an amount or a percentage.") in found
    assert (5, "折扣", "Give a percentage from 0 to 100.") in found
    assert (6, "产品", "No such product.") in found
    assert (7, "优惠码", "Same code as row 2: “SPRING-10”.") in found
    assert sorted(Coupon.objects.values_list("code", flat=True)) == ["OLD10"]  # nothing written

    good = run(
        tmp_path,
        "coupons",
        [
            [
                "kód",
                "názov",
                "zľava v %",
                "platí do",
                "produkt",
                "raz na zákazníka",
                "skúška zdarma",
            ],
            ["JAR-15", "Jarná zľava", "15", "2027-03-31", "TEA-1", "nie", ""],
            ["TRIAL-1", "Skúška", "", "", "", "áno", "áno"],
        ],
    )
    assert good.status == "done", good.errors
    jar = Coupon.objects.get(code="JAR-15")
    assert (jar.percent, jar.product, jar.once_per_customer) == (Decimal("15"), tea, False)
    assert str(jar.valid_until) == "2027-03-31"
    # A free trial needs neither an amount nor a percentage.
    assert Coupon.objects.get(code="TRIAL-1").is_trial


def test_event_attendance_invites_answers_and_ticks_attendance(tmp_path, make_customer, manager):
    ann, bob = make_customer(given_name="Ann"), make_customer(given_name="Bob")
    gala = services.event_create(
        by=manager, name="Gala 2027", kind="gala", starts_at=timezone.now() + timedelta(days=9)
    )
    services.invite(event_id=gala.pk, customer_id=bob.pk)
    bad = run(
        tmp_path,
        "event_attendance",
        [
            ["活动", "客户编号", "回复", "出席"],
            ["Gala 2027", ann.number, "yes", "是"],
            ["No such gala", bob.number, "", ""],
            ["Gala 2027", "C9999999", "maybe", "perhaps"],
        ],
    )
    assert bad.status == "invalid"
    found = errors(bad)
    assert (3, "活动", "No such event.") in found
    assert (4, "回复", "Choose one of the listed values.") in found
    assert (4, "出席", "Write yes or no.") in found
    assert Invitation.objects.count() == 1  # nothing written

    good = run(
        tmp_path,
        "event_attendance",
        [
            ["podujatie", "zákazník", "odpoveď", "účasť"],
            ["Gala 2027", ann.number, "yes", "áno"],
            [str(gala.pk), bob.number, "no", "nie"],
        ],
    )
    assert good.status == "done", good.errors
    assert (good.created_count, good.updated_count) == (1, 1)
    a = Invitation.objects.get(customer=ann)
    b = Invitation.objects.get(customer=bob)
    assert (a.rsvp, a.attended, b.rsvp, b.attended) == ("yes", True, "no", False)
    titles = [e.title for e in customer_timeline(ann.pk)]
    assert any("Attended Gala 2027" in t for t in titles)
    assert any("Invited to Gala 2027" in t for t in titles)

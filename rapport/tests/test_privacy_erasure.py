"""Erasure on request: a customer with data in every table that refers to customers is erased; then
no table (every text and JSON column of every model) and no stored file holds any erased value,
while the orders and their amounts stay, anonymous. And the access export lists everything first."""

import importlib
import importlib.util
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models

from rapport.core import relations
from rapport.customers.models import Customer

UPLOAD = (
    b"external id,surname,given name,phone,email\r\n"
    b"EXT-ZQ-77,Zyxwarth,Quillon,13911112222,quillon.zyx@example.com\r\n"
    b"EXT-OTHER-1,Other,Person,13722223333,other.person@example.com\r\n"
)

# Everything the person told the business, each a value no other data holds. The apps' own rows
# add theirs (see `app_row_makers`).
ERASED = [
    "Zyxwarth",
    "Quillon",
    "13911112222",
    "quillon.zyx@example.com",
    "EXT-ZQ-77",
    "EXT-ZQ-88",
    "q.z.second@example.com",
    "13955556666",
    "falconry-zq",
    "patient-zq",
    "Xanthippe-zq",
    "notes-zq",
    "occupation-zq",
    "Quasar Lane 77",
    "consent-note-zq",
    "summary-zq",
    "subject-zq",
    "detail-zq",
    "remembered-zq",
    "msg-subject-zq",
    "msg-body-zq",
    "order-note-zq",
    "churn-note-zq",
    "contact-note-zq",
    "1987-03-14",
    "CARD-ZQ-1",
    "plain-note-zq",
    "decision-note-zq",
]

# Rows the test cannot make through a service (derived by the analytics refresh).
NOT_MADE_HERE = {"analytics.CustomerScore.customer"}


def app_row_makers() -> list:
    """Each installed app that relates rows to customers keeps a maker next to its tests, in
    `<app>/tests/privacy_rows.py`: `make_rows(customer, other, staff, product)` creates the person's
    rows in every table of the app that refers to customers and returns the distinctive values it
    planted, which the erasure must remove and the access export must list."""
    makers = []
    for app in apps.get_app_configs():
        name = f"{app.name}.tests.privacy_rows"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:  # the app has no tests package
            found = None
        if found is not None:
            makers.append(importlib.import_module(name).make_rows)
    return makers


@pytest.fixture
def person(db, make_user, make_product, settings, django_capture_on_commit_callbacks):
    from rapport.analytics.services import churn_record
    from rapport.communications.services import detail_add, interaction_log, message_send
    from rapport.customers.services import (
        consent_set,
        contact_add,
        customer_create,
        customer_merge,
        customer_update,
        organisation_create,
    )
    from rapport.imports.services import import_job_create, import_job_run
    from rapport.portal.services import code_request, link_issue
    from rapport.sales.services import order_create

    settings.RAPPORT_PORTAL_ENABLED = True
    staff = make_user("manager")
    job = import_job_create(
        kind="customers",
        by=staff,
        uploaded_file=SimpleUploadedFile("people.csv", UPLOAD, content_type="text/csv"),
    )
    import_job_run(job_id=job.pk)
    customer = Customer.objects.get(external_id="EXT-ZQ-77")
    duplicate = customer_create(
        by=staff,
        family_name="Zyxwarth",
        given_name="Quillon",
        external_id="EXT-ZQ-88",
        emails=[{"address": "q.z.second@example.com"}],
        phones=[{"number": "13955556666"}],
        hobbies="patient-zq",
    )
    customer_merge(
        survivor_id=customer.pk,
        other_id=duplicate.pk,
        by=staff,
        survivor_version=None,
        other_version=None,
    )
    customer.refresh_from_db()
    customer = customer_update(
        customer_id=customer.pk,
        by=staff,
        expected_version=customer.version,
        birthday=date(1987, 3, 14),
        hobbies="falconry-zq",
        family_situation="daughter Xanthippe-zq",
        notes="notes-zq",
        occupation="occupation-zq",
        preferred_language="sk",
        addresses=[{"line1": "Quasar Lane 77", "city": "Bratislava", "country": "SK"}],
        tags=["vip"],
    )
    consent_set(
        customer=customer, channel="email", granted=True, method="web_form", by=staff,
        note="consent-note-zq",
    )  # fmt: skip
    organisation = organisation_create(by=staff, name="Acme Org")
    contact_add(
        organisation=organisation, person=customer, buying_role="decision_maker", by=staff,
        notes="contact-note-zq",
    )  # fmt: skip
    interaction = interaction_log(
        by=staff, customer_id=customer.pk, kind="call", direction="inbound",
        summary="summary-zq: her daughter Xanthippe-zq", subject="subject-zq",
        details=["detail-zq"],
    )  # fmt: skip
    detail_add(by=staff, customer_id=customer.pk, text="remembered-zq", interaction=interaction)
    with django_capture_on_commit_callbacks(execute=True):
        message_send(
            customer_id=customer.pk, channel="email", purpose="service",
            subject="msg-subject-zq", body="msg-body-zq", idempotency_key="zq-1", by=staff,
        )  # fmt: skip
    product = make_product(price="250.00")
    order = order_create(
        by=staff, customer_id=customer.pk, notes="order-note-zq",
        lines=[{"product_id": product.pk, "quantity": 2, "unit_price": "250.00"}],
    )  # fmt: skip
    churn_record(customer=customer, reason="inconvenience", note="churn-note-zq", by=staff)
    link_issue(customer_id=customer.pk, purpose="profile", by=staff)
    with django_capture_on_commit_callbacks(execute=True):
        code_request(email="quillon.zyx@example.com")
    # A future app's rows (the hub's test app): a one-to-one, a many-to-many, a plain column.
    from rapport.customers.tests.hubapp.models import (
        Campaign,
        LoyaltyAccount,
        MemberCard,
        PlainNote,
        SurveyAnswer,
    )

    LoyaltyAccount.objects.create(customer=customer, points=40)
    MemberCard.objects.create(customer=customer, card_number="CARD-ZQ-1", opened_at=date.today())
    Campaign.objects.create(name="Spring").audience.add(customer)
    SurveyAnswer.objects.create(
        survey="nps", customer=customer, score=9, answered_at=order.ordered_at
    )
    PlainNote.objects.create(customer_id=customer.pk, note="plain-note-zq")
    other = customer_create(by=staff, family_name="Another", given_name="Person")
    planted = []
    for make_rows in app_row_makers():
        planted += make_rows(customer, other, staff, product)
    customer.refresh_from_db()
    return {"customer": customer, "order": order, "staff": staff, "erased": ERASED + planted}


def _declared_rows(customer_id: int) -> dict[str, int]:
    counts = {}
    for relation in relations.customer_relations():
        model, field = relation.model, relation.model._meta.get_field(relation.field)
        if field.many_to_many and model is Customer:
            n = getattr(Customer.objects.get(pk=customer_id), relation.field).count()
        else:
            n = model._base_manager.filter(**{relation.field: customer_id}).count()
        counts[str(relation)] = n
    return counts


def _text_columns(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]


def _found_in_database(values: list[str]) -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        columns = _text_columns(model)
        if not columns:
            continue
        for row in model._base_manager.values_list("pk", *columns):
            text = json.dumps(row, ensure_ascii=False, default=str)
            found += [f"{model._meta.label}#{row[0]}: {v}" for v in values if v in text]
    return found


def _found_in_files(root: Path, values: list[str]) -> list[str]:
    found = []
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            found += [f"{path.name}: {v}" for v in values if v in text]
    return found


def test_the_person_has_rows_in_every_table_that_refers_to_customers(person):
    counts = _declared_rows(person["customer"].pk)
    empty = sorted(k for k, n in counts.items() if n == 0 and k not in NOT_MADE_HERE)
    # The relations that cannot point at a kept record: referrals point from other customers,
    # the erasure and read logs are the privacy app's own.
    assert set(empty) <= {
        "customers.Customer.referred_by",
        "privacy.Erasure.customer_id",
        "privacy.PersonalDataRead.customer_id",
    }, empty


def test_erasure_leaves_no_erased_value_in_any_table_or_file(
    person, settings, django_capture_on_commit_callbacks
):
    from rapport.privacy.models import Erasure
    from rapport.privacy.services import customer_erase
    from rapport.sales.models import Order

    customer, order = person["customer"], person["order"]
    erased = person["erased"]
    before = _found_in_database(erased)
    # the search finds every value before (so a planted value is really stored somewhere)
    assert [v for v in erased if not any(f.endswith(f": {v}") for f in before)] == []
    assert _found_in_files(Path(settings.MEDIA_ROOT), ["Zyxwarth"])

    with django_capture_on_commit_callbacks(execute=True):  # files go when the erasure commits
        erasure = customer_erase(by=person["staff"], customer=customer, reason="Asked by letter")

    assert _found_in_database(erased) == []
    assert _found_in_files(Path(settings.MEDIA_ROOT), erased) == []
    # Orders and amounts stay, with the anonymous record.
    kept = Order.objects.get(pk=order.pk)
    assert kept.customer_id == customer.pk and kept.total == Decimal("500.00")
    anonymous = Customer.objects.get(pk=customer.pk)
    assert str(anonymous) == customer.number and anonymous.birthday is None
    # The erasure is recorded: who, when, why — and nothing that was erased.
    assert Erasure.objects.get() == erasure
    assert erasure.erased_by == person["staff"] and erasure.reason == "Asked by letter"
    assert erasure.report["communications.RememberedDetail"] >= 1
    assert erasure.report["import_files"] >= 1
    # A future app's many-to-many loses the person, not the campaign.
    from rapport.customers.tests.hubapp.models import Campaign

    assert Campaign.objects.get().audience.count() == 0


def test_the_access_export_lists_everything_in_the_persons_language(person, tmp_path):
    customer = person["customer"]
    out = tmp_path / "export.json"
    call_command("privacy", "export", customer.number, "--output", str(out))
    data = json.loads(out.read_text())
    assert data["customer"] == customer.number and data["language"] == "sk"
    text = json.dumps(data, ensure_ascii=False)
    # profile, contacts, consents, orders, interactions, remembered details, history, import rows
    missing = [
        v for v in person["erased"] if v not in text and v not in ("13911112222", "13955556666")
    ]
    assert missing == []  # (phones are stored as +86…)
    assert "+8613911112222" in text
    labels = {s["label"] for s in data["sections"]}
    assert {"objednávky", "zapamätané podrobnosti"} <= labels  # in Slovak, her language
    assert any(s["key"] == "import_files" for s in data["sections"])


def test_cli_erase_by_number(person, capsys):
    from rapport.privacy.models import Erasure

    customer = person["customer"]
    call_command("privacy", "erase", customer.number.lower(), "--reason", "phone call", "--yes")
    assert Erasure.objects.filter(customer_id=customer.pk).exists()
    assert "Zyxwarth" not in capsys.readouterr().out
    assert _found_in_database(["Zyxwarth", "falconry-zq"]) == []

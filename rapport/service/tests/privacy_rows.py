"""Rows of the service app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from datetime import timedelta

from django.utils import timezone

from rapport.service.models import Attendance, Recall, RecallNotice, TrainingSession, Visit
from rapport.service.services import commitment_make, request_open, visit_schedule


def make_rows(customer, other, staff, product) -> list[str]:
    """A service request, a visit, a promise (with their events, through the services), a recall
    notice and a training attendance."""
    now = timezone.now()
    request = request_open(
        by=staff, customer_id=customer.pk, kind="repair", description="service-desc-zq",
        product_id=product.pk,
    )  # fmt: skip
    visit = visit_schedule(
        by=staff, customer_id=customer.pk, kind="repair", starts_at=now + timedelta(days=2),
        request_id=request.pk, product_id=product.pk,
    )  # fmt: skip
    commitment_make(
        by=staff, customer_id=customer.pk, text="promise-zq", owner_id=staff.pk,
        due_at=now + timedelta(days=3), request_id=request.pk,
    )  # fmt: skip
    recall = Recall.objects.create(product=product, title={"en": "Recall"}, body={"en": "Back"})
    RecallNotice.objects.create(recall=recall, customer=customer, notified_at=now)
    session = TrainingSession.objects.create(title="Basics", starts_at=now + timedelta(days=5))
    Attendance.objects.create(session=session, customer=customer, attended=True)
    Visit.objects.filter(pk=visit.pk).update(notes="visit-notes-zq")
    return ["service-desc-zq", "promise-zq", "visit-notes-zq"]

"""Rows of the complaints app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from rapport.complaints.models import (
    Approval,
    Attachment,
    Complaint,
    ComplaintEvent,
    InboundMail,
    Remedy,
)
from rapport.complaints.services import complaint_record


def make_rows(customer, other, staff, product) -> list[str]:
    """A complaint (with its events, through the service), the text of its later steps, a remedy
    with its approval, an attachment, and a mail it came in by."""
    complaint = complaint_record(
        by=staff, customer_id=customer.pk, channel="email", category="product_quality",
        description="complaint-desc-zq", request="complaint-request-zq", product_id=product.pk,
    )  # fmt: skip
    # The text later steps write (direct: the steps' own tests cover how they get there).
    Complaint.objects.filter(pk=complaint.pk).update(
        subject_text="subject-text-zq", summary="summary-text-zq", lesson="lesson-zq",
        validity_reason="validity-zq", cause_note="cause-note-zq", recourse="recourse-zq",
    )  # fmt: skip
    ComplaintEvent.objects.filter(customer_id=customer.pk).update(
        parameters={"reason": "event-reason-zq"}
    )
    remedy = Remedy.objects.create(
        complaint=complaint, kind="exchange", description="remedy-zq", amount=Decimal("10"),
        proposed_by=staff,
    )  # fmt: skip
    Approval.objects.create(remedy=remedy, approved_at=timezone.now(), note="approval-note-zq")
    attachment = Attachment(
        complaint=complaint, name="photo-zq.jpg", content_type="image/jpeg", size=12
    )
    attachment.file.save("photo.jpg", ContentFile(b"attachment-zq"), save=False)
    attachment.save()
    InboundMail.objects.create(
        received_at=timezone.now(), from_address="quillon.zyx@example.com",
        subject="inbound-subject-zq", body="inbound-body-zq", customer=customer,
        complaint=complaint,
    )  # fmt: skip
    return [
        "complaint-desc-zq", "complaint-request-zq", "inbound-subject-zq", "inbound-body-zq",
        "subject-text-zq", "summary-text-zq", "lesson-zq", "validity-zq", "cause-note-zq",
        "recourse-zq", "event-reason-zq", "remedy-zq", "approval-note-zq", "photo-zq.jpg",
    ]  # fmt: skip

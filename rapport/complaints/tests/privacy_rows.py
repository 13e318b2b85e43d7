"""Rows of the complaints app for the privacy erasure test (`rapport/tests/test_privacy_erasure.py`)."""

from django.utils import timezone

from rapport.complaints.models import InboundMail
from rapport.complaints.services import complaint_record


def make_rows(customer, other, staff, product) -> list[str]:
    """A complaint (with its events, through the service) and a mail it came in by."""
    complaint = complaint_record(
        by=staff, customer_id=customer.pk, channel="email", category="product_quality",
        description="complaint-desc-zq", request="complaint-request-zq", product_id=product.pk,
    )  # fmt: skip
    InboundMail.objects.create(
        received_at=timezone.now(), from_address="quillon.zyx@example.com",
        subject="inbound-subject-zq", customer=customer, complaint=complaint,
    )  # fmt: skip
    # Not planted, gaps in the declarations (erasure or export misses them): the complaint's
    # subject_text, summary, lesson (erased, not exported), validity_reason and cause_note (neither),
    # the mail's body and the events' parameters (erased, not exported), a remedy's description and
    # its approval's note, and the customer's attachments (name and file: neither).
    return ["complaint-desc-zq", "complaint-request-zq", "inbound-subject-zq"]

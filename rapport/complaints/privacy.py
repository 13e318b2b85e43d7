"""What a complaint holds about its customer beyond the columns its relation declares: the free
text of each step (validity reason, cause details, recourse), the remedies' and approvals' notes,
and the attachments (file names and the stored files). The access export lists them; an erasure
redacts the texts and deletes the files. Registered as a personal-data holder (apps.py)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from rapport.core.relations import Person


def person_complaint_details(person: Person) -> list[dict[str, Any]]:
    from rapport.complaints.models import Approval, Attachment, Complaint, Remedy

    rows: list[dict[str, Any]] = []
    complaints = Complaint.objects.filter(customer_id=person.customer_id).order_by("pk")
    for c in complaints.only(
        "reference", "validity_reason", "cause_note", "recourse", "batch", "subject_text"
    ):
        rows.append(
            {
                "complaint": c.reference,
                "validity_reason": c.validity_reason,
                "cause_note": c.cause_note,
                "recourse": c.recourse,
                "batch": c.batch,
            }
        )
    for r in Remedy.objects.filter(complaint__customer_id=person.customer_id).select_related(
        "complaint"
    ):
        rows.append(
            {"complaint": r.complaint.reference, "remedy": r.kind, "description": r.description}
        )
    for a in Approval.objects.filter(
        remedy__complaint__customer_id=person.customer_id
    ).select_related("remedy__complaint"):
        rows.append({"complaint": a.remedy.complaint.reference, "approval_note": a.note})
    for f in Attachment.objects.filter(
        Q(complaint__customer_id=person.customer_id) | Q(mail__customer_id=person.customer_id)
    ).select_related("complaint"):
        reference = f.complaint.reference if f.complaint else ""
        rows.append({"complaint": reference, "attachment": f.name, "size": f.size})
    return rows


def person_complaint_erase(person: Person) -> int:
    """Redact the texts and delete the attachments (rows and files) of the person's complaints;
    the complaints themselves stay, anonymous, for the figures."""
    from rapport.complaints.models import Approval, Attachment, Complaint, Remedy

    complaints = Complaint.objects.filter(customer_id=person.customer_id)
    n = complaints.update(validity_reason="", cause_note="", recourse="")
    n += Remedy.objects.filter(complaint__customer_id=person.customer_id).update(description="")
    n += Approval.objects.filter(remedy__complaint__customer_id=person.customer_id).update(note="")
    for attachment in Attachment.objects.filter(
        Q(complaint__customer_id=person.customer_id) | Q(mail__customer_id=person.customer_id)
    ):
        # the file goes when the erasure commits: one that is rolled back loses no file
        name, storage = attachment.file.name, attachment.file.storage
        transaction.on_commit(lambda name=name, storage=storage: storage.delete(name))
        attachment.delete()
        n += 1
    return n

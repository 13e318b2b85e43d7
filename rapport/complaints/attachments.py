"""Attachments: photos, scans and letters. The type is read from the file's first bytes (not its
name), the size is limited, and files are served only through a view that checks who asks."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from rapport.complaints.models import Attachment, Complaint
from rapport.core.actors import Actor, actor_user

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff(head: bytes) -> str | None:
    for magic, kind in SIGNATURES:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_add(
    *,
    by: Actor,
    complaint: Complaint | None,
    upload: Any,
    from_customer: bool = False,
    mail: Any = None,
) -> Attachment:
    """Keep an uploaded file with the complaint (or, until a complaint is recorded from it, with
    the incoming mail it came with); ValidationError for a wrong type or size."""
    if upload is None:
        raise ValidationError({"file": [_("Choose a file.")]})
    if upload.size > MAX_BYTES:
        raise ValidationError({"file": [_("The file is larger than 10 MB.")]})
    head = upload.read(16)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            {"file": [_("Only photos (JPEG, PNG, GIF, WebP) and PDF scans can be attached.")]}
        )
    return Attachment.objects.create(
        complaint=complaint,
        file=upload,
        name=(upload.name or "file")[-200:],
        content_type=kind,
        size=upload.size,
        from_customer=from_customer,
        uploaded_by=actor_user(by),
        mail=mail,
    )


def delete_file(sender: Any, instance: Attachment, **kwargs: Any) -> None:
    """A deleted attachment row takes its file with it (a cascade from a mail or complaint too);
    connected in apps.py."""
    if instance.file:
        instance.file.delete(save=False)

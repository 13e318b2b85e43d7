"""Personal data the privacy app itself finds by value: mail written to files (the embedded mail
set-up keeps each sent message under var/sent-mail) and the admin site's log of edits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from rapport.core.relations import Person, fold


def _mail_folder() -> Path | None:
    mailer: dict[str, Any] = getattr(settings, "MAILERS", {}).get("default", {})
    if not str(mailer.get("BACKEND", "")).endswith("filebased.EmailBackend"):
        return None
    path = mailer.get("OPTIONS", {}).get("file_path")
    return Path(path) if path else None


def _mail_files_naming(person: Person) -> list[Path]:
    folder = _mail_folder()
    if folder is None or not folder.is_dir():
        return []
    wanted = {fold(e) for e in person.emails if e}
    if not wanted:
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.is_file():
            text = fold(path.read_bytes().decode("utf-8", "replace"))
            if any(e in text for e in wanted):
                found.append(path)
    return found


def sent_mail_export(person: Person) -> list[dict[str, Any]]:
    """The messages themselves are listed with the messages sent (their own relation)."""
    return []


def sent_mail_erase(person: Person) -> int:
    """Delete the copies of mail sent to the person that the file mailer kept."""
    files = _mail_files_naming(person)
    for path in files:
        # after the commit: an erasure that is rolled back deletes nothing
        transaction.on_commit(lambda path=path: path.unlink(missing_ok=True))
    return len(files)


def admin_log_export(person: Person) -> list[dict[str, Any]]:
    return []


def admin_log_erase(person: Person) -> int:
    """The admin site's log names the record it edited: the customer's entries lose the name
    and the message (which fields changed stays out too)."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from rapport.customers.models import Customer

    content_type = ContentType.objects.get_for_model(Customer)
    return LogEntry.objects.filter(
        content_type=content_type, object_id=str(person.customer_id)
    ).update(object_repr="", change_message="")

"""Telling the person who started a big import how it ended: after the job's last event has been
committed, by mail (a background task), in the language they started it in."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from rapport.core.models import Event
from rapport.imports.models import ImportJob


def import_finished(event: Event) -> None:
    """Subscriber of the ending events: mail the job's creator if the job ran in the background
    (a small file's result was on their screen already)."""
    job = event.job  # type: ignore[attr-defined]
    if job.total_rows <= settings.RAPPORT_IMPORT_BACKGROUND_ROWS:
        return
    if job.created_by is None or not job.created_by.email:
        return
    from rapport.imports.tasks import mail_import_result

    mail_import_result.enqueue(event.pk)


def mail_result(event_id: int) -> None:
    from rapport.imports.models import ImportEvent

    event = ImportEvent.objects.select_related("job__created_by").get(pk=event_id)
    job: ImportJob = event.job
    with translation.override(job.language or None):
        send_mail(
            subject=_("Import of %(file)s: %(status)s")
            % {"file": job.file_name, "status": job.get_status_display()},
            message="\n\n".join(
                [
                    event.sentence(),
                    settings.RAPPORT_PUBLIC_URL + reverse("imports:detail", args=[job.pk]),
                ]
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[job.created_by.email],
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "rapport.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from rapport.complaints import seams
        from rapport.complaints.builtin import ensure_causes

        seams.register()
        from rapport.core.registry import register_change_fields

        # The database-kept `active` column (a GeneratedField, no name of its own) in the history.
        register_change_fields("complaints", "complaint", {"active": (_("open"), {})})
        from django.db.models.signals import post_delete

        from rapport.complaints.attachments import delete_file
        from rapport.complaints.choices import RemedyKind
        from rapport.complaints.models import Attachment

        post_delete.connect(
            delete_file, sender=Attachment, dispatch_uid="complaint_attachment_file"
        )
        # The free text of each step, remedies' and approvals' notes and the attachments name the
        # customer: the access export lists them, an erasure redacts them (rapport/privacy).
        from rapport.core.relations import PersonalDataHolder, register_personal_data_holder

        register_personal_data_holder(
            PersonalDataHolder(
                name="complaint_details",
                label=_("complaint details, remedies and attachments"),
                export="rapport.complaints.privacy:person_complaint_details",
                erase="rapport.complaints.privacy:person_complaint_erase",
                headings={
                    "complaint": _("complaint"),
                    "validity_reason": _("reason for the validity decision"),
                    "cause_note": _("cause details"),
                    "recourse": _("recourse told to the customer"),
                    "batch": _("batch"),
                    "remedy": _("remedy"),
                    "description": _("description"),
                    "approval_note": _("approval"),
                    "attachment": _("attachment"),
                    "size": _("size"),
                },
                values={"remedy": RemedyKind},
            )
        )
        # The built-in causes exist after every migrate, and again after a database is emptied.
        post_migrate.connect(
            lambda **kw: ensure_causes(),
            sender=self,
            dispatch_uid="rapport.complaints.causes",
            weak=False,
        )

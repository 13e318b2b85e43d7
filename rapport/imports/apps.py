from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "rapport.imports"
    label = "imports"
    verbose_name = _("Import and export")

    def ready(self) -> None:
        from rapport.core import registry
        from rapport.core.events import subscribe
        from rapport.imports.choices import ImportEventType
        from rapport.imports.models import ImportEvent
        from rapport.imports.notifications import import_finished

        for ending in (
            ImportEventType.WRITTEN,
            ImportEventType.REFUSED,
            ImportEventType.CHECKED,
            ImportEventType.FAILED,
        ):
            subscribe(ImportEvent, ending, import_finished)

        # Uploaded files name people: an access request lists their rows, an erasure deletes them.
        from rapport.core.relations import PersonalDataHolder, register_personal_data_holder

        register_personal_data_holder(
            PersonalDataHolder(
                name="import_files",
                label=_("rows of uploaded import files"),
                export="rapport.imports.privacy:person_import_rows",
                erase="rapport.imports.privacy:person_import_erase",
            )
        )
        # The kinds themselves are registered by the apps that own them.
        registry.register_urls("imports/", "rapport.imports.urls")
        registry.register_nav(
            registry.NavItem(_("Import"), "imports:list", "imports.import_data", order=90)
        )

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy

from rapport.core.fields import concrete_field


def add_service_errors(
    form: forms.Form, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's ValidationError on the form: on the field it names, or above the form."""
    aliases = aliases or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        name = aliases.get(field, field)
        form.add_error(name if name in form.fields else None, messages)


def text_checked_by_form(view: Any) -> Any:
    """Mark a page whose posted text all goes through Django forms (whose text fields refuse a
    NUL byte with an error on the field): InvalidInputMiddleware then lets a post with such a
    character through to the view, which shows the form again with the error on that field,
    instead of answering with a page of its own. A view that reads posted values by hand stays
    unmarked and gets that 400 page (which names the field)."""
    view.checks_unstorable_text = True
    return view


def upload_limit_on_form(view: Any) -> Any:
    """Mark a page that shows an upload stopped at the limit (rapport.core.uploads) as an error
    on its form's file field; other pages answer such a request with a 413 page."""
    view.checks_upload_size = True
    return view


def require_version(form: forms.Form) -> forms.Form:
    """An edit form must send back the version it was read at (its hidden `version` field), so
    the service's conflict check is never skipped: a post without it is refused."""
    field = form.fields["version"]
    field.required = True
    field.error_messages["required"] = gettext_lazy(
        "This form was sent without the version of the record it edits. Reload the page and "
        "make your changes again."
    )
    return form


def fields_from_columns(
    model: type[models.Model], columns: Iterable[Any], names: Iterable[str]
) -> dict[str, forms.Field]:
    """Form fields for `names`, built from the model's fields and labelled as the app's column
    specification (its import/export columns: `rapport.imports.mapping.Target`s) labels them, so
    a field is named the same on the form, in the import's column list and in the export.

    Not required where the model allows blank; long text as a short text area; dates as a date
    picker; choices as a drop-down."""
    labels = {c.field: c.label for c in columns}
    out: dict[str, forms.Field] = {}
    for name in names:
        field = concrete_field(model, name)
        kwargs: dict[str, Any] = {"label": capfirst(labels.get(name, field.verbose_name))}
        if isinstance(field, models.TextField):
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2})
        elif isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
            kwargs["widget"] = DATE_INPUT
        formfield = field.formfield(**kwargs)
        assert formfield is not None, name
        if field.blank or isinstance(field, models.BooleanField):
            formfield.required = False
        out[name] = formfield
    return out


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

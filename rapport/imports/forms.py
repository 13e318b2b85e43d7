"""The upload form: it collects the choices and hands them to rapport.imports.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.core.registry import import_kinds
from rapport.imports.choices import ImportMode
from rapport.imports.mapping import parse_overrides


def import_kind_choices() -> list[tuple[str, str]]:
    return [(spec.kind, spec.label) for spec in import_kinds()]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=import_kind_choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or GBK, comma, semicolon or tab) or Excel .xlsx; the first row "
            "holds the column names. Outlook and Google Contacts exports and vCard address "
            "books (.vcf) are read as they are."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,.xlsx,.vcf"}),
    )
    mode = forms.ChoiceField(
        label=_("If some rows have errors"),
        choices=ImportMode.choices,
        initial=ImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )
    dry_run = forms.BooleanField(label=_("Only check the file, write nothing"), required=False)
    probable_matches = forms.ChoiceField(
        label=_("If a row probably is an existing customer"),
        choices=[
            ("ask", _("Show it for a decision (the row is not imported)")),
            ("match", _("Update that customer")),
            ("new", _("Create a new customer")),
            ("skip", _("Leave the row out")),
        ],
        initial="ask",
        required=False,
        help_text=_("Customers only: a name written differently, a typo, the same birthday…"),
    )
    column_map = forms.CharField(
        label=_("Column mapping (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "One “column = field” per line when a column is not recognised, e.g. “Handy = phone”; "
            "“column =” leaves a column out."
        ),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user is not None:  # only the kinds this user's role may add
            self.fields["kind"].choices = [
                (spec.kind, spec.label)
                for spec in import_kinds()
                if user.has_perm(spec.import_permission)
            ]

    def clean_column_map(self) -> dict[str, str]:
        try:
            return parse_overrides(self.cleaned_data["column_map"].splitlines())
        except ValueError as exc:
            raise forms.ValidationError(
                _("“%(line)s” has no “=”: write “column = field”."), params={"line": exc.args[0]}
            ) from None

"""The interaction form on the customer page: it collects input for the communications services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.communications.choices import DetailKind, Direction, InteractionKind


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=InteractionKind.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    summary = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}))
    detail = forms.CharField(
        label=_("Something to remember"),
        max_length=500,
        required=False,
        help_text=_("A preference, family event or request the customer mentioned."),
    )
    detail_kind = forms.ChoiceField(
        label=_("Kind of detail"), choices=DetailKind.choices, required=False
    )

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.privacy.services import REASON_MAX


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (the person's request: when and how it was made)"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the personal data is erased for good and cannot be restored."),
    )

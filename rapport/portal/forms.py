import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _


class PublicForm(forms.Form):
    """Base of the forms anyone may send: a field people never see (bots fill it) and a signed
    time the form was shown (bots send at once)."""

    website = forms.CharField(
        label=_("Website"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    shown = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["shown"] = signing.dumps(time.time(), salt="portal-form")

    def started_at(self) -> float | None:
        try:
            return float(
                signing.loads(self.data.get("shown", ""), salt="portal-form", max_age=86_400)
            )
        except (signing.BadSignature, TypeError, ValueError):
            return None


class EmailForm(PublicForm):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


class CodeForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)
    code = forms.CharField(label=_("The code we sent you"), max_length=6, min_length=6)

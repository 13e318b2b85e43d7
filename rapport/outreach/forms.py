from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.customers.choices import Language
from rapport.outreach.choices import (
    CampaignChannel,
    CampaignKind,
    ChurnThreshold,
    EventKind,
    Schedule,
)
from rapport.outreach.models import CompanyEvent, Coupon

LANGUAGE_FIELDS = (("en", "en"), ("zh-hans", "zh_hans"), ("zh-hant", "zh_hant"), ("sk", "sk"))


def merge_help() -> str:
    """The merge fields, this app's and those other apps registered (products we recommend…)."""
    from rapport.core.registry import merge_fields

    text = _(
        "Merge fields: {{ name }}, {{ given_name }}, {{ coupon_code }}, "
        "{{ coupon_value }}, {{ next_birthday }}, {{ next_moment }}, {{ detail }}, "
        "{{ event_name }}, {{ event_time }}, {{ rsvp_url }}, {{ unsubscribe_url }}."
    )
    more = [f"{{{{ {f.name} }}}} ({f.label})" for f in merge_fields()]
    return f"{text} {', '.join(more)}" if more else str(text)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=CampaignKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    schedule = forms.ChoiceField(label=_("Schedule"), choices=Schedule.choices)
    days = forms.IntegerField(label=_("Days (N)"), min_value=0, max_value=3660, initial=0)
    churn_threshold = forms.ChoiceField(
        label=_("When the churn risk rises to"),
        choices=ChurnThreshold.choices,
        initial=ChurnThreshold.MEDIUM,
        required=False,
    )
    send_at = forms.DateTimeField(
        label=_("Send at (empty: as soon as it is started)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    coupon = forms.ModelChoiceField(
        label=_("Coupon"), queryset=Coupon.objects.order_by("code"), required=False
    )
    event = forms.ModelChoiceField(
        label=_("Invites to event"),
        queryset=CompanyEvent.objects.order_by("-starts_at"),
        required=False,
    )
    tag = forms.CharField(label=_("Audience: tag"), required=False)
    preferred_language = forms.ChoiceField(
        label=_("Audience: language"), choices=Language.choices, required=False
    )

    def __init__(self, *args, filters=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filter_names = []
        for f in filters:
            name = f"audience_{f.name}"
            if f.choices:
                self.fields[name] = forms.ChoiceField(
                    label=f.label, choices=[("", f.any_label), *f.choices()], required=False
                )
            else:
                self.fields[name] = forms.CharField(label=f.label, required=False)
            self.filter_names.append(f.name)
        for language, suffix in LANGUAGE_FIELDS:
            label = Language(language).label
            self.fields[f"subject_{suffix}"] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": label}, required=False
            )
            self.fields[f"body_{suffix}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=merge_help(),
            )

    def audience(self) -> dict[str, str]:
        found = {
            "tag": self.cleaned_data["tag"],
            "preferred_language": self.cleaned_data["preferred_language"],
        }
        for name in self.filter_names:
            found[name] = self.cleaned_data.get(f"audience_{name}", "")
        return {k: v for k, v in found.items() if v}

    def messages(self) -> list[dict[str, str]]:
        return [
            {
                "language": language,
                "subject": self.cleaned_data[f"subject_{suffix}"],
                "body": self.cleaned_data[f"body_{suffix}"],
            }
            for language, suffix in LANGUAGE_FIELDS
            if self.cleaned_data[f"subject_{suffix}"] or self.cleaned_data[f"body_{suffix}"]
        ]


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    amount = forms.DecimalField(
        label=_("Amount off"), required=False, max_digits=16, decimal_places=2
    )
    percent = forms.DecimalField(
        label=_("Percentage off"), required=False, max_digits=5, decimal_places=2
    )
    valid_from = forms.DateField(
        label=_("Valid from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    max_redemptions = forms.IntegerField(
        label=_("Limit (1: single-use)"), required=False, min_value=1
    )
    once_per_customer = forms.BooleanField(
        label=_("Once per customer"), required=False, initial=True
    )
    is_trial = forms.BooleanField(label=_("Free trial"), required=False)


class RedeemForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=40)
    order_number = forms.CharField(label=_("Order number"), max_length=40)


class EventForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from rapport.analytics.choices import ChurnDestination, ChurnReason, Segment
from rapport.analytics.selectors import Filters


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


class MonthField(forms.DateField):
    widget = MonthInput
    input_formats = ["%Y-%m", "%Y-%m-%d"]


class DashboardFilterForm(forms.Form):
    """Period (whole months) and segment for every dashboard page."""

    period_from = MonthField(label=_("From month"), required=False)
    period_to = MonthField(label=_("To month"), required=False)
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=[("", _("All segments")), *Segment.choices]
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("period_from"), data.get("period_to")
        if start and end and start > end:
            data["period_from"], data["period_to"] = end, start
        return data

    def filters(self, default: tuple[date | None, date | None] = (None, None)) -> Filters:
        """The filters the form holds; a period left empty takes the page's default."""
        data = self.cleaned_data if self.is_valid() else {}
        start = data.get("period_from") or (
            None if self.data.get("period_from") == "" else default[0]
        )
        end = data.get("period_to") or (None if self.data.get("period_to") == "" else default[1])
        return Filters(period_from=start, period_to=end, segment=data.get("segment") or "")


class ChurnRecordForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why did the customer leave?"), choices=ChurnReason.choices)
    destination = forms.ChoiceField(
        label=_("Where did they go?"),
        choices=ChurnDestination.choices,
        initial=ChurnDestination.UNKNOWN,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

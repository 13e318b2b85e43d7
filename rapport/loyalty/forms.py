from django import forms
from django.utils.translation import gettext_lazy as _


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    rank = forms.IntegerField(label=_("Rank (higher is better)"), min_value=0)
    min_spend = forms.DecimalField(
        label=_("Minimum spend"), min_value=0, initial=0, max_digits=16, decimal_places=2
    )
    min_points = forms.IntegerField(label=_("Minimum points earned"), min_value=0, initial=0)
    window_days = forms.IntegerField(label=_("Window (days)"), min_value=1, initial=365)
    discount_percent = forms.DecimalField(
        label=_("Discount %"), min_value=0, max_value=100, initial=0, max_digits=5, decimal_places=2
    )
    free_items = forms.CharField(label=_("Free items"), required=False)
    free_services = forms.CharField(label=_("Free services"), required=False)

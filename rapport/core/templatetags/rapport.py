from django import template

from rapport.core import money as _money
from rapport.core.phones import display_phone

register = template.Library()


@register.filter
def money(value, currency=None):
    return _money.money(value, currency)


@register.filter
def number(value, digits=0):
    return _money.number(value, int(digits))


@register.filter
def phone(value):
    return display_phone(value) if value else ""


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for pagination and filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.filter
def change_value(value):
    """A history value for people: lists joined, booleans as yes/no, nothing as a dash."""
    from django.template.defaultfilters import yesno

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return yesno(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "—"
    return value

"""Messages of Django's that Rapport translates itself (so that `make messages` keeps them in
rapport/locale): the month names in the genitive for Slovak dates (the "E" of the date formats in
rapport/formats), and the punctuation a form label may end with before Django adds its colon
(Chinese labels end with full-width "？", which Django's list does not know: "离开？：")."""

from django.utils.translation import gettext_noop, pgettext_lazy

ALT_MONTHS = (
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
LABEL_END_PUNCTUATION = gettext_noop(":?.!")
LABEL_SUFFIX = gettext_noop(":")  # Chinese labels end with a full-width colon: "姓："

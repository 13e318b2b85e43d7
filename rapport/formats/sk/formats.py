"""Slovak dates with the month in the genitive, as Slovaks write them: "15. septembra 2026"
(Django's own Slovak formats use the nominative, "15. september 2026"). The genitive names are
the "alt. month" translations in rapport/locale/sk (rapport.core.formats lists them)."""

from django.conf.locale.sk.formats import *  # noqa: F403

DATE_FORMAT = "j. E Y"
DATETIME_FORMAT = "j. E Y G:i"
MONTH_DAY_FORMAT = "j. E"

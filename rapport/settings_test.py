"""The test settings: the project's, plus an app that exists only in the tests (see
rapport/customers/tests/hubapp)."""

from rapport.settings import *  # noqa: F403
from rapport.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rapport.customers.tests.hubapp"]

# Counters (rate limits) in each test process's memory: no cache queries in the query counts; the
# root conftest clears them before each test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

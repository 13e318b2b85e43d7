"""The test settings: the project's, plus an app that exists only in the tests (see
rapport/customers/tests/hubapp)."""

from rapport.settings import *  # noqa: F403
from rapport.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "rapport.customers.tests.hubapp"]

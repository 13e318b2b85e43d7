"""`migrate` alone makes the database cache usable (rate limits read and write it on every API
request): the cache table is created by a migration, not only by `make run`."""

import importlib
from types import SimpleNamespace

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

pytestmark = pytest.mark.django_db

DB_CACHE = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "t_cache"}
}


@override_settings(CACHES=DB_CACHE)
def test_the_migration_creates_the_database_cache_table():
    migration = importlib.import_module("rapport.core.migrations.0004_cache_table")
    assert "t_cache" not in connection.introspection.table_names()
    migration.create_cache_table(None, SimpleNamespace(connection=connection))
    assert "t_cache" in connection.introspection.table_names()
    caches["default"].add("k", 1)  # a rate-limit bucket
    assert caches["default"].get("k") == 1

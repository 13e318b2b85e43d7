"""Shared fixtures: staff users in each role, API clients, and a customer factory."""

import pytest
from django.test import Client

from rapport.staff.roles import ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only


@pytest.fixture
def make_user(db):
    from rapport.staff.services import roles_sync, user_create

    roles_sync()
    counter = iter(range(1, 10_000))

    def make(role: str | None = "agent", **kwargs):
        assert role is None or role in ROLE_PERMISSIONS
        return user_create(
            username=kwargs.pop("username", f"{role or 'nobody'}{next(counter)}"),
            password=kwargs.pop("password", "correct horse battery staple"),
            roles=[role] if role else [],
            **kwargs,
        )

    return make


@pytest.fixture
def agent(make_user):
    return make_user("agent")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def analyst(make_user):
    return make_user("analyst")


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def analyst_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


@pytest.fixture
def make_customer(db, make_user):
    from rapport.customers.services import customer_create

    staff = make_user("manager")

    def make(**fields):
        fields.setdefault("family_name", "王")
        fields.setdefault("given_name", "小明")
        return customer_create(by=staff, **fields)

    return make


@pytest.fixture
def make_product(db, make_user):
    from rapport.sales.services import product_create

    staff = make_user("manager")
    counter = iter(range(1, 100_000))

    def make(**fields):
        n = next(counter)
        fields.setdefault("sku", f"SKU-{n:05d}")
        fields.setdefault("name", f"Product {n}")
        fields.setdefault("price", "100.00")
        fields.setdefault("unit_cost", "60.00")
        return product_create(by=staff, **fields)

    return make

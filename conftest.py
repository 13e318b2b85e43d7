"""Shared fixtures: staff users in each role, API clients, and a customer factory."""

import pytest
from django.test import Client

from rapport.staff.roles import ROLE_PERMISSIONS


@pytest.fixture(autouse=True)
def _english(settings, tmp_path):
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    # Uploads and import progress files per test: parallel test processes (and the SQLite and
    # PostgreSQL runs) number their import jobs from 1 alike and must not read each other's files.
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    cache.clear()  # rate-limit counters start afresh in each test


@pytest.fixture
def make_user(db):
    from django.contrib.auth.models import Permission
    from django.core.management.sql import emit_post_migrate_signal

    from rapport.staff.services import roles_sync, user_create

    if not Permission.objects.exists():
        # A test with serialized_rollback=True ends with a flush that does not recreate the
        # content types and permissions (its own next test reloads them from the serialized
        # copy); a transactional test that follows it on the same worker would otherwise give
        # every role an empty set of permissions.
        emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
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


# Mail ----------------------------------------------------------------------------------------


class SmtpSink:
    """What a real SMTP server (aiosmtpd) received: parsed messages, in order of arrival."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  (aiosmtpd's name)
        import email
        from email import policy

        message = email.message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m["X-Envelope-To"]]


@pytest.fixture
def smtp_server(smtp_server_with):
    """A real SMTP server on localhost for the test; Django's mail goes to it. Yields the sink:
    `smtp_server.messages` are the messages it received (email.message.EmailMessage)."""
    return smtp_server_with(SmtpSink())


@pytest.fixture
def smtp_server_with(settings):
    """Starts a real SMTP server on localhost with the test's own aiosmtpd handler (a refusing
    or pipelining server, say) and sends Django's mail to it; stopped after the test."""
    import socket

    from aiosmtpd.controller import Controller

    controllers = []

    def start(handler):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
            }
        }
        return handler

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


# Browser tests ------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = __import__("pathlib").Path(__file__).parent / "test-artifacts"


@pytest.fixture(scope="session")
def browser():
    import os

    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM}: `make test` installs it.")
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # around it are ordinary synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def logged_in_page(page, live_server, make_user):
    make_user("manager", username="browser-manager", password="a browser passphrase")
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "browser-manager")
    page.fill("input[name=password]", "a browser passphrase")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/")
    return page

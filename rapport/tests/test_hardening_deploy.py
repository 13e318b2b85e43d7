"""The production settings the README gives pass `rapport check --deploy`, and turn on HTTPS,
HSTS, the proxy header, the Content-Security-Policy and a short session."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_production_env() -> dict[str, str]:
    text = README.read_text()
    section = text.split("## Security and deployment", 1)[1]
    block = section.split("```sh", 1)[1].split("```", 1)[0]
    env = {}
    for line in block.strip().splitlines():
        name, value = line.split("=", 1)
        env[name.strip()] = re.split(r"\s+#", value, maxsplit=1)[0].strip()
    return env


def _run(code: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DJANGO_"))}
    for name in ("DATABASE_URL", "DEBUG", "HTTPS", "SECURE_COOKIES", "CSP_REPORT_ONLY"):
        clean.pop(name, None)
    clean |= env | {"RAPPORT_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "rapport.settings"}
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'prod.sqlite3'}"  # checks only, no server
    return subprocess.run(
        [sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_the_readme_settings(tmp_path):
    env = readme_production_env()
    assert env["SECRET_KEY"].startswith("…")
    env["SECRET_KEY"] = "k" * 10 + "Q7!z" * 12  # the README's placeholder, made long and varied
    result = _run(
        "from rapport.cli import main; import sys; "
        "sys.argv = ['rapport', 'check', '--deploy', '--fail-level', 'WARNING']; main()",
        env,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_settings_follow_the_public_url(tmp_path):
    env = readme_production_env() | {"SECRET_KEY": "x" * 60}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_AGE, bool(s.SECURE_CSP))"
    )
    result = _run(code, env, tmp_path)
    assert result.stdout.split() == [
        "True",
        "True",
        "31536000",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
        "43200",
        "True",
    ], result.stderr
    plain = _run(code, {"SESSION_HOURS": "2"}, tmp_path)
    assert plain.stdout.split()[:3] == ["False", "False", "0"], plain.stderr
    assert "7200" in plain.stdout


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(agent_client):
    response = agent_client.get("/customers/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    script_src = policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "unsafe-inline" not in script_src
    assert "onchange=" not in response.content.decode()


@pytest.mark.django_db
def test_an_inline_script_carries_the_nonce_the_policy_names(manager_client):
    response = manager_client.get("/analytics/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()


# Idle sessions (issue 10, item 11) ------------------------------------------------------------


@pytest.mark.django_db
def test_an_idle_session_ends_and_an_active_one_goes_on(manager, settings, monkeypatch):
    import time

    from django.test import Client

    settings.RAPPORT_SESSION_IDLE_MINUTES = 30
    client = Client()
    client.force_login(manager)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 60)  # 29 minutes later: still in
    assert client.get("/customers/").status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 58 * 60)  # 29 more (the clock restarted)
    assert client.get("/customers/").status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 89 * 60)  # 31 minutes without a request
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    page = client.get(response["Location"]).content.decode()
    assert "logged out after 30 minutes without activity" in page
    # and the login is really over
    assert client.get("/customers/").status_code == 302


@pytest.mark.django_db
def test_a_page_left_polling_for_progress_does_not_keep_the_session_alive(
    manager, settings, monkeypatch
):
    import time

    from django.test import Client

    settings.RAPPORT_SESSION_IDLE_MINUTES = 30
    client = Client()
    client.force_login(manager)
    now = time.time()
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_X_RAPPORT_POLL": "true"}
    for minutes in (10, 20, 29):  # an open import page polls its progress …
        monkeypatch.setattr(time, "time", lambda m=minutes: now + m * 60)
        assert client.get("/customers/", **poll).status_code == 200
    # … but nobody touched it for 31 minutes: the next poll reloads the page, which asks for the
    # password (an htmx fragment would otherwise get the login page swapped into it).
    monkeypatch.setattr(time, "time", lambda: now + 31 * 60)
    response = client.get("/customers/", **poll)
    assert response.status_code == 200 and response["HX-Refresh"] == "true"
    assert client.get("/customers/").status_code == 302


def test_every_automatic_refresh_says_it_is_one():
    """Each element that polls (hx-trigger="every …") sends the header the idle clock ignores."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    polling = []
    for template in root.glob("*/templates/**/*.html"):
        for tag in re.findall(r"<[^>]*hx-trigger=\"every [^>]*>", template.read_text()):
            polling.append(template.name)
            assert """hx-headers='{"X-Rapport-Poll": "true"}'""" in tag, template
    assert len(polling) >= 4  # imports (reading, progress) and campaign progress


def test_the_idle_timeout_is_set_from_the_environment_and_documented(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; " + (
        "print(s.RAPPORT_SESSION_IDLE_MINUTES)"
    )
    assert _run(code, {}, tmp_path).stdout.split() == ["30"]
    assert _run(code, {"RAPPORT_SESSION_IDLE_MINUTES": "5"}, tmp_path).stdout.split() == ["5"]
    assert "RAPPORT_SESSION_IDLE_MINUTES" in README.read_text().split("## Security and")[1]

"""An administrator sets up staff from Rapport's own pages: invitation by mail with a one-time
link, a role by its translated name, a password link, deactivation."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user) -> Client:
    admin = make_user("administrator", username="owner", first_name="Mei", last_name="Lin")
    client = Client()
    client.force_login(admin)
    return client


def _link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"https?://\S+", body).group(0)
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _invite(admin_client, **fields):
    data = {"email": "jana@example.com", "first_name": "Jana", "last_name": "Nováková"}
    data |= {"role": "agent", "language": "sk"} | fields
    return admin_client.post(reverse("staff:invite"), data)


def test_invitation_mail_sets_the_password_once_and_logs_in(
    admin_client, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client)
    jana = get_user_model().objects.get(email="jana@example.com")
    assert response.status_code == 302 and response["Location"] == f"/staff/{jana.pk}/"
    assert not jana.has_usable_password() and list(jana.groups.values_list("name", flat=True)) == [
        "agent"
    ]
    (message,) = smtp_server.to("jana@example.com")
    body = message.get_body(("plain",)).get_content()
    assert "Mei Lin" in body and "jana@example.com" in body  # who invited, the user name
    assert message["Subject"] != "Your Rapport account"  # in Slovak, as the form asked

    visitor = Client()
    page = visitor.get(_link(message), follow=True)
    assert page.status_code == 200 and "jana@example.com" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = visitor.post(
        form_url, {"new_password1": "a fresh green tea", "new_password2": "a fresh green tea"}
    )
    assert done.status_code == 302
    assert visitor.get(reverse("customers:list")).status_code == 200  # logged in, as an agent
    jana.refresh_from_db()
    assert jana.check_password("a fresh green tea")

    again = Client().get(_link(message), follow=True)
    assert "no longer valid" in again.content.decode()


def test_invitation_refuses_a_known_email(admin_client, make_user):
    make_user("agent", username="jana", email="jana@example.com")
    response = _invite(admin_client)
    assert response.status_code == 200
    assert "exists already" in response.content.decode()


def test_roles_are_offered_by_their_translated_names(admin_client):
    with translation.override("zh-hans"):
        page = admin_client.get(reverse("staff:invite"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert 'value="agent"' in html
    assert "Customer-service agent" not in html and "客服" in html


def test_administrator_changes_a_role(admin_client, make_user):
    member = make_user("agent", username="li")
    response = admin_client.post(
        reverse("staff:detail", args=[member.pk]),
        {"first_name": "Li", "last_name": "Wei", "email": "li@example.com", "role": "manager"},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert list(member.groups.values_list("name", flat=True)) == ["manager"]
    assert member.has_perm("imports.import_data")


def test_deactivated_staff_cannot_log_in_and_can_be_reactivated(admin_client, make_user):
    make_user("agent", username="li", password="tea and mountains 42")
    li = get_user_model().objects.get(username="li")
    staff_browser = Client()
    assert staff_browser.login(username="li", password="tea and mountains 42")
    admin_client.post(reverse("staff:deactivate", args=[li.pk]))
    li.refresh_from_db()
    assert not li.is_active
    assert staff_browser.get(reverse("customers:list")).status_code == 302  # session ended
    assert not Client().login(username="li", password="tea and mountains 42")
    admin_client.post(reverse("staff:reactivate", args=[li.pk]))
    assert Client().login(username="li", password="tea and mountains 42")


def test_an_administrator_cannot_deactivate_themself(admin_client):
    owner = get_user_model().objects.get(username="owner")
    response = admin_client.post(reverse("staff:deactivate", args=[owner.pk]), follow=True)
    owner.refresh_from_db()
    assert owner.is_active and "cannot deactivate" in response.content.decode()


def test_password_link_is_mailed(admin_client, make_user, smtp_server):
    member = make_user("agent", username="li", email="li@example.com")
    admin_client.post(reverse("staff:password_link", args=[member.pk]))
    (message,) = smtp_server.to("li@example.com")
    path = _link(message)
    assert path.startswith("/accounts/reset/")
    assert Client().get(path, follow=True).status_code == 200


def test_staff_list_shows_roles_and_status(admin_client, make_user, django_assert_max_num_queries):
    for n in range(5):
        make_user("marketing", username=f"m{n}")
    with django_assert_max_num_queries(8):
        html = admin_client.get(reverse("staff:list")).content.decode()
    assert html.count("Marketing") >= 5 and "m4" in html


def test_only_administrators_manage_staff(manager_client):
    assert manager_client.get(reverse("staff:list")).status_code == 403

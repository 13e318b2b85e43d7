import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from rapport.staff.roles import ROLE_PERMISSIONS
from rapport.staff.services import token_authenticate, token_create, user_create

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2(settings, make_user):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = user_create(username="ann", password="a long secret phrase", roles=["agent"])
    assert user.password.startswith("argon2")
    assert user.check_password("a long secret phrase")


def test_login_and_logout(client, make_user):
    user = make_user("agent", username="li", password="tea and mountains 42")
    response = client.post(reverse("login"), {"username": "li", "password": "tea and mountains 42"})
    assert response.status_code == 302
    assert client.get(reverse("customers:list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("customers:list")).status_code == 302
    assert user.is_active


def test_wrong_password_is_refused(client, make_user):
    make_user("agent", username="li", password="tea and mountains 42")
    response = client.post(reverse("login"), {"username": "li", "password": "wrong"})
    assert response.status_code == 200 and "didn" in response.content.decode()


def test_password_reset_sends_a_working_link(client, make_user, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    make_user("agent", username="li", email="li@example.com")
    client.post(reverse("password_reset"), {"email": "li@example.com"})
    assert len(mail.outbox) == 1
    link = next(w for w in mail.outbox[0].body.split() if "/accounts/reset/" in w)
    path = link.split("://", 1)[-1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    assert response.status_code == 200
    response = client.post(
        response.redirect_chain[-1][0],
        {
            "new_password1": "a brand new passphrase",
            "new_password2": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.get(username="li").check_password("a brand new passphrase")


def test_roles_are_groups_with_the_listed_permissions(make_user):
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLE_PERMISSIONS)
    analyst = make_user("analyst")
    agent = make_user("agent")
    manager = make_user("manager")
    assert analyst.has_perm("customers.view_customer") and not analyst.has_perm(
        "customers.change_customer"
    )
    assert agent.has_perm("customers.change_customer") and not agent.has_perm(
        "customers.delete_customer"
    )
    assert manager.has_perm("customers.delete_customer") and manager.has_perm("imports.import_data")
    assert not agent.has_perm("imports.import_data")


def test_tokens_authenticate_until_revoked(make_user):
    user = make_user("agent")
    token, key = token_create(user=user, name="shop")
    assert token_authenticate(key) == user
    assert token_authenticate(key + "x") is None
    token.revoked = True
    token.save()
    assert token_authenticate(key) is None


def test_language_switch_translates_the_interface(client, make_user):
    client.force_login(make_user("agent"))
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/customers/"})
    page = client.get(
        reverse("customers:list"), headers={"accept-language": "zh-hans"}
    ).content.decode()
    assert '<html lang="zh-hans"' in page


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "sk"])
def test_every_language_has_a_complete_catalogue(language):
    from django.utils import translation

    with translation.override(language):
        for text in ("Customers", "Remember", "Timeline", "Log an interaction", "Organisations"):
            assert translation.gettext(text) != text, (language, text)

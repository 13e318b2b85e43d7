"""Authentication and permission checks of every API call: one permission query, never stale."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.api.tests.helpers import API, token_client
from rapport.staff.backends import StaffBackend, permission_set
from rapport.staff.models import ApiToken
from rapport.staff.roles import ROLE_PERMISSIONS

pytestmark = pytest.mark.django_db

SEARCH = f"{API}/customers/search"


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no permission cache carried over


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_one_query_gives_what_djangos_two_give(make_user, role):
    user = make_user(role)
    user.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    expected = ModelBackend().get_all_permissions(_fresh(user))
    assert expected  # every role holds something, and the direct permission is in it
    assert permission_set(user) == expected
    assert StaffBackend().get_all_permissions(_fresh(user)) == expected


def test_superuser_inactive_and_anonymous(make_user):
    from django.contrib.auth.models import AnonymousUser

    boss = make_user(None, is_superuser=True)
    assert StaffBackend().get_all_permissions(_fresh(boss)) == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }
    gone = make_user("manager")
    gone.is_active = False
    gone.save()
    assert not _fresh(gone).has_perm("customers.view_customer")
    assert StaffBackend().get_all_permissions(AnonymousUser()) == set()


def test_a_request_checks_permissions_with_one_query(agent):
    api = token_client(agent)
    api.get(SEARCH, {"q": "x"})  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as ctx:
        assert api.get(SEARCH, {"q": "x"}).status_code == 200
    perm_queries = [q for q in ctx.captured_queries if "auth_permission" in q["sql"]]
    assert len(perm_queries) == 1


def test_role_changes_apply_to_the_next_request(make_user, make_customer):
    """Nothing is cached across requests: adding or removing a role acts at once (token, session)."""
    user = make_user(None)
    make_customer(family_name="Novák")
    api = token_client(user)
    session = Client()
    session.force_login(user)
    for client in (api, session):
        response = client.get(SEARCH, {"q": "novak"})
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to do this."}

    user.groups.add(Group.objects.get(name="agent"))
    for client in (api, session):
        response = client.get(SEARCH, {"q": "novak"})
        assert response.status_code == 200 and len(response.json()["items"]) == 1

    user.groups.clear()
    assert api.get(SEARCH, {"q": "novak"}).status_code == 403
    assert session.get(SEARCH, {"q": "novak"}).status_code == 403

    # A permission taken from the role itself, not from the user, acts at once as well.
    user.groups.add(Group.objects.get(name="agent"))
    agent_role = Group.objects.get(name="agent")
    view = Permission.objects.get(codename="view_customer", content_type__app_label="customers")
    agent_role.permissions.remove(view)
    assert api.get(SEARCH, {"q": "novak"}).status_code == 403
    agent_role.permissions.add(view)
    assert api.get(SEARCH, {"q": "novak"}).status_code == 200


def test_revoked_token_and_deactivated_user_are_401_at_once(make_user):
    user = make_user("agent")
    api = token_client(user)
    assert api.get(SEARCH, {"q": "x"}).status_code == 200
    ApiToken.objects.filter(user=user).update(revoked=True)
    response = api.get(SEARCH, {"q": "x"})
    assert response.status_code == 401 and response.json() == {"detail": "Unauthorized"}

    api = token_client(user)
    assert api.get(SEARCH, {"q": "x"}).status_code == 200
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api.get(SEARCH, {"q": "x"}).status_code == 401

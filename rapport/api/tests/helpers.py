"""Helpers shared by the API tests of every app."""

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from rapport.staff.services import token_create

API = "/api/v1"


def token_client(user, *, scheme: str = "Bearer") -> Client:
    """A client that authenticates as `user` with a new API token, as an integration would."""
    _token, key = token_create(user=user, name="tests")
    return Client(headers={"Authorization": f"{scheme} {key}"})


def count_queries(client: Client, url: str, **params) -> tuple[int, dict]:
    """(number of queries, JSON body) of one successful GET."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()

"""The icon: pages name it, and a browser that asks for /favicon.ico (on a download, an error
page) is sent to it instead of logging a 404."""

from django.contrib.staticfiles import finders
from django.test import Client


def test_favicon_is_named_by_pages_and_found_at_the_usual_address(db):
    client = Client()
    assert 'rel="icon"' in client.get("/accounts/login/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("rapport/favicon.svg")
    assert finders.find("rapport/favicon.svg")

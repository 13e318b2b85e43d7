"""imports.import_data lets a user import files; which kinds they may import is still their role's."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from rapport.imports import services
from rapport.imports.forms import ImportForm
from rapport.imports.models import ImportJob

pytestmark = pytest.mark.django_db

POINTS_CSV = b"customer,points,reason\nC0000001,50,goodwill\n"


@pytest.fixture
def importer_without_points(make_user):
    """Someone who may import and read points, but not adjust them (no loyalty.adjust_points)."""
    user = make_user(None)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["imports", "loyalty", "customers"],
            codename__in=["import_data", "view_pointsentry", "add_customer", "view_customer"],
        )
    )
    return type(user).objects.get(pk=user.pk)  # fresh permission cache


def test_a_kind_the_role_cannot_add_is_refused_and_nothing_is_stored(importer_without_points):
    with pytest.raises(ValidationError) as caught:
        services.import_job_create(
            kind="loyalty_points",
            uploaded_file=SimpleUploadedFile("points.csv", POINTS_CSV),
            by=importer_without_points,
        )
    assert "kind" in caught.value.message_dict
    assert "may not import" in caught.value.message_dict["kind"][0]
    assert not ImportJob.objects.exists()


def test_the_upload_form_offers_only_the_kinds_the_role_may_add(importer_without_points, manager):
    offered = {k for k, _ in ImportForm(user=importer_without_points).fields["kind"].choices}
    assert "customers" in offered
    assert "loyalty_points" not in offered
    # A manager holds loyalty.adjust_points, so the same form offers points to them.
    assert "loyalty_points" in {k for k, _ in ImportForm(user=manager).fields["kind"].choices}


def test_the_web_upload_of_a_refused_kind_writes_nothing(client, importer_without_points):
    client.force_login(importer_without_points)
    response = client.post(
        "/imports/",
        {
            "kind": "loyalty_points",
            "file": SimpleUploadedFile("points.csv", POINTS_CSV),
            "mode": "all",
        },
    )
    assert response.status_code == 200  # the form again, with the error on the kind
    assert not ImportJob.objects.exists()


def test_the_administrator_holds_every_apps_own_permissions(make_user):
    admin = make_user("administrator")
    assert admin.has_perm("loyalty.adjust_points")
    assert admin.has_perm("imports.import_data")

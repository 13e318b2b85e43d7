"""Imports use the duplicate matcher (rapport.dedupe, through customers' import seam): a row that
probably is an existing customer is shown for a decision, or matched, created or skipped as the
import says."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(make_customer):
    return make_customer(family_name="王", given_name="小明", birthday=dt.date(1985, 6, 1))


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "family_name,given_name,birthday,occupation\n"
        "王,曉明,1985-06-01,teacher\n"
        "Novák,Ján,1970-02-03,driver\n",
        encoding="utf-8",
    )
    return path


def test_a_probable_match_is_shown_for_a_decision(existing, csv_file):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import", "customers", str(csv_file), stdout=out)
    output = out.getvalue()
    assert existing.number in output
    assert "match, new or skip" in output
    assert Customer.objects.count() == 1  # nothing written


def test_match_updates_the_existing_customer(existing, csv_file):
    call_command(
        "import", "customers", str(csv_file), "--probable-matches", "match", stdout=StringIO()
    )
    assert Customer.objects.count() == 2  # Ján is new; 曉明 is 小明
    existing.refresh_from_db()
    assert existing.occupation == "teacher"


def test_new_creates_and_skip_leaves_out(existing, csv_file):
    call_command(
        "import", "customers", str(csv_file), "--probable-matches", "skip", stdout=StringIO()
    )
    assert Customer.objects.count() == 2
    assert not Customer.objects.filter(given_name="曉明").exists()
    call_command(
        "import", "customers", str(csv_file), "--probable-matches", "new", stdout=StringIO()
    )
    assert Customer.objects.filter(given_name="曉明").count() == 1

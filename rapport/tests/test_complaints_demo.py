"""The demo's complaints: every state, four languages, causes skewed for the Pareto chart."""

import pytest

from rapport.complaints.models import Complaint
from rapport.complaints.reports import pareto

pytestmark = pytest.mark.django_db


def test_demo_complaints_spread_and_skew():
    from rapport.demo.services import generate_demo

    counts = generate_demo(customers=300, seed=11)
    assert counts["complaints"] >= 50
    states = set(Complaint.objects.values_list("state", flat=True))
    assert {"new", "not_upheld", "closed", "carried_out", "assigned"} <= states
    rows = pareto("cause")
    assert rows[0]["label"] and rows[min(2, len(rows) - 1)]["cumulative"] >= 50
    languages = set(Complaint.objects.values_list("language", flat=True))
    assert len(languages - {""}) >= 3

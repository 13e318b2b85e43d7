"""First start (`make run` → `rapport bootstrap`): an admin login, demo data and its analysis."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_first_start_loads_demo_data_with_analytics_once(settings, tmp_path, capsys):
    from rapport.analytics.models import CustomerScore, ModelFit
    from rapport.customers.models import Customer

    settings.VAR_DIR = tmp_path
    call_command("bootstrap", demo_customers=120)
    out = capsys.readouterr().out
    password = (tmp_path / "admin-password.txt").read_text().strip()
    assert f"Admin login: admin / {password}" in out
    admin = get_user_model().objects.get(username="admin")
    assert admin.check_password(password) and admin.is_superuser
    customers = Customer.objects.count()
    assert customers >= 120
    # The dashboards have something to show on first start.
    assert ModelFit.objects.count() == 1 and CustomerScore.objects.exists()

    call_command("bootstrap", demo_customers=120)
    assert Customer.objects.count() == customers and ModelFit.objects.count() == 1
    assert f"Admin login: admin / {password}" in capsys.readouterr().out


def test_the_nightly_refresh_is_scheduled_for_the_scheduler():
    from crontask import scheduler

    from rapport.analytics.tasks import refresh_scores

    jobs = {job.name: job for job in scheduler.get_jobs()}
    job = jobs[refresh_scores.name]
    assert job.func == refresh_scores.enqueue
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("2", "30")

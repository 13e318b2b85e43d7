"""The trigger "when the churn risk rises": a campaign that messages the customers whose churn-risk
band (the analytics refresh's) rose since its last run, once per rise, from `rapport campaigns
run-due` and from the built-in schedule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from rapport.outreach import services
from rapport.outreach.models import ChurnWatch

pytestmark = pytest.mark.django_db(transaction=True)


def score(customer, band, *, hours_later=0):
    """What an analytics refresh writes for the customer (the refresh rewrites every row)."""
    from rapport.analytics.models import CustomerScore

    risk = {"low": 0.1, "medium": 0.5, "high": 0.9}[band]
    today = timezone.localdate()
    CustomerScore.objects.update_or_create(
        customer=customer,
        defaults={
            "first_purchase": today - timedelta(days=400),
            "last_purchase": today - timedelta(days=30),
            "orders": 3,
            "purchase_days": 3,
            "recency_days": 30,
            "monetary": Decimal("100"),
            "r_score": 3,
            "f_score": 3,
            "m_score": 3,
            "segment": "need_attention",
            "frequency": 2,
            "recency_weeks": 50.0,
            "age_weeks": 57.0,
            "avg_repeat_value": Decimal("30"),
            "p_alive": 1 - risk,
            "churn_risk": risk,
            "churn_risk_band": band,
            "trust_level": "regular",
            "revenue": Decimal("100"),
            "gross_margin": Decimal("40"),
            "cost_to_serve": Decimal("5"),
            "net_contribution": Decimal("35"),
            "tenure_days": 400,
            "categories_held": 1,
            "referrals_made": 0,
            "was_referred": False,
            "switching_cost": 1,
            "switching_cost_band": "low",
            "computed_at": timezone.now() + timedelta(hours=hours_later),
        },
    )


def got(smtp_server, customer):
    return len(smtp_server.to(customer.emails.first().address))


def test_a_rise_of_churn_risk_is_messaged_once_per_rise(audience, campaign, manager, smtp_server):
    a, b, c = audience(3)
    score(a, "low")
    score(b, "medium")
    camp = campaign(schedule="churn_rises", churn_threshold="medium")
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")

    # The first run notes everybody's band: nobody is known to have risen yet.
    call_command("campaigns", "run-due")
    assert smtp_server.messages == []
    assert dict(ChurnWatch.objects.values_list("customer_id", "band")) == {
        a.pk: "low",
        b.pk: "medium",
        c.pk: "",
    }

    # The next refresh: a rose to high, b stayed medium, c was scored for the first time at medium.
    score(a, "high", hours_later=1)
    score(b, "medium", hours_later=1)
    score(c, "medium", hours_later=1)
    call_command("campaigns", "run-due")
    call_command("campaigns", "run-due")  # run again (cron and the scheduler both): nothing new
    assert (got(smtp_server, a), got(smtp_server, b), got(smtp_server, c)) == (1, 0, 1)

    # a falls back to low, then rises again: a second rise, a second message.
    score(a, "low", hours_later=2)
    call_command("campaigns", "run-due")
    assert got(smtp_server, a) == 1
    score(a, "high", hours_later=3)
    from rapport.outreach.tasks import run_due  # the built-in schedule's task

    run_due.enqueue()
    run_due.enqueue()
    assert (got(smtp_server, a), got(smtp_server, b), got(smtp_server, c)) == (2, 0, 1)


def test_the_threshold_band_and_consent_are_respected(audience, campaign, manager, smtp_server):
    from rapport.customers.services import consent_set

    a, b = audience(2)
    score(a, "low")
    score(b, "low")
    camp = campaign(schedule="churn_rises", churn_threshold="high")
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
    services.run_due(by=manager)
    score(a, "medium", hours_later=1)  # a rise, but below the campaign's threshold
    score(b, "high", hours_later=1)
    consent_set(customer=b, channel="email", granted=False, method="phone", by=manager)
    services.run_due(by=manager)
    assert smtp_server.messages == []
    # b consents again: the rise to high that was not messaged is messaged now, once.
    consent_set(customer=b, channel="email", granted=True, method="web_form", by=manager)
    services.run_due(by=manager)
    services.run_due(by=manager)
    assert (got(smtp_server, a), got(smtp_server, b)) == (0, 1)


def test_two_schedulers_at_once_message_a_rise_once(audience, campaign, manager, smtp_server):
    import threading

    from django.db import connection

    (a,) = audience(1)
    score(a, "low")
    camp = campaign(schedule="churn_rises")
    services.campaign_set_state(by=manager, campaign_id=camp.pk, state="active")
    services.run_due(by=manager)
    score(a, "high", hours_later=1)
    barrier = threading.Barrier(2)
    errors = []

    def scheduler():
        try:
            barrier.wait()
            services.run_due(by=manager)
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert got(smtp_server, a) == 1


def test_the_audience_filter_by_churn_risk_band(audience):
    from rapport.customers.selectors import customer_queryset

    a, b, _c = audience(3)
    score(a, "high")
    score(b, "low")
    assert list(customer_queryset(filters={"churn_risk": "high"})) == [a]
    assert list(customer_queryset(filters={"churn_risk": "low"})) == [b]
    assert list(customer_queryset(filters={"churn_risk": "medium"})) == []

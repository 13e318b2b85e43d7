import pytest
from django.core.exceptions import ValidationError

from rapport.core.exceptions import ConflictError
from rapport.core.models import ObjectChange
from rapport.customers.models import Customer, CustomerPhone, MarketingConsent, Tag
from rapport.customers.services import (
    consent_set,
    contact_add,
    customer_create,
    customer_delete,
    customer_update,
    organisation_create,
)

pytestmark = pytest.mark.django_db


def test_create_stores_phones_as_e164_and_records_who_created(agent):
    Tag.objects.create(name="VIP")  # an agent chooses among the tags, never creates one
    c = customer_create(
        by=agent,
        family_name="王",
        given_name="小明",
        phones=["138 0013 8000", "+86 139-0013-9000"],
        emails=["Wang@Example.com"],
        tags=["VIP"],
    )
    assert c.display_name == "王小明"
    assert sorted(CustomerPhone.objects.filter(customer=c).values_list("number", flat=True)) == [
        "+8613800138000",
        "+8613900139000",
    ]
    assert c.primary_phone == "+8613800138000" and c.primary_email == "wang@example.com"
    change = ObjectChange.objects.get(customer_id=c.pk, action="create")
    assert change.user == agent and change.changes["family_name"] == [None, "王"]
    assert change.changes["tags"] == [None, ["VIP"]]


def test_create_refuses_bad_input_with_field_errors(agent):
    with pytest.raises(ValidationError) as exc:
        customer_create(by=agent, family_name="", given_name="", emails=["nope"], phones=["12"])
    # Names are checked first; the contact fields are checked once the profile is valid.
    assert "family_name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        customer_create(by=agent, family_name="Novák", emails=["nope"])
    assert "emails" in exc.value.message_dict
    assert not Customer.objects.exists()


def test_update_records_each_field_before_and_after(agent, manager):
    c = customer_create(by=agent, family_name="Novák", given_name="Ján", occupation="teacher")
    customer_update(
        customer_id=c.pk,
        by=manager,
        expected_version=c.version,
        occupation="engineer",
        phones=["+421 905 123 456"],
    )
    change = ObjectChange.objects.filter(customer_id=c.pk, action="update").get()
    assert change.user == manager
    assert change.changes["occupation"] == ["teacher", "engineer"]
    assert change.changes["phones"] == [[], ["+421905123456"]]
    c.refresh_from_db()
    assert c.version == 2


def test_second_editor_gets_a_conflict_not_a_silent_overwrite(agent, manager):
    c = customer_create(by=agent, family_name="Smith", given_name="Anna")
    seen_version = c.version
    customer_update(customer_id=c.pk, by=agent, expected_version=seen_version, occupation="nurse")
    with pytest.raises(ConflictError) as exc:
        customer_update(
            customer_id=c.pk, by=manager, expected_version=seen_version, occupation="pilot"
        )
    assert agent.username in exc.value.message
    c.refresh_from_db()
    assert c.occupation == "nurse"


def test_update_without_changes_keeps_version_and_history(agent):
    c = customer_create(by=agent, family_name="Smith", given_name="Anna")
    customer_update(customer_id=c.pk, by=agent, expected_version=1, given_name="Anna")
    c.refresh_from_db()
    assert c.version == 1
    assert ObjectChange.objects.filter(customer_id=c.pk).count() == 1


def test_delete_keeps_the_history(manager, agent):
    c = customer_create(by=agent, family_name="Smith", given_name="Anna")
    pk = c.pk
    customer_delete(customer_id=pk, by=manager)
    assert not Customer.objects.filter(pk=pk).exists()
    actions = list(
        ObjectChange.objects.filter(customer_id=pk)
        .order_by("time")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "delete"]


def test_referrer_must_exist_and_not_be_self(agent):
    a = customer_create(by=agent, family_name="A")
    b = customer_create(by=agent, family_name="B", referred_by_id=a.pk)
    assert b.referred_by == a
    with pytest.raises(ValidationError):
        customer_update(customer_id=a.pk, by=agent, expected_version=None, referred_by_id=a.pk)


def test_consent_keeps_when_and_how_and_logs_withdrawal(agent):
    c = customer_create(by=agent, family_name="Li")
    consent_set(customer=c, channel="email", granted=True, method="web_form", by=agent)
    consent_set(customer=c, channel="email", granted=False, method="phone", by=agent)
    consent = MarketingConsent.objects.get(customer=c, channel="email")
    assert consent.granted is False and consent.method == "phone"
    logged = [
        ch.changes["consent:email"]
        for ch in ObjectChange.objects.filter(
            customer_id=c.pk, content_type__model="marketingconsent"
        ).order_by("time")
    ]
    assert logged == [[None, True], [True, False]]
    # The customer's timeline says it in words, newest first.
    from rapport.core.timeline import customer_timeline

    events = [e.title for e in customer_timeline(c.pk) if e.kind == "event"]
    assert events == [
        "Consent to email withdrawn (by phone).",
        "Consent to email given (web form).",
    ]


def test_organisation_contacts_have_buying_roles(agent):
    org = organisation_create(by=agent, name="Acme s.r.o.", phone="+421 2 5443 1234")
    boss = customer_create(by=agent, family_name="Kováč", given_name="Peter")
    clerk = customer_create(by=agent, family_name="Malá", given_name="Eva")
    contact_add(
        organisation=org, person=boss, buying_role="decision_maker", by=agent, is_primary=True
    )
    contact_add(organisation=org, person=clerk, buying_role="purchaser", by=agent, is_primary=True)
    roles = dict(org.contacts.values_list("person__given_name", "buying_role"))
    assert roles == {"Peter": "decision_maker", "Eva": "purchaser"}
    assert list(
        org.contacts.filter(is_primary=True).values_list("person__given_name", flat=True)
    ) == ["Eva"]
    with pytest.raises(ValidationError):
        contact_add(organisation=org, person=boss, buying_role="boss", by=agent)


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
def test_a_birthday_up_to_the_business_day_today(zone):
    """ "Between 1900 and today" is today in the active time zone, as every other date of the
    app, not the process clock's (which follows TIME_ZONE only): 14 hours ahead of UTC and 12
    behind, at any hour one of the two zones is on another day than UTC."""
    import datetime as dt

    from django.utils import timezone

    from rapport.customers.validation import clean_customer_fields

    with timezone.override(zone):
        today = timezone.localdate()
        assert clean_customer_fields({"birthday": today}, partial=True)["birthday"] == today
        with pytest.raises(ValidationError) as refused:
            clean_customer_fields({"birthday": today + dt.timedelta(days=1)}, partial=True)
        assert list(refused.value.message_dict) == ["birthday"]
        customer = Customer(family_name="Li", birthday=dt.date(today.year - 30, today.month, 1))
        assert customer.age == 30

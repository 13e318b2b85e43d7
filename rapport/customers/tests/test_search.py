import pytest

from rapport.customers.search import search_customers
from rapport.customers.services import customer_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_customer):
    return {
        "wang": make_customer(
            family_name="王", given_name="小明", phones=["13800138000"], emails=["xm@example.cn"]
        ),
        "ouyang": make_customer(family_name="歐陽", given_name="娜娜", phones=["+886 912 345 678"]),
        "novak": make_customer(
            family_name="Novák", given_name="Ján", phones=["+421905123456"], emails=["jan@novak.sk"]
        ),
        "smith": make_customer(family_name="Smith", given_name="Alexandria"),
    }


def ids(query):
    return [c.pk for c in search_customers(query)]


@pytest.mark.parametrize("query", ["+86 138 0013 8000", "138-0013-8000", "0086 13800138000"])
def test_phone_in_any_format(people, query):
    assert ids(query) == [people["wang"].pk]


def test_email_any_case(people):
    assert ids("JAN@Novak.SK") == [people["novak"].pk]


@pytest.mark.parametrize(
    "query,who",
    [
        ("王", "wang"),
        ("小明", "wang"),
        ("明", "wang"),
        ("歐陽", "ouyang"),
        ("陽娜", "ouyang"),
        ("歐陽娜娜", "ouyang"),
        ("nov", "novak"),
        ("jan", "novak"),
        ("Ján Novák", "novak"),
        ("alexandri", "smith"),
        ("alexandria smith", "smith"),
    ],
)
def test_name_parts(people, query, who):
    assert ids(query) == [people[who].pk]


def test_customer_number(people):
    c = people["smith"]
    assert ids(c.number) == [c.pk]
    assert ids(c.number.lower()) == [c.pk]


def test_no_false_matches(people):
    assert ids("王大") == []
    assert ids("+86 139 0000 0000") == []
    assert ids("nobody@example.com") == []
    assert ids("x") == []


def test_renamed_customer_is_found_by_the_new_name_only(people, agent):
    c = people["smith"]
    customer_update(customer_id=c.pk, by=agent, expected_version=c.version, family_name="Jones")
    assert ids("jones") == [c.pk]
    assert ids("smith") == []

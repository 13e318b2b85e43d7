import re

import pytest

from rapport.customers.services import consent_set
from rapport.surveys import services

LINK = re.compile(r"/portal/l/([^/\s]+)/")


@pytest.fixture
def survey(manager):
    return services.survey_create(
        by=manager,
        name="After delivery",
        title={"en": "How was your order?", "zh-hant": "您對這次訂單滿意嗎？"},
        trigger="order_delivered",
        questions=[
            {
                "kind": "paired",
                "attribute": "quality",
                "text": {"en": "Quality", "zh-hant": "品質"},
            },
            {
                "kind": "paired",
                "attribute": "delivery",
                "text": {"en": "Delivery", "zh-hant": "送貨"},
            },
            {"kind": "scale_5", "measure": "csat", "text": "Overall satisfaction"},
            {"kind": "nps", "text": "Recommend us?", "required": False},
            {"kind": "text", "attribute": "delivery", "text": "Anything else?", "required": False},
        ],
    )


@pytest.fixture
def consenting(make_customer, agent):
    def make(**fields):
        fields.setdefault("emails", [f"c{make.n}@example.com"])
        make.n += 1
        customer = make_customer(**fields)
        consent_set(customer=customer, channel="email", granted=True, method="web_form", by=agent)
        return customer

    make.n = 0
    return make


@pytest.fixture
def invite_and_link(smtp_server, django_capture_on_commit_callbacks, manager):
    """Invite a customer and return (invitation, token from the mail they received)."""

    def run(survey, customer, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            invitation = services.invite(
                by=manager, survey=survey, customer_id=customer.pk, **kwargs
            )
        mails = smtp_server.to(customer.primary_email)
        token = LINK.search(mails[-1].get_content()).group(1) if mails else None
        return invitation, token

    return run


def answers_for(survey, *, quality=(5, 6), delivery=(6, 4), csat=4, nps=9, text=""):
    q = {x.attribute or x.kind: x for x in survey.questions.all() if x.kind != "text"}
    out = {
        q["quality"].pk: {"expectation": quality[0], "experience": quality[1]},
        q["delivery"].pk: {"expectation": delivery[0], "experience": delivery[1]},
        q["scale_5"].pk: {"value": csat},
        q["nps"].pk: {"value": nps},
    }
    if text:
        t = survey.questions.get(kind="text")
        out[t.pk] = {"text": text}
    return out


def form_for(survey, **kwargs):
    """The answer page's POST data for answers_for(...)."""
    data = {}
    for qid, a in answers_for(survey, **kwargs).items():
        if "expectation" in a:
            data[f"q{qid}_exp"], data[f"q{qid}_per"] = a["expectation"], a["experience"]
        elif "text" in a:
            data[f"q{qid}"] = a["text"]
        else:
            data[f"q{qid}"] = a["value"]
    return data

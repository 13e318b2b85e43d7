"""The complaint's enumerations: states, actions, channels, categories (DOMAIN §6), remedies."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    NEW = "new", _("recorded")
    ACCEPTED = "accepted", _("valid, to be routed")
    NOT_UPHELD = "not_upheld", _("not upheld")
    ASSIGNED = "assigned", _("with the department")
    CAUSE_FOUND = "cause_found", _("cause found")
    REMEDY_PROPOSED = "remedy_proposed", _("remedy awaiting approval")
    SECOND_APPROVAL = "second_approval", _("awaiting higher approval")
    APPROVED = "approved", _("remedy approved")
    CARRIED_OUT = "carried_out", _("remedy carried out")
    DISPUTED = "disputed", _("customer rejects the decision")
    CLOSED = "closed", _("closed")


CLOSED_STATES = frozenset({State.NOT_UPHELD, State.CLOSED})  # Complaint.active is the opposite
OPEN_STATES = frozenset(set(State) - CLOSED_STATES)


class Action(models.TextChoices):
    ACCEPT = "accept", _("Valid")
    REJECT = "reject", _("Not valid")
    ASSIGN = "assign", _("Assign department")
    RECORD_CAUSE = "record_cause", _("Record cause")
    PROPOSE_REMEDY = "propose_remedy", _("Propose remedy")
    APPROVE = "approve", _("Approve remedy")
    SEND_BACK = "send_back", _("Send remedy back")
    CARRY_OUT = "carry_out", _("Remedy carried out")
    CUSTOMER_REJECTS = "customer_rejects", _("Customer rejects the decision")
    CLOSE = "close", _("Close with summary")
    REOPEN = "reopen", _("Reopen")
    WAIT = "wait", _("Wait for the customer")
    RESUME = "resume", _("Customer answered")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    LETTER = "letter", _("letter")
    EMAIL = "email", _("email")
    IN_PERSON = "in_person", _("in person")
    PORTAL = "portal", _("web portal")
    SOCIAL = "social", _("social media")
    NEWS = "news", _("news media")
    LEGAL = "legal", _("legal action")


class Category(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("product quality")
    SALES_CONTRACT = "sales_contract", _("sales contract")
    TRANSPORT = "transport", _("transport")
    SERVICE = "service", _("service")


# The sub-types of each category (DOMAIN §6, from the tobacco-retail text 004).
SUBTYPES: dict[str, list[tuple[str, object]]] = {
    Category.PRODUCT_QUALITY: [
        ("defect", _("defect")),
        ("wrong_spec", _("wrong specification")),
        ("out_of_tolerance", _("out of tolerance")),
        ("failure", _("failure in use")),
    ],
    Category.SALES_CONTRACT: [
        ("quantity", _("quantity")),
        ("grade", _("grade")),
        ("spec", _("specification")),
        ("delivery_time", _("delivery time")),
        ("delivery_place", _("delivery place")),
        ("settlement", _("settlement")),
        ("terms", _("terms differ from the contract")),
    ],
    Category.TRANSPORT: [
        ("damaged", _("damaged in transit")),
        ("lost", _("lost in transit")),
        ("spoiled", _("spoiled in transit")),
        ("packing", _("bad packing or handling")),
    ],
    Category.SERVICE: [
        ("quality", _("service quality")),
        ("attitude", _("attitude")),
        ("manner", _("manner")),
        ("skill", _("skill of staff")),
    ],
}


def subtype_choices() -> list[tuple[str, object]]:
    return [(code, label) for items in SUBTYPES.values() for code, label in items]


# Default routing (DOMAIN §6 step 3): category → built-in department code.
DEFAULT_ROUTING = {
    Category.TRANSPORT: "logistics",
    Category.PRODUCT_QUALITY: "quality",
    Category.SALES_CONTRACT: "sales",
    Category.SERVICE: "customer_service",
}


class Severity(models.TextChoices):
    LOW = "low", _("low")
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")
    CRITICAL = "critical", _("critical")


class Target(models.TextChoices):
    """What a complaint is against."""

    ORDER = "order", _("an order")
    ORDER_LINE = "order_line", _("an order line")
    PRODUCT = "product", _("a product")
    STAFF = "staff", _("a staff member")
    SERVICE_VISIT = "service_visit", _("a service visit")  # a linkable record (core registry)
    FREE_TEXT = "free_text", _("something else")


class RemedyKind(models.TextChoices):
    RETURN = "return", _("return")
    EXCHANGE = "exchange", _("exchange")
    REPAIR = "repair", _("repair")
    DISCOUNT = "discount", _("discount")
    COMPENSATION = "compensation", _("compensation")
    APOLOGY = "apology", _("apology")
    GIFT = "gift", _("gift")
    EXTRA_SERVICE = "extra_service", _("extra free service")


class EventType(models.TextChoices):
    RECORDED = "recorded", _("recorded")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    TRANSITION = "transition", _("step taken")
    EDITED = "edited", _("edited")
    ESCALATED = "escalated", _("escalated")
    MESSAGE = "message", _("message from the customer")
    SATISFACTION = "satisfaction", _("satisfaction answered")
    NOTICE = "notice", _("notice sent to buyers")

"""Finding duplicate customers: records that share a phone, an email, or a name and birthday.

Reads only (the merge itself is `services.customer_merge`). Every query is served by an index:
`customer_phone_idx`, `customer_email_idx` and `customer_sort_idx`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from rapport.customers.models import Customer, CustomerEmail, CustomerPhone

REASON_PHONE = _("same phone")
REASON_EMAIL = _("same email")
REASON_NAME_BIRTHDAY = _("same name and birthday")
REASON_NAME = _("same name")
NAME_MATCH_LIMIT = 20  # common names (王伟, John Smith) match many people; show the first few


@dataclass
class Candidate:
    customer: Customer
    reasons: list = field(default_factory=list)

    @property
    def strong(self) -> bool:
        return any(r is not REASON_NAME for r in self.reasons)


def duplicate_candidates(customer: Customer) -> list[Candidate]:
    """Other customers who may be the same person, strongest evidence first."""
    found: dict[int, list] = {}

    def note(ids: Iterable[int], reason) -> None:
        for pk in ids:
            if pk != customer.pk:
                found.setdefault(pk, []).append(reason)

    phones = [p.number for p in customer.phones.all()]
    emails = [e.address for e in customer.emails.all()]
    if phones:
        note(
            CustomerPhone.objects.filter(number__in=phones).values_list("customer_id", flat=True),
            REASON_PHONE,
        )
    if emails:
        note(
            CustomerEmail.objects.filter(address__in=emails).values_list("customer_id", flat=True),
            REASON_EMAIL,
        )
    if customer.sort_name:
        same_name = Customer.objects.filter(sort_name=customer.sort_name).exclude(pk=customer.pk)
        rows = same_name.order_by("id").values_list("id", "birthday")[: NAME_MATCH_LIMIT * 5]
        for pk, birthday in rows:
            if customer.birthday and birthday == customer.birthday:
                note([pk], REASON_NAME_BIRTHDAY)
            elif pk in found or len(found) < NAME_MATCH_LIMIT:
                note([pk], REASON_NAME)
    customers = Customer.objects.in_bulk(list(found))
    candidates = [
        Candidate(customer=customers[pk], reasons=list(dict.fromkeys(reasons)))
        for pk, reasons in found.items()
        if pk in customers
    ]
    candidates.sort(key=lambda c: (not c.strong, -len(c.reasons), c.customer.pk))
    return candidates


@dataclass
class Group:
    value: str  # the shared phone (E.164) or email
    customers: list[Customer]


def duplicate_groups(*, by: str, after: str | None = None, size: int = 50) -> tuple[list, str]:
    """Phones or emails held by more than one customer, in order, a page at a time.

    Returns the groups and the value to continue after ("" when this was the last page).
    """
    model, key = (CustomerPhone, "number") if by == "phone" else (CustomerEmail, "address")
    values = model.objects.all()
    if after:
        values = values.filter(**{f"{key}__gt": after})
    shared = list(
        values.values(key)
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .order_by(key)
        .values_list(key, flat=True)[: size + 1]
    )
    more = len(shared) > size
    shared = shared[:size]
    rows = (
        model.objects.filter(**{f"{key}__in": shared})
        .select_related("customer")
        .order_by(key, "customer_id")
    )
    groups: dict[str, list[Customer]] = {value: [] for value in shared}
    for row in rows:
        groups[getattr(row, key)].append(row.customer)
    return [Group(v, c) for v, c in groups.items()], (shared[-1] if more and shared else "")


def merged_into_by_external_id(external_ids: Iterable[str]) -> dict[str, int]:
    """{external id of a merged-away record: the customer it was merged into}."""
    from rapport.customers.models import CustomerMerge

    wanted = {e for e in external_ids if e}
    if not wanted:
        return {}
    return dict(
        CustomerMerge.objects.filter(external_id__in=wanted, undone_at=None).values_list(
            "external_id", "into_id"
        )
    )


def merged_into_by_id(ids: Iterable[int]) -> dict[int, int]:
    """{id (number) of a merged-away record: the customer it was merged into}."""
    from rapport.customers.models import CustomerMerge

    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(
        CustomerMerge.objects.filter(merged_id__in=wanted, undone_at=None).values_list(
            "merged_id", "into_id"
        )
    )

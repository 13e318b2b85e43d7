"""Demo data: a realistic, multilingual customer base with two years of history, in seconds.

Everything is drawn column-wise first (rapport.demo.plan) and then written with bulk_create in
batches — never through the per-row services, which would take an hour for 100,000 customers.
The rows are the ones the services would write: names applied, search terms indexed, totals
summed from the lines, and a creation row in the history for each record.
"""

from datetime import UTC, datetime
from datetime import time as dtime
from decimal import Decimal
from typing import Any

import numpy as np
from django.conf import settings
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from rapport.communications.models import Interaction, RememberedDetail
from rapport.core.names import fold, search_terms
from rapport.core.registry import DemoContext, demo_steps
from rapport.core.services import bulk_record_creates
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
    MarketingConsent,
    Organisation,
    OrganisationContact,
    Tag,
)
from rapport.customers.services import apply_names
from rapport.demo.plan import TAGS, DemoData, draw_demo
from rapport.sales.models import Order, OrderLine, Product, Return

BATCH = 2000
ORDER_PREFIX = "DM"
HISTORY_NOTE = "demo"


def generate_demo(
    *, customers: int, seed: int = 2026, years: int = 2, by: Any = None
) -> dict[str, int]:
    """Add `customers` demo customers with `years` of orders, contacts and conversations.

    The same seed on the same day gives the same data. Returns the number of rows written per kind.
    """
    if customers < 1 or years < 1:
        raise ValueError("customers and years must be at least 1")
    data = draw_demo(
        customers=customers,
        seed=seed,
        years=years,
        today=timezone.localdate(),
        tz=settings.TIME_ZONE,
    )
    with transaction.atomic():
        first_new = (Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        counts = _write(data, by=by)
        counts["churn_records"] = _write_churn(seed=seed, by=by, first_new=first_new)
        counts["duplicates"] = _write_duplicates(seed=seed, by=by, first_new=first_new)
        # Then every app's own demo data (complaints, surveys, members…), on these customers.
        context = DemoContext(
            seed=seed,
            by=by if by is not None else HISTORY_NOTE,
            customer_ids=list(
                Customer.objects.filter(pk__gte=first_new)
                .order_by("pk")
                .values_list("pk", flat=True)
            ),
            today=timezone.localdate(),
        )
        for step in demo_steps():
            counts.update(step.run(context))
        return counts


def _create(model: type[models.Model], objs: list) -> list:
    return model.objects.bulk_create(objs, batch_size=BATCH)


def _money(cents: Any) -> Decimal:
    return Decimal(int(cents)).scaleb(-2)


def _time(unix: Any) -> datetime:
    return datetime.fromtimestamp(int(unix), UTC)


def _write(data: DemoData, *, by: Any) -> dict[str, int]:
    user = by if getattr(by, "is_authenticated", False) else None
    actor = by if by is not None else HISTORY_NOTE
    counts: dict[str, int] = {}
    customer_ids = _write_customers(data, user=user, actor=actor, counts=counts)
    organisation_ids = _write_organisations(data, customer_ids, actor=actor, counts=counts)
    product_ids = _write_products(data, actor=actor, counts=counts)
    _write_orders(data, customer_ids, organisation_ids, product_ids, actor=actor, counts=counts)
    _write_log(data, customer_ids, user=user, actor=actor, counts=counts)
    return counts


def _write_customers(data: DemoData, *, user, actor, counts: dict[str, int]) -> np.ndarray:
    people, columns = data.people, data.people.customers
    objs = []
    for i in range(len(people)):
        customer = Customer(
            **{name: values[i] for name, values in columns.items()}, created_by=user
        )
        apply_names(customer)
        objs.append(customer)
    ids = np.zeros(len(objs), dtype=np.int64)
    referrer = people.referrer
    for lo in range(0, len(objs), BATCH):
        hi = min(lo + BATCH, len(objs))
        # A referrer is an earlier customer: in an earlier batch, its id is known already …
        for i in np.flatnonzero((referrer[lo:hi] >= 0) & (referrer[lo:hi] < lo)) + lo:
            objs[i].referred_by_id = int(ids[referrer[i]])
        Customer.objects.bulk_create(objs[lo:hi])
        ids[lo:hi] = [c.pk for c in objs[lo:hi]]
        # … in this batch, only now.
        same = np.flatnonzero(referrer[lo:hi] >= lo) + lo
        for i in same:
            objs[i].referred_by_id = int(ids[referrer[i]])
        Customer.objects.bulk_update([objs[i] for i in same], ["referred_by"])

    def rows(table: dict[str, list], model: type[models.Model]) -> list:
        fields = [k for k in table if k != "person"]
        return _create(
            model,
            [
                model(customer_id=int(ids[p]), **{k: table[k][j] for k in fields})
                for j, p in enumerate(table["person"])
            ],
        )

    counts["customers"] = len(objs)
    counts["phones"] = len(rows(people.phones, CustomerPhone))
    counts["emails"] = len(rows(people.emails, CustomerEmail))
    counts["addresses"] = len(rows(people.addresses, CustomerAddress))
    consents = dict(people.consents, changed_at=[_time(t) for t in people.consents["changed_at"]])
    counts["consents"] = len(rows(consents, MarketingConsent))
    terms = [
        CustomerSearchTerm(term=term, customer_id=c.pk)
        for c in objs
        for term in sorted(search_terms(c.family_name, c.given_name))
    ]
    counts["search_terms"] = len(_create(CustomerSearchTerm, terms))
    tags = {t.name: t for t in Tag.objects.filter(name__in=TAGS)}
    missing = [Tag(name=name, color=color) for name, color in TAGS.items() if name not in tags]
    tags |= {t.name: t for t in _create(Tag, missing)}
    Through = Customer.tags.through
    links = [
        Through(customer_id=int(ids[p]), tag_id=tags[t].pk)
        for p, t in zip(data.tags["person"], data.tags["tag"], strict=True)
    ]
    counts["customer_tags"] = len(_create(Through, links))
    # Backdated to the day each became a customer, so their timeline reads in order.
    zone = timezone.get_default_timezone()
    opened = [
        datetime.combine(c.customer_since, dtime(9), zone) if c.customer_since else None
        for c in objs
    ]
    bulk_record_creates(
        objs=objs,
        by=actor,
        customer_ids=ids.tolist(),
        note=HISTORY_NOTE,
        times=[t or timezone.now() for t in opened],
    )
    return ids


def _write_organisations(
    data: DemoData, customer_ids: np.ndarray, *, actor, counts: dict[str, int]
) -> np.ndarray:
    rows, contacts = data.organisations.rows, data.organisations.contacts
    objs = [
        Organisation(**{k: v[i] for k, v in rows.items()}, sort_name=fold(rows["name"][i])[:200])
        for i in range(len(data.organisations))
    ]
    _create(Organisation, objs)
    ids = np.array([o.pk for o in objs], dtype=np.int64)
    people = {int(p): Customer(pk=int(customer_ids[p])) for p in contacts["person"]}
    for p, c in people.items():  # str(contact) in the history names both sides: no query per row
        apply_names_from(c, data, p)
    links = _create(
        OrganisationContact,
        [
            OrganisationContact(
                organisation=objs[o],
                person=people[p],
                buying_role=role,
                job_title=title,
                is_primary=primary,
            )
            for o, p, role, title, primary in zip(
                contacts["organisation"],
                contacts["person"],
                contacts["buying_role"],
                contacts["job_title"],
                contacts["is_primary"],
                strict=True,
            )
        ],
    )
    bulk_record_creates(objs=objs, by=actor, customer_ids=[None] * len(objs), note=HISTORY_NOTE)
    bulk_record_creates(
        objs=links, by=actor, customer_ids=[c.person_id for c in links], note=HISTORY_NOTE
    )
    counts["organisations"], counts["organisation_contacts"] = len(objs), len(links)
    return ids


def apply_names_from(customer: Customer, data: DemoData, person: int) -> None:
    customer.family_name = data.people.customers["family_name"][person]
    customer.given_name = data.people.customers["given_name"][person]
    apply_names(customer)


def _write_products(data: DemoData, *, actor, counts: dict[str, int]) -> np.ndarray:
    """The catalogue, reusing products an earlier demo run created."""
    cat = data.catalogue
    existing = Product.objects.in_bulk(cat.sku, field_name="sku")
    new = [
        Product(
            sku=sku,
            name=cat.name[i],
            category=cat.category[i],
            price=_money(cat.price_cents[i]),
            unit_cost=_money(cat.cost_cents[i]),
        )
        for i, sku in enumerate(cat.sku)
        if sku not in existing
    ]
    _create(Product, new)
    bulk_record_creates(objs=new, by=actor, customer_ids=[None] * len(new), note=HISTORY_NOTE)
    existing |= {p.sku: p for p in new}
    counts["products"] = len(new)
    return np.array([existing[sku].pk for sku in cat.sku], dtype=np.int64)


def _next_order_number() -> int:
    last = (
        Order.objects.filter(number__startswith=ORDER_PREFIX)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    digits = (last or "")[len(ORDER_PREFIX) :]
    return int(digits) + 1 if digits.isdigit() else 1


def _write_orders(
    data: DemoData,
    customer_ids: np.ndarray,
    organisation_ids: np.ndarray,
    product_ids: np.ndarray,
    *,
    actor,
    counts: dict[str, int],
) -> None:
    o = data.orders
    first = _next_order_number()
    currency = settings.RAPPORT_CURRENCY
    orders = [
        Order(
            number=f"{ORDER_PREFIX}{first + i:08d}",
            customer_id=int(customer_ids[o.person[i]]),
            organisation_id=int(organisation_ids[o.organisation[i]])
            if o.organisation[i] >= 0
            else None,
            ordered_at=_time(o.ordered_at[i]),
            status=str(o.status[i]),
            channel=str(o.channel[i]),
            promotion_code=str(o.promotion_code[i]),
            currency=currency,
            total=_money(o.total[i]),
            cost=_money(o.cost[i]),
        )
        for i in range(len(o))
    ]
    _create(Order, orders)
    order_ids = [x.pk for x in orders]
    lines = _create(
        OrderLine,
        [
            OrderLine(
                order_id=order_ids[o.line_order[j]],
                product_id=int(product_ids[o.line_product[j]]),
                quantity=Decimal(int(o.line_quantity[j])),
                unit_price=_money(o.line_unit_price[j]),
                discount=_money(o.line_discount[j]),
                line_total=_money(o.line_total[j]),
                unit_cost=_money(o.line_unit_cost[j]),
            )
            for j in range(len(o.line_order))
        ],
    )
    returns = _create(
        Return,
        [
            Return(
                order_line_id=lines[line].pk,
                returned_at=_time(at),
                quantity=Decimal(int(qty)),
                refund_amount=_money(refund),
                reason=reason,
            )
            for line, at, qty, refund, reason in zip(
                o.return_line,
                o.return_at,
                o.return_quantity,
                o.return_refund,
                o.return_reason,
                strict=True,
            )
        ],
    )
    bulk_record_creates(
        objs=orders, by=actor, customer_ids=[x.customer_id for x in orders], note=HISTORY_NOTE
    )
    counts["orders"], counts["order_lines"], counts["returns"] = (
        len(orders),
        len(lines),
        len(returns),
    )


def _write_log(
    data: DemoData, customer_ids: np.ndarray, *, user, actor, counts: dict[str, int]
) -> None:
    log = data.log.interactions
    interactions = _create(
        Interaction,
        [
            Interaction(
                customer_id=int(customer_ids[p]),
                kind=kind,
                direction=direction,
                staff=user,
                occurred_at=_time(at),
                subject=subject,
                summary=summary,
            )
            for p, kind, direction, at, subject, summary in zip(
                log["person"],
                log["kind"],
                log["direction"],
                log["occurred_at"],
                log["subject"],
                log["summary"],
                strict=True,
            )
        ],
    )
    d = data.log.details
    details = _create(
        RememberedDetail,
        [
            RememberedDetail(
                customer_id=int(customer_ids[p]),
                interaction_id=interactions[i].pk,
                kind=kind,
                text=text,
                relevant_on=relevant_on,
                pinned=pinned,
                archived=archived,
                created_by=user,
            )
            for i, p, kind, text, relevant_on, pinned, archived in zip(
                d["interaction"],
                d["person"],
                d["kind"],
                d["text"],
                d["relevant_on"],
                d["pinned"],
                d["archived"],
                strict=True,
            )
        ],
    )
    # A detail was noted when the customer mentioned it: date it with its conversation.
    RememberedDetail.objects.filter(pk__in=[x.pk for x in details]).update(
        created_at=Subquery(
            Interaction.objects.filter(pk=OuterRef("interaction_id")).values("occurred_at")[:1]
        )
    )
    when = {x.pk: x.occurred_at for x in interactions}
    bulk_record_creates(
        objs=details,
        by=actor,
        customer_ids=[x.customer_id for x in details],
        note=HISTORY_NOTE,
        times=[when[x.interaction_id] for x in details],
    )
    counts["interactions"], counts["remembered_details"] = len(interactions), len(details)


DUPLICATE_SHARE = 0.005  # of the people also entered by another department


def _write_duplicates(*, seed: int, by: Any, first_new: int) -> int:
    """Some people a second time, as another department's system knew them (DOMAIN §1, GM).

    The second record has the same name, one of the phone or email of the first (so the duplicate
    finder can find it), an external id from the "ERP" and less detail — the records to merge.
    """
    new = Customer.objects.filter(pk__gte=first_new).order_by("pk")
    ids = list(new.values_list("pk", flat=True))
    count = int(len(ids) * DUPLICATE_SHARE) if len(ids) >= 40 else min(len(ids) // 10, 2)
    if count == 0:
        return 0
    rng = np.random.default_rng(seed + 7)
    picks = sorted(int(i) for i in rng.choice(ids, size=count, replace=False))
    originals = Customer.objects.filter(pk__in=picks).prefetch_related("phones", "emails")
    user = by if getattr(by, "is_authenticated", False) else None
    twins, contacts = [], []
    for original, share_phone in zip(originals, rng.random(count) < 0.6, strict=True):
        twin = Customer(
            external_id=f"ERP-{original.pk:07d}",
            family_name=original.family_name,
            given_name=original.given_name,
            gender=original.gender,
            birthday=original.birthday if rng.random() < 0.5 else None,
            preferred_language=original.preferred_language,
            customer_since=original.customer_since,
            source="sales",
            created_by=user,
        )
        apply_names(twin)
        phones, emails = list(original.phones.all()), list(original.emails.all())
        if phones and (share_phone or not emails):
            contacts.append((twin, CustomerPhone(number=phones[0].number, is_primary=True)))
            twin.primary_phone = phones[0].number
        elif emails:
            contacts.append((twin, CustomerEmail(address=emails[0].address, is_primary=True)))
            twin.primary_email = emails[0].address
        twins.append(twin)
    _create(Customer, twins)
    for twin, contact in contacts:
        contact.customer = twin
    _create(CustomerPhone, [c for _, c in contacts if isinstance(c, CustomerPhone)])
    _create(CustomerEmail, [c for _, c in contacts if isinstance(c, CustomerEmail)])
    _create(
        CustomerSearchTerm,
        [
            CustomerSearchTerm(term=term, customer=t)
            for t in twins
            for term in sorted(search_terms(t.family_name, t.given_name))
        ],
    )
    actor = by if by is not None else HISTORY_NOTE
    bulk_record_creates(objs=twins, by=actor, customer_ids=[t.pk for t in twins], note=HISTORY_NOTE)
    return len(twins)


# Why lapsed customers left, as staff would have heard it (DOMAIN §2: the leaky bucket's holes).
CHURN_SHARE = 0.2  # of the customers without a purchase in the last LAPSED_DAYS
LAPSED_DAYS = 240
CHURN_REASONS = {
    "no_timely_help": 0.22,
    "inconvenience": 0.17,
    "unreliability": 0.14,
    "neglect": 0.2,
    "unprofessional_staff": 0.1,
    "other": 0.17,
}
CHURN_DESTINATIONS = {"competitor": 0.5, "left_category": 0.15, "moved_away": 0.1, "unknown": 0.25}


def _write_churn(*, seed: int, by: Any, first_new: int) -> int:
    """A churn record for some of the customers who stopped buying, dated after their last order."""
    from django.db.models import Max

    from rapport.analytics.models import ChurnRecord

    now = timezone.now()
    lapsed = list(
        Order.objects.filter(customer_id__gte=first_new)
        .values("customer_id")
        .annotate(last=Max("ordered_at"))
        .filter(last__lt=now - timezone.timedelta(days=LAPSED_DAYS))
        .order_by("customer_id")
        .values_list("customer_id", "last")
    )
    rng = np.random.default_rng(seed + 11)
    picked = [
        row for row, u in zip(lapsed, rng.random(len(lapsed)), strict=True) if u < CHURN_SHARE
    ]
    if not picked:
        return 0
    reasons = rng.choice(list(CHURN_REASONS), size=len(picked), p=list(CHURN_REASONS.values()))
    destinations = rng.choice(
        list(CHURN_DESTINATIONS), size=len(picked), p=list(CHURN_DESTINATIONS.values())
    )
    days_after = rng.integers(60, 200, size=len(picked))
    user = by if getattr(by, "is_authenticated", False) else None
    records = _create(
        ChurnRecord,
        [
            ChurnRecord(
                customer_id=customer_id,
                reason=str(reason),
                destination=str(destination),
                recorded_by=user,
                recorded_at=min(now, last + timezone.timedelta(days=int(after))),
            )
            for (customer_id, last), reason, destination, after in zip(
                picked, reasons, destinations, days_after, strict=True
            )
        ],
    )
    bulk_record_creates(
        objs=records,
        by=by if by is not None else HISTORY_NOTE,
        customer_ids=[r.customer_id for r in records],
        note=HISTORY_NOTE,
        times=[r.recorded_at for r in records],
    )
    return len(records)

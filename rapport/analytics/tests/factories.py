"""Order histories for the analytics tests, written in bulk (no history rows: speed only), and
the role permissions the analytics app proposes (until rapport/staff/roles.py carries them)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.conf import settings

from rapport.customers.models import Customer
from rapport.sales.models import Order, OrderLine, Product, Return

_counter = iter(range(1, 10_000_000))

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
# Proposed for rapport/staff/roles.py (see docs/analytics.md, "Permissions").
PROPOSED_ROLE_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "manager": {
        "analytics.customerscore": (VIEW,),
        "analytics.report": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": (VIEW, ADD, CHANGE, DELETE),
    },
    "agent": {"analytics.customerscore": (VIEW,), "analytics.churnrecord": (VIEW, ADD)},
    "department": {},
    "marketing": {
        "analytics.customerscore": (VIEW,),
        "analytics.report": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": (VIEW,),
    },
    "analyst": {
        "analytics.customerscore": (VIEW,),
        "analytics.report": (VIEW,),
        "analytics.modelfit": (VIEW,),
        "analytics.churnrecord": (VIEW,),
    },
}


@pytest.fixture(autouse=True)
def project_test_settings(settings):
    """What the project's conftest `_english` sets, which this folder's conftest shadows (so the
    engine tests run without Django): English, tasks run at once, fast password hashing."""
    settings.LANGUAGE_CODE = "en"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def analytics_roles(monkeypatch):
    """The roles with the proposed analytics permissions added (a no-op once roles.py has them)."""
    from rapport.staff import roles

    for role, extra in PROPOSED_ROLE_PERMISSIONS.items():
        if role in roles.ROLE_PERMISSIONS:
            monkeypatch.setitem(
                roles.ROLE_PERMISSIONS, role, {**roles.ROLE_PERMISSIONS[role], **extra}
            )


def at(day: date, hour: int = 12) -> datetime:
    """An aware moment on `day` in the business's time zone."""
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(settings.TIME_ZONE))


def customers(n: int, **fields) -> list[Customer]:
    rows = []
    for _ in range(n):
        i = next(_counter)
        name = f"Customer {i}"
        rows.append(
            Customer(
                given_name=name,
                display_name=name,
                sort_name=name.lower(),
                customer_since=fields.get("customer_since", date(2020, 1, 1)),
                referred_by=fields.get("referred_by"),
            )
        )
    return Customer.objects.bulk_create(rows)


def products(
    n: int, categories: tuple[str, ...] = ("tea", "cups", "books", "gifts")
) -> list[Product]:
    rows = [
        Product(
            sku=f"P{next(_counter):06d}",
            name=f"Product {i}",
            category=categories[i % len(categories)],
            price=Decimal("10.00") * (i + 1),
            unit_cost=Decimal("6.00") * (i + 1),
        )
        for i in range(n)
    ]
    return Product.objects.bulk_create(rows)


def order(
    customer: Customer,
    day: date,
    items: list[tuple[Product, int]],
    *,
    status: str = "paid",
    promotion_code: str = "",
    hour: int = 12,
    price: Decimal | None = None,
) -> Order:
    """One order on `day` with (product, quantity) lines at the product's price (or `price`)."""
    lines = [
        OrderLine(
            product=p,
            quantity=Decimal(q),
            unit_price=price if price is not None else p.price,
            line_total=(price if price is not None else p.price) * q,
            unit_cost=p.unit_cost,
        )
        for p, q in items
    ]
    o = Order.objects.create(
        number=f"T{next(_counter):08d}",
        customer=customer,
        ordered_at=at(day, hour),
        status=status,
        promotion_code=promotion_code,
        currency="CNY",
        total=sum((li.line_total for li in lines), Decimal("0")),
        cost=sum((li.unit_cost * li.quantity for li in lines), Decimal("0")),
    )
    for li in lines:
        li.order = o
    OrderLine.objects.bulk_create(lines)
    return o


def refund(o: Order, amount: Decimal, *, quantity: int = 1, day: date | None = None) -> Return:
    line = o.lines.first()
    return Return.objects.create(
        order_line=line,
        quantity=Decimal(quantity),
        refund_amount=amount,
        returned_at=at(day or o.ordered_at.date() + timedelta(days=3)),
    )


def random_history(
    n_customers: int, *, start: date, end: date, seed: int = 1, n_products: int = 8
) -> tuple[list[Customer], list[Product]]:
    """Customers buying at a random rate until a random drop-out, written in three bulk inserts."""
    rng = np.random.default_rng(seed)
    people = customers(n_customers)
    items = products(n_products)
    span = (end - start).days
    orders, lines = [], []
    for c in people:
        first = int(rng.integers(0, span))
        rate = rng.gamma(0.8, 1 / 40)  # purchases per day
        life = rng.exponential(span / 2)
        spend = Decimal(str(round(float(rng.gamma(3.0, 1 / 3.0)), 2)))  # the customer's price level
        t = first
        while t <= min(span, first + life):
            chosen = rng.choice(len(items), size=int(rng.integers(1, 4)), replace=False)
            o = Order(
                number=f"R{next(_counter):08d}",
                customer=c,
                ordered_at=at(start + timedelta(days=t)),
                status="cancelled" if rng.random() < 0.03 else "paid",
                currency="CNY",
                promotion_code="SPRING" if rng.random() < 0.15 else "",
            )
            total = cost = Decimal("0")
            for k in chosen:
                p = items[int(k)]
                price = (
                    p.price * spend * Decimal(str(round(float(rng.uniform(0.7, 1.3)), 2)))
                ).quantize(Decimal("0.01"))
                total += price
                cost += p.unit_cost
                lines.append(
                    (
                        o,
                        OrderLine(
                            product=p,
                            quantity=Decimal(1),
                            unit_price=price,
                            line_total=price,
                            unit_cost=p.unit_cost,
                        ),
                    )
                )
            o.total, o.cost = total, cost
            orders.append(o)
            t += max(1, int(rng.exponential(1 / max(rate, 1e-3))))
    Order.objects.bulk_create(orders, batch_size=2000)
    for o, li in lines:
        li.order = o
    OrderLine.objects.bulk_create([li for _, li in lines], batch_size=2000)
    return people, items


AS_OF = date(2024, 12, 31)


@pytest.fixture
def scored_history(db, make_user):
    """60 customers' random history, a few returns and churn records, refreshed as of AS_OF."""
    from rapport.analytics import services

    people, items = random_history(60, start=date(2022, 1, 1), end=AS_OF, seed=5)
    for o in Order.objects.exclude(status="cancelled").order_by("id")[::30]:
        refund(o, (o.total / 3).quantize(Decimal("0.01")))
    manager = make_user("manager")
    services.churn_record(
        customer=people[0],
        reason="no_timely_help",
        destination="competitor",
        by=manager,
        recorded_at=at(date(2024, 11, 5)),
    )
    services.churn_record(
        customer=people[1],
        reason="unreliability",
        destination="unknown",
        by=manager,
        recorded_at=at(date(2024, 12, 5)),
    )
    fit = services.analytics_refresh(as_of=AS_OF)
    return {"people": people, "products": items, "fit": fit}

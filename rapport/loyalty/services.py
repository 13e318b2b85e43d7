"""Every write of membership and loyalty. The ledger is append-only: earn, spend, expire and
adjust entries, each with who and why; a balance is their sum."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor, SystemActor, actor_name, actor_user
from rapport.core.bulk import History, insert_new_rows, insert_rows
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change
from rapport.loyalty.choices import EntryKind, LoyaltyEventType
from rapport.loyalty.models import (
    LoyaltyAccount,
    LoyaltyEvent,
    PointsEntry,
    PointsRule,
    Referral,
    Tier,
    TierChange,
)
from rapport.loyalty.registrations import REFERRAL_REWARD

LOYALTY = SystemActor("loyalty")
PAID = ("paid", "delivered")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def balance(customer_id: int) -> int:
    return PointsEntry.objects.filter(customer_id=customer_id).aggregate(s=Sum("points"))["s"] or 0


def _referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def account_ensure(customer_id: int) -> LoyaltyAccount:
    """The customer's membership account (made on first use, with a personal referral code)."""
    found = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
    if found is not None:
        return found
    for _attempt in range(5):
        code = _referral_code()
        try:
            with transaction.atomic():
                return LoyaltyAccount.objects.create(customer_id=customer_id, referral_code=code)
        except IntegrityError:
            found = LoyaltyAccount.objects.filter(customer_id=customer_id).first()
            if found is not None:
                return found
    raise RuntimeError("could not make a unique referral code")


def _entry(
    *, customer_id: int, kind: str, points: int, reason: str, by: Actor, **extra: Any
) -> PointsEntry:
    entry = PointsEntry.objects.create(
        customer_id=customer_id,
        kind=kind,
        points=points,
        reason=reason[:200],
        user=actor_user(by),
        user_name=actor_name(by)[:150],
        **extra,
    )
    record_change(
        obj=entry,
        action=ChangeAction.CREATE,
        by=by,
        changes={"kind": [None, kind], "points": [None, points], "reason": [None, reason[:200]]},
        customer_id=customer_id,
    )
    return entry


def _lock(customer_id: int) -> LoyaltyAccount:
    """Serialise writers of one customer's balance: an UPDATE takes the row lock (PostgreSQL) or
    the write lock (SQLite) before the balance is read."""
    account = account_ensure(customer_id)
    LoyaltyAccount.objects.filter(pk=account.pk).update(lock_version=F("lock_version") + 1)
    return account


# Earning ---------------------------------------------------------------------------------------


def _rules() -> tuple[dict[int, Decimal], dict[str, Decimal]]:
    products, categories = {}, {}
    for r in PointsRule.objects.all():
        if r.product_id:
            products[r.product_id] = r.points_per_unit
        elif r.category:
            categories[r.category] = r.points_per_unit
    return products, categories


def points_rule_set(
    *,
    by: Actor,
    points_per_unit: Decimal | None,
    product_id: int | None = None,
    category: str = "",
) -> PointsRule | None:
    """How many points a unit of money earns on one product or on a category (a product's own
    rule wins over its category's); None for points_per_unit removes the rule (the default,
    RAPPORT_LOYALTY_POINTS_PER_UNIT, applies again). Recorded in the history."""
    from rapport.sales.models import Product

    category = category.strip()[:100]
    errors: dict[str, list[str]] = {}
    if (product_id is None) == (not category):
        errors["product_id"] = [_("Give either a product or a category.")]
    elif product_id is not None and (
        not 0 < product_id < 2**63 or not Product.objects.filter(pk=product_id).exists()
    ):
        errors["product_id"] = [_("There is no such product.")]
    if points_per_unit is not None and not (
        Decimal(points_per_unit).is_finite() and Decimal(0) <= Decimal(points_per_unit) < 10_000
    ):
        errors["points_per_unit"] = [_("Give a number of points from 0 to 9999.")]
    if errors:
        raise ValidationError(errors)
    where = {"product_id": product_id} if product_id is not None else {"category": category}
    with transaction.atomic():
        rule = PointsRule.objects.select_for_update().filter(**where).first()
        before = rule.points_per_unit if rule else None
        if points_per_unit is None:
            if rule is not None:
                record_change(
                    obj=rule,
                    action=ChangeAction.DELETE,
                    by=by,
                    changes={"points_per_unit": [str(before), None]},
                )
                rule.delete()
            return None
        if rule is None:
            rule = PointsRule.objects.create(points_per_unit=points_per_unit, **where)
            action = ChangeAction.CREATE
        else:
            rule.points_per_unit = points_per_unit
            rule.save(update_fields=["points_per_unit"])
            action = ChangeAction.UPDATE
        record_change(
            obj=rule,
            action=action,
            by=by,
            changes={
                "points_per_unit": [None if before is None else str(before), str(points_per_unit)]
            },
        )
    return rule


def points_for_order(
    order: Any, rules: tuple[dict[int, Decimal], dict[str, Decimal]] | None = None
) -> int:
    products, categories = rules or _rules()
    default = Decimal(str(settings.RAPPORT_LOYALTY_POINTS_PER_UNIT))
    total = Decimal(0)
    for line in order.lines.select_related("product"):
        rate = products.get(line.product_id, categories.get(line.product.category, default))
        total += line.line_total * rate
    return int(total.quantize(Decimal(1), rounding=ROUND_DOWN))


def points_earn_for_order(*, order_id: int, by: Actor = LOYALTY) -> PointsEntry | None:
    """Points for a paid order, once (a second call finds the first entry)."""
    from rapport.sales.models import Order

    order = Order.objects.filter(pk=order_id, status__in=PAID).first()
    if order is None:
        return None
    key = f"earn:order:{order.pk}"
    existing = PointsEntry.objects.filter(once_key=key).first()
    if existing is not None:
        return existing
    points = points_for_order(order)
    if points <= 0:
        return None
    days = settings.RAPPORT_LOYALTY_POINTS_VALID_DAYS
    try:
        with transaction.atomic():
            _lock(order.customer_id)
            entry = _entry(
                customer_id=order.customer_id,
                kind=EntryKind.EARN,
                points=points,
                reason=_("Order %(number)s") % {"number": order.number},
                by=by,
                order=order,
                once_key=key,
                expires_on=timezone.localdate(order.ordered_at) + timedelta(days=days)
                if days
                else None,
            )
    except IntegrityError:
        return PointsEntry.objects.filter(once_key=key).first()
    return entry


def points_sync(*, by: Actor = LOYALTY, since_days: int = 30) -> int:
    """Earn the points of paid orders of the last `since_days` days that have none yet, reward
    referrals that are due, expire what is due and re-evaluate tiers of the customers touched
    (the scheduler runs it; `rapport loyalty sync`)."""
    from rapport.sales.models import Order

    since = timezone.now() - timedelta(days=since_days)
    earned = PointsEntry.objects.filter(kind=EntryKind.EARN, order__isnull=False).values("order_id")
    orders = (
        Order.objects.filter(status__in=PAID, ordered_at__gte=since)
        .exclude(pk__in=earned)
        .values_list("pk", "customer_id")
    )
    touched = set()
    n = 0
    for order_id, customer_id in orders.iterator(chunk_size=2000):
        if points_earn_for_order(order_id=order_id, by=by):
            n += 1
            touched.add(customer_id)
    touched |= referrals_reward_due(by=by)
    touched |= points_expire(by=by)
    tiers_evaluate(touched, by=by)
    return n


# Spending, adjusting, expiring -----------------------------------------------------------------


def points_spend(*, customer_id: int, points: int, reason: str, by: Actor) -> PointsEntry:
    """Spend points on a reward. Two spends at once never overdraw: the second waits for the
    first and sees its entry."""
    if points <= 0:
        raise ValidationError({"points": [_("Give a positive number of points.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say what the points were spent on.")]})
    with transaction.atomic():
        _lock(customer_id)
        available = balance(customer_id)
        if points > available:
            raise ValidationError(
                {
                    "points": [
                        _("Only %(available)s points are available.") % {"available": available}
                    ]
                }
            )
        return _entry(
            customer_id=customer_id, kind=EntryKind.SPEND, points=-points, reason=reason, by=by
        )


def points_adjust(*, customer_id: int, points: int, reason: str, by: Actor) -> PointsEntry:
    """A correction by a person (goodwill, a mistake undone); the balance may not go below 0."""
    if points == 0:
        raise ValidationError({"points": [_("Give a number of points other than 0.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the points are adjusted.")]})
    with transaction.atomic():
        _lock(customer_id)
        if balance(customer_id) + points < 0:
            raise ValidationError({"points": [_("The balance cannot go below 0.")]})
        return _entry(
            customer_id=customer_id, kind=EntryKind.ADJUST, points=points, reason=reason, by=by
        )


EXPIRE_CUSTOMERS = 1000  # customers whose due points are expired in one transaction


def points_expire(*, by: Actor = LOYALTY, today: date | None = None) -> set[int]:
    """Expire earned points whose time is up; returns the customers whose ledger got an entry.

    Spending uses the oldest points first, so of an earn entry that expires, what is left is the
    balance minus what the points earned after it still hold (never more than the entry, never
    below 0). Each earn entry expires once (its expiry entry's key, "expire:<id>", is unique),
    even with 0 points left, so a second run finds nothing to do.

    Set-based, a thousand customers at a time: their accounts locked in one statement, their whole
    ledger read in one, the expiry entries and their change rows written in one each. A shop that
    switches loyalty on backfills years of orders, and most of those entries are due at once: one
    entry at a time (five queries each) took hours for millions of them."""
    today = today or timezone.localdate()
    customers = sorted(
        _due_unexpired(today).order_by().values_list("customer_id", flat=True).distinct()
    )
    touched: set[int] = set()
    for lo in range(0, len(customers), EXPIRE_CUSTOMERS):
        touched |= _expire_customers(customers[lo : lo + EXPIRE_CUSTOMERS], today=today, by=by)
    return touched


def _due_unexpired(today: date) -> models.QuerySet[PointsEntry]:
    """The earn entries due by `today` that have no expiry entry yet (found by its key)."""
    key = Concat(Value("expire:"), Cast(OuterRef("pk"), models.CharField()))
    expired = PointsEntry.objects.filter(kind=EntryKind.EXPIRE, once_key=key)
    return PointsEntry.objects.filter(kind=EntryKind.EARN, expires_on__lte=today).filter(
        ~Exists(expired)
    )


def _lock_many(customer_ids: list[int]) -> None:
    """`_lock` for many customers at once, in customer order (two runs never wait on each other
    in a circle); the accounts a backfill's customers do not have yet are made first."""
    missing = set(customer_ids) - set(
        LoyaltyAccount.objects.filter(customer_id__in=customer_ids).values_list(
            "customer_id", flat=True
        )
    )
    while missing:  # a referral code already taken leaves its account out: drawn again
        LoyaltyAccount.objects.bulk_create(
            [
                LoyaltyAccount(customer_id=c, referral_code=_referral_code())
                for c in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        missing -= set(
            LoyaltyAccount.objects.filter(customer_id__in=missing).values_list(
                "customer_id", flat=True
            )
        )
    accounts = list(
        LoyaltyAccount.objects.select_for_update()
        .filter(customer_id__in=customer_ids)
        .order_by("customer_id")
        .values_list("pk", flat=True)
    )
    LoyaltyAccount.objects.filter(pk__in=accounts).update(lock_version=F("lock_version") + 1)


def _expire_customers(customer_ids: list[int], *, today: date, by: Actor) -> set[int]:
    with transaction.atomic():
        _lock_many(customer_ids)
        ledgers: dict[int, list[tuple]] = {}
        for row in (
            PointsEntry.objects.filter(customer_id__in=customer_ids)
            .order_by("customer_id", "pk")
            .values_list("customer_id", "pk", "kind", "points", "once_key", "expires_on", "at")
        ):
            ledgers.setdefault(row[0], []).append(row[1:])
        history = History(PointsEntry, by)
        new: list[tuple[int, int, str, str]] = []  # (customer, points, reason, key)
        template = _("Points of %(date)s expired")
        for customer_id, ledger in ledgers.items():
            for pk, points, on in _expiries(ledger, today):
                reason = template % {"date": on.isoformat()}
                new.append((customer_id, -points, reason[:200], f"expire:{pk}"))
        columns = (
            "customer_id",
            "kind",
            "points",
            "reason",
            "once_key",
            "at",
            "user_id",
            "user_name",
        )
        rows = [
            (c, EntryKind.EXPIRE, p, r, k, history.now, history.user_id, history.user_name)
            for c, p, r, k in new
        ]
        try:  # COPY on PostgreSQL: the accounts' locks keep every key new …
            with transaction.atomic():
                ids = insert_rows(PointsEntry, columns, rows, returning=True)
            written = {row[4]: pk for row, pk in zip(rows, ids, strict=True)}
        except (IntegrityError, connection.Database.IntegrityError):
            # … unless an entry's expiry is in another ledger (a merge moved it between two
            # runs' locks): the keys already there are left as they are
            written = insert_new_rows(PointsEntry, columns, rows, unique="once_key")
        mine = [n for n in new if n[3] in written]
        for c, p, r, k in mine:
            history.add_create(
                written[k],
                f"{c} {EntryKind.EXPIRE} {p}",  # as PointsEntry.__str__
                c,
                {"kind": [None, EntryKind.EXPIRE], "points": [None, p], "reason": [None, r]},
            )
        history.flush()
    return {c for c, *_rest in mine}


def _expiries(ledger: list[tuple], today: date) -> list[tuple[int, int, date]]:
    """(earn entry id, points that expire, local day it was earned) for each due earn entry of
    one customer's ledger (rows of id, kind, points, once key, expires on, at; in id order),
    soonest expiry first — each seeing those before it, as if they were written one by one."""
    balance_left = sum(row[2] for row in ledger)
    expired: dict[int, int] = {}  # earn entry id → its expiry entry's points (≤ 0)
    for _pk, kind, points, key, _on, _at in ledger:
        if kind == EntryKind.EXPIRE and key and key.startswith("expire:"):
            expired[int(key.removeprefix("expire:"))] = points
    held = [  # the points that may still hold something: positive earns and adjustments
        (pk, points) for pk, kind, points, _k, _on, _at in ledger
        if kind in (EntryKind.EARN, EntryKind.ADJUST) and points > 0
    ]  # fmt: skip
    due = sorted(
        (on, pk, points, at)
        for pk, kind, points, _key, on, at in ledger
        if kind == EntryKind.EARN and on is not None and on <= today and pk not in expired
    )
    out = []
    for _on, pk, points, at in due:
        # what the points earned after this entry still hold: their points less what of them
        # has expired already (also those expiring today, earlier in this walk)
        held_later = sum(p + expired.get(q, 0) for q, p in held if q > pk)
        left = max(0, min(points, balance_left - held_later))
        expired[pk] = -left
        balance_left -= left
        out.append((pk, left, timezone.localdate(at)))
    return out


# Tiers -----------------------------------------------------------------------------------------


def tier_create(*, by: Actor, name: str, rank: int, **fields: Any) -> Tier:
    if not name.strip():
        raise ValidationError({"name": [_("Give the tier a name.")]})
    if Tier.objects.filter(Q(name=name.strip()) | Q(rank=rank)).exists():
        raise ValidationError({"name": [_("A tier with this name or rank exists already.")]})
    with transaction.atomic():
        tier = Tier.objects.create(name=name.strip(), rank=rank, **fields)
        record_change(
            obj=tier, action=ChangeAction.CREATE, by=by, changes={"name": [None, tier.name]}
        )
    return tier


def tier_for(customer_id: int, today: date | None = None) -> Tier | None:
    """The best tier whose rule the customer meets: spend (paid orders) or points earned within
    the tier's rolling window."""
    return tiers_for([customer_id], today)[customer_id]


def tiers_for(customer_ids: list[int], today: date | None = None) -> dict[int, Tier | None]:
    """`tier_for` of many customers: per tier, one grouped sum of their spend and one of their
    points earned in its window."""
    from rapport.sales.models import Order

    today = today or timezone.localdate()
    best: dict[int, Tier | None] = dict.fromkeys(customer_ids)
    for tier in Tier.objects.order_by("rank"):
        start = today - timedelta(days=tier.window_days)
        if tier.min_spend == 0 and tier.min_points == 0:
            meets: set[int] = set(customer_ids)
        else:
            meets = set()
            if tier.min_spend > 0:
                meets |= set(
                    Order.objects.filter(
                        customer_id__in=customer_ids, status__in=PAID, ordered_at__date__gt=start
                    )
                    .order_by()
                    .values("customer_id")
                    .annotate(s=Sum("total"))
                    .filter(s__gte=tier.min_spend)
                    .values_list("customer_id", flat=True)
                )
            if tier.min_points > 0:
                meets |= set(
                    PointsEntry.objects.filter(
                        customer_id__in=customer_ids, kind=EntryKind.EARN, at__date__gt=start
                    )
                    .order_by()
                    .values("customer_id")
                    .annotate(s=Sum("points"))
                    .filter(s__gte=tier.min_points)
                    .values_list("customer_id", flat=True)
                )
        for customer_id in meets:
            best[customer_id] = tier
    return best


TIER_CUSTOMERS = 1000  # customers whose tiers are worked out together


def tiers_evaluate(customer_ids: Iterable[int], *, by: Actor = LOYALTY) -> int:
    """`tier_evaluate` for many customers (the nightly sync's, after a backfill nearly all): their
    tiers worked out a thousand at a time, and only those whose tier changes go through
    `tier_evaluate` (which works it out again under the account's lock, records and announces
    the change). Returns how many changed."""
    ids = sorted(set(customer_ids))
    changed = 0
    for lo in range(0, len(ids), TIER_CUSTOMERS):
        chunk = ids[lo : lo + TIER_CUSTOMERS]
        new = tiers_for(chunk)
        current = dict(
            LoyaltyAccount.objects.filter(customer_id__in=chunk).values_list(
                "customer_id", "tier_id"
            )
        )
        for customer_id in chunk:
            tier = new[customer_id]
            if current.get(customer_id) != (tier.pk if tier else None):
                before = current.get(customer_id)
                after = tier_evaluate(customer_id=customer_id, by=by)
                changed += (after.pk if after else None) != before
    return changed


def tier_evaluate(
    *, customer_id: int, by: Actor = LOYALTY, today: date | None = None
) -> Tier | None:
    """Put the customer in the tier their spend or points earn; a change is recorded, shown on
    the timeline and announced to the customer in their language."""
    new = tier_for(customer_id, today)
    with transaction.atomic():
        account = _lock(customer_id)
        account.refresh_from_db()
        if account.tier_id == (new.pk if new else None):
            return new
        before = account.tier.name if account.tier else ""
        LoyaltyAccount.objects.filter(pk=account.pk).update(tier=new)
        change = TierChange.objects.create(
            customer_id=customer_id, from_tier=before, to_tier=new.name if new else ""
        )
        emit(
            LoyaltyEvent,
            by=by,
            type=LoyaltyEventType.TIER_CHANGED,
            parameters={"from": before or "—", "to": new.name if new else "—"},
            customer_id=customer_id,
        )
        if new is not None:
            _announce(customer_id, new, change.pk)
    return new


def _announce(customer_id: int, tier: Tier, change_id: int) -> None:
    from django.utils import translation

    from rapport.communications.services import message_send
    from rapport.customers.models import Customer

    customer = Customer.objects.get(pk=customer_id)
    channel = (
        customer.preferred_channel if customer.preferred_channel in ("email", "sms") else "email"
    )
    with translation.override(customer.preferred_language or settings.LANGUAGE_CODE):
        subject = _("Welcome to %(tier)s") % {"tier": tier.name}
        lines = [
            _("Dear %(name)s, you are now a %(tier)s member.")
            % {"name": customer.display_name, "tier": tier.name}
        ]
        if tier.discount_percent:
            lines.append(
                _("Your discount: %(percent)s%%.") % {"percent": tier.discount_percent.normalize()}
            )
        if tier.free_items:
            lines.append(_("Free items: %(items)s") % {"items": tier.free_items})
        if tier.free_services:
            lines.append(_("Free services: %(services)s") % {"services": tier.free_services})
        language = translation.get_language()
    message_send(
        customer_id=customer_id,
        channel=channel,
        purpose="service",
        subject=subject,
        body="\n\n".join(lines),
        idempotency_key=f"loyalty:tier:{change_id}",
        by=LOYALTY,
        language=language,
        source=("loyalty.tierchange", change_id),
    )


# Referrals -------------------------------------------------------------------------------------


def referral_link(customer_id: int) -> str:
    """The member's link to share: a public page showing their code (to give when first buying
    or signing up)."""
    from django.urls import reverse

    code = account_ensure(customer_id).referral_code
    return settings.RAPPORT_PUBLIC_URL + reverse("loyalty_public:referral", args=[code])


def referral_record(*, referred_id: int, code: str, by: Actor) -> Referral:
    """Link a new customer to the customer whose code they came with. Refused: an unknown code,
    referring oneself, a loop (the referrer was brought by the referred, at any depth), and a
    second referrer for the same person."""
    account = LoyaltyAccount.objects.filter(referral_code=code.strip().upper()).first()
    if account is None:
        raise ValidationError({"code": [_("There is no such referral code.")]})
    referrer_id = account.customer_id
    if referrer_id == referred_id:
        raise ValidationError({"code": [_("A customer cannot refer themselves.")]})
    seen, current = set(), referrer_id
    while current is not None and current not in seen:
        seen.add(current)
        current = (
            Referral.objects.filter(referred_id=current)
            .values_list("referrer_id", flat=True)
            .first()
        )
        if current == referred_id:
            raise ValidationError({"code": [_("This referral would make a loop.")]})
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                referrer_id=referrer_id, referred_id=referred_id, code=account.referral_code
            )
            emit(
                LoyaltyEvent,
                by=by,
                type=LoyaltyEventType.REFERRED,
                parameters={"referrer": account.customer.number},
                customer_id=referred_id,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"code": [_("This customer was already referred by someone.")]}
        ) from exc
    return referral


def referrals_reward_due(*, by: Actor = LOYALTY) -> set[int]:
    """Reward both sides of each referral whose referred customer has a paid order, once."""
    from rapport.sales.models import Order

    points = settings.RAPPORT_LOYALTY_REFERRAL_POINTS
    touched: set[int] = set()
    due = Referral.objects.filter(rewarded_at__isnull=True).filter(
        referred_id__in=Order.objects.filter(status__in=PAID).values("customer_id")
    )
    for referral in due:
        with transaction.atomic():
            if not Referral.objects.filter(pk=referral.pk, rewarded_at__isnull=True).update(
                rewarded_at=timezone.now()
            ):
                continue
            for side, customer_id in (
                ("referrer", referral.referrer_id),
                ("referred", referral.referred_id),
            ):
                _lock(customer_id)
                _entry(
                    customer_id=customer_id,
                    kind=EntryKind.EARN,
                    points=points,
                    reason=REFERRAL_REWARD,  # translated where it is shown
                    by=by,
                    once_key=f"referral:{referral.pk}:{side}",
                )
                touched.add(customer_id)
            emit(
                LoyaltyEvent,
                by=by,
                type=LoyaltyEventType.REFERRAL_REWARDED,
                parameters={"points": points},
                customer_id=referral.referrer_id,
            )
    return touched

"""Every write of keeping in touch: campaigns and their sending, unsubscribing, coupons, events.

Every message to a customer goes through rapport.communications.services.message_send (the one
function that applies the consent rule); a campaign's message is claimed there by an idempotency
key made of the campaign, the occurrence, the customer and the channel, so a retried, restarted or
doubled sending task never sends anything twice.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.actors import Actor, SystemActor, actor_user
from rapport.core.bulk import update_rows
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change
from rapport.outreach.choices import (
    CampaignChannel,
    CampaignKind,
    CampaignState,
    ChurnThreshold,
    OutreachEventType,
    Schedule,
)
from rapport.outreach.models import (
    Campaign,
    CampaignDelivery,
    CampaignMessage,
    CampaignRun,
    ChurnWatch,
    CompanyEvent,
    Coupon,
    CouponRedemption,
    Invitation,
    OutreachEvent,
    Unsubscribe,
)

logger = logging.getLogger(__name__)
UNSUBSCRIBE_LINK = SystemActor("unsubscribe link")
LANGUAGES = ("en", "zh-hans", "zh-hant", "sk")
MERGE_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}")
CHUNK = 500
# Messages rendered, written and delivered together inside a chunk's task (one connection).
SEND_BATCH = 100
# Test hook: called before each message of a sending task (a test stops the task half-way).
before_each_message: Callable[[CampaignDelivery], None] | None = None


# Campaigns ------------------------------------------------------------------------------------


def _clean_messages(messages: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    clean, seen = [], set()
    for m in messages:
        language = (m.get("language") or "").lower()
        if language not in LANGUAGES:
            raise ValidationError(
                {"messages": [_("“%(value)s” is not one of the languages.") % {"value": language}]}
            )
        if language in seen:
            raise ValidationError({"messages": [_("Give one text per language.")]})
        seen.add(language)
        if not (m.get("subject") or "").strip() or not (m.get("body") or "").strip():
            raise ValidationError({"messages": [_("Each text needs a subject and a body.")]})
        unknown = set(MERGE_FIELD.findall(m["subject"] + m["body"])) - set(merge_field_names())
        if unknown:
            raise ValidationError(
                {
                    "messages": [
                        _("Unknown merge field: %(name)s.") % {"name": ", ".join(sorted(unknown))}
                    ]
                }
            )
        clean.append({"language": language, "subject": m["subject"].strip(), "body": m["body"]})
    if not clean:
        raise ValidationError({"messages": [_("Write the message in at least one language.")]})
    return clean


def campaign_create(
    *,
    by: Actor,
    name: str,
    messages: Iterable[dict[str, str]],
    channel: str = CampaignChannel.EMAIL,
    kind: str = CampaignKind.CAMPAIGN,
    audience: dict[str, Any] | None = None,
    schedule: str = Schedule.ONCE,
    days: int = 0,
    send_at: Any = None,
    coupon_id: int | None = None,
    event_id: int | None = None,
    churn_threshold: str = ChurnThreshold.MEDIUM,
) -> Campaign:
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the campaign a name.")]
    for value, choices, field in (
        (channel, CampaignChannel, "channel"),
        (kind, CampaignKind, "kind"),
        (schedule, Schedule, "schedule"),
        (churn_threshold, ChurnThreshold, "churn_threshold"),
    ):
        if value not in choices.values:
            errors[field] = [_("“%(value)s” is not one of the choices.") % {"value": value}]
    if days < 0 or days > 3660:
        errors["days"] = [_("Give a number of days from 0 to 3660.")]
    if coupon_id is not None and not Coupon.objects.filter(pk=coupon_id).exists():
        errors["coupon_id"] = [_("There is no such coupon.")]
    if event_id is not None and not CompanyEvent.objects.filter(pk=event_id).exists():
        errors["event_id"] = [_("There is no such event.")]
    if errors:
        raise ValidationError(errors)
    texts = _clean_messages(messages)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name.strip()[:150],
            kind=kind,
            channel=channel,
            audience={k: v for k, v in (audience or {}).items() if v not in ("", None)},
            schedule=schedule,
            days=days,
            send_at=send_at,
            coupon_id=coupon_id,
            event_id=event_id,
            churn_threshold=churn_threshold,
            created_by=actor_user(by),
        )
        CampaignMessage.objects.bulk_create(CampaignMessage(campaign=campaign, **t) for t in texts)
        record_change(
            obj=campaign,
            action=ChangeAction.CREATE,
            by=by,
            changes={
                "name": [None, campaign.name],
                "channel": [None, channel],
                "schedule": [None, schedule],
            },
        )
    return campaign


def campaign_set_state(*, by: Actor, campaign_id: int, state: str) -> Campaign:
    if state not in (CampaignState.ACTIVE, CampaignState.PAUSED, CampaignState.DRAFT):
        raise ValidationError(
            {"state": [_("“%(value)s” is not one of the choices.") % {"value": state}]}
        )
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        before = campaign.state
        campaign.state = state
        campaign.save(update_fields=["state", "updated_at"])
        record_change(
            obj=campaign, action=ChangeAction.UPDATE, by=by, changes={"state": [before, state]}
        )
    return campaign


# Audience and rendering -----------------------------------------------------------------------


def audience_queryset(campaign: Campaign):
    """The customers the campaign's filters select who consented to its channel (message_send
    checks the consent again for each message)."""
    from rapport.customers.models import MarketingConsent
    from rapport.customers.selectors import customer_queryset

    consented = MarketingConsent.objects.filter(channel=campaign.channel, granted=True).values(
        "customer_id"
    )
    return customer_queryset(filters=dict(campaign.audience)).filter(pk__in=consented)


MERGE_FIELDS = (
    "name",
    "given_name",
    "family_name",
    "customer_number",
    "coupon_code",
    "coupon_value",
    "next_birthday",
    "next_moment",
    "detail",
    "event_name",
    "event_time",
    "rsvp_url",
    "unsubscribe_url",
)


def merge_field_names() -> list[str]:
    """This app's merge fields, then those other apps registered (rapport.core.registry)."""
    from rapport.core.registry import merge_fields

    return [*MERGE_FIELDS, *(f.name for f in merge_fields() if f.name not in MERGE_FIELDS)]


def registered_values(used: Iterable[str], customer_id: int, language: str) -> dict[str, str]:
    """The values of the registered merge fields a text uses, for one customer."""
    from rapport.core.registry import merge_field

    values = {}
    for name in set(used) - set(MERGE_FIELDS):
        found = merge_field(name)
        if found is not None:
            values[name] = found.values([customer_id], language).get(customer_id, "")
    return values


def text_for(campaign: Campaign, language: str) -> CampaignMessage:
    """The campaign's text in `language`, else English, else the first one written."""
    texts = {m.language: m for m in campaign.messages.all()}
    for choice in (language, "en", *sorted(texts)):
        if choice in texts:
            return texts[choice]
    raise ValidationError({"messages": [_("The campaign has no text.")]})


def merge_values(
    campaign: Campaign,
    customer: Any,
    *,
    unsubscribe_url: str = "",
    rsvp_url: str = "",
    needed: set[str] | None = None,
) -> dict[str, str]:
    """The merge fields' values for one customer; with `needed`, the costly ones (the next
    birthday, the next moment, the remembered detail: a query and calendar work each) only when
    the text uses them — a campaign of a million messages pays for what it shows."""
    from django.utils import formats, translation

    from rapport.communications.models import RememberedDetail
    from rapport.outreach import lunar
    from rapport.outreach.moments import customer_moments

    today = timezone.localdate()
    coupon = campaign.coupon
    values = {
        "name": customer.display_name,
        "given_name": customer.given_name,
        "family_name": customer.family_name,
        "customer_number": customer.number,
        "coupon_code": coupon.code if coupon else "",
        "coupon_value": _coupon_value(coupon) if coupon else "",
        "unsubscribe_url": unsubscribe_url,
        "next_birthday": "",
        "next_moment": "",
        "detail": "",
        "event_name": campaign.event.name if campaign.event_id else "",
        "event_time": "",
        "rsvp_url": rsvp_url,
    }

    def wanted(name: str) -> bool:
        return needed is None or name in needed

    if wanted("next_birthday") or wanted("next_moment"):  # dates in the customer's language
        with translation.override(customer.preferred_language or translation.get_language()):
            if customer.birthday and wanted("next_birthday"):
                nb = lunar.next_birthday(
                    customer.birthday, lunar=customer.celebrates_lunar_birthday, today=today
                )
                values["next_birthday"] = formats.date_format(nb, "SHORT_DATE_FORMAT") if nb else ""
            found = (
                [
                    m
                    for m in customer_moments(customer, today, today + timedelta(days=60))
                    if m.customer_id
                ]
                if wanted("next_moment")
                else []
            )
            if found:
                values["next_moment"] = (
                    f"{found[0].title} ({formats.date_format(found[0].day, 'SHORT_DATE_FORMAT')})"
                )
    if wanted("detail"):
        detail = (
            RememberedDetail.objects.filter(customer_id=customer.pk, archived=False)
            .order_by("-pinned", "-created_at")
            .values_list("text", flat=True)
            .first()
        )
        values["detail"] = detail or ""
    return values


def _coupon_value(coupon: Coupon) -> str:
    if coupon.percent:
        return f"{coupon.percent.normalize()}%"
    return f"{coupon.amount} {settings.RAPPORT_CURRENCY}" if coupon.amount else ""


def render(text: str, values: dict[str, str]) -> str:
    return MERGE_FIELD.sub(lambda m: values.get(m.group(1), ""), text)


def render_for(
    campaign: Campaign, customer: Any, *, unsubscribe_url: str = "", rsvp_url: str = ""
) -> tuple[str, str, str]:
    """(language, subject, body) of the campaign for one customer."""
    text, used = _text_and_fields(campaign, customer.preferred_language or "en")
    values = merge_values(
        campaign, customer, unsubscribe_url=unsubscribe_url, rsvp_url=rsvp_url, needed=used
    )
    values.update(registered_values(used, customer.pk, text.language))
    body = render(text.body, values)
    if unsubscribe_url and unsubscribe_url not in body:
        body += "\n\n-- \n" + _unsubscribe_line(text.language) + "\n" + unsubscribe_url
    return text.language, render(text.subject, values), body


def _text_and_fields(campaign: Campaign, language: str) -> tuple[CampaignMessage, set[str]]:
    """The campaign's text in `language` and the merge fields it uses, worked out once per
    campaign object and language (a sending task renders hundreds with the same one)."""
    found = campaign.__dict__.setdefault("_texts_by_language", {})
    if language not in found:
        text = text_for(campaign, language)
        found[language] = (text, set(MERGE_FIELD.findall(f"{text.subject} {text.body}")))
    return found[language]


@functools.lru_cache(maxsize=16)  # one line per language, not one per message
def _unsubscribe_line(language: str) -> str:
    from django.utils import translation

    with translation.override(language):
        return _("To receive no more messages like this one, open:")


def preview(campaign: Campaign, language: str, *, limit: int = 3) -> list[dict[str, Any]]:
    """The campaign as real customers of its audience who read `language` would get it."""
    from rapport.customers.models import Customer

    audience = audience_queryset(campaign)
    people = list(audience.filter(preferred_language=language).order_by("pk")[:limit])
    if not people:
        people = list(audience.order_by("pk")[:limit]) or list(Customer.objects.order_by("pk")[:1])
    shown = []
    for customer in people:
        text = text_for(campaign, language)
        values = merge_values(campaign, customer, unsubscribe_url=_("(unsubscribe link)"))
        used = MERGE_FIELD.findall(text.subject + text.body)
        values.update(registered_values(used, customer.pk, text.language))
        shown.append(
            {
                "customer": customer,
                "language": text.language,
                "subject": render(text.subject, values),
                "body": render(text.body, values),
            }
        )
    return shown


def test_send(*, by: Actor, campaign: Campaign, language: str, to: str) -> None:
    """Send the campaign, as the first customer of the audience would get it, to a staff member
    (their own address, not a customer: no consent involved)."""
    from django.core.mail import send_mail

    if not to:
        raise ValidationError({"to": [_("Your account has no email address.")]})
    shown = preview(campaign, language, limit=1)
    if not shown:
        raise ValidationError({"to": [_("There is nobody to preview the campaign with.")]})
    send_mail("[TEST] " + shown[0]["subject"], shown[0]["body"], settings.DEFAULT_FROM_EMAIL, [to])


# Sending ---------------------------------------------------------------------------------------


def unsubscribe_token(delivery_id: int) -> str:
    return signing.dumps(delivery_id, salt="outreach.unsubscribe", compress=True)


def unsubscribe_url(delivery_id: int) -> str:
    return settings.RAPPORT_PUBLIC_URL + reverse(
        "outreach_public:unsubscribe", args=[unsubscribe_token(delivery_id)]
    )


def campaign_start(
    *,
    by: Actor,
    campaign_id: int,
    occurrence: str = "once",
    customer_ids: Iterable[int] | None = None,
    occurrences: dict[int, str] | None = None,
) -> CampaignRun:
    """Write one delivery row per customer of the audience (in bulk, in id order; a second start
    of the same occurrence adds nobody twice) and queue the sending tasks, one per chunk."""
    campaign = Campaign.objects.get(pk=campaign_id)
    with transaction.atomic():
        run, _created = CampaignRun.objects.get_or_create(campaign=campaign, occurrence=occurrence)
        audience = audience_queryset(campaign)
        if customer_ids is not None:
            audience = audience.filter(pk__in=list(customer_ids))
        known = None
        if occurrences is None:
            known = _insert_from_select(audience, campaign, run, occurrence)
        else:
            batch = [
                CampaignDelivery(
                    campaign=campaign,
                    run=run,
                    occurrence=occurrences.get(customer_id, occurrence),
                    customer_id=customer_id,
                    channel=campaign.channel,
                )
                for customer_id in audience.order_by("pk").values_list("pk", flat=True)
            ]
            CampaignDelivery.objects.bulk_create(batch, batch_size=5000, ignore_conflicts=True)
        if known is not None:  # a new run's rows: counted by the insert itself
            run.total, bounds = known[0], {"lo": known[1], "hi": known[2]}
        else:
            run.total = CampaignDelivery.objects.filter(run=run).count()
            bounds = CampaignDelivery.objects.filter(run=run, message__isnull=True).aggregate(
                lo=Min("pk"), hi=Max("pk")
            )
        run.save(update_fields=["total"])
        run_id = run.pk
        if bounds["lo"] is not None:
            if campaign.schedule == Schedule.ONCE:
                Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.SENDING)
            chunks = [
                (lo, min(lo + CHUNK - 1, bounds["hi"]))
                for lo in range(bounds["lo"], bounds["hi"] + 1, CHUNK)
            ]
            transaction.on_commit(lambda: enqueue_chunks(run_id, chunks))
        else:
            transaction.on_commit(lambda: run_finish(run_id=run_id))
    return run


def _insert_from_select(
    audience: Any, campaign: Campaign, run: CampaignRun, occurrence: str
) -> tuple[int, int | None, int | None] | None:
    """One INSERT … SELECT in the database: the audience never passes through Python, so memory
    does not grow with it; a second start adds nobody twice (ON CONFLICT DO NOTHING). The first
    start of an occurrence inserts without that clause (it costs a look-up in the once index per
    row); a start racing it fails on the once index and is done again with it. For a run that
    had no rows, PostgreSQL counts the new rows and their first and last id as it inserts them:
    (count, lowest id, highest id); None when they are to be read from the table."""
    from django.db import connection

    select, params = audience.order_by().values_list("pk").query.sql_with_params()
    table = CampaignDelivery._meta.db_table
    sql = (
        f"INSERT INTO {table} (campaign_id, run_id, occurrence, customer_id, channel) "  # noqa: S608
        f"SELECT %s, %s, %s, audience.pk, %s FROM ({select}) AS audience WHERE 1 = 1"
    )
    params = [campaign.pk, run.pk, occurrence, campaign.channel, *params]
    with connection.cursor() as cursor:
        if not CampaignDelivery.objects.filter(campaign=campaign, occurrence=occurrence).exists():
            empty_run = not CampaignDelivery.objects.filter(run=run).exists()
            counted = connection.vendor == "postgresql" and empty_run
            try:
                with transaction.atomic():
                    if counted:
                        cursor.execute(
                            f"WITH new AS ({sql} RETURNING id) "  # noqa: S608
                            "SELECT COUNT(*), MIN(id), MAX(id) FROM new",
                            params,
                        )
                        count, lo, hi = cursor.fetchone()
                        return count, lo, hi
                    cursor.execute(sql, params)
                return None
            except IntegrityError:  # another start of the same occurrence got there first
                pass
        cursor.execute(sql + " ON CONFLICT DO NOTHING", params)
    return None


def enqueue_chunks(run_id: int, chunks: list[tuple[int, int]]) -> None:
    """One sending task per chunk of deliveries: the workers share them out."""
    from rapport.outreach.tasks import send_chunk

    for lo, hi in chunks:
        send_chunk.enqueue(run_id, lo, hi)


def _throttle_pause(channel: str) -> float:
    rate = (
        settings.RAPPORT_OUTREACH_THROTTLE.get(channel)
        if settings.RAPPORT_OUTREACH_THROTTLE
        else None
    )
    return 1.0 / rate if rate else 0.0


def send_chunk(*, run_id: int, first_id: int, last_id: int) -> int:
    """Send the messages of the run's deliveries with ids first_id..last_id that have none yet
    (or whose message is still waiting to be sent), SEND_BATCH at a time: render them, write
    them through messages_send_now (the consent gate; each claimed by the key it writes, as
    "sending"), link them to their deliveries in the same transaction, deliver them over one
    connection and record the outcomes; a message written before and still queued is claimed
    and sent by messages_deliver. Safe to run twice at once or again after a crash: nothing is
    sent twice."""
    from rapport.communications.choices import MessageState

    run = CampaignRun.objects.select_related("campaign__coupon", "campaign__event").get(pk=run_id)
    campaign = run.campaign
    prefetch_related_objects([campaign], "messages")  # the texts once per chunk, not per message
    pause = _throttle_pause(campaign.channel)
    deliveries = list(
        CampaignDelivery.objects.filter(run_id=run_id, pk__gte=first_id, pk__lte=last_id)
        .filter(Q(message__isnull=True) | Q(message__state=MessageState.QUEUED))
        .select_related("customer")
        .order_by("pk")
    )
    sent = 0
    for i in range(0, len(deliveries), SEND_BATCH):
        sent += _send_batch(campaign, deliveries[i : i + SEND_BATCH], pause)
    if not CampaignDelivery.objects.filter(run_id=run_id, message__isnull=True).exists():
        run_finish(run_id=run_id)
    return sent


def _send_batch(campaign: Campaign, deliveries: list[CampaignDelivery], pause: float) -> int:
    from rapport.communications.services import NewMessage, messages_deliver, messages_send_now

    waiting = [d.message_id for d in deliveries if d.message_id is not None]
    by_channel: dict[str, list[tuple[CampaignDelivery, NewMessage]]] = {}
    for delivery in deliveries:
        if delivery.message_id is not None:  # written, not yet sent (a task died in between)
            continue
        if before_each_message is not None:
            before_each_message(delivery)
        url = unsubscribe_url(delivery.pk)
        rsvp = ""
        if campaign.event_id:
            invitation = invite(event_id=campaign.event_id, customer_id=delivery.customer_id)
            rsvp = rsvp_url(invitation.pk)
        language, subject, body = render_for(
            campaign, delivery.customer, unsubscribe_url=url, rsvp_url=rsvp
        )
        headers = {}
        if delivery.channel == CampaignChannel.EMAIL:
            headers = {
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            }
        by_channel.setdefault(delivery.channel, []).append(
            (
                delivery,
                NewMessage(
                    customer=delivery.customer,
                    subject=subject,
                    body=body,
                    idempotency_key=delivery.idempotency_key,
                    headers=headers,
                    language=language,
                ),
            )
        )
    if waiting:
        messages_deliver(message_ids=waiting, pause=pause)
    written = 0
    for channel, batch in by_channel.items():
        fresh = [d for d, _new in batch]

        def link(messages, fresh=fresh) -> None:
            # In the transaction that writes the messages. A racing worker links the same
            # message (one per key): writing it twice is harmless.
            update_rows(
                CampaignDelivery,
                ("message_id",),
                [(m.pk, d.pk) for d, m in zip(fresh, messages, strict=True)],
            )

        # Written (the consent gate; each claimed by its key), linked, sent and recorded.
        messages = messages_send_now(
            channel=channel,
            purpose="marketing",
            messages=[m for _d, m in batch],
            by=SystemActor("campaign"),
            source=("outreach.campaign", campaign.pk),
            pause=pause,
            written=link,
        )
        written += len(messages)
    return written


def run_finish(*, run_id: int) -> None:
    with transaction.atomic():
        updated = CampaignRun.objects.filter(pk=run_id, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
        run = CampaignRun.objects.select_related("campaign").get(pk=run_id)
        if run.campaign.schedule == Schedule.ONCE:
            # (also when a later start of a finished run only repaired what a crash left)
            Campaign.objects.filter(pk=run.campaign_id).update(state=CampaignState.SENT)
        if not updated:
            return
        emit(
            OutreachEvent,
            by=SystemActor("campaign"),
            type=OutreachEventType.CAMPAIGN_SENT,
            parameters={"campaign": run.campaign.name, "count": run.total},
            campaign=run.campaign,
        )


def run_progress(run: CampaignRun) -> dict[str, int]:
    from django.db.models import Count

    from rapport.communications.choices import MessageState

    counts = dict(
        CampaignDelivery.objects.filter(run=run)
        .values_list("message__state")
        .annotate(n=Count("pk"))
        .values_list("message__state", "n")
    )
    waiting = counts.pop(None, 0)
    done = sum(n for s, n in counts.items() if s != MessageState.QUEUED)
    return {
        "total": run.total,
        "done": done,
        "waiting": waiting + counts.get(MessageState.QUEUED, 0),
        **{str(k): v for k, v in counts.items()},
    }


def occurrences_due(campaign: Campaign, today: date) -> dict[int, str]:
    """Customer id -> occurrence for a triggered campaign on `today`."""
    from rapport.outreach.moments import birthday_q
    from rapport.sales.models import Order

    audience = audience_queryset(campaign)
    if campaign.schedule == Schedule.BEFORE_BIRTHDAY:
        day = today + timedelta(days=campaign.days)
        ids = audience.filter(birthday_q(day, day)).values_list("pk", flat=True)
        return {pk: f"birthday:{day.isoformat()}" for pk in ids}
    paid = Order.objects.exclude(status="cancelled")
    if campaign.schedule == Schedule.AFTER_FIRST_PURCHASE:
        day = today - timedelta(days=campaign.days)
        firsts = (
            paid.filter(customer__in=audience.values("pk"))
            .values("customer_id")
            .annotate(first=Min("ordered_at__date"))
            .filter(first=day)
            .values_list("customer_id", flat=True)
        )
        return dict.fromkeys(firsts, "first-purchase")
    if campaign.schedule == Schedule.NO_PURCHASE:
        day = today - timedelta(days=campaign.days)
        lasts = (
            paid.filter(customer__in=audience.values("pk"))
            .values("customer_id")
            .annotate(last=Max("ordered_at__date"))
            .filter(last=day)
            .values_list("customer_id", flat=True)
        )
        return {pk: f"quiet-since:{day.isoformat()}" for pk in lasts}
    return {}


STALE_RUN = timedelta(hours=1)


def run_resume(*, run_id: int) -> int:
    """Queue again the chunks of a run that still has messages not written or not handed over
    (a worker died with its task: the database queue leaves such a task "running" for ever).
    Safe while the first task still runs: each message is claimed by its key. Returns how many
    chunks were queued."""
    from rapport.communications.choices import MessageState

    waiting = CampaignDelivery.objects.filter(run_id=run_id).filter(
        Q(message__isnull=True) | Q(message__state=MessageState.QUEUED)
    )
    bounds = waiting.aggregate(lo=Min("pk"), hi=Max("pk"))
    if bounds["lo"] is None:
        transaction.on_commit(lambda: run_finish(run_id=run_id))
        return 0
    ids = list(waiting.order_by("pk").values_list("pk", flat=True))
    chunks = []
    for i in range(0, len(ids), CHUNK):
        part = ids[i : i + CHUNK]
        chunks.append((part[0], part[-1]))
    transaction.on_commit(lambda: enqueue_chunks(run_id, chunks))
    return len(chunks)


def run_due(*, by: Actor, today: date | None = None) -> list[CampaignRun]:
    """Start what is due: one-off campaigns whose time has come, and today's occurrences of the
    triggered ones (`rapport campaigns run-due`, and the scheduler every hour); and resume the
    runs left unfinished for over an hour (a worker that died)."""
    today = today or timezone.localdate()
    started = []
    now = timezone.now()
    stale_runs = CampaignRun.objects.filter(
        finished_at__isnull=True, started_at__lt=now - STALE_RUN
    ).exclude(campaign__state=CampaignState.PAUSED)
    for stale in stale_runs.values_list("pk", flat=True):
        run_resume(run_id=stale)
    once = Campaign.objects.filter(state=CampaignState.ACTIVE, schedule=Schedule.ONCE).filter(
        Q(send_at__isnull=True) | Q(send_at__lte=now)
    )
    for campaign in once:
        started.append(campaign_start(by=by, campaign_id=campaign.pk))
    for campaign in Campaign.objects.filter(state=CampaignState.ACTIVE).exclude(
        schedule=Schedule.ONCE
    ):
        if campaign.schedule == Schedule.CHURN_RISES:
            run = churn_rises_start(by=by, campaign_id=campaign.pk, today=today)
            if run is not None:
                started.append(run)
            continue
        due = occurrences_due(campaign, today)
        if due:
            started.append(
                campaign_start(
                    by=by,
                    campaign_id=campaign.pk,
                    occurrence=today.isoformat(),
                    customer_ids=due.keys(),
                    occurrences=due,
                )
            )
    return started


# "When the churn risk rises" --------------------------------------------------------------------

CHURN_RANK = {"": 0, "low": 1, "medium": 2, "high": 3}


def churn_rises(campaign: Campaign) -> tuple[dict[int, str], list[ChurnWatch]]:
    """The customers of the audience whose churn-risk band (the analytics refresh's) is higher
    than the band this campaign last saw for them and reaches its threshold -> their occurrence
    ("churn:<band>:<time of the scoring>", the same for every run that sees the same rise, so a
    rise is messaged once), and the watch rows to write (every band that changed, falls too: a
    customer who fell back and rises again is messaged again). A customer the campaign never saw
    counts as unscored: scored straight into the threshold's band is a rise."""
    threshold = CHURN_RANK[campaign.churn_threshold]
    seen = dict(
        ChurnWatch.objects.filter(campaign=campaign).values_list("customer_id", "band").iterator()
    )
    now = timezone.now()
    due: dict[int, str] = {}
    changed: list[ChurnWatch] = []
    rows = (
        audience_queryset(campaign)
        .order_by()
        .values_list("pk", "score__churn_risk_band", "score__computed_at")
    )
    for customer_id, band, computed_at in rows.iterator(chunk_size=5000):
        band = band or ""
        before = seen.get(customer_id, "")
        if band == before and customer_id in seen:
            continue
        rank = CHURN_RANK.get(band, 0)
        if rank > CHURN_RANK.get(before, 0) and rank >= threshold:
            scored = timezone.localtime(computed_at or now).strftime("%Y-%m-%dT%H:%M:%S")
            due[customer_id] = f"churn:{band}:{scored}"
        changed.append(
            ChurnWatch(campaign=campaign, customer_id=customer_id, band=band, seen_at=now)
        )
    return due, changed


def churn_rises_start(*, by: Actor, campaign_id: int, today: date) -> CampaignRun | None:
    """One run of a "when the churn risk rises" campaign: the first notes everybody's band and
    sends nothing; later ones message the customers whose band rose. The campaign row is locked
    while the bands are compared and noted (two schedulers at once: the second sees the first's
    notes; on SQLite, which does not lock rows, the occurrence key still sends each rise once)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        due, changed = churn_rises(campaign)
        first = campaign.watching_since is None
        run = None
        if due and not first:
            run = campaign_start(
                by=by,
                campaign_id=campaign.pk,
                occurrence=today.isoformat(),
                customer_ids=due.keys(),
                occurrences=due,
            )
        ChurnWatch.objects.bulk_create(
            changed,
            batch_size=5000,
            update_conflicts=True,
            unique_fields=["campaign", "customer"],
            update_fields=["band", "seen_at"],
        )
        if first:
            Campaign.objects.filter(pk=campaign.pk).update(watching_since=timezone.now())
    return run


# Unsubscribing ----------------------------------------------------------------------------------


class LinkInvalid(Exception):
    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state  # "unknown" or "used"


def unsubscribe_resolve(token: str) -> CampaignDelivery:
    try:
        delivery_id = signing.loads(token, salt="outreach.unsubscribe")
    except signing.BadSignature as exc:
        raise LinkInvalid("unknown") from exc
    delivery = (
        CampaignDelivery.objects.select_related("customer", "campaign")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        raise LinkInvalid("unknown")
    if Unsubscribe.objects.filter(delivery=delivery).exists():
        raise LinkInvalid("used")
    return delivery


def unsubscribe_use(token: str) -> CampaignDelivery:
    """Withdraw the consent of the customer the message went to, on its channel. Works once per
    message; the token names only that message, so it cannot unsubscribe anybody else."""
    from rapport.customers.choices import ConsentMethod
    from rapport.customers.services import consent_set

    delivery = unsubscribe_resolve(token)
    try:
        with transaction.atomic():
            Unsubscribe.objects.create(
                delivery=delivery, customer_id=delivery.customer_id, channel=delivery.channel
            )
            consent_set(
                customer=delivery.customer,
                channel=delivery.channel,
                granted=False,
                method=ConsentMethod.EMAIL
                if delivery.channel == "email"
                else ConsentMethod.WEB_FORM,
                by=UNSUBSCRIBE_LINK,
                note=_("One-click unsubscribe link of the campaign “%(name)s”.")
                % {"name": delivery.campaign.name},
            )
            emit(
                OutreachEvent,
                by=UNSUBSCRIBE_LINK,
                type=OutreachEventType.UNSUBSCRIBED,
                parameters={"channel": delivery.channel},
                customer_id=delivery.customer_id,
                campaign=delivery.campaign,
            )
    except IntegrityError as exc:
        raise LinkInvalid("used") from exc
    return delivery


def feedback(
    *, provider_id: str = "", kind: str, reason: str = "", message_id: int | None = None
) -> bool:
    """A provider's bounce, complaint or unsubscribe (the generic webhook, or django-anymail's
    tracking): recorded on the message (found by its provider id, or its own id); a complaint or
    an unsubscribe also withdraws the customer's consent on that channel, and an unsubscribe from
    a campaign message counts as that message's one-click unsubscribe (its link then says it was
    used). A provider repeating an event changes nothing more."""
    from rapport.communications.services import message_feedback
    from rapport.customers.choices import ConsentMethod
    from rapport.customers.services import consent_set

    state = {"bounce": "bounced", "complaint": "complained", "unsubscribe": ""}.get(kind)
    if state is None:
        raise ValidationError({"event": [_("Give “bounce”, “complaint” or “unsubscribe”.")]})
    if kind == "unsubscribe":
        reason = reason or "unsubscribed at the mail provider"
    message = message_feedback(
        provider_id=provider_id, message_id=message_id, state=state, reason=reason
    )
    if message is None:
        return False
    if kind == "bounce":
        return True
    provider = SystemActor("mail provider")
    with transaction.atomic():
        if kind == "unsubscribe":
            delivery = CampaignDelivery.objects.filter(message_id=message.pk).first()
            if delivery is not None and not Unsubscribe.objects.filter(delivery=delivery).exists():
                Unsubscribe.objects.create(
                    delivery=delivery, customer_id=delivery.customer_id, channel=delivery.channel
                )
        consent_set(
            customer=message.customer,
            channel=message.channel,
            granted=False,
            method=ConsentMethod.EMAIL,
            by=provider,
            note=_("Marked a campaign message as spam.")
            if kind == "complaint"
            else _("Unsubscribed through the mail provider."),
        )
    return True


def anymail_tracking(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's tracking signal (every provider's webhook, normalised): bounces (and
    messages the provider refused to send), complaints and unsubscribes, by the message id the
    sending stored (the provider's) or the message's own id sent along as metadata."""
    kind = {
        "bounced": "bounce",
        "rejected": "bounce",
        "complained": "complaint",
        "unsubscribed": "unsubscribe",
    }.get(event.event_type)
    if kind is None:
        return
    own = str((event.metadata or {}).get("rapport_message", ""))
    reason = " ".join(
        str(part)
        for part in (esp_name, event.reject_reason, event.description, event.mta_response)
        if part
    )
    feedback(
        provider_id=str(event.message_id or ""),
        message_id=int(own) if own.isdigit() else None,
        kind=kind,
        reason=reason[:300],
    )


# Coupons ----------------------------------------------------------------------------------------


def coupon_create(
    *,
    by: Actor,
    code: str,
    name: str,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    product_id: int | None = None,
    max_redemptions: int | None = None,
    once_per_customer: bool = True,
    is_trial: bool = False,
) -> Coupon:
    code = code.strip().upper()
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(r"[A-Z0-9-]{3,40}", code):
        errors["code"] = [_("Use 3 to 40 letters, digits or dashes.")]
    elif Coupon.objects.filter(code=code).exists():
        errors["code"] = [_("This code exists already.")]
    if (amount is None) == (percent is None) and not is_trial:
        errors["amount"] = [_("Give either an amount or a percentage.")]
    if percent is not None and not Decimal(0) < Decimal(percent) <= Decimal(100):
        errors["percent"] = [_("Give a percentage from 0 to 100.")]
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = [_("The end is before the start.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        coupon = Coupon.objects.create(
            code=code,
            name=name.strip()[:120] or code,
            amount=amount,
            percent=percent,
            valid_from=valid_from,
            valid_until=valid_until,
            product_id=product_id,
            max_redemptions=max_redemptions,
            once_per_customer=once_per_customer,
            is_trial=is_trial,
        )
        record_change(obj=coupon, action=ChangeAction.CREATE, by=by, changes={"code": [None, code]})
    return coupon


def coupon_redeem(*, by: Actor, code: str, order_id: int) -> CouponRedemption:
    """Redeem a code on an order (its customer's). Two redemptions at once of a single-use code:
    one succeeds, the other gets a field error (the limit is a conditional UPDATE, the once-per-
    customer rule a unique key)."""
    from rapport.sales.models import Order, OrderLine
    from rapport.sales.services import order_promotion_set

    clean = code.strip().upper()
    coupon = Coupon.objects.filter(code=clean).first()
    if coupon is None:
        raise ValidationError({"code": [_("There is no such coupon.")]})
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        raise ValidationError({"order_id": [_("There is no such order.")]})
    day = timezone.localdate(order.ordered_at)
    if (coupon.valid_from and day < coupon.valid_from) or (
        coupon.valid_until and day > coupon.valid_until
    ):
        raise ValidationError({"code": [_("The coupon is not valid on the order's date.")]})
    if (
        coupon.product_id
        and not OrderLine.objects.filter(order=order, product_id=coupon.product_id).exists()
    ):
        raise ValidationError(
            {"code": [_("The coupon is only for a product this order does not hold.")]}
        )
    campaign_id = (
        CampaignDelivery.objects.filter(customer_id=order.customer_id, campaign__coupon=coupon)
        .order_by("-pk")
        .values_list("campaign_id", flat=True)
        .first()
    )
    try:
        with transaction.atomic():
            limit = Q(pk=coupon.pk)
            if coupon.max_redemptions is not None:
                limit &= Q(redeemed__lt=coupon.max_redemptions)
            if not Coupon.objects.filter(limit).update(redeemed=F("redeemed") + 1):
                raise ValidationError({"code": [_("The coupon has been used up.")]})
            redemption = CouponRedemption.objects.create(
                coupon=coupon,
                customer_id=order.customer_id,
                order=order,
                campaign_id=campaign_id,
                once_key=f"{coupon.pk}:{order.customer_id}" if coupon.once_per_customer else None,
            )
            # The order names the code it used: the promotion analysis counts it.
            order_promotion_set(by=by, order_id=order.pk, code=coupon.code)
            emit(
                OutreachEvent,
                by=by,
                type=OutreachEventType.COUPON_REDEEMED,
                parameters={"code": coupon.code, "order": order.number},
                customer_id=order.customer_id,
                campaign_id=campaign_id,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"code": [_("This coupon was already used by this customer or on this order.")]}
        ) from exc
    return redemption


def redemption_rates() -> list[dict[str, Any]]:
    """Per campaign with a coupon: messages sent, coupons redeemed, the rate."""
    from django.db.models import Count

    rows = (
        Campaign.objects.filter(coupon__isnull=False)
        .annotate(
            sent=Count("deliveries", filter=Q(deliveries__message__state="sent"), distinct=True),
            redeemed_n=Count("redemptions", distinct=True),
        )
        .values("pk", "name", "sent", "redeemed_n")
    )
    return [{**r, "rate": (r["redeemed_n"] / r["sent"]) if r["sent"] else 0.0} for r in rows]


# Events ----------------------------------------------------------------------------------------


def event_create(
    *, by: Actor, name: str, kind: str, starts_at: Any, place: str = "", description: str = ""
) -> CompanyEvent:
    from rapport.outreach.choices import EventKind

    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Give the event a name.")]
    if kind not in EventKind.values:
        errors["kind"] = [_("“%(value)s” is not one of the choices.") % {"value": kind}]
    if starts_at is None:
        errors["starts_at"] = [_("Say when the event starts.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        event = CompanyEvent.objects.create(
            name=name.strip()[:150],
            kind=kind,
            starts_at=starts_at,
            place=place,
            description=description,
        )
        record_change(
            obj=event, action=ChangeAction.CREATE, by=by, changes={"name": [None, event.name]}
        )
    return event


def invite(*, event_id: int, customer_id: int, by: Actor | None = None) -> Invitation:
    """The customer's invitation to the event (made once; on their timeline)."""
    found = Invitation.objects.filter(event_id=event_id, customer_id=customer_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(event_id=event_id, customer_id=customer_id)
            emit(
                OutreachEvent,
                by=by or SystemActor("campaign"),
                type=OutreachEventType.INVITED,
                parameters={"event": invitation.event.name},
                customer_id=customer_id,
            )
    except IntegrityError:
        return Invitation.objects.get(event_id=event_id, customer_id=customer_id)
    return invitation


def rsvp_token(invitation_id: int) -> str:
    return signing.dumps(invitation_id, salt="outreach.rsvp", compress=True)


def rsvp_url(invitation_id: int) -> str:
    return settings.RAPPORT_PUBLIC_URL + reverse(
        "outreach_public:rsvp", args=[rsvp_token(invitation_id)]
    )


def rsvp_resolve(token: str) -> Invitation:
    try:
        invitation_id = signing.loads(token, salt="outreach.rsvp")
    except signing.BadSignature as exc:
        raise LinkInvalid("unknown") from exc
    invitation = (
        Invitation.objects.select_related("event", "customer").filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise LinkInvalid("unknown")
    return invitation


def rsvp_answer(token: str, answer: str) -> Invitation:
    """The customer's answer through their link; the link works once (a second answer is
    refused: the customer calls to change it)."""
    from rapport.outreach.choices import Rsvp

    if answer not in (Rsvp.YES, Rsvp.NO):
        raise ValidationError({"answer": [_("Answer yes or no.")]})
    invitation = rsvp_resolve(token)
    with transaction.atomic():
        if not Invitation.objects.filter(pk=invitation.pk, rsvp=Rsvp.PENDING).update(
            rsvp=answer, responded_at=timezone.now()
        ):
            raise LinkInvalid("used")
        emit(
            OutreachEvent,
            by=SystemActor("RSVP link"),
            type=OutreachEventType.RSVP,
            parameters={"event": invitation.event.name, "answer": str(Rsvp(answer).label)},
            customer_id=invitation.customer_id,
        )
    invitation.refresh_from_db()
    return invitation


def invitation_record(
    *, by: Actor, event_id: int, customer_id: int, rsvp: str = "", attended: bool | None = None
) -> tuple[bool, bool]:
    """An invitation as staff know it (an imported attendance list, say): the customer invited if
    they were not, their answer and whether they came, each change on their timeline. Returns
    (invitation created, answer or attendance changed)."""
    from rapport.outreach.choices import Rsvp

    if rsvp and rsvp not in Rsvp.values:
        raise ValidationError(
            {"rsvp": [_("“%(value)s” is not one of the choices.") % {"value": rsvp}]}
        )
    with transaction.atomic():
        created = not Invitation.objects.filter(event_id=event_id, customer_id=customer_id).exists()
        invitation = invite(event_id=event_id, customer_id=customer_id, by=by)
        event_name = invitation.event.name
        changed = False
        if rsvp and rsvp != invitation.rsvp:
            Invitation.objects.filter(pk=invitation.pk).update(
                rsvp=rsvp, responded_at=timezone.now() if rsvp != Rsvp.PENDING else None
            )
            emit(
                OutreachEvent,
                by=by,
                type=OutreachEventType.RSVP,
                parameters={"event": event_name, "answer": str(Rsvp(rsvp).label)},
                customer_id=customer_id,
            )
            changed = True
        if attended is not None and attended != invitation.attended:
            Invitation.objects.filter(pk=invitation.pk).update(attended=attended)
            if attended:
                emit(
                    OutreachEvent,
                    by=by,
                    type=OutreachEventType.ATTENDED,
                    parameters={"event": event_name},
                    customer_id=customer_id,
                )
            changed = True
    return created, changed


def attendance_record(*, by: Actor, event_id: int, customer_ids: Iterable[int]) -> int:
    """Mark who came (invited or walked in): on each customer's timeline."""
    event = CompanyEvent.objects.get(pk=event_id)
    n = 0
    with transaction.atomic():
        for customer_id in customer_ids:
            invitation = invite(event_id=event_id, customer_id=customer_id, by=by)
            if Invitation.objects.filter(pk=invitation.pk, attended=False).update(attended=True):
                emit(
                    OutreachEvent,
                    by=by,
                    type=OutreachEventType.ATTENDED,
                    parameters={"event": event.name},
                    customer_id=customer_id,
                )
                n += 1
    return n

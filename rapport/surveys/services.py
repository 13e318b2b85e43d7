"""Every write of surveys: building them, asking customers (through message_send, so consent and
idempotency are checked in one place), taking their answers, and closing the loop."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from rapport.core.actors import Actor
from rapport.core.choices import ChangeAction
from rapport.core.events import emit
from rapport.core.exceptions import ValidationError
from rapport.core.services import record_change, snapshot, versioned_update
from rapport.core.worktime import WorkCalendar, WorkClock
from rapport.sales.selectors import require_product
from rapport.surveys.choices import (
    Attribute,
    FollowUpState,
    IdeaStatus,
    InvitationState,
    Measure,
    QuestionKind,
    Theme,
    Trigger,
)
from rapport.surveys.models import (
    Answer,
    FollowUp,
    Invitation,
    ProductIdea,
    Question,
    Response,
    Suggestion,
    Survey,
    SurveyEvent,
)
from rapport.surveys.scoring import gap_and_label, is_dissatisfied_scale
from rapport.surveys.summary import summary_add

LINK_PURPOSE = "survey"


def _check_choice(value: str, choices: Any, field: str) -> None:
    if value not in choices.values:
        raise ValidationError(
            {field: [_("“%(value)s” is not one of the choices.") % {"value": value}]}
        )


def _texts(value: Any, field: str, *, required: bool = True) -> dict[str, str]:
    """A text per language: a plain string counts as English."""
    if isinstance(value, str):
        value = {"en": value}
    texts = {str(k).lower(): str(v).strip() for k, v in (value or {}).items() if str(v).strip()}
    if required and not texts:
        raise ValidationError({field: [_("Write the text in at least one language.")]})
    return texts


# Building ------------------------------------------------------------------------------------


@transaction.atomic
def survey_create(
    *,
    by: Actor,
    name: str,
    title: Any = None,
    intro: Any = None,
    trigger: str = Trigger.MANUAL,
    audience: dict[str, Any] | None = None,
    channel: str = "email",
    allow_changes: bool = False,
    reminder_after_days: int = 3,
    valid_days: int = 30,
    department_id: int | None = None,
    follow_up_hours: int = 8,
    questions: list[dict[str, Any]] | None = None,
) -> Survey:
    from rapport.customers.choices import Channel

    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the survey a name.")]})
    _check_choice(trigger, Trigger, "trigger")
    _check_choice(channel, Channel, "channel")
    if not 1 <= int(valid_days) <= 365:
        raise ValidationError({"valid_days": [_("Between 1 and 365 days.")]})
    survey = Survey.objects.create(
        name=name[:200],
        title=_texts(title, "title", required=False),
        intro=_texts(intro, "intro", required=False),
        trigger=trigger,
        audience=dict(audience or {}),
        channel=channel,
        allow_changes=bool(allow_changes),
        reminder_after_days=int(reminder_after_days),
        valid_days=int(valid_days),
        department_id=department_id,
        follow_up_hours=max(1, int(follow_up_hours)),
    )
    record_change(obj=survey, action=ChangeAction.CREATE, by=by, changes={"name": [None, name]})
    for spec in questions or []:
        question_add(by=by, survey_id=survey.pk, **spec)
    return survey


@transaction.atomic
def survey_update(
    *, by: Actor, survey_id: int, expected_version: int | None, **fields: Any
) -> Survey:
    allowed = {
        "name",
        "trigger",
        "active",
        "allow_changes",
        "reminder_after_days",
        "valid_days",
        "follow_up_hours",
        "audience",
        "department_id",
        "title",
        "intro",
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: [_("This field cannot be changed.")]})
    if "trigger" in fields:
        _check_choice(fields["trigger"], Trigger, "trigger")
    for key in ("title", "intro"):
        if key in fields:
            fields[key] = _texts(fields[key], key, required=False)

    def apply(survey: Survey) -> None:
        for key, value in fields.items():
            setattr(survey, key, value)

    survey, _changes = versioned_update(
        model=Survey, pk=survey_id, by=by, expected_version=expected_version, apply=apply
    )
    return survey


@transaction.atomic
def question_add(
    *,
    by: Actor,
    survey_id: int,
    kind: str,
    text: Any,
    attribute: str = "",
    measure: str = "",
    options: list[Any] | None = None,
    scale_max: int = 7,
    required: bool = True,
    position: int | None = None,
) -> Question:
    _check_choice(kind, QuestionKind, "kind")
    _check_choice(measure or "", Measure, "measure")
    texts = _texts(text, "text")
    attribute = (attribute or "").strip().lower()[:40]
    if kind == QuestionKind.PAIRED:
        if not attribute:
            raise ValidationError(
                {"attribute": [_("Say which attribute the customer compares (quality, price…).")]}
            )
        if scale_max not in (5, 7):
            raise ValidationError({"scale_max": [_("Use a scale of 1–5 or 1–7.")]})
    if measure and kind not in (QuestionKind.SCALE_5, QuestionKind.SCALE_7):
        raise ValidationError({"measure": [_("Only a 1–5 or 1–7 scale measures this.")]})
    cleaned_options: list[Any] = []
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        cleaned_options = [_texts(o, "options") for o in options or []]
        if len(cleaned_options) < 2:
            raise ValidationError({"options": [_("Give at least two options.")]})
    if position is None:
        position = Question.objects.filter(survey_id=survey_id).count() + 1
    question = Question.objects.create(
        survey_id=survey_id,
        position=position,
        kind=kind,
        text=texts,
        attribute=attribute,
        measure=measure or "",
        options=cleaned_options,
        scale_max=scale_max if kind == QuestionKind.PAIRED else 7,
        required=bool(required),
    )
    record_change(obj=question, action=ChangeAction.CREATE, by=by, changes={"kind": [None, kind]})
    return question


@transaction.atomic
def question_remove(*, by: Actor, question_id: int) -> None:
    question = Question.objects.select_for_update().get(pk=question_id)
    if Answer.objects.filter(question_id=question_id).exists():
        raise ValidationError({"question": [_("Customers have answered this question; it stays.")]})
    record_change(obj=question, action=ChangeAction.DELETE, by=by, changes={})
    question.delete()


# Asking customers ----------------------------------------------------------------------------


def _customer_language(customer: Any) -> str:
    codes = {code for code, _label in settings.LANGUAGES}
    language = (customer.preferred_language or "").lower()
    return language if language in codes else settings.LANGUAGE_CODE


def _message(survey: Survey, url: str, language: str, *, reminder: bool) -> tuple[str, str]:
    with translation.override(language):
        title = survey.title_in(language)
        if reminder:
            subject = _("A reminder: %(title)s") % {"title": title}
            body = _(
                "A few days ago we asked for your opinion. If you have a minute, please answer "
                "here (this is the only reminder):\n\n%(url)s\n"
            ) % {"url": url}
        else:
            subject = title
            intro = survey.intro_in(language)
            body = _(
                "%(intro)s\n\nPlease tell us what you expected and what you got. It takes "
                "two minutes:\n\n%(url)s\n\nThe link is for you only and can be used once."
            ) % {"intro": intro or _("Thank you for your purchase."), "url": url}
    return subject, body


def _issue_link(invitation: Invitation, by: Actor) -> str:
    from rapport.portal.services import link_issue, link_url, links_revoke_for

    links_revoke_for(target=("surveys.invitation", invitation.pk), by=by)
    link, raw = link_issue(
        customer_id=invitation.customer_id,
        purpose=LINK_PURPOSE,
        by=by,
        target=("surveys.invitation", invitation.pk),
        lifetime=timedelta(days=invitation.survey.valid_days),
        single_use=not invitation.survey.allow_changes,
    )
    invitation.link_id = link.pk
    return link_url(raw)


@transaction.atomic
def invite(
    *,
    by: Actor,
    survey: Survey,
    customer_id: int,
    source: tuple[str, int] | None = None,
    product_id: int | None = None,
    department_id: int | None = None,
) -> Invitation:
    """Ask one customer once (per survey and source): a second call returns the first invitation
    and sends nothing. A customer who has not consented to the survey's channel is not asked: the
    invitation is kept as "not asked" with the reason."""
    from rapport.communications.services import message_send
    from rapport.customers.models import Customer

    key = f"{survey.pk}:{source[0] if source else ''}:{source[1] if source else ''}:{customer_id}"
    existing = Invitation.objects.filter(key=key).first()
    if existing is not None:
        return existing
    customer = Customer.objects.get(pk=customer_id)
    language = _customer_language(customer)
    invitation = Invitation.objects.create(
        survey=survey,
        customer=customer,
        key=key,
        source_type=source[0] if source else "",
        source_id=source[1] if source else None,
        product_id=product_id,
        department_id=department_id or survey.department_id,
        language=language,
        state=InvitationState.SENT,
    )
    url = _issue_link(invitation, by)
    subject, body = _message(survey, url, language, reminder=False)
    message = message_send(
        customer_id=customer_id,
        channel=survey.channel,
        purpose="survey",
        subject=subject,
        body=body,
        idempotency_key=f"survey-invitation-{invitation.pk}",
        by=by,
        language=language,
        source=("surveys.invitation", invitation.pk),
    )
    if message.state == "suppressed":
        from rapport.portal.services import links_revoke_for

        links_revoke_for(target=("surveys.invitation", invitation.pk), by=by)
        invitation.state, invitation.reason = InvitationState.NOT_ASKED, message.reason[:300]
        emit(
            SurveyEvent,
            by=by,
            type="not_asked",
            customer_id=customer_id,
            survey=survey,
            parameters={"survey": survey.name, "reason": message.reason},
        )
    else:
        emit(
            SurveyEvent,
            by=by,
            type="invited",
            customer_id=customer_id,
            survey=survey,
            parameters={"survey": survey.name},
        )
    invitation.save(update_fields=["state", "reason", "link_id"])
    return invitation


def survey_trigger(
    *,
    by: Actor,
    trigger: str,
    customer_id: int,
    source: tuple[str, int],
    product_id: int | None = None,
    department_id: int | None = None,
) -> list[Invitation]:
    """Something happened to a customer (an order delivered, a service visit done, a complaint
    closed): ask them every active survey with that trigger. Other apps call this through the
    event subscriptions made in apps.py; it is safe to call twice."""
    _check_choice(trigger, Trigger, "trigger")
    return [
        invite(
            by=by,
            survey=survey,
            customer_id=customer_id,
            source=source,
            product_id=product_id,
            department_id=department_id,
        )
        # The complaint's satisfaction check is asked by the complaint's own mail (checks.py).
        for survey in Survey.objects.filter(active=True, trigger=trigger, code="").order_by("pk")
    ]


def check_invitation(*, customer_id: int, complaint_id: int, link_id: int) -> Invitation:
    """The invitation behind a complaint's satisfaction-check link (one per link: a complaint
    reopened and resolved again is asked again), made when the link is first opened."""
    from rapport.surveys.checks import SOURCE_TYPE, ensure_check_survey

    survey = ensure_check_survey()
    key = f"{survey.pk}:{SOURCE_TYPE}:{complaint_id}:{customer_id}:link{link_id}"
    existing = Invitation.objects.filter(key=key).select_related("survey", "customer").first()
    if existing is not None:
        return existing
    from rapport.customers.models import Customer

    customer = Customer.objects.get(pk=customer_id)
    invitation, _created = Invitation.objects.get_or_create(
        key=key,
        defaults={
            "survey": survey,
            "customer": customer,
            "source_type": SOURCE_TYPE,
            "source_id": complaint_id,
            "language": _customer_language(customer),
            "state": InvitationState.SENT,
            "link_id": link_id,
        },
    )
    return Invitation.objects.select_related("survey", "customer").get(pk=invitation.pk)


def invite_delivered_orders(*, by: Actor, since: datetime | None = None) -> int:
    """Ask about every order delivered (changed to "delivered") since `since` (default: the last
    14 days) that was not asked about yet. Run by the scheduler; safe to run again."""
    from rapport.sales.models import Order, OrderLine

    surveys = list(Survey.objects.filter(active=True, trigger=Trigger.ORDER_DELIVERED))
    if not surveys:
        return 0
    since = since or timezone.now() - timedelta(days=14)
    orders = Order.objects.filter(status="delivered", updated_at__gte=since).values_list(
        "pk", "customer_id"
    )
    asked = set(
        Invitation.objects.filter(
            source_type="sales.order", source_id__in=[o for o, _c in orders]
        ).values_list("survey_id", "source_id")
    )
    count = 0
    for order_id, customer_id in orders.iterator(chunk_size=2000):
        missing = [s for s in surveys if (s.pk, order_id) not in asked]
        if not missing:
            continue
        product_id = (
            OrderLine.objects.filter(order_id=order_id)
            .order_by("-line_total", "pk")
            .values_list("product_id", flat=True)
            .first()
        )
        for survey in missing:
            invite(
                by=by,
                survey=survey,
                customer_id=customer_id,
                source=("sales.order", order_id),
                product_id=product_id,
            )
            count += 1
    return count


def survey_send_to_audience(*, by: Actor, survey_id: int) -> int:
    """Ask every customer matching the survey's saved customer filters (once each)."""
    from rapport.customers.selectors import customer_queryset

    survey = Survey.objects.get(pk=survey_id)
    if not survey.active:
        raise ValidationError({"active": [_("The survey is not active.")]})
    ids = customer_queryset(filters=survey.audience).order_by("pk").values_list("pk", flat=True)
    count = 0
    for customer_id in ids.iterator(chunk_size=2000):
        invite(by=by, survey=survey, customer_id=customer_id)
        count += 1
    return count


def reminders_send(*, by: Actor, now: datetime | None = None) -> int:
    """Remind, once, the customers who have not answered after the survey's reminder days."""
    from rapport.communications.services import message_send

    now = now or timezone.now()
    due = (
        Invitation.objects.filter(
            state=InvitationState.SENT,
            reminded_at__isnull=True,
            survey__reminder_after_days__gt=0,
            survey__active=True,
        )
        .select_related("survey")
        .order_by("pk")
    )
    count = 0
    for invitation in due.iterator(chunk_size=500):
        if invitation.created_at + timedelta(days=invitation.survey.reminder_after_days) > now:
            continue
        with transaction.atomic():
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            if locked.reminded_at is not None or locked.state != InvitationState.SENT:
                continue
            locked.survey = invitation.survey
            url = _issue_link(locked, by)
            subject, body = _message(locked.survey, url, locked.language, reminder=True)
            message = message_send(
                customer_id=locked.customer_id,
                channel=locked.survey.channel,
                purpose="survey",
                subject=subject,
                body=body,
                idempotency_key=f"survey-reminder-{locked.pk}",
                by=by,
                language=locked.language,
                source=("surveys.invitation", locked.pk),
            )
            locked.reminded_at = now
            if message.state == "suppressed":
                _withdraw(locked, message.reason, by)
            else:
                emit(
                    SurveyEvent,
                    by=by,
                    type="reminded",
                    customer_id=locked.customer_id,
                    survey=locked.survey,
                    parameters={"survey": locked.survey.name},
                )
            locked.save(update_fields=["reminded_at", "state", "reason", "link_id"])
            count += 1
    return count


def _withdraw(invitation: Invitation, reason: str, by: Actor) -> None:
    from rapport.portal.services import links_revoke_for

    links_revoke_for(target=("surveys.invitation", invitation.pk), by=by)
    invitation.state, invitation.reason = InvitationState.WITHDRAWN, reason[:300]


def surveys_withdraw_for(*, by: Actor, customer_id: int, channel: str) -> int:
    """A consent withdrawn: every open survey the customer was asked on that channel closes at
    once (its link revoked). Called after the consent change commits (apps.py subscribes)."""
    count = 0
    open_ones = Invitation.objects.filter(
        customer_id=customer_id, survey__channel=channel, state=InvitationState.SENT
    ).values_list("pk", flat=True)
    for pk in open_ones:
        if not still_open(invitation_id=pk, by=by):
            count += 1
    return count


def may_still_answer(invitation: Invitation) -> bool:
    """Consent withdrawn since the invitation stops the survey."""
    from rapport.customers.selectors import contact_permission
    from rapport.surveys.checks import CHECK_CODE

    # A complaint's satisfaction check is part of handling the complaint (its mail is a service
    # message), not a marketing survey.
    purpose = "service" if invitation.survey.code == CHECK_CODE else "survey"
    verdict = contact_permission(
        invitation.customer, channel=invitation.survey.channel, purpose=purpose
    )
    return verdict.allowed


def still_open(*, invitation_id: int, by: Actor) -> bool:
    """Whether the customer may still answer; a consent withdrawn since the invitation closes
    it for good (recorded, the link revoked)."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("survey", "customer")
            .get(pk=invitation_id)
        )
        if invitation.state in (InvitationState.NOT_ASKED, InvitationState.WITHDRAWN):
            return False
        if may_still_answer(invitation):
            return True
        _withdraw(invitation, _("Consent withdrawn."), by)
        invitation.save(update_fields=["state", "reason"])
        return False


# Answering -----------------------------------------------------------------------------------


def _clean_answer(question: Question, raw: dict[str, Any]) -> dict[str, Any] | None:
    """One question's answer from the form or the API, checked; None when left out."""
    kind = question.kind
    error = {f"q{question.pk}": [_("Choose one of the offered answers.")]}

    def number(value: Any) -> int | None:
        if value in (None, ""):
            return None
        try:
            n = int(value)
        except (TypeError, ValueError):
            raise ValidationError(error) from None
        if n not in question.scale_range:
            raise ValidationError(error)
        return n

    if kind == QuestionKind.PAIRED:
        expectation, experience = number(raw.get("expectation")), number(raw.get("experience"))
        if expectation is None and experience is None:
            return None
        if expectation is None or experience is None:
            raise ValidationError(
                {f"q{question.pk}": [_("Give both what you expected and what you got.")]}
            )
        gap, label = gap_and_label(expectation, experience)
        return {"expectation": expectation, "experience": experience, "gap": gap, "label": label}
    if kind in (QuestionKind.SCALE_5, QuestionKind.SCALE_7, QuestionKind.NPS):
        value = number(raw.get("value"))
        return None if value is None else {"value": value}
    if kind == QuestionKind.SINGLE:
        if raw.get("value") in (None, ""):
            return None
        try:
            index = int(raw["value"])
        except (TypeError, ValueError):
            raise ValidationError(error) from None
        if not 0 <= index < len(question.options):
            raise ValidationError(error)
        return {"value": index}
    if kind == QuestionKind.MULTIPLE:
        try:
            picked = sorted({int(v) for v in raw.get("choices") or []})
        except (TypeError, ValueError):
            raise ValidationError(error) from None
        if any(not 0 <= i < len(question.options) for i in picked):
            raise ValidationError(error)
        return {"choices": picked} if picked else None
    text = str(raw.get("text") or "").strip()[:4000]
    return {"text": text} if text else None


def response_submit(
    *,
    invitation_id: int,
    answers: dict[int, dict[str, Any]],
    language: str = "",
    by: Actor,
    wants_complaint: bool = False,
) -> Response:
    """Store a customer's answers, one row per question. A submitted response cannot be changed
    unless the survey allows it. A dissatisfied answer opens a follow-up task; free text becomes
    a suggestion routed by theme."""
    if not still_open(invitation_id=invitation_id, by=by):
        raise ValidationError({"invitation": [_("This survey is closed for you.")]})
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("survey", "customer")
            .get(pk=invitation_id)
        )
        survey = invitation.survey
        existing = Response.objects.filter(invitation=invitation).first()
        if existing is not None and not survey.allow_changes:
            raise ValidationError(
                {"invitation": [_("You have answered already; the answers cannot be changed.")]}
            )
        questions = list(survey.questions.all())
        cleaned: list[tuple[Question, dict[str, Any]]] = []
        errors: dict[str, list[str]] = {}
        for question in questions:
            try:
                value = _clean_answer(question, answers.get(question.pk, {}))
            except ValidationError as exc:
                errors.update(exc.message_dict)
                continue
            if value is None:
                if question.required:
                    errors[f"q{question.pk}"] = [_("Please answer this question.")]
                continue
            cleaned.append((question, value))
        if errors:
            raise ValidationError(errors)
        now = timezone.now()
        if existing is None:
            response = Response.objects.create(
                invitation=invitation, submitted_at=now, language=language[:10]
            )
        else:
            response = existing
            response.changed_at, response.language = now, language[:10] or response.language
            response.save(update_fields=["changed_at", "language"])
            Suggestion.objects.filter(answer__response=response).delete()
            response.answers.all().delete()
        rows = Answer.objects.bulk_create(
            [
                Answer(
                    response=response,
                    question=q,
                    survey=survey,
                    customer_id=invitation.customer_id,
                    product_id=invitation.product_id,
                    department_id=invitation.department_id,
                    kind=q.kind,
                    measure=q.measure,
                    attribute=q.attribute,
                    answered_at=now,
                    month=timezone.localdate(now).replace(day=1),
                    **value,
                )
                for q, value in cleaned
            ]
        )
        summary_add(rows)
        invitation.state, invitation.answered_at = InvitationState.ANSWERED, now
        invitation.save(update_fields=["state", "answered_at"])
        emit(
            SurveyEvent,
            by=by,
            type="answered" if existing is None else "changed",
            customer_id=invitation.customer_id,
            survey=survey,
            parameters={"survey": survey.name},
        )
        if survey.code:
            from rapport.core.registry import satisfaction_check_answered
            from rapport.surveys.checks import check_answers

            satisfaction_check_answered(check_answers(invitation, rows), by=by)
            wants_complaint = False  # the complaint is reopened by its own app when not solved
        _route_suggestions(invitation, rows)
        follow_up = _open_follow_up(invitation, rows, by, wants_complaint=wants_complaint)
        if wants_complaint and follow_up is not None:
            complaint_request(by=by, invitation_id=invitation.pk)
    return response


THEME_BY_ATTRIBUTE = {
    Attribute.QUALITY: Theme.PRODUCT,
    Attribute.PRICE: Theme.PRICE,
    Attribute.DELIVERY: Theme.DELIVERY,
    Attribute.STAFF: Theme.STAFF,
    Attribute.AFTER_SALES: Theme.SERVICE,
}


def _route_suggestions(invitation: Invitation, rows: list[Answer]) -> None:
    from rapport.staff.models import Department

    texts = [a for a in rows if a.kind == QuestionKind.TEXT and a.text]
    if not texts:
        return
    departments = {d.code: d.pk for d in Department.objects.only("pk", "code")}
    for answer in texts:
        theme = THEME_BY_ATTRIBUTE.get(answer.attribute, "")  # type: ignore[call-overload]
        if not theme:
            theme = answer.attribute if answer.attribute in Theme.values else Theme.OTHER
        Suggestion.objects.create(
            customer_id=invitation.customer_id,
            answer=answer,
            text=answer.text,
            theme=theme,
            department_id=departments.get(ROUTES.get(theme, "")) or invitation.department_id,
        )


# Which department a theme goes to (the departments' codes, rapport/staff).
ROUTES = {
    Theme.PRODUCT: "quality",
    Theme.DELIVERY: "logistics",
    Theme.PRICE: "sales",
    Theme.SERVICE: "customer_service",
    Theme.STAFF: "customer_service",
    Theme.WEBSITE: "sales",
}


@lru_cache(maxsize=1)
def _standard_clock() -> WorkClock:
    return WorkClock(WorkCalendar.standard())


def follow_up_clock(department_id: int | None) -> WorkClock:
    """The working-time clock complaints use too (rapport.staff.selectors.department_clock: the
    department's hours, time zone and public holidays): the follow-up's department's, customer
    service's when the survey names none, the standard week if even that is gone."""
    from rapport.staff.models import Department
    from rapport.staff.selectors import department_clock

    departments = Department.objects.filter(active=True)
    department = departments.filter(pk=department_id).first() if department_id else None
    department = department or departments.filter(code="customer_service").first()
    return department_clock(department) if department else _standard_clock()


def _open_follow_up(
    invitation: Invitation, rows: list[Answer], by: Actor, *, wants_complaint: bool = False
) -> FollowUp | None:
    reasons = [
        a.attribute
        for a in rows
        if a.kind == QuestionKind.PAIRED and a.gap is not None and a.gap < 0
    ]
    if any(
        a.measure == Measure.CSAT and a.value is not None and is_dissatisfied_scale(a.kind, a.value)
        for a in rows
    ):
        reasons.insert(0, "csat")
    if wants_complaint:
        reasons.insert(0, "complaint")
    if not reasons:
        return None
    open_one = FollowUp.objects.filter(invitation=invitation, state=FollowUpState.OPEN).first()
    if open_one is not None:
        return open_one
    survey = invitation.survey
    department_id = invitation.department_id or survey.department_id
    now = timezone.now()
    due = follow_up_clock(department_id).deadline(now, timedelta(hours=survey.follow_up_hours))
    first = next(
        (a for a in rows if a.kind == QuestionKind.PAIRED and a.gap is not None and a.gap < 0),
        rows[0] if rows else None,
    )
    follow_up = FollowUp.objects.create(
        customer_id=invitation.customer_id,
        invitation=invitation,
        answer=first,
        department_id=department_id,
        reason=",".join(dict.fromkeys(reasons))[:300],
        due_at=due,
    )
    record_change(
        obj=follow_up,
        action=ChangeAction.CREATE,
        by=by,
        customer_id=invitation.customer_id,
        changes={"reason": [None, follow_up.reason], "due_at": [None, due.isoformat()]},
    )
    emit(
        SurveyEvent,
        by=by,
        type="follow_up",
        customer_id=invitation.customer_id,
        survey=survey,
        parameters={"due": due.strftime("%Y-%m-%d %H:%M")},
    )
    return follow_up


@transaction.atomic
def follow_up_close(
    *, by: Actor, follow_up_id: int, note: str, expected_version: int | None = None
) -> FollowUp:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Write what you did and what the customer said.")]})

    def apply(follow_up: FollowUp) -> None:
        if follow_up.state == FollowUpState.DONE:
            raise ValidationError({"state": [_("This follow-up is done already.")]})
        follow_up.state, follow_up.note, follow_up.closed_at = (
            FollowUpState.DONE,
            note,
            timezone.now(),
        )

    follow_up, _changes = versioned_update(
        model=FollowUp,
        pk=follow_up_id,
        by=by,
        expected_version=expected_version,
        apply=apply,
        customer_id=lambda f: f.customer_id,
    )
    emit(
        SurveyEvent,
        by=by,
        type="follow_up_done",
        customer_id=follow_up.customer_id,
        survey_id=follow_up.invitation.survey_id,
        parameters={"note": note[:200]},
    )
    return follow_up


@transaction.atomic
def follow_up_assign(*, by: Actor, follow_up_id: int, user_id: int | None) -> FollowUp:
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up_id)
    before = snapshot(follow_up, fields=["assigned_to_id"])
    follow_up.assigned_to_id = user_id
    follow_up.version += 1
    follow_up.save(update_fields=["assigned_to", "version", "updated_at"])
    record_change(
        obj=follow_up,
        action=ChangeAction.UPDATE,
        by=by,
        customer_id=follow_up.customer_id,
        changes={"assigned_to_id": [before["assigned_to_id"], user_id]},
    )
    return follow_up


@transaction.atomic
def complaint_request(*, by: Actor, invitation_id: int) -> FollowUp | None:
    """The customer asks for their dissatisfied answer to become a complaint. The event
    "complaint_requested" is the seam the complaints app subscribes to (rapport/surveys/apps.py
    documents it); until then the agent sees the request on the follow-up."""
    follow_up = (
        FollowUp.objects.select_for_update()
        .filter(invitation_id=invitation_id)
        .order_by("-pk")
        .first()
    )
    if follow_up is None or follow_up.complaint_requested:
        return follow_up
    follow_up.complaint_requested = True
    follow_up.save(update_fields=["complaint_requested", "updated_at"])
    emit(
        SurveyEvent,
        by=by,
        type="complaint_requested",
        customer_id=follow_up.customer_id,
        survey_id=follow_up.invitation.survey_id,
        parameters={
            "follow_up": follow_up.pk,
            "invitation": invitation_id,
            **_complaint_details(follow_up),
        },
    )
    return follow_up


# The complaint category a dissatisfied attribute points at (the complaints app's categories).
COMPLAINT_CATEGORY = {
    Attribute.QUALITY: "product_quality",
    Attribute.PRICE: "sales_contract",
    Attribute.DELIVERY: "transport",
}


def _complaint_details(follow_up: FollowUp) -> dict[str, Any]:
    """What the complaints app records the complaint with (rapport/complaints/seams.py):
    the category, the product, and a description quoting the answers."""
    invitation = follow_up.invitation
    survey = invitation.survey
    answers = list(
        Answer.objects.filter(response__invitation=invitation)
        .select_related("question")
        .order_by("question__position", "pk")
    )
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        lines = [
            _("From the survey “%(survey)s”: %(reasons)s.")
            % {"survey": survey.title_in(invitation.language), "reasons": follow_up.reason_display}
        ]
        for a in answers:
            if a.kind == QuestionKind.PAIRED and a.gap is not None:
                lines.append(
                    _("%(question)s — expected %(expectation)s, got %(experience)s.")
                    % {
                        "question": a.question.text_in(invitation.language),
                        "expectation": a.expectation,
                        "experience": a.experience,
                    }
                )
            elif a.text:
                lines.append(f"{a.question.text_in(invitation.language)} — {a.text}")
    first_bad = next(
        (a.attribute for a in answers if a.kind == QuestionKind.PAIRED and (a.gap or 0) < 0), ""
    )
    return {
        "category": COMPLAINT_CATEGORY.get(first_bad, "service"),  # type: ignore[call-overload]
        "product": invitation.product_id,
        "description": "\n".join(lines)[:5000],
    }


# Suggestions and product ideas ---------------------------------------------------------------


@transaction.atomic
def suggestion_set_theme(*, by: Actor, suggestion_id: int, theme: str) -> Suggestion:
    from rapport.staff.models import Department

    _check_choice(theme, Theme, "theme")
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion_id)
    before = suggestion.theme
    suggestion.theme = theme
    code = ROUTES.get(theme)  # type: ignore[call-overload]
    department = Department.objects.filter(code=code).first() if code else None
    if department:
        suggestion.department = department
    suggestion.save(update_fields=["theme", "department", "updated_at"])
    record_change(
        obj=suggestion,
        action=ChangeAction.UPDATE,
        by=by,
        customer_id=suggestion.customer_id,
        changes={"theme": [before, theme]},
    )
    return suggestion


@transaction.atomic
def idea_create(
    *,
    by: Actor,
    title: str,
    theme: str,
    product_id: int | None = None,
    description: str = "",
    suggestion_ids: list[int] | None = None,
) -> ProductIdea:
    require_product(product_id)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": [_("Give the idea a title.")]})
    _check_choice(theme, Theme, "theme")
    idea = ProductIdea.objects.create(
        title=title[:200], theme=theme, product_id=product_id, description=description.strip()
    )
    record_change(obj=idea, action=ChangeAction.CREATE, by=by, changes={"title": [None, title]})
    if suggestion_ids:
        Suggestion.objects.filter(pk__in=suggestion_ids).update(idea=idea)
    return idea


@transaction.atomic
def idea_set_status(
    *, by: Actor, idea_id: int, status: str, expected_version: int | None = None
) -> ProductIdea:
    _check_choice(status, IdeaStatus, "status")

    def apply(idea: ProductIdea) -> None:
        idea.status = status

    idea, _changes = versioned_update(
        model=ProductIdea, pk=idea_id, by=by, expected_version=expected_version, apply=apply
    )
    return idea


# Imports -------------------------------------------------------------------------------------


def answers_import(rows: list[dict[str, Any]], *, by: Actor, note: str = "") -> int:
    """Store checked answers from a file (survey_id, customer_id, question_id, answered_at and
    the cleaned value): the rows of one survey, customer and time make one answered invitation
    and response (made once: importing the same file again adds nothing). History only: no
    follow-up opens and nothing is sent. Returns how many answers were created."""
    from rapport.core.actors import actor_name, actor_user
    from rapport.core.bulk import History
    from rapport.surveys.scoring import gap_and_label

    if not rows:
        return 0
    groups: dict[tuple[int, int, datetime], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["survey_id"], row["customer_id"], row["answered_at"]), []).append(
            row
        )
    questions = {q.pk: q for q in Question.objects.filter(pk__in={r["question_id"] for r in rows})}
    surveys = {s.pk: s for s in Survey.objects.filter(pk__in={k[0] for k in groups})}
    user, name = actor_user(by), actor_name(by)[:150]
    created = 0
    with transaction.atomic():
        history = History(Invitation, by)
        answers: list[Answer] = []
        events: list[SurveyEvent] = []
        for (survey_id, customer_id, when), group in groups.items():
            key = f"import:{survey_id}:{customer_id}:{when.isoformat()}"
            invitation = Invitation.objects.filter(key=key).first()
            if invitation is None:
                invitation = Invitation.objects.create(
                    survey_id=survey_id,
                    customer_id=customer_id,
                    key=key,
                    source_type="import",
                    state=InvitationState.ANSWERED,
                    answered_at=when,
                )
                response = Response.objects.create(invitation=invitation, submitted_at=when)
                history.created(invitation.pk, str(invitation), customer_id, note)
                events.append(
                    SurveyEvent(
                        customer_id=customer_id,
                        survey_id=survey_id,
                        time=when,
                        user=user,
                        user_name=name,
                        type="answered",
                        parameters={"survey": surveys[survey_id].name},
                    )
                )
                answered: set[int] = set()
            else:
                response = invitation.response
                answered = set(response.answers.values_list("question_id", flat=True))
            for row in group:
                question = questions[row["question_id"]]
                if question.pk in answered:
                    continue
                answered.add(question.pk)
                value: dict[str, Any] = {
                    k: row[k]
                    for k in ("value", "choices", "text", "expectation", "experience")
                    if k in row
                }
                if question.kind == QuestionKind.PAIRED:
                    value["gap"], value["label"] = gap_and_label(
                        value["expectation"], value["experience"]
                    )
                answers.append(
                    Answer(
                        response=response,
                        question=question,
                        survey_id=survey_id,
                        customer_id=customer_id,
                        kind=question.kind,
                        measure=question.measure,
                        attribute=question.attribute,
                        answered_at=when,
                        month=timezone.localdate(when).replace(day=1),
                        **value,
                    )
                )
        Answer.objects.bulk_create(answers, batch_size=2000)
        summary_add(answers)
        SurveyEvent.objects.bulk_create(events, batch_size=2000)
        history.flush()
        created = len(answers)
    return created

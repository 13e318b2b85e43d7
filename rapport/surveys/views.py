"""Staff pages: the satisfaction dashboard, the survey builder, the follow-up queue, and
suggestions with the product ideas they became."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from rapport.core.exceptions import ConflictError, ValidationError
from rapport.core.pagination import keyset_page
from rapport.surveys import selectors, services
from rapport.surveys.choices import (
    Attribute,
    FollowUpState,
    IdeaStatus,
    Measure,
    QuestionKind,
    Theme,
    Trigger,
)
from rapport.surveys.models import FollowUp, ProductIdea, Suggestion, Survey
from rapport.surveys.scoring import MIN_ANSWERS

PRODUCTS_SHOWN = 30  # rows of the per-product table (a catalogue may hold thousands)


def perm(codename: str):  # noqa: ANN201
    return permission_required(codename, raise_exception=True)


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for field_messages in exc.message_dict.values():
        for message in field_messages:
            messages.error(request, message)


def _options(choices: Iterable[tuple[Any, Any]], chosen: str) -> SafeString:
    """A filter's <option>s, written here in one pass (up to 200 products: far cheaper than
    template nodes per option), the chosen one selected. Values as plain digits: no thousands
    separator in a key."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (str(value), mark_safe(" selected") if str(value) == chosen else "", label)  # noqa: S308 (a constant)
            for value, label in choices
        ),
    )


@login_required
@perm("surveys.view_answer")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Gaps and labels per attribute, product, department and month; the importance–performance
    grid; CSAT, NPS and effort with sample sizes and intervals — all under the same filters."""
    from rapport.sales.models import Product
    from rapport.staff.models import Department

    filters = {k: request.GET.get(k, "") for k in selectors.FILTERS}
    figures = selectors.satisfaction_figures(filters)
    method, grid = selectors.importance_performance(selectors.answer_queryset(filters))
    context = {
        "filters": filters,
        "headline": figures.headline,
        "by_attribute": figures.by_attribute,
        # The products customers are least satisfied with first; the rest through the filter.
        "by_product": sorted(figures.by_product, key=lambda r: (r.gap, -r.n))[:PRODUCTS_SHOWN],
        "products_counted": len(figures.by_product),
        "by_department": figures.by_department,
        "by_month": figures.by_month,
        "importance_method": method,
        "grid": grid,
        "themes": selectors.theme_counts(),
        # The filters' options as (value, label, chosen): compared here once, not per option in
        # the template.
        "surveys": _options(
            Survey.objects.order_by("name").values_list("pk", "name"), filters["survey"]
        ),
        "attributes": _options(
            ((v, capfirst(label)) for v, label in Attribute.choices), filters["attribute"]
        ),
        # The products answers are about (under the filters), for the product filter.
        "products": _options(
            Product.objects.filter(pk__in=figures.product_ids)
            .order_by("name")
            .values_list("pk", "name")[:200],
            filters["product"],
        ),
        "departments": _options(
            ((d.pk, str(d)) for d in Department.objects.order_by("code")), filters["department"]
        ),
        "min_answers": MIN_ANSWERS,
    }
    return render(request, "surveys/dashboard.html", context)


@login_required
@perm("surveys.view_survey")
def survey_list(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count, Q

    surveys = Survey.objects.annotate(
        n_invited=Count("invitations", distinct=True),
        n_answered=Count("invitations", filter=Q(invitations__state="answered"), distinct=True),
    ).order_by("-pk")
    return render(
        request, "surveys/survey_list.html", {"surveys": surveys, "triggers": Trigger.choices}
    )


@login_required
@perm("surveys.add_survey")
@require_POST
def survey_create(request: HttpRequest) -> HttpResponse:
    try:
        survey = services.survey_create(
            by=request.user,
            name=request.POST.get("name", ""),
            title={request.LANGUAGE_CODE: request.POST.get("title", "")},
            trigger=request.POST.get("trigger", Trigger.MANUAL),
            allow_changes=request.POST.get("allow_changes") == "1",
        )
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("surveys:survey_list")
    return redirect(survey)


@login_required
@perm("surveys.view_survey")
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "questions": [
                (q, q.text_in(request.LANGUAGE_CODE), q.options_in(request.LANGUAGE_CODE))
                for q in survey.questions.all()
            ],
            "kinds": QuestionKind.choices,
            "measures": Measure.choices,
            "attributes": Attribute.choices,
            "triggers": Trigger.choices,
            "audience": json.dumps(survey.audience, ensure_ascii=False),
            "language": request.LANGUAGE_CODE,
        },
    )


@login_required
@perm("surveys.change_survey")
@require_POST
def survey_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        audience = json.loads(request.POST.get("audience") or "{}")
        if not isinstance(audience, dict):
            raise ValueError
    except ValueError:
        messages.error(
            request, _('Write the audience as customer-list filters, e.g. {"tag": "VIP"}.')
        )
        return redirect("surveys:survey_detail", pk=pk)
    try:
        services.survey_update(
            by=request.user,
            survey_id=pk,
            expected_version=int(request.POST.get("version") or 0) or None,
            trigger=request.POST.get("trigger", Trigger.MANUAL),
            active=request.POST.get("active") == "1",
            allow_changes=request.POST.get("allow_changes") == "1",
            reminder_after_days=int(request.POST.get("reminder_after_days") or 0),
            audience=audience,
        )
    except (ValidationError, ConflictError) as exc:
        if isinstance(exc, ConflictError):
            messages.error(request, exc.message)
        else:
            _errors(request, exc)
    return redirect("surveys:survey_detail", pk=pk)


@login_required
@perm("surveys.add_question")
@require_POST
def question_add(request: HttpRequest, pk: int) -> HttpResponse:
    lang = request.LANGUAGE_CODE
    options = [
        {lang: line.strip()}
        for line in request.POST.get("options", "").splitlines()
        if line.strip()
    ]
    try:
        services.question_add(
            by=request.user,
            survey_id=pk,
            kind=request.POST.get("kind", ""),
            text={lang: request.POST.get("text", "")},
            attribute=request.POST.get("attribute_other") or request.POST.get("attribute", ""),
            measure=request.POST.get("measure", ""),
            options=options,
            scale_max=int(request.POST.get("scale_max") or 7),
            required=request.POST.get("required") == "1",
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("surveys:survey_detail", pk=pk)


@login_required
@perm("surveys.delete_question")
@require_POST
def question_remove(request: HttpRequest, pk: int, question_pk: int) -> HttpResponse:
    try:
        services.question_remove(by=request.user, question_id=question_pk)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("surveys:survey_detail", pk=pk)


@login_required
@perm("surveys.add_invitation")
@require_POST
def survey_send(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask one customer (by number) or, without one, the survey's saved audience."""
    from rapport.customers.numbers import parse_customer_number

    survey = get_object_or_404(Survey, pk=pk)
    number = request.POST.get("customer", "").strip()
    try:
        if number:
            customer_id = parse_customer_number(number)
            if customer_id is None:
                raise ValidationError({"customer": [_("No such customer number.")]})
            invitation = services.invite(by=request.user, survey=survey, customer_id=customer_id)
            messages.info(request, invitation.get_state_display())
        else:
            count = services.survey_send_to_audience(by=request.user, survey_id=pk)
            messages.info(request, _("%(count)s customers asked.") % {"count": count})
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("surveys:survey_detail", pk=pk)


@login_required
@perm("surveys.view_followup")
def follow_up_queue(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", FollowUpState.OPEN)
    state = state if state in FollowUpState.values else ""
    mine = request.GET.get("mine") == "1"
    page = keyset_page(
        selectors.follow_up_queue(state=state, user_id=request.user.pk if mine else None),
        ordering=["due_at", "id"],
        cursor=request.GET.get("cursor"),
        size=50,
    )
    return render(
        request,
        "surveys/follow_ups.html",
        {"page": page, "state": state, "states": FollowUpState.choices, "mine": mine},
    )


@login_required
@perm("surveys.change_followup")
@require_POST
def follow_up_close(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(FollowUp, pk=pk)
    try:
        services.follow_up_close(
            by=request.user,
            follow_up_id=pk,
            note=request.POST.get("note", ""),
            expected_version=int(request.POST.get("version") or 0) or None,
        )
    except ValidationError as exc:
        _errors(request, exc)
    except ConflictError as exc:
        messages.error(request, exc.message)
    return redirect(request.POST.get("next") or follow_up.customer.get_absolute_url())


@login_required
@perm("surveys.change_followup")
@require_POST
def follow_up_take(request: HttpRequest, pk: int) -> HttpResponse:
    services.follow_up_assign(by=request.user, follow_up_id=pk, user_id=request.user.pk)
    return redirect("surveys:follow_ups")


@login_required
@perm("surveys.view_suggestion")
def suggestions(request: HttpRequest) -> HttpResponse:
    from django.db.models import Count

    theme = request.GET.get("theme", "")
    qs = Suggestion.objects.select_related("customer", "department", "idea")
    if theme in Theme.values:
        qs = qs.filter(theme=theme)
    page = keyset_page(
        qs, ordering=["-created_at", "-id"], cursor=request.GET.get("cursor"), size=50
    )
    ideas = ProductIdea.objects.annotate(n_suggestions=Count("suggestions")).order_by("-pk")[:100]
    return render(
        request,
        "surveys/suggestions.html",
        {
            "page": page,
            "theme": theme,
            "themes": Theme.choices,
            "counts": selectors.theme_counts(),
            "ideas": ideas,
            "statuses": IdeaStatus.choices,
        },
    )


@login_required
@perm("surveys.add_productidea")
@require_POST
def idea_create(request: HttpRequest) -> HttpResponse:
    try:
        services.idea_create(
            by=request.user,
            title=request.POST.get("title", ""),
            theme=request.POST.get("theme", ""),
            description=request.POST.get("description", ""),
            suggestion_ids=[int(v) for v in request.POST.getlist("suggestion") if v.isdigit()],
        )
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("surveys:suggestions")


@login_required
@perm("surveys.change_productidea")
@require_POST
def idea_status(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.idea_set_status(by=request.user, idea_id=pk, status=request.POST.get("status", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("surveys:suggestions")

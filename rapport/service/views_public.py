"""Pages anyone may open: the public product notices and the knowledge base; and the page a
customer's private recall link opens (acknowledge, choose a remedy)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language

from rapport.core.actors import SystemActor
from rapport.core.exceptions import ValidationError
from rapport.service import services
from rapport.service.choices import RecallState, Remedy
from rapport.service.models import Recall, RecallNotice

CUSTOMER = SystemActor("customer (notice link)")


def notices(request: HttpRequest) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    recalls = (
        Recall.objects.filter(public=True)
        .exclude(state=RecallState.DRAFT)
        .select_related("product")
        .order_by("-sent_at")[:100]
    )
    rows = [(r, r.text_in("title", language), r.text_in("body", language)) for r in recalls]
    return render(request, "service/public_notices.html", {"rows": rows})


def notice(request: HttpRequest, pk: int) -> HttpResponse:
    language = get_language() or settings.LANGUAGE_CODE
    recall = get_object_or_404(
        Recall.objects.select_related("product").exclude(state=RecallState.DRAFT),
        pk=pk,
        public=True,
    )
    return render(
        request,
        "service/public_notice.html",
        {
            "recall": recall,
            "title": recall.text_in("title", language),
            "body": recall.text_in("body", language),
        },
    )


def recall_link(request: HttpRequest, link: Any, token: str) -> HttpResponse:
    """The private link in a recall notice: the notice in the customer's language, and the
    remedy they choose (a service request follows)."""
    from django.utils import translation

    from rapport.portal.services import LinkInvalid, link_use

    notice = (
        RecallNotice.objects.select_related("recall", "recall__product")
        .filter(pk=link.target_id, customer_id=link.customer_id)
        .first()
    )
    if notice is None or link.target_type != "service.recallnotice":
        return render(request, "portal/link_invalid.html", {"state": "unknown"}, status=410)
    language = notice.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "notice": notice,
            "title": notice.recall.text_in("title", language),
            "body": notice.recall.text_in("body", language),
            "remedies": Remedy.choices,
            "error": "",
        }
        if request.method == "POST":
            try:
                with transaction.atomic():
                    link_use(token, purpose=services.RECALL_LINK_PURPOSE)
                    services.recall_answer(
                        by=CUSTOMER, notice_id=notice.pk, remedy=request.POST.get("remedy", "")
                    )
            except LinkInvalid as exc:
                return render(request, "portal/link_invalid.html", {"state": exc.state}, status=410)
            except ValidationError as exc:
                context["error"] = " ".join(m for ms in exc.message_dict.values() for m in ms)
                return render(request, "service/recall_link.html", context, status=422)
            context["done"] = True
        return render(request, "service/recall_link.html", context)


def knowledge(request: HttpRequest) -> HttpResponse:
    """The public knowledge base: articles on use, care and maintenance, searchable."""
    from rapport.service.selectors import article_search

    query = request.GET.get("q", "")[:100]
    rows = article_search(query, language=get_language() or "")
    return render(request, "service/public_knowledge.html", {"rows": rows, "q": query})


def knowledge_article(request: HttpRequest, pk: int) -> HttpResponse:
    from rapport.service.models import Article

    article = get_object_or_404(Article.objects.filter(public=True), pk=pk)
    texts = {t.language: t for t in article.translations.all()}
    language = (get_language() or "").lower()
    text = texts.get(language) or texts.get("en") or next(iter(texts.values()))
    return render(
        request,
        "service/public_article.html",
        {"article": article, "text": text, "others": sorted(texts)},
    )

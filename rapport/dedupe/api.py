"""The duplicate queue and the decisions over HTTP."""

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from rapport.api.pagination import Paged, PageParams
from rapport.api.permissions import require
from rapport.core.pagination import keyset_page
from rapport.dedupe import selectors, services
from rapport.dedupe.api_schemas import (
    DecisionIn,
    DecisionOut,
    MergeIn,
    MergeOut,
    PairOut,
    SearchOut,
)
from rapport.dedupe.evidence import describe, phrase
from rapport.dedupe.models import DuplicatePair, NotSamePerson


def _ref(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "number": c.number, "name": str(c)}


def pair_out(p: DuplicatePair) -> dict[str, Any]:
    return {
        "id": p.pk,
        "first": _ref(p.first),
        "second": _ref(p.second),
        "score": p.score,
        "evidence_text": describe(p.evidence),
        "evidence": [
            {
                "code": e["code"],
                "weight": e["weight"],
                "text": phrase(e["code"], e.get("params", {})),
            }
            for e in p.evidence
        ],
        "found_at": p.found_at,
    }


def decision_out(d: NotSamePerson) -> dict[str, Any]:
    return {
        "id": d.pk,
        "first": _ref(d.first),
        "second": _ref(d.second),
        "decided_at": d.decided_at,
        "decided_by": d.decided_by.get_username() if d.decided_by else None,
        "note": d.note,
    }


def build_router() -> Router:
    router = Router(tags=["duplicates"])

    @router.get(
        "/duplicates", response=Paged[PairOut], summary="The review queue, highest score first"
    )
    def queue(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
        require(request, "dedupe.view_duplicatepair")
        page = keyset_page(
            selectors.queue(), ordering=["-score", "-id"], cursor=params.cursor, size=params.limit
        )
        return {"items": [pair_out(p) for p in page.items], "next_cursor": page.next_cursor}

    @router.post(
        "/duplicates/search",
        response={202: SearchOut},
        summary="Run the duplicate search over all customers (background)",
    )
    def search(request: HttpRequest):
        require(request, "dedupe.view_duplicatepair", "customers.merge_customer")
        from rapport.dedupe.tasks import find_duplicates

        find_duplicates.enqueue()
        return Status(202, {"enqueued": True})

    @router.post(
        "/duplicates/{pair_id}/merge", response=MergeOut, summary="Merge the pair (undoable)"
    )
    def merge(request: HttpRequest, pair_id: int, payload: MergeIn) -> dict[str, Any]:
        require(request, "customers.merge_customer")
        pair = get_object_or_404(DuplicatePair, pk=pair_id)
        if payload.keep_id not in (pair.first_id, pair.second_id):
            raise HttpError(422, "keep_id must be one of the pair")
        drop = pair.second_id if payload.keep_id == pair.first_id else pair.first_id
        result = services.merge(
            keep_id=payload.keep_id, drop_id=drop, by=request.user, dry_run=payload.dry_run
        )
        return {
            "kept_id": payload.keep_id,
            "merge_id": None if payload.dry_run else result.merge.pk,
            "summary": result.summary(),
            "dry_run": payload.dry_run,
        }

    @router.get(
        "/duplicates/decisions",
        response=Paged[DecisionOut],
        summary='"Not the same person" decisions, newest first',
    )
    def decisions(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
        require(request, "dedupe.view_notsameperson")
        page = keyset_page(
            selectors.decisions(), ordering=["-id"], cursor=params.cursor, size=params.limit
        )
        return {"items": [decision_out(d) for d in page.items], "next_cursor": page.next_cursor}

    @router.post(
        "/duplicates/decisions",
        response={201: DecisionOut},
        summary="Mark two customers as different people",
    )
    def decide(request: HttpRequest, payload: DecisionIn):
        require(request, "dedupe.add_notsameperson")
        d = services.not_same_person(
            first_id=payload.first_id,
            second_id=payload.second_id,
            by=request.user,
            note=payload.note,
        )
        return Status(201, decision_out(selectors.decisions().get(pk=d.pk)))

    @router.delete(
        "/duplicates/decisions/{decision_id}", response={204: None}, summary="Withdraw a decision"
    )
    def withdraw(request: HttpRequest, decision_id: int):
        require(request, "dedupe.delete_notsameperson")
        get_object_or_404(NotSamePerson, pk=decision_id)
        services.decision_withdraw(decision_id=decision_id, by=request.user)
        return Status(204, None)

    return router


router = build_router()

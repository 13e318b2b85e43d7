"""What a merge does to the "not the same person" decisions.

A decision about the merged-away record now concerns the kept one ("C1 is not C3" stays true of
the person C1 and C2 turned out to be) — unless it was about the kept record itself (someone said
"not the same" and merged anyway: the decision no longer holds) or the kept record has the same
decision already; those rows are set aside in the merge record, so an undo puts them back.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q


def merge_decisions(relation: Any, ctx: Any) -> None:
    from rapport.dedupe.models import NotSamePerson

    mine = relation.field  # "first" or "second"
    theirs = "second" if mine == "first" else "first"
    rows = list(NotSamePerson.objects.filter(**{f"{mine}_id": ctx.other_id}).order_by("pk"))
    move, drop = [], []
    for row in rows:
        counterpart = getattr(row, f"{theirs}_id")
        exists = NotSamePerson.objects.filter(
            Q(first_id=ctx.survivor_id, second_id=counterpart)
            | Q(first_id=counterpart, second_id=ctx.survivor_id)
        ).exists()
        if counterpart in (ctx.survivor_id, ctx.other_id) or exists:
            drop.append(row)
        else:
            move.append(row.pk)
    ctx.archive(drop)
    if move:
        NotSamePerson.objects.filter(pk__in=move).update(**{f"{mine}_id": ctx.survivor_id})
        ctx.repointed(NotSamePerson, move, column=f"{mine}_id")


def merge_pairs(relation: Any, ctx: Any) -> None:
    """The proposals about either record leave the queue (the kept record is one person now: the
    next search compares it afresh) and are set aside in the merge record, so that an undo puts
    the queue back as it was."""
    from rapport.dedupe.models import DuplicatePair

    mine = relation.field  # "first" or "second"
    ctx.archive(
        list(
            DuplicatePair.objects.filter(
                **{f"{mine}_id__in": (ctx.survivor_id, ctx.other_id)}
            ).order_by("pk")
        )
    )

"""What a merge does to the recommendations (both relations declare `Custom(merge_history)`).

The merged-away record's recommendations and history mark, and the kept record's history mark,
are set aside in the merge record (archived): the next refresh finds the kept customer without a
mark and recomputes them from both histories, and an undo of the merge puts every row back as it
was. The kept record's recommendations stay until that refresh replaces them.
"""

from __future__ import annotations

from typing import Any


def merge_history(relation: Any, ctx: Any) -> None:
    from rapport.recommendations.models import HistoryMark, Recommendation

    if relation.model is Recommendation:
        rows = Recommendation.objects.filter(customer_id=ctx.other_id).order_by("pk")
    else:
        rows = HistoryMark.objects.filter(customer_id__in=(ctx.survivor_id, ctx.other_id)).order_by(
            "pk"
        )
    ctx.archive(list(rows))

"""The demo's duplicate queue: the search over the demo customers."""

from typing import Any


def run(ctx: Any) -> dict[str, int]:
    from rapport.dedupe.services import duplicates_find

    done = duplicates_find(by=ctx.by)
    return {"possible duplicates": done["pairs"]}

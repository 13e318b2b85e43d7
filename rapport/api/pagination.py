"""What every endpoint shares: the base of request bodies, and for lists `?cursor=&limit=` in and
`{"items": [...], "next_cursor": …}` out.

The cursor is the opaque keyset cursor of rapport.core.pagination: page 500 costs what page 1 costs.
"""

from ninja import Field, Schema
from pydantic import ConfigDict

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class RequestBody(Schema):
    """Base of request bodies: a misspelt field is a 400, not a change silently left out."""

    model_config = ConfigDict(extra="forbid")


class PageParams(Schema):
    cursor: str | None = Field(
        None, description="The `next_cursor` of the previous page; leave out for the first page."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page, 1 to 200.")


class Paged[T](Schema):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `?cursor=` to get the next page; null on the last page."
    )


class Listed[T](Schema):
    """A short list that is never paged (search results, a customer's remembered details)."""

    items: list[T]

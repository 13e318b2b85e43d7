"""Constrained field types for request schemas: the OpenAPI schema states the same bounds the
database holds, and a value beyond them is a 400 naming the field, not a 500."""

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from rapport.core.params import MAX_DATE, MAX_ID, MIN_DATE, storable_moment

RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, Field(ge=MIN_DATE, le=MAX_DATE)]
# A time that can be stored: with its offset it stays within years 1 to 9999 in UTC.
Moment = Annotated[datetime, AfterValidator(storable_moment)]

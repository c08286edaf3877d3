"""Schema pieces shared by every domain."""

from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64),
]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Offsets are accepted on input and normalised so a record reads the same before and after saving.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$", max_length=500)
]


class StrictModel(BaseModel):
    """Input models refuse unknown fields so a typo is a 422, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    """Output models are built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list with the total count of matching records."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    """Pagination query parameters."""

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)

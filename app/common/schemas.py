"""Schema pieces shared by every domain."""

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

T = TypeVar("T")

# PostgreSQL's `integer`, the narrower of the two backends: ids and offsets beyond it are a 422
# naming the parameter, never an overflow in the database driver.
MAX_INT = 2**31 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_INT, description="a record id")]
Offset = Annotated[int, Field(ge=0, le=MAX_INT, description="records to skip")]
# Query text filters: PostgreSQL text cannot hold NUL, so the schema (and the check) refuse it.
FILTER_PATTERN = r"^[^\x00]*$"
# Whitespace and control characters spelled out: `\s` means different things to JSON Schema
# (ECMA 262), to pydantic (Rust regex) and to Python, so patterns the schema publishes use this.
SPACE = r"\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
VISIBLE = f"[^{SPACE}]"
# Unicode White_Space, what pydantic trims from input text before it measures its length.
TRIMMED = r"\t-\r\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=64),
]


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def not_a_timestamp(value: Any) -> Any:
    # Pydantic would read a number as Unix time; the schema promises ISO 8601 text only.
    if (isinstance(value, int | float) and not isinstance(value, bool)) or (
        isinstance(value, str) and _NUMBER.fullmatch(value)
    ):
        raise ValueError("must be ISO 8601 text, e.g. 2027-01-15 or 2027-01-15T17:00:00Z")
    return value


# Offsets are accepted on input and normalised so a record reads the same before and after saving.
UtcDatetime = Annotated[AwareDatetime, BeforeValidator(not_a_timestamp), AfterValidator(_to_utc)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=rf"^https?://{VISIBLE}+$", max_length=500)
]


def unstorable(value: Any) -> str | None:
    """Why a decoded JSON value holds text no database can store (a lone surrogate such as
    `"\\ud800"`, or NUL, which PostgreSQL refuses), or None when it can be stored."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character (\\u0000), which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate (an unpaired \\ud800-\\udfff escape)"
        return None
    if isinstance(value, list | tuple):
        return next((r for r in map(unstorable, value) if r), None)
    if isinstance(value, dict):
        return next((r for r in map(unstorable, [*value, *value.values()]) if r), None)
    return None


def _visible_when_required(schema: dict[str, Any]) -> None:
    """Text is trimmed before its length is checked, so a string that may not be empty must
    hold a character trimming keeps: the published schema says so."""
    if schema.get("type") == "string" and schema.get("minLength") == 1 and "pattern" not in schema:
        schema["pattern"] = f"[^{TRIMMED}]"
    for value in schema.values():
        for node in value if isinstance(value, list) else [value]:
            if isinstance(node, dict):
                _visible_when_required(node)


class StrictModel(BaseModel):
    """Input models refuse unknown fields so a typo is a 422, not a silent no-op, and refuse
    text that cannot be stored, naming the field, so it never reaches the database."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_visible_when_required
    )

    @field_validator("*", mode="before")
    @classmethod
    def _storable(cls, value: Any, info: ValidationInfo) -> Any:
        reason = unstorable(value)
        if reason:
            raise ValueError(reason)
        if info.field_name and _field_takes_dates(cls, info.field_name):
            not_a_timestamp(value)
        return value


@cache
def _field_takes_dates(model: type[BaseModel], field_name: str) -> bool:
    # Cached: this runs for every field of every row an import validates.
    return _takes_dates(model.model_fields[field_name].annotation)


def _takes_dates(annotation: Any) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, date)
    return any(_takes_dates(arg) for arg in get_args(annotation))


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
    offset: Offset = 0

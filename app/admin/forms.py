"""Admin forms parsed by the API's own Pydantic schemas, so a form and the API refuse the same
input; errors come back field by field, to be shown beside the field with what was typed.

A page does:

    form = await request.form()                      # or in a plain `def` via a dependency
    parsed = parse_form(CompanyCreate, form, lists={"keywords", "naics"})
    if parsed.errors:
        return render(..., {"values": parsed.values, "errors": parsed.errors}, status_code=422)
    try:
        service.create(session, data=parsed.model, ...)
    except InvalidField as exc:                      # a rule that needs the database
        return render(..., {"values": parsed.values, "errors": field_error(exc)}, status_code=422)
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from app.errors import InvalidField

Model = TypeVar("Model", bound=BaseModel)

# Form fields that never reach a schema.
NOT_DATA = frozenset({"csrf_token", "version", "next"})


@dataclass
class ParsedForm(Generic[Model]):
    """The typed values (None when any field is wrong), what was typed, and the errors."""

    model: Model | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)


def form_values(
    form: FormData | Mapping[str, Any],
    *,
    lists: Collection[str] = (),
    booleans: Collection[str] = (),
) -> dict[str, Any]:
    """What the form sent, as the schema expects it: empty text is absent; a list field is
    its repeated values, or one text split on commas and new lines; a checkbox is True when
    sent and False when not."""
    values: dict[str, Any] = {}
    keys = list(form.keys())
    for key in keys:
        if key in NOT_DATA or key in lists or key in booleans:
            continue
        raw = form.get(key)
        text = raw.strip() if isinstance(raw, str) else raw
        if text not in ("", None):
            values[key] = text
    for key in lists:
        items = form.getlist(key) if isinstance(form, FormData) else [form.get(key, "")]
        parts = [p.strip() for item in items for p in str(item).replace("\n", ",").split(",")]
        values[key] = [p for p in parts if p]
    for key in booleans:
        values[key] = form.get(key) in ("on", "true", "1", "yes")
    return values


def parse_form(
    schema: type[Model],
    form: FormData | Mapping[str, Any],
    *,
    lists: Collection[str] = (),
    booleans: Collection[str] = (),
) -> ParsedForm[Model]:
    """Validate a form with an API schema; each error keyed by its top-level field, and a rule
    across fields ("valid_until must be after valid_from") by the first field it names."""
    values = form_values(form, lists=lists, booleans=booleans)
    try:
        return ParsedForm(schema.model_validate(values), values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False, include_input=False):
            message = str(error["msg"]).removeprefix("Value error, ")
            name = str(error["loc"][0]) if error["loc"] else _named_field(schema, message)
            errors.setdefault(name, message)
        return ParsedForm(None, values, errors)


def _named_field(schema: type[BaseModel], message: str) -> str:
    """The first of the schema's fields a message names, or "__all__" when it names none."""
    for word in re.findall(r"[a-z][a-z0-9_]*", message):
        if word in schema.model_fields:
            return word
    return "__all__"


def field_error(exc: InvalidField) -> dict[str, str]:
    """A service's field error, keyed as the form names the field."""
    return {exc.field.split(".")[0]: exc.reason}

"""Pydantic annotated types built on the identifier checks."""

from typing import Annotated

from pydantic import AfterValidator, Field

from app.common.identifiers import (
    check_cage,
    check_corporate_number,
    check_country,
    check_naics,
    check_uei,
)


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Uei = Annotated[str, AfterValidator(check_uei)]
Cage = Annotated[str, AfterValidator(check_cage)]
CorporateNumber = Annotated[str, AfterValidator(check_corporate_number)]
Country = Annotated[str, AfterValidator(check_country)]
NaicsList = Annotated[
    list[Annotated[str, AfterValidator(check_naics)]],
    Field(max_length=50),
    AfterValidator(_unique),
]
AreaList = Annotated[list[str], Field(max_length=20), AfterValidator(_unique)]
TagList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(max_length=100),
    AfterValidator(_unique),
]

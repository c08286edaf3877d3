"""Company schemas: create, update (partial), read."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from app.common.schemas import SPACE, LongText, ReadModel, ShortText, StrictModel, Url
from app.common.validators import AreaList, Cage, CorporateNumber, Country, NaicsList, TagList, Uei
from app.companies.models import CompanyRole

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=rf"^[^@<>{SPACE}]+@[^@<>{SPACE}]+\.[^@<>{SPACE}]+$",
        max_length=320,
    ),
]


class Contact(StrictModel):
    name: ShortText
    title: Annotated[str | None, Field(max_length=300)] = None
    email: Email | None = None
    phone: Annotated[str | None, Field(max_length=50)] = None


class CompanyBase(StrictModel):
    name_ja: Annotated[str | None, Field(max_length=300)] = None
    website: Url | None = None
    narrative: LongText = ""
    keywords: TagList = []
    technology_areas: AreaList = Field(default=[], description="technology area slugs")
    naics: NaicsList = []
    uei: Uei | None = None
    cage: Cage | None = None
    corporate_number: CorporateNumber | None = Field(
        default=None, description="13-digit Japanese corporate number (houjin bangou)"
    )
    certifications: TagList = []
    consortia: TagList = []
    contacts: Annotated[list[Contact], Field(max_length=50)] = []


class CompanyCreate(CompanyBase):
    role: CompanyRole
    country: Country
    name: ShortText


class CompanyUpdate(StrictModel):
    """Partial update: only the fields sent are changed."""

    role: CompanyRole | None = None
    country: Country | None = None
    name: ShortText | None = None
    name_ja: Annotated[str | None, Field(max_length=300)] = None
    website: Url | None = None
    narrative: LongText | None = None
    keywords: TagList | None = None
    technology_areas: AreaList | None = None
    naics: NaicsList | None = None
    uei: Uei | None = None
    cage: Cage | None = None
    corporate_number: CorporateNumber | None = None
    certifications: TagList | None = None
    consortia: TagList | None = None
    contacts: Annotated[list[Contact], Field(max_length=50)] | None = None


class VettingSummary(ReadModel):
    status: str
    decided_at: datetime | None
    expires_at: datetime | None


class CompanySummary(ReadModel):
    id: int
    role: CompanyRole
    country: str
    name: str
    name_ja: str | None
    technology_areas: list[str]
    vetting: VettingSummary


class CompanyRead(CompanySummary):
    website: str | None
    narrative: str
    keywords: list[str]
    naics: list[str]
    uei: str | None
    cage: str | None
    corporate_number: str | None
    certifications: list[str]
    consortia: list[str]
    contacts: list[Contact]
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int
    screening_status: Literal["hold", "blocked"] | None = Field(
        default=None,
        description="hold while a restricted-party screening hit awaits review, blocked once "
        "one is confirmed (see /companies/{id}/screening)",
    )

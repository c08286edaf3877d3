"""Company schemas: create, update (partial), read."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from app.common.schemas import SPACE, LongText, ReadModel, ShortText, StrictModel, Url
from app.common.validators import AreaList, Cage, CorporateNumber, Country, NaicsList, TagList, Uei
from app.companies.models import CompanyRole
from matching.language import Language, ProfileLanguage, detect_language

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        pattern=rf"^[^@<>{SPACE}]+@[^@<>{SPACE}]+\.[^@<>{SPACE}]+$",
        max_length=320,
    ),
]


def _japanese(value: str) -> str:
    # The Japanese version must be Japanese: English text here would be ranked and shown as
    # Japanese. A value error, so the 422 names the field and the rule.
    if value and detect_language(value) != "ja":
        raise ValueError("must be Japanese text (kana or kanji); put English in narrative")
    return value


JapaneseText = Annotated[
    LongText,
    AfterValidator(_japanese),
    Field(description="a Japanese version of the narrative, beside an English one"),
]


class Contact(StrictModel):
    name: ShortText
    title: Annotated[str | None, Field(max_length=300)] = None
    email: Email | None = None
    phone: Annotated[str | None, Field(max_length=50)] = None


class CompanyBase(StrictModel):
    name_ja: Annotated[str | None, Field(max_length=300)] = None
    website: Url | None = None
    narrative: LongText = Field(default="", description="the profile text, English or Japanese")
    narrative_ja: JapaneseText = ""
    keywords: TagList = Field(default=[], description="capability keywords, in either language")
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
    narrative_ja: JapaneseText | None = None
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
    narrative_ja: str
    keywords: list[str]
    profile_language: ProfileLanguage = Field(
        description="detected from narrative, narrative_ja and keywords: en, ja or en+ja"
    )
    narrative_language: Language = Field(
        description="the detected language of narrative: en, ja, or empty when it has no text"
    )
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

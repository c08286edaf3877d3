"""Technology area schemas."""

from pydantic import Field

from app.common.schemas import ReadModel, ShortText, Slug, StrictModel


class TechnologyAreaRead(ReadModel):
    slug: str
    label_en: str
    label_ja: str
    description: str


class TechnologyAreaCreate(StrictModel):
    slug: Slug
    label_en: ShortText
    label_ja: ShortText
    description: str = Field(default="", max_length=2000)

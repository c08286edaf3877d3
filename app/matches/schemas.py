"""Match, explanation and team schemas."""

from typing import Literal

from pydantic import BaseModel, Field

from app.companies.schemas import CompanySummary
from app.reviews.schemas import ReviewRead
from app.solicitations.schemas import SolicitationSummary


class Quote(BaseModel):
    """Exact text of one field of a record as the API returns it: `record[field][start:end] ==
    text`; for `keywords` (a list), `record["keywords"][item][start:end] == text`."""

    field: str = Field(
        description="`title` or `description` of a solicitation; `name`, `narrative`, "
        "`narrative_ja` or `keywords` of a company"
    )
    item: int | None = Field(
        default=None, description="Index of the keyword in `keywords`; null for text fields"
    )
    start: int = Field(description="Offset of the first character in the field (or keyword)")
    end: int = Field(description="Offset just past the last character")
    text: str


class Passage(BaseModel):
    """A window of the solicitation and a window of the profile that say the same thing, and in
    each the sentence sharing the most words with the other (read those first). A window of
    keywords is quoted by its keyword sharing the most words with the other side."""

    need: Quote
    need_sentence: Quote
    capability: Quote
    capability_sentence: Quote
    similarity: float


class ExplanationRead(BaseModel):
    passages: list[Passage]
    shared_terms: list[str]
    shared_areas: list[str]
    shared_naics: list[str]


class ReasonRead(BaseModel):
    code: str
    message: str
    status: str


class EligibilityRead(BaseModel):
    status: str
    reasons: list[ReasonRead]


SCORE = (
    "the fused ranking score in [0, 1] (a weighted average of the semantic, lexical, area and "
    "NAICS components); it orders the list but is not a probability"
)
FIT = (
    "the estimated probability, in [0, 1], that an analyst reading both texts judges the pair "
    "a fit (able to do at least part of the work), calibrated on the demo relevance set; it "
    "rises with `score`"
)


class MinFitApplied(BaseModel):
    """The minimum fit a response applied, where it came from, and what it left out."""

    min_fit: float = Field(description="matches with `fit` below this were left out")
    min_fit_source: Literal["request", "organization", "platform"] = Field(
        description="the `min_fit` query parameter, the organization's setting, or the "
        "platform default"
    )
    below_min_fit: int = Field(
        description="how many candidates of the list were left out for a fit below the minimum"
    )


HIDDEN = (
    "how many matches of the lists returned your organization hid (left out; "
    "`include_hidden=true` shows them, marked by their `review`)"
)


LEARNED_SCORE = (
    "the adopted learned model's re-ranking score (higher first), null when the list is ranked "
    "by the default fusion; it orders the list, `score` and `fit` keep their meaning"
)


class RankingRead(BaseModel):
    """Which ranking ordered the list: the default fusion, or a learned model (its version)."""

    model: Literal["default", "learned"]
    version: int | None = Field(description="the ranking model's version; null for default")


class MatchBase(BaseModel):
    rank: int
    score: float = Field(description=SCORE)
    fit: float = Field(description=FIT)
    learned_score: float | None = Field(default=None, description=LEARNED_SCORE)
    components: dict[str, float]
    cross_lingual: bool = Field(
        default=False,
        description="the solicitation and the partner are written in different languages "
        "(English and Japanese): the semantic component comes from the multilingual encoder",
    )
    lexical_basis: Literal["text", "absent", "glosses"] = Field(
        default="text",
        description="what the lexical component measures: `text`, words both texts contain; "
        "`absent`, no lexical evidence across languages (the component reads 0, which is not "
        "a measured zero); `glosses`, dictionary glosses of the Japanese text's loanwords",
    )
    eligibility: EligibilityRead
    held_back: bool
    explanation: ExplanationRead
    review: ReviewRead | None = Field(
        default=None, description="your organization's own review of this match, if any"
    )
    pinned_below_min_fit: bool = Field(
        default=False,
        description="pinned by your organization and shown although its fit is below the "
        "minimum (pinned matches are always shown, first)",
    )


class CompanyMatch(MatchBase):
    company: CompanySummary


class SolicitationMatch(MatchBase):
    solicitation: SolicitationSummary


class SolicitationMatches(MinFitApplied):
    """Partners for one solicitation: the eligible ranking, and (on request) those held back."""

    solicitation: SolicitationSummary
    role: str
    model_id: str
    ranking: RankingRead
    items: list[CompanyMatch]
    held_back: list[CompanyMatch]
    held_back_below_min_fit: int = Field(
        description="the same count for the held-back list (0 unless it was asked for)"
    )
    hidden: int = Field(default=0, description=HIDDEN)
    candidates: int
    pending_embeddings: int


class CompanyMatches(MinFitApplied):
    """Open solicitations that fit one company."""

    company: CompanySummary
    model_id: str
    ranking: RankingRead
    items: list[SolicitationMatch]
    held_back: list[SolicitationMatch]
    held_back_below_min_fit: int = Field(
        description="the same count for the held-back list (0 unless it was asked for)"
    )
    hidden: int = Field(default=0, description=HIDDEN)
    candidates: int
    pending_embeddings: int


class NeedCoverage(BaseModel):
    need: Quote
    covered_by: str
    similarity: float


class TeamMember(BaseModel):
    company: CompanySummary
    score: float = Field(description=SCORE)
    fit: float = Field(description=FIT)


class TeamRead(BaseModel):
    rank: int
    score: float
    coverage_score: float
    complementarity: float
    us_performer: TeamMember
    jp_partner: TeamMember
    coverage: list[NeedCoverage]


class TeamSuggestions(MinFitApplied):
    """Teams whose two members both reach the minimum fit; `below_min_fit` counts the
    candidates of either pool left out."""

    below_min_fit: int = Field(
        description="how many eligible candidates of either role were left out of the team "
        "pools for a fit below the minimum"
    )
    solicitation: SolicitationSummary
    ranking: RankingRead
    items: list[TeamRead]
    hidden: int = Field(
        default=0,
        description="how many eligible companies your organization hid for this solicitation "
        "(left out of every team)",
    )

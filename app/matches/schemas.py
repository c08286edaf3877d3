"""Match, explanation and team schemas."""

from pydantic import BaseModel

from app.companies.schemas import CompanySummary
from app.solicitations.schemas import SolicitationSummary


class Passage(BaseModel):
    """A window of the solicitation and a window of the profile that say the same thing, and in
    each the sentence sharing the most words with the other (read those first)."""

    need: str
    need_span: tuple[int, int]
    need_sentence: str
    need_sentence_span: tuple[int, int]
    capability: str
    capability_span: tuple[int, int]
    capability_sentence: str
    capability_sentence_span: tuple[int, int]
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


class MatchBase(BaseModel):
    rank: int
    score: float
    components: dict[str, float]
    eligibility: EligibilityRead
    held_back: bool
    explanation: ExplanationRead


class CompanyMatch(MatchBase):
    company: CompanySummary


class SolicitationMatch(MatchBase):
    solicitation: SolicitationSummary


class SolicitationMatches(BaseModel):
    """Partners for one solicitation: the eligible ranking, and (on request) those held back."""

    solicitation: SolicitationSummary
    role: str
    model_id: str
    items: list[CompanyMatch]
    held_back: list[CompanyMatch]
    candidates: int
    pending_embeddings: int


class CompanyMatches(BaseModel):
    """Open solicitations that fit one company."""

    company: CompanySummary
    model_id: str
    items: list[SolicitationMatch]
    held_back: list[SolicitationMatch]
    candidates: int
    pending_embeddings: int


class NeedCoverage(BaseModel):
    need: str
    need_span: tuple[int, int]
    covered_by: str
    similarity: float


class TeamMember(BaseModel):
    company: CompanySummary
    score: float


class TeamRead(BaseModel):
    rank: int
    score: float
    coverage_score: float
    complementarity: float
    us_performer: TeamMember
    jp_partner: TeamMember
    coverage: list[NeedCoverage]


class TeamSuggestions(BaseModel):
    solicitation: SolicitationSummary
    items: list[TeamRead]

"""What the capability-gap endpoints answer."""

from datetime import date, datetime

from pydantic import BaseModel

from app.matches.schemas import ReasonRead


class CompanyRef(BaseModel):
    """A partner behind a figure."""

    id: int
    name: str
    name_ja: str | None = None


class SolicitationRef(BaseModel):
    """A solicitation behind a figure."""

    id: int
    notice_id: str | None = None
    title: str
    agency: str | None = None


class Companies(BaseModel):
    """Partners behind a figure: `total` of them, the first `items` listed (the list may be
    capped)."""

    total: int
    items: list[CompanyRef]


class Solicitations(BaseModel):
    """Solicitations behind a figure: `total` of them, the first `items` listed."""

    total: int
    items: list[SolicitationRef]


class Unlock(BaseModel):
    """A partner held back only for want of an export authorization from solicitations that
    no eligible partner covers: an authorization request for it would unlock them."""

    company: CompanyRef
    solicitations: Solicitations


class AreaGap(BaseModel):
    """Coverage of one technology area's solicitations by the partners able to serve them.

    A solicitation counts in each of its areas, a partner in each of its own. Scores are the
    ranker's fused scores, fits their calibrated estimates."""

    area: str
    label_en: str
    label_ja: str
    open_solicitations: int
    vetted_partners: int
    # Partners of the area that pass every gate for at least one of its solicitations.
    eligible_partners: int
    # Median over the area's solicitations of the best eligible partner's score and fit
    # (any partner, whatever its areas); None when no solicitation has an eligible partner.
    median_best_score: float | None
    median_best_fit: float | None
    uncovered: int
    # Shares of the area's solicitations; None when it has none.
    uncovered_share: float | None
    authorization_locked: int
    authorization_locked_share: float | None
    solicitations: Solicitations
    uncovered_solicitations: Solicitations
    authorization_locked_solicitations: Solicitations
    vetted: Companies
    eligible: Companies
    # Partners whose authorization would unlock solicitations of the area, most first.
    unlocks: list[Unlock]


class GapsRead(BaseModel):
    """Capability gaps per technology area for one organization and its filters."""

    organization_id: int
    computed_at: datetime
    min_fit: float
    min_fit_source: str
    # The fused score that fit corresponds to; None at min_fit 0, where every score passes.
    min_score: float | None
    technology_area: str | None
    agency: str | None
    include_closed: bool
    solicitations: int
    # Partners still waiting for their vector: left out of every figure.
    pending_embeddings: int
    areas: list[AreaGap]
    # Over every area: the authorization requests that would unlock the most solicitations.
    authorization_requests: list[Unlock]


class PartnerStanding(BaseModel):
    """A partner as a solicitation's ranking and gates see it."""

    company: CompanyRef
    score: float
    fit: float
    status: str
    reasons: list[ReasonRead]


class NearPartner(PartnerStanding):
    """A partner whose capability passage comes closest to a sentence."""

    similarity: float
    # Compared across languages (a Japanese profile, in the multilingual space): `similarity`
    # is then put on the MiniLM scale, and `passage` quotes the Japanese passage compared.
    cross_lingual: bool = False
    passage: str | None = None


class SentenceGap(BaseModel):
    """One sentence of a solicitation, quoted from its field, and whether an eligible
    partner's capability answers it."""

    field: str
    item: int | None = None
    start: int
    end: int
    text: str
    # Corpus-common wording (an export-control notice): not a need, never uncovered.
    boilerplate: bool
    covered: bool
    best_similarity: float | None
    best_partner: CompanyRef | None
    # The best partner's Japanese passage, when it was compared across languages.
    best_passage: str | None = None
    nearest: list[NearPartner]


class SolicitationGap(BaseModel):
    """What of one solicitation's need the eligible partners leave uncovered."""

    solicitation: SolicitationRef
    technology_areas: list[str]
    export_control: str
    foreign_participation: str
    min_fit: float
    min_fit_source: str
    # Some eligible partner reaches the minimum fit.
    covered: bool
    authorization_locked: bool
    best_eligible: list[PartnerStanding]
    unlocking: list[PartnerStanding]
    # A sentence is covered when an eligible partner's passage reaches this similarity.
    similarity_threshold: float
    sentences: list[SentenceGap]
    uncovered_sentences: int
    covered_sentence_share: float | None
    # Set when the description is left out for this organization (only the title is read).
    withheld_reason: str | None


class TrendPoint(BaseModel):
    """One week's figures of one area."""

    week_start: date
    open_solicitations: int
    vetted_partners: int
    eligible_partners: int
    median_best_score: float | None
    uncovered_share: float | None
    authorization_locked_share: float | None
    min_score: float | None
    demo_history: bool
    taken_at: datetime


class AreaTrend(BaseModel):
    """An area's weekly snapshots, oldest first."""

    area: str
    label_en: str
    label_ja: str
    points: list[TrendPoint]


class TrendRead(BaseModel):
    """The organization's weekly snapshots per area: are gaps closing?"""

    organization_id: int
    weeks: list[date]
    areas: list[AreaTrend]

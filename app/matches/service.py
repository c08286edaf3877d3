"""Ranking partners for a solicitation (and solicitations for a partner) under the
eligibility gates, with explanations, and suggesting US-Japan teams."""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authorizations import service as authorizations
from app.authorizations.models import ExportAuthorization
from app.companies import service as companies
from app.companies.models import Company, CompanyRole, effective_vetting
from app.db import utcnow
from app.embeddings import service as embeddings
from app.matches import thresholds
from app.matches.index import RankerState, as_query, company_profile, solicitation_profile
from app.matches.schemas import (
    CompanyMatch,
    CompanyMatches,
    EligibilityRead,
    ExplanationRead,
    NeedCoverage,
    Passage,
    Quote,
    ReasonRead,
    SolicitationMatch,
    SolicitationMatches,
    TeamMember,
    TeamRead,
    TeamSuggestions,
)
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, SolicitationStatus
from matching import eligibility as gates
from matching.explain import Explanation, explain
from matching.lexical import LexicalScorer
from matching.ranker import MatchIndex, Profile, Query, ScoredCandidate, weigh_query
from matching.teams import suggest_teams
from matching.text import FieldedText, FieldSpan

TEAM_POOL = 15


@dataclass(frozen=True)
class Candidate:
    """The few columns of a company that eligibility needs (not the whole profile)."""

    id: int
    role: CompanyRole
    country: str
    vetting_status: str | None
    vetting_expires_at: datetime | None


def candidates(session: Session, *, role: CompanyRole | None = None) -> list[Candidate]:
    """Every live company as eligibility facts, in one light query."""
    query = select(
        Company.id,
        Company.role,
        Company.country,
        Company.vetting_status,
        Company.vetting_expires_at,
    ).where(Company.archived_at.is_(None))
    if role is not None:
        query = query.where(Company.role == role)
    return [Candidate(*row) for row in session.execute(query)]


def partner_facts(company: Company | Candidate, now: datetime) -> gates.PartnerFacts:
    """What the eligibility rules need to know about a company."""
    return gates.PartnerFacts(
        id=str(company.id),
        role=company.role.value,
        country=company.country,
        vetting_status=effective_vetting(
            company.role, company.vetting_status, company.vetting_expires_at, now
        ),
    )


def solicitation_facts(solicitation: Solicitation) -> gates.SolicitationFacts:
    """What the eligibility rules need to know about a solicitation."""
    return gates.SolicitationFacts(
        id=str(solicitation.id),
        status=solicitation.status.value,
        response_deadline=solicitation.response_deadline,
        export_control=solicitation.export_control.value,
        foreign_participation=solicitation.foreign_participation.value,
        areas=frozenset(solicitation.area_slugs),
    )


def authorization_facts(auth: ExportAuthorization) -> gates.AuthorizationFacts:
    """An export authorization as the eligibility rules see it."""
    return gates.AuthorizationFacts(
        company_id=str(auth.company_id),
        solicitation_id=str(auth.solicitation_id) if auth.solicitation_id else None,
        technology_area=auth.technology_area.slug if auth.technology_area else None,
        valid_from=auth.valid_from,
        valid_until=auth.valid_until,
        revoked=auth.revoked_at is not None,
        reference=auth.reference,
    )


def _eligibility_read(result: gates.Eligibility) -> EligibilityRead:
    return EligibilityRead(
        status=result.status.value,
        reasons=[
            ReasonRead(code=r.code, message=r.message, status=r.status.value)
            for r in result.reasons
        ],
    )


def _quote(span: FieldSpan) -> Quote:
    return Quote(field=span.field, item=span.item, start=span.start, end=span.end, text=span.text)


def _explanation_read(explanation: Explanation, *, query_is_need: bool) -> ExplanationRead:
    passages = []
    for p in explanation.passages:
        sides = [(p.query, p.query_focus), (p.profile, p.profile_focus)]
        need, capability = sides if query_is_need else sides[::-1]
        passages.append(
            Passage(
                need=_quote(need[0]),
                need_sentence=_quote(need[1]),
                capability=_quote(capability[0]),
                capability_sentence=_quote(capability[1]),
                similarity=round(p.similarity, 4),
            )
        )
    return ExplanationRead(
        passages=passages,
        shared_terms=explanation.shared_terms,
        shared_areas=explanation.shared_areas,
        shared_naics=explanation.shared_naics,
    )


def fields_of(record: Company | Solicitation) -> FieldedText:
    """The record's ranked fields, which explanations quote."""
    if isinstance(record, Company):
        return companies.profile_fields(record)
    return solicitations.need_fields(record)


def _indexed(
    session: Session, *, entity: embeddings.Entity, ids: Sequence[int], ranker: RankerState
) -> tuple[MatchIndex, int]:
    """The current index over `entity`, and how many of `ids` still wait for the worker to
    embed them (they are left out of this ranking; a read never embeds or writes)."""
    index = ranker.companies(session) if entity == "company" else ranker.solicitations(session)
    return index, sum(1 for i in ids if str(i) not in index.positions_)


def _query_for(session: Session, record: Company | Solicitation, ranker: RankerState) -> Query:
    """The record as the query side: its stored vector when that was computed from its
    current text, else its text encoded here, in memory (storing it is the worker's job)."""
    entity: embeddings.Entity = "company" if isinstance(record, Company) else "solicitation"
    fields = fields_of(record)
    vector = embeddings.current_vector(
        session, entity=entity, model_id=ranker.model_id, entity_id=record.id, text=fields.text
    )
    if vector is None:
        vector = ranker.encoder.encode_documents([fields])[0]
    if isinstance(record, Company):
        return as_query(company_profile(record, vector))
    return _need_query(ranker.solicitations(session), solicitation_profile(record, vector))


def _need_query(solicitation_index: MatchIndex, need: Profile) -> Query:
    """A solicitation as the query, its passages weighed by the boilerplate of all
    solicitations (export-control notices and the like count less)."""
    return weigh_query(as_query(need), solicitation_index.boilerplate_)


def _assess_all(
    session: Session, solicitation: Solicitation, pool: Sequence[Candidate], now: datetime
) -> dict[str, gates.Eligibility]:
    facts = solicitation_facts(solicitation)
    auths: dict[str, list[gates.AuthorizationFacts]] = {}
    # All unrevoked authorizations: few in number, and an IN list of every candidate would not be.
    for auth in authorizations.for_companies(session, company_ids=None):
        auths.setdefault(str(auth.company_id), []).append(authorization_facts(auth))
    verdicts: dict[str, gates.Eligibility] = {}
    # Partners without authorizations get the same verdict when their facts are the same: assess
    # each distinct (role, country, vetting) once instead of once per partner.
    shared: dict[tuple[str, str, str], gates.Eligibility] = {}
    for candidate in pool:
        partner = partner_facts(candidate, now)
        own = auths.get(partner.id)
        if own:
            verdicts[partner.id] = gates.assess(partner, facts, own, now=now)
            continue
        key = (partner.role, partner.country, partner.vetting_status)
        if key not in shared:
            shared[key] = gates.assess(partner, facts, [], now=now)
        verdicts[partner.id] = shared[key]
    return verdicts


def _companies_by_id(session: Session, ids: Collection[str]) -> dict[str, Company]:
    """Full profiles of the few companies a response shows."""
    if not ids:
        return {}
    rows = session.scalars(select(Company).where(Company.id.in_([int(i) for i in ids])))
    return {str(c.id): c for c in rows}


def _ranked(index: MatchIndex, query: Query, ids: set[str], limit: int) -> list[ScoredCandidate]:
    return index.rank(query, limit=limit, allowed_ids=ids) if ids else []


@dataclass(frozen=True)
class _Explainer:
    """What explaining one query against ranked profiles needs besides the index."""

    query: Query
    query_fields: FieldedText
    # Fitted on the query's own corpus: terms common there explain nothing either.
    query_lexical: LexicalScorer
    query_is_need: bool


def _explained(
    index: MatchIndex,
    explainer: _Explainer,
    ranked: list[ScoredCandidate],
    verdicts: dict[str, gates.Eligibility],
    records: Mapping[str, Company | Solicitation],
    *,
    held_back: bool,
) -> list[tuple[str, dict[str, Any]]]:
    """The fields every ranked item shares: rank, score, components, eligibility, explanation."""
    out = []
    for rank, hit in enumerate(ranked, start=1):
        explanation = explain(
            explainer.query,
            index.profile(hit.id),
            lexical=index.lexical_,
            profile_index=index.index_of(hit.id),
            query_lexical=explainer.query_lexical,
            query_fields=explainer.query_fields,
            profile_fields=fields_of(records[hit.id]),
            profile_unit_weights=index.unit_weights(hit.id),
        )
        out.append(
            (
                hit.id,
                {
                    "rank": rank,
                    "score": round(hit.score, 4),
                    "fit": thresholds.fit_of(hit.score),
                    "components": {k: round(v, 4) for k, v in hit.components.items()},
                    "eligibility": _eligibility_read(verdicts[hit.id]),
                    "held_back": held_back,
                    "explanation": _explanation_read(
                        explanation, query_is_need=explainer.query_is_need
                    ),
                },
            )
        )
    return out


def match_solicitation(
    session: Session,
    *,
    ranker: RankerState,
    solicitation_id: int,
    role: CompanyRole,
    limit: int,
    include_held_back: bool,
    organization_id: int | None = None,
    min_fit: float | None = None,
) -> SolicitationMatches:
    """The eligible partners of `role` for a solicitation, best first, each explained; held-back
    partners only on request, in their own list. Both leave out fits below the minimum."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    pool = candidates(session, role=role)
    query = _query_for(session, solicitation, ranker)
    index, pending = _indexed(session, entity="company", ids=[c.id for c in pool], ranker=ranker)
    verdicts = _assess_all(session, solicitation, pool, now)
    eligible = {i for i, v in verdicts.items() if v.status is gates.EligibilityStatus.ELIGIBLE}

    explainer = _Explainer(
        query, fields_of(solicitation), ranker.solicitations(session).lexical_, query_is_need=True
    )

    def items(ids: set[str], held_back: bool) -> tuple[list[CompanyMatch], int]:
        ranked, below = thresholds.above_min_fit(_ranked(index, query, ids, limit), floor)
        by_id = _companies_by_id(session, [hit.id for hit in ranked])
        return [
            CompanyMatch(**fields, company=companies.to_summary(by_id[hit_id], now=now))
            for hit_id, fields in _explained(
                index, explainer, ranked, verdicts, by_id, held_back=held_back
            )
        ], below

    held = set(verdicts) - eligible
    shown, below = items(eligible, False)
    held_shown, held_below = items(held, True) if include_held_back else ([], 0)
    return SolicitationMatches(
        solicitation=solicitations.to_summary(solicitation),
        role=role.value,
        model_id=ranker.model_id,
        items=shown,
        held_back=held_shown,
        candidates=len(pool),
        pending_embeddings=pending,
        min_fit=floor.value,
        min_fit_source=floor.source,
        below_min_fit=below,
        held_back_below_min_fit=held_below,
    )


def match_company(
    session: Session,
    *,
    ranker: RankerState,
    company_id: int,
    limit: int,
    include_held_back: bool,
    organization_id: int | None = None,
    min_fit: float | None = None,
) -> CompanyMatches:
    """The open solicitations that fit a company best; those it may not receive are held back.

    Each (solicitation, company) pair is scored as the solicitation's own ranking scores it
    (the solicitation is the query, the partners the corpus), so a pair shows one score
    whichever side asks. Both lists leave out fits below the minimum."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    company = companies.get(session, company_id=company_id)
    open_needs = list(
        session.scalars(
            select(Solicitation).where(
                Solicitation.archived_at.is_(None),
                solicitations.status_condition(SolicitationStatus.OPEN, now=now),
            )
        )
    )
    partner_query = _query_for(session, company, ranker)
    partner = Profile(
        id=partner_query.id,
        text=partner_query.text,
        areas=partner_query.areas,
        naics=partner_query.naics,
        embedding=partner_query.embedding,
    )
    needs_index, pending = _indexed(
        session, entity="solicitation", ids=[s.id for s in open_needs], ranker=ranker
    )
    company_index = ranker.companies(session)
    needs = {
        str(s.id): _need_query(needs_index, needs_index.profile(str(s.id)))
        for s in open_needs
        if str(s.id) in needs_index.positions_
    }
    scored = company_index.score_pairs(list(needs.values()), partner)
    auths = [
        authorization_facts(a)
        for a in authorizations.for_companies(session, company_ids=[company.id])
    ]
    facts = partner_facts(company, now)
    verdicts = {
        str(s.id): gates.assess(facts, solicitation_facts(s), auths, now=now) for s in open_needs
    }
    by_id = {str(s.id): s for s in open_needs}
    eligible = {i for i, v in verdicts.items() if v.status is gates.EligibilityStatus.ELIGIBLE}
    profile_index = company_index.positions_.get(partner.id)
    if profile_index is not None and company_index.profiles_[profile_index].text != partner.text:
        profile_index = None

    partner_fields = fields_of(company)
    need_lexical = needs_index.lexical_
    if profile_index is not None:
        partner_weights = company_index.unit_weights(partner.id)
    else:
        partner_weights = company_index.boilerplate_.unit_weights(
            partner.text, partner.embedding.spans
        )

    def items(ids: set[str], held_back: bool) -> tuple[list[SolicitationMatch], int]:
        candidates = sorted(
            (hit for hit in scored if hit.id in ids), key=lambda hit: (-hit.score, int(hit.id))
        )
        kept, below = thresholds.above_min_fit(candidates, floor)
        out = []
        for rank, hit in enumerate(kept[:limit], start=1):
            need = needs[hit.id]
            explanation = explain(
                need,
                partner,
                lexical=company_index.lexical_ if profile_index is not None else None,
                profile_index=profile_index,
                query_lexical=need_lexical,
                query_fields=fields_of(by_id[hit.id]),
                profile_fields=partner_fields,
                profile_unit_weights=partner_weights,
            )
            out.append(
                SolicitationMatch(
                    rank=rank,
                    score=round(hit.score, 4),
                    fit=thresholds.fit_of(hit.score),
                    components={k: round(v, 4) for k, v in hit.components.items()},
                    eligibility=_eligibility_read(verdicts[hit.id]),
                    held_back=held_back,
                    explanation=_explanation_read(explanation, query_is_need=True),
                    solicitation=solicitations.to_summary(by_id[hit.id]),
                )
            )
        return out, below

    held = set(verdicts) - eligible
    shown, below = items(eligible, False)
    held_shown, held_below = items(held, True) if include_held_back else ([], 0)
    return CompanyMatches(
        company=companies.to_summary(company, now=now),
        model_id=ranker.model_id,
        items=shown,
        held_back=held_shown,
        candidates=len(open_needs),
        pending_embeddings=pending,
        min_fit=floor.value,
        min_fit_source=floor.source,
        below_min_fit=below,
        held_back_below_min_fit=held_below,
    )


def teams(
    session: Session,
    *,
    ranker: RankerState,
    solicitation_id: int,
    limit: int,
    organization_id: int | None = None,
    min_fit: float | None = None,
) -> TeamSuggestions:
    """Pairs of one eligible US performer and one eligible Japanese partner that together cover
    the solicitation's needs, both reaching the minimum fit."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    everyone = candidates(session)
    query = _query_for(session, solicitation, ranker)
    index, _pending = _indexed(
        session, entity="company", ids=[c.id for c in everyone], ranker=ranker
    )
    verdicts = _assess_all(session, solicitation, everyone, now)
    roles = {str(c.id): c.role for c in everyone}

    def pool(role: CompanyRole) -> tuple[list[tuple[Profile, ScoredCandidate]], int]:
        ids = {
            i
            for i, v in verdicts.items()
            if v.status is gates.EligibilityStatus.ELIGIBLE and roles[i] is role
        }
        ranked, below = thresholds.above_min_fit(_ranked(index, query, ids, TEAM_POOL), floor)
        return [(index.profile(hit.id), hit) for hit in ranked], below

    (us_pool, us_below), (jp_pool, jp_below) = (
        pool(CompanyRole.US_PERFORMER),
        pool(CompanyRole.JP_PARTNER),
    )
    scores = {hit.id: hit.score for _, hit in us_pool + jp_pool}
    suggestions = suggest_teams(query, us_pool, jp_pool, limit=limit)
    need_fields = fields_of(solicitation)
    by_id = _companies_by_id(session, scores)
    return TeamSuggestions(
        solicitation=solicitations.to_summary(solicitation),
        min_fit=floor.value,
        min_fit_source=floor.source,
        below_min_fit=us_below + jp_below,
        items=[
            TeamRead(
                rank=rank,
                score=round(team.score, 4),
                coverage_score=round(team.coverage_score, 4),
                complementarity=round(team.complementarity, 4),
                us_performer=TeamMember(
                    company=companies.to_summary(by_id[team.us_id], now=now),
                    score=round(scores[team.us_id], 4),
                    fit=thresholds.fit_of(scores[team.us_id]),
                ),
                jp_partner=TeamMember(
                    company=companies.to_summary(by_id[team.jp_id], now=now),
                    score=round(scores[team.jp_id], 4),
                    fit=thresholds.fit_of(scores[team.jp_id]),
                ),
                coverage=[
                    NeedCoverage(
                        need=_quote(need),
                        covered_by=c.covered_by,
                        similarity=round(c.similarity, 4),
                    )
                    for c in team.coverage
                    # A window of nothing but field separators (a stale vector) quotes nothing.
                    if (need := need_fields.locate(c.query_start, c.query_end)) is not None
                ],
            )
            for rank, team in enumerate(suggestions, start=1)
        ],
    )

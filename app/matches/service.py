"""Ranking partners for a solicitation (and solicitations for a partner) under the
eligibility gates, with explanations, and suggesting US-Japan teams."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.authorizations import service as authorizations
from app.authorizations.models import ExportAuthorization
from app.companies import service as companies
from app.companies.models import Company, CompanyRole, effective_vetting
from app.db import utcnow
from app.embeddings import service as embeddings
from app.matches import sync
from app.matches.index import (
    IndexView,
    RankerState,
    as_query,
    company_profile,
    solicitation_profile,
)
from app.matches.schemas import (
    CompanyMatch,
    CompanyMatches,
    EligibilityRead,
    ExplanationRead,
    NeedCoverage,
    Passage,
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
from matching.ranker import MatchIndex, Profile, Query, ScoredCandidate
from matching.teams import suggest_teams

TEAM_POOL = 15


def partner_facts(company: Company, now: datetime) -> gates.PartnerFacts:
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


def _explanation_read(
    explanation: Explanation, *, query: Query, profile: Profile, query_is_need: bool
) -> ExplanationRead:
    passages = []
    for p in explanation.passages:
        sides = [
            (p.query_text, (p.query_start, p.query_end), query.text, p.query_focus),
            (p.profile_text, (p.profile_start, p.profile_end), profile.text, p.profile_focus),
        ]
        need, capability = sides if query_is_need else sides[::-1]
        passages.append(
            Passage(
                need=need[0],
                need_span=need[1],
                need_sentence=need[2][slice(*need[3])],
                need_sentence_span=need[3],
                capability=capability[0],
                capability_span=capability[1],
                capability_sentence=capability[2][slice(*capability[3])],
                capability_sentence_span=capability[3],
                similarity=round(p.similarity, 4),
            )
        )
    return ExplanationRead(
        passages=passages,
        shared_terms=explanation.shared_terms,
        shared_areas=explanation.shared_areas,
        shared_naics=explanation.shared_naics,
    )


def _query_for(session: Session, record: Company | Solicitation, ranker: RankerState) -> Query:
    """The record as the query side: its stored vector when that was computed from its
    current text, else its text encoded here, in memory (storing it is the worker's job)."""
    if isinstance(record, Company):
        entity: embeddings.Entity = "company"
        text = companies.profile_text(record)
    else:
        entity = "solicitation"
        text = solicitations.need_text(record)
    vector = embeddings.current_vector(
        session, entity=entity, model_id=ranker.model_id, entity_id=record.id, text=text
    )
    if vector is None:
        vector = ranker.encoder.encode_documents([text])[0]
    if isinstance(record, Company):
        return as_query(company_profile(record, vector))
    return as_query(solicitation_profile(record, vector))


def _authorizations(session: Session) -> dict[str, list[gates.AuthorizationFacts]]:
    """Every trusted unrevoked authorization, by company: few in number, and an IN list of
    every candidate would not be."""
    auths: dict[str, list[gates.AuthorizationFacts]] = {}
    for auth in authorizations.for_companies(session, company_ids=None):
        auths.setdefault(str(auth.company_id), []).append(authorization_facts(auth))
    return auths


@dataclass(frozen=True)
class Pool:
    """The candidate companies of one request (live, of the role asked for) and their
    eligibility verdicts."""

    positions: np.ndarray  # positions in the view's `known`, ascending
    verdict_of: np.ndarray  # per candidate, an index into `verdicts`
    verdicts: list[gates.Eligibility]
    eligible: np.ndarray  # per candidate

    def verdict(self, view: IndexView, company_id: str) -> gates.Eligibility:
        """The verdict on one candidate."""
        at = int(np.searchsorted(self.positions, view.known_of(company_id)))
        return self.verdicts[int(self.verdict_of[at])]

    def rows(self, view: IndexView, among: np.ndarray) -> np.ndarray:
        """Index rows (ascending) of the indexed candidates selected by the mask `among`."""
        rows = view.rows[self.positions[among]]
        return np.sort(rows[rows >= 0])

    def pending(self, view: IndexView) -> int:
        """Candidates still waiting for their vector (left out of the ranking)."""
        return int((view.rows[self.positions] < 0).sum())


def _effective_vetting(
    known: sync.Known, at: np.ndarray, now: datetime
) -> tuple[np.ndarray, list[str]]:
    """``effective_vetting`` of many companies at once: a code per company, and the names."""
    _, _, stored, stored_names = known.codes
    names = [*(str(v) for v in stored_names), "unvetted", "expired", "not_required"]
    unvetted, expired, not_required = len(stored_names), len(stored_names) + 1, len(names) - 1
    code = stored[at]
    found = {str(v): i for i, v in enumerate(stored_names)}
    vetted = found.get("vetted", -1)
    lapsed = (
        (code == vetted)
        & (known.expires[at] != sync.NO_TIME)
        & (known.expires[at] <= sync.micros(now))
    )
    code = np.where(code == found.get("", -1), unvetted, code)
    code = np.where(lapsed, expired, code)
    us = known.role[at] == sync.ROLES.index(CompanyRole.US_PERFORMER)
    return np.where(us, not_required, code), names


def _pool(
    view: IndexView,
    solicitation: Solicitation,
    auths: dict[str, list[gates.AuthorizationFacts]],
    now: datetime,
    *,
    role: CompanyRole | None,
) -> Pool:
    """Every live company (of `role`) with its verdict. Companies without authorizations get
    the same verdict when their role, country and vetting are the same: each distinct one is
    assessed once, not once per company."""
    known = view.known
    live = known.live.copy()
    if role is not None:
        live &= known.role == sync.ROLES.index(role)
    at = np.flatnonzero(live)
    facts = solicitation_facts(solicitation)
    country, countries, _, _ = known.codes
    vetting, names = _effective_vetting(known, at, now)
    keys = (known.role[at].astype(np.int64) * len(countries) + country[at]) * len(names) + vetting
    _, first, verdict_of = np.unique(keys, return_index=True, return_inverse=True)

    def facts_of(j: int) -> gates.PartnerFacts:
        position = at[j]
        return gates.PartnerFacts(
            id=str(known.ids[position]),
            role=sync.ROLES[int(known.role[position])].value,
            country=str(known.country[position]),
            vetting_status=names[int(vetting[j])],
        )

    verdicts = [gates.assess(facts_of(int(j)), facts, [], now=now) for j in first]
    verdict_of = np.asarray(verdict_of, dtype=np.int64).reshape(-1)
    holders = np.array([int(i) for i in auths], dtype=np.int64)
    for position in known.position(holders):
        j = int(np.searchsorted(at, position))
        if position < 0 or j >= len(at) or at[j] != position:
            continue
        partner = facts_of(j)
        verdict_of[j] = len(verdicts)
        verdicts.append(gates.assess(partner, facts, auths[partner.id], now=now))
    is_eligible = np.array(
        [v.status is gates.EligibilityStatus.ELIGIBLE for v in verdicts], dtype=bool
    )
    return Pool(at, verdict_of, verdicts, is_eligible[verdict_of] if len(at) else np.zeros(0, bool))


def _explained(
    index: MatchIndex,
    query: Query,
    ranked: list[ScoredCandidate],
    verdict: Callable[[str], gates.Eligibility],
    *,
    held_back: bool,
    query_is_need: bool,
) -> list[tuple[str, dict[str, Any]]]:
    """The fields every ranked item shares: rank, score, components, eligibility, explanation."""
    out = []
    for rank, hit in enumerate(ranked, start=1):
        profile = index.profile(hit.id)
        explanation = explain(
            query, profile, lexical=index.lexical_, profile_index=index.index_of(hit.id)
        )
        out.append(
            (
                hit.id,
                {
                    "rank": rank,
                    "score": round(hit.score, 4),
                    "components": {k: round(v, 4) for k, v in hit.components.items()},
                    "eligibility": _eligibility_read(verdict(hit.id)),
                    "held_back": held_back,
                    "explanation": _explanation_read(
                        explanation, query=query, profile=profile, query_is_need=query_is_need
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
) -> SolicitationMatches:
    """The eligible partners of `role` for a solicitation, best first, each explained; held-back
    partners only on request, in their own list."""
    now = utcnow()
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    query = _query_for(session, solicitation, ranker)
    auths = _authorizations(session)
    with ranker.read(session, entity="company") as view:
        pool = _pool(view, solicitation, auths, now, role=role)

        def items(among: np.ndarray, held_back: bool) -> list[tuple[str, dict[str, Any]]]:
            rows = pool.rows(view, among)
            if not len(rows):
                return []
            ranked = view.index.rank(query, limit=limit, allowed_rows=rows)
            return _explained(
                view.index,
                query,
                ranked,
                lambda company_id: pool.verdict(view, company_id),
                held_back=held_back,
                query_is_need=True,
            )

        eligible = items(pool.eligible, False)
        held = items(~pool.eligible, True) if include_held_back else []
        pending = pool.pending(view)
    by_id = companies.summaries(session, ids=[int(i) for i, _ in eligible + held], now=now)
    return SolicitationMatches(
        solicitation=solicitations.to_summary(solicitation),
        role=role.value,
        model_id=ranker.model_id,
        items=[CompanyMatch(**fields, company=by_id[int(i)]) for i, fields in eligible],
        held_back=[CompanyMatch(**fields, company=by_id[int(i)]) for i, fields in held],
        candidates=len(pool.positions),
        pending_embeddings=pending,
    )


def match_company(
    session: Session,
    *,
    ranker: RankerState,
    company_id: int,
    limit: int,
    include_held_back: bool,
) -> CompanyMatches:
    """The open solicitations that fit a company best; those it may not receive are held back."""
    now = utcnow()
    company = companies.get(session, company_id=company_id)
    open_needs = list(
        session.scalars(
            select(Solicitation).where(
                Solicitation.archived_at.is_(None),
                solicitations.status_condition(SolicitationStatus.OPEN, now=now),
            )
        )
    )
    query = _query_for(session, company, ranker)
    partner = partner_facts(company, now)
    auths = [
        authorization_facts(a)
        for a in authorizations.for_companies(session, company_ids=[company.id])
    ]
    verdicts = {
        str(s.id): gates.assess(partner, solicitation_facts(s), auths, now=now) for s in open_needs
    }
    by_id = {str(s.id): s for s in open_needs}
    eligible = {i for i, v in verdicts.items() if v.status is gates.EligibilityStatus.ELIGIBLE}
    held = set(verdicts) - eligible
    with ranker.read(session, entity="solicitation") as view:
        index = view.index
        pending = sum(1 for s in open_needs if str(s.id) not in index.positions_)

        def items(ids: set[str], held_back: bool) -> list[SolicitationMatch]:
            ranked = index.rank(query, limit=limit, allowed_ids=ids) if ids else []
            return [
                SolicitationMatch(**fields, solicitation=solicitations.to_summary(by_id[hit_id]))
                for hit_id, fields in _explained(
                    index,
                    query,
                    ranked,
                    verdicts.__getitem__,
                    held_back=held_back,
                    query_is_need=False,
                )
            ]

        eligible_items = items(eligible, False)
        held_items = items(held, True) if include_held_back else []
    return CompanyMatches(
        company=companies.to_summary(company, now=now),
        model_id=ranker.model_id,
        items=eligible_items,
        held_back=held_items,
        candidates=len(open_needs),
        pending_embeddings=pending,
    )


def teams(
    session: Session, *, ranker: RankerState, solicitation_id: int, limit: int
) -> TeamSuggestions:
    """Pairs of one eligible US performer and one eligible Japanese partner that together cover
    the solicitation's needs."""
    now = utcnow()
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    query = _query_for(session, solicitation, ranker)
    auths = _authorizations(session)
    with ranker.read(session, entity="company") as view:
        everyone = _pool(view, solicitation, auths, now, role=None)
        roles = view.known.role[everyone.positions]

        def ranked(role: CompanyRole) -> list[tuple[Profile, ScoredCandidate]]:
            among = everyone.eligible & (roles == sync.ROLES.index(role))
            rows = everyone.rows(view, among)
            if not len(rows):
                return []
            hits = view.index.rank(query, limit=TEAM_POOL, allowed_rows=rows)
            return [(view.index.profile(hit.id), hit) for hit in hits]

        us_pool, jp_pool = ranked(CompanyRole.US_PERFORMER), ranked(CompanyRole.JP_PARTNER)
    scores = {hit.id: hit.score for _, hit in us_pool + jp_pool}
    suggestions = suggest_teams(query, us_pool, jp_pool, limit=limit)
    by_id = companies.summaries(session, ids=[int(i) for i in scores], now=now)
    return TeamSuggestions(
        solicitation=solicitations.to_summary(solicitation),
        items=[
            TeamRead(
                rank=rank,
                score=round(team.score, 4),
                coverage_score=round(team.coverage_score, 4),
                complementarity=round(team.complementarity, 4),
                us_performer=TeamMember(
                    company=by_id[int(team.us_id)],
                    score=round(scores[team.us_id], 4),
                ),
                jp_partner=TeamMember(
                    company=by_id[int(team.jp_id)],
                    score=round(scores[team.jp_id], 4),
                ),
                coverage=[
                    NeedCoverage(
                        need=c.query_text,
                        need_span=(c.query_start, c.query_end),
                        covered_by=c.covered_by,
                        similarity=round(c.similarity, 4),
                    )
                    for c in team.coverage
                ],
            )
            for rank, team in enumerate(suggestions, start=1)
        ],
    )

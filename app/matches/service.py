"""Ranking partners for a solicitation (and solicitations for a partner) under the
eligibility gates, with explanations, and suggesting US-Japan teams."""

from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
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
from app.embeddings.models import Embedding
from app.learning import service as learning
from app.matches import sync, thresholds
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
    Quote,
    ReasonRead,
    SolicitationMatch,
    SolicitationMatches,
    TeamMember,
    TeamRead,
    TeamSuggestions,
)
from app.reviews import service as reviews
from app.reviews.models import MatchReview
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, SolicitationStatus
from matching import eligibility as gates
from matching.boilerplate import BoilerplateModel
from matching.encoder import DocumentEmbedding
from matching.explain import Explanation, explain
from matching.language import detect_language
from matching.lexical import LexicalScorer
from matching.multilingual import Kind
from matching.ranker import MatchIndex, Profile, Query, ScoredCandidate, weigh_query
from matching.teams import suggest_teams
from matching.text import FieldedText, FieldSpan, content_hash

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
        screening=company.screening_status,
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


def _embedding_for(
    session: Session, record: Company | Solicitation, ranker: RankerState
) -> DocumentEmbedding:
    """The record's stored vector when that was computed from its current text, else its text
    encoded here, in memory (storing it is the worker's job). Done before any index is held:
    encoding is the slow part of a request."""
    entity: embeddings.Entity = "company" if isinstance(record, Company) else "solicitation"
    fields = fields_of(record)
    vector = embeddings.current_vector(
        session, entity=entity, model_id=ranker.model_id, entity_id=record.id, text=fields.text
    )
    return vector if vector is not None else ranker.encoder.encode_documents([fields])[0]


def _stored_or_encoded(
    session: Session, record: Solicitation | Company, *, entity: embeddings.Entity, kind: Kind
) -> DocumentEmbedding:
    """A record's multilingual vector: the stored one if computed from its current text, else
    encoded here in memory (a read never writes; the job stores it)."""
    fields = fields_of(record)
    vector = embeddings.current_vector(
        session,
        entity=entity,
        model_id=embeddings.multilingual_space_id(entity),
        entity_id=record.id,
        text=fields.text,
    )
    if vector is not None:
        return vector
    return embeddings.get_multilingual().encode_documents([fields], kind=kind)[0]


def _multilingual_for(session: Session, solicitation: Solicitation) -> DocumentEmbedding | None:
    """A solicitation's multilingual (e5 query) vector when some company is written in
    Japanese; None when every company is in English."""
    if not embeddings.any_japanese_company(session):
        return None
    return _stored_or_encoded(session, solicitation, entity="solicitation", kind="query")


def _multilingual_of(
    session: Session, needs: Sequence[Solicitation]
) -> dict[int, DocumentEmbedding]:
    """`_multilingual_for` of many solicitations at once, by id: stored vectors read in
    chunks, the stale or missing ones encoded here in one batch. Empty when every company is
    in English."""
    if not needs or not embeddings.any_japanese_company(session):
        return {}
    model_id = embeddings.multilingual_space_id("solicitation")
    fields = {s.id: fields_of(s) for s in needs}
    out: dict[int, DocumentEmbedding] = {}
    ids = list(fields)
    for start in range(0, len(ids), MULTILINGUAL_CHUNK):
        rows = session.scalars(
            select(Embedding).where(
                Embedding.entity_type == "solicitation",
                Embedding.model_id == model_id,
                Embedding.entity_id.in_(ids[start : start + MULTILINGUAL_CHUNK]),
            )
        )
        for row in rows:
            if row.content_hash == content_hash(fields[row.entity_id].text):
                out[row.entity_id] = DocumentEmbedding.from_payload(
                    row.pooled, row.units, row.spans, row.dimension
                )
    missing = [i for i in ids if i not in out]
    if missing:
        encoded = embeddings.get_multilingual().encode_documents(
            [fields[i] for i in missing], kind="query"
        )
        out.update(zip(missing, encoded, strict=True))
    return out


def _company_multilingual(session: Session, company: Company) -> DocumentEmbedding | None:
    """A company's multilingual (e5 passage) vector when it is written (partly) in Japanese."""
    if embeddings.language_of(fields_of(company)) == "en":
        return None
    return _stored_or_encoded(session, company, entity="company", kind="passage")


def _sentence_vectors(texts: list[str], kind: str) -> np.ndarray:
    """Sentences embedded by the multilingual encoder, for cross-lingual explanations."""
    return embeddings.get_multilingual().encode(
        texts, kind="query" if kind == "query" else "passage"
    )


@contextmanager
def _held_indexes(session: Session, ranker: RankerState) -> Iterator[tuple[IndexView, IndexView]]:
    """The solicitations' and the companies' indexes, held unchanged until the block ends.
    Every request takes them in this order, so two requests never wait on each other."""
    with (
        ranker.read(session, entity="solicitation") as needs,
        ranker.read(session, entity="company") as partners,
    ):
        yield needs, partners


def _need_query(
    solicitation_index: MatchIndex, need: Profile, multilingual: DocumentEmbedding | None = None
) -> Query:
    """A solicitation as the query, its passages weighed by the boilerplate of all
    solicitations (export-control notices and the like count less), with its multilingual
    vector when Japanese partners are to be scored."""
    query = weigh_query(as_query(need), solicitation_index.boilerplate_)
    language = "ja" if detect_language(need.text) == "ja" else "en"
    return replace(query, multilingual=multilingual, language=language)


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


def _marked(view: IndexView, pool: Pool, ids: Collection[int]) -> np.ndarray:
    """Per candidate of the pool, whether its company id is among `ids`."""
    wanted = np.fromiter(ids, dtype=np.int64, count=len(ids))
    return np.isin(view.known.ids[pool.positions], wanted)


def _pinned_first(
    index: MatchIndex,
    query: Query,
    pinned_rows: np.ndarray,
    rows: np.ndarray,
    *,
    min_score: float,
    limit: int,
    active: learning.ActiveModel | None,
) -> tuple[list[ScoredCandidate], dict[str, float], int]:
    """The pinned candidates (all of them, best first, whatever their score), then the best of
    the others reaching `min_score` up to `limit` in all, in the adopted model's order; their
    learned scores; and how many others fell below the minimum."""
    pinned = index.rank(query, allowed_rows=pinned_rows) if len(pinned_rows) else []
    if not len(rows):
        return pinned, {}, 0
    room = max(limit - len(pinned), 0)
    ranked, below = index.rank_above(
        query, min_score=min_score, limit=learning.pool_size(active, room), allowed_rows=rows
    )
    ranked, learned, _ = learning.reorder(active, index, [query], ranked, limit=room)
    return pinned + ranked, learned, below


def _review_fields(review: MatchReview | None, *, below_min_fit: bool) -> dict[str, Any]:
    """What an item says of the organization's review: the review, and whether the item is
    shown only because it is pinned."""
    return {
        "review": reviews.to_read(review) if review is not None else None,
        "pinned_below_min_fit": below_min_fit,
    }


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
    facts: gates.SolicitationFacts | None = None,
) -> Pool:
    """Every live company (of `role`) with its verdict. Companies without authorizations get
    the same verdict when their role, country, vetting and screening are the same: each
    distinct one is assessed once, not once per company. `facts` replace the solicitation's
    own (a closed one assessed as if still open)."""
    known = view.known
    live = known.live.copy()
    if role is not None:
        live &= known.role == sync.ROLES.index(role)
    at = np.flatnonzero(live)
    facts = facts or solicitation_facts(solicitation)
    country, countries, _, _ = known.codes
    vetting, names = _effective_vetting(known, at, now)
    screening, screenings = known.screening_codes
    keys = (known.role[at].astype(np.int64) * len(countries) + country[at]) * len(names) + vetting
    keys = keys * len(screenings) + screening[at]
    _, first, verdict_of = np.unique(keys, return_index=True, return_inverse=True)

    def facts_of(j: int) -> gates.PartnerFacts:
        position = at[j]
        return gates.PartnerFacts(
            id=str(known.ids[position]),
            role=sync.ROLES[int(known.role[position])].value,
            country=str(known.country[position]),
            vetting_status=names[int(vetting[j])],
            screening=str(screenings[int(screening[position])]) or None,
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


@dataclass(frozen=True)
class _Explainer:
    """What explaining one query against ranked profiles needs besides the index."""

    query: Query
    query_fields: FieldedText
    # Fitted on the query's own corpus: terms and sentences common there explain nothing either.
    query_lexical: LexicalScorer
    query_boilerplate: BoilerplateModel
    query_is_need: bool


def _explained(
    index: MatchIndex,
    explainer: _Explainer,
    ranked: list[ScoredCandidate],
    verdict: Callable[[str], gates.Eligibility],
    fields: Mapping[str, FieldedText],
    *,
    held_back: bool,
) -> list[tuple[str, dict[str, Any]]]:
    """The fields every ranked item shares: rank, score, fit, components, eligibility,
    explanation."""
    out = []
    for rank, hit in enumerate(ranked, start=1):
        explanation = explain(
            explainer.query,
            index.profile(hit.id),
            lexical=index.lexical_,
            profile_index=index.index_of(hit.id),
            query_lexical=explainer.query_lexical,
            query_fields=explainer.query_fields,
            profile_fields=fields[hit.id],
            profile_unit_weights=index.unit_weights(hit.id),
            query_boilerplate=explainer.query_boilerplate,
            profile_boilerplate=index.boilerplate_,
            sentence_vectors=_sentence_vectors,
        )
        out.append(
            (
                hit.id,
                {
                    "rank": rank,
                    "score": round(hit.score, 4),
                    "fit": thresholds.fit_of(hit.score),
                    "components": {k: round(v, 4) for k, v in hit.components.items()},
                    "cross_lingual": hit.cross_lingual,
                    "lexical_basis": hit.lexical_basis,
                    "eligibility": _eligibility_read(verdict(hit.id)),
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
    include_hidden: bool = False,
) -> SolicitationMatches:
    """The eligible partners of `role` for a solicitation, best first, each explained; held-back
    partners only on request, in their own list. Both leave out fits below the minimum, and
    the pairs the organization hid (unless asked for); its pinned pairs come first, always."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    review_of = reviews.for_solicitation(
        session, organization_id=organization_id, solicitation_id=solicitation_id
    )
    embedding = _embedding_for(session, solicitation, ranker)
    multilingual = _multilingual_for(session, solicitation)
    auths = _authorizations(session)
    active = learning.active_model(session, model_id=ranker.model_id)
    with _held_indexes(session, ranker) as (needs, view):
        query = _need_query(
            needs.index, solicitation_profile(solicitation, embedding), multilingual
        )
        explainer = _Explainer(
            query,
            fields_of(solicitation),
            needs.index.lexical_,
            needs.index.boilerplate_,
            query_is_need=True,
        )
        pool = _pool(view, solicitation, auths, now, role=role)
        hidden = _marked(view, pool, reviews.hidden_ids(review_of))
        pinned = _marked(view, pool, reviews.pinned_ids(review_of))
        left_out = 0
        under: set[str] = set()

        def items(among: np.ndarray, held_back: bool) -> tuple[list[tuple[str, Any]], int]:
            nonlocal left_out
            if not include_hidden:
                left_out += int((among & hidden).sum())
                among = among & ~hidden
            ranked, learned, below = _pinned_first(
                view.index,
                query,
                pool.rows(view, among & pinned),
                pool.rows(view, among & ~pinned),
                min_score=floor.min_score,
                limit=limit,
                active=active,
            )
            if not ranked:
                return [], below
            under.update(hit.id for hit in ranked if hit.score < floor.min_score)
            fields = companies.fields_by_id(session, ids=[int(hit.id) for hit in ranked])
            out = _explained(
                view.index,
                explainer,
                ranked,
                lambda company_id: pool.verdict(view, company_id),
                {str(i): f for i, f in fields.items()},
                held_back=held_back,
            )
            return [(i, {**f, "learned_score": learned.get(i)}) for i, f in out], below

        eligible, below = items(pool.eligible, False)
        held, held_below = items(~pool.eligible, True) if include_held_back else ([], 0)
        pending = pool.pending(view)
    by_id = companies.summaries(session, ids=[int(i) for i, _ in eligible + held], now=now)

    def item(i: str, fields: dict[str, Any]) -> CompanyMatch:
        marks = _review_fields(review_of.get(int(i)), below_min_fit=i in under)
        return CompanyMatch(**fields, **marks, company=by_id[int(i)])

    return SolicitationMatches(
        solicitation=solicitations.to_summary(solicitation),
        role=role.value,
        model_id=ranker.model_id,
        ranking=learning.ranking_of(active).read(),
        items=[item(i, fields) for i, fields in eligible],
        held_back=[item(i, fields) for i, fields in held],
        hidden=left_out,
        candidates=len(pool.positions),
        pending_embeddings=pending,
        min_fit=floor.value,
        min_fit_source=floor.source,
        below_min_fit=below,
        held_back_below_min_fit=held_below,
    )


@dataclass(frozen=True)
class HeldBackCount:
    """Held-back partners reaching the minimum fit that share their first blocking reason."""

    code: str
    message: str
    count: int


@dataclass(frozen=True)
class ReachCounts:
    """How many partners of `role` reach a solicitation's minimum fit: the eligible ones, and
    the held-back ones by reason (pairs the organization hid are left out of both)."""

    eligible: int
    held_back: list[HeldBackCount]


def reach_counts(
    session: Session,
    *,
    ranker: RankerState,
    solicitation_id: int,
    role: CompanyRole,
    organization_id: int | None = None,
    min_fit: float | None = None,
) -> ReachCounts:
    """Counts of every partner reaching the minimum fit, eligible or held back (by the first
    reason that holds each back), without explaining any: what a report says beside the
    matches it lists from :func:`match_solicitation`."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    review_of = reviews.for_solicitation(
        session, organization_id=organization_id, solicitation_id=solicitation_id
    )
    embedding = _embedding_for(session, solicitation, ranker)
    multilingual = _multilingual_for(session, solicitation)
    auths = _authorizations(session)
    with _held_indexes(session, ranker) as (needs, view):
        query = _need_query(
            needs.index, solicitation_profile(solicitation, embedding), multilingual
        )
        pool = _pool(view, solicitation, auths, now, role=role)
        hidden = _marked(view, pool, reviews.hidden_ids(review_of))
        # Scored as arrays and counted per verdict: thousands may reach a low minimum.
        rows = view.rows[pool.positions]
        fused = view.index.scores([query])["fused"][0] if view.index.ids_ else np.zeros(0)
        reaching = (rows >= 0) & ~hidden
        reaching[reaching] = fused[rows[reaching]] >= floor.min_score
        per_verdict = np.bincount(pool.verdict_of[reaching], minlength=len(pool.verdicts))
    eligible = 0
    held: dict[str, HeldBackCount] = {}
    for verdict, count in zip(pool.verdicts, per_verdict.tolist(), strict=True):
        if not count:
            continue
        if verdict.status is gates.EligibilityStatus.ELIGIBLE:
            eligible += count
            continue
        reason = verdict.blocking[0]  # the first reason names it; the message of the first kept
        seen = held.get(reason.code)
        held[reason.code] = HeldBackCount(
            reason.code,
            seen.message if seen else reason.message,
            count + (seen.count if seen else 0),
        )
    counts = list(held.values())
    return ReachCounts(eligible, sorted(counts, key=lambda h: (-h.count, h.code)))


def match_company(
    session: Session,
    *,
    ranker: RankerState,
    company_id: int,
    limit: int,
    include_held_back: bool,
    organization_id: int | None = None,
    min_fit: float | None = None,
    include_hidden: bool = False,
) -> CompanyMatches:
    """The open solicitations that fit a company best; those it may not receive are held back.

    Each (solicitation, company) pair is scored as the solicitation's own ranking scores it
    (the solicitation is the query, the partners the corpus), so a pair shows one score
    whichever side asks. Both lists leave out fits below the minimum, and the pairs the
    organization hid (unless asked for); its pinned pairs come first, always."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    company = companies.get(session, company_id=company_id)
    review_of = reviews.for_company(session, organization_id=organization_id, company_id=company_id)
    open_needs = list(
        session.scalars(
            select(Solicitation).where(
                Solicitation.archived_at.is_(None),
                solicitations.status_condition(SolicitationStatus.OPEN, now=now),
            )
        )
    )
    hidden = set() if include_hidden else {str(i) for i in reviews.hidden_ids(review_of)}
    pinned = {str(i) for i in reviews.pinned_ids(review_of)}
    partner = company_profile(
        company, _embedding_for(session, company, ranker), _company_multilingual(session, company)
    )
    facts = partner_facts(company, now)
    auths = [
        authorization_facts(a)
        for a in authorizations.for_companies(session, company_ids=[company.id])
    ]
    verdicts = {
        str(s.id): gates.assess(facts, solicitation_facts(s), auths, now=now) for s in open_needs
    }
    by_id = {str(s.id): s for s in open_needs}
    eligible = {i for i, v in verdicts.items() if v.status is gates.EligibilityStatus.ELIGIBLE}
    held = set(verdicts) - eligible
    # Hidden pairs are neither scored nor shown, only counted.
    left_out = len(eligible & hidden) + (len(held & hidden) if include_held_back else 0)
    eligible, held = eligible - hidden, held - hidden
    partner_fields = fields_of(company)
    # A Japanese partner is scored by the solicitations' stored multilingual vectors.
    need_vectors = (
        embeddings.load(
            session,
            entity="solicitation",
            model_id=embeddings.multilingual_space_id("solicitation"),
            ids=[s.id for s in open_needs],
        )
        if partner.language != "en"
        else {}
    )
    active = learning.active_model(session, model_id=ranker.model_id)
    with _held_indexes(session, ranker) as (needs_view, view):
        needs_index, company_index = needs_view.index, view.index
        pending = sum(1 for s in open_needs if str(s.id) not in needs_index.positions_)
        needs = {
            str(s.id): _need_query(
                needs_index, needs_index.profile(str(s.id)), need_vectors.get(s.id)
            )
            for s in open_needs
            if str(s.id) in needs_index.positions_ and str(s.id) not in hidden
        }
        scored = company_index.score_pairs(list(needs.values()), partner)
        known = company_index.indexed_text(partner.id) == partner.text
        profile_index = company_index.index_of(partner.id) if known else None
        if known:
            partner_weights = company_index.unit_weights(partner.id)
        else:
            partner_weights = company_index.boilerplate_.unit_weights(
                partner.text, partner.embedding.spans
            )

        def items(ids: set[str], held_back: bool) -> tuple[list[SolicitationMatch], int]:
            candidates = sorted(
                (hit for hit in scored if hit.id in ids),
                key=lambda hit: (-hit.score, int(hit.id)),
            )
            first = [hit for hit in candidates if hit.id in pinned]
            kept, below = thresholds.above_min_fit(
                [hit for hit in candidates if hit.id not in pinned], floor
            )
            room = max(limit - len(first), 0)
            pool = kept[: learning.pool_size(active, room)]
            kept, learned, _ = learning.reorder(
                active,
                company_index,
                [needs[hit.id] for hit in pool],
                pool,
                profile_id=partner.id if known else None,
                limit=room,
            )
            out = []
            for rank, hit in enumerate(first + kept, start=1):
                need = needs[hit.id]
                explanation = explain(
                    need,
                    partner,
                    lexical=company_index.lexical_ if known else None,
                    profile_index=profile_index,
                    query_lexical=needs_index.lexical_,
                    query_fields=fields_of(by_id[hit.id]),
                    profile_fields=partner_fields,
                    profile_unit_weights=partner_weights,
                    query_boilerplate=needs_index.boilerplate_,
                    profile_boilerplate=company_index.boilerplate_,
                    sentence_vectors=_sentence_vectors,
                )
                out.append(
                    SolicitationMatch(
                        rank=rank,
                        score=round(hit.score, 4),
                        fit=thresholds.fit_of(hit.score),
                        learned_score=learned.get(hit.id),
                        components={k: round(v, 4) for k, v in hit.components.items()},
                        cross_lingual=hit.cross_lingual,
                        lexical_basis=hit.lexical_basis,
                        eligibility=_eligibility_read(verdicts[hit.id]),
                        held_back=held_back,
                        explanation=_explanation_read(explanation, query_is_need=True),
                        solicitation=solicitations.to_summary(by_id[hit.id]),
                        **_review_fields(
                            review_of.get(int(hit.id)),
                            below_min_fit=hit.score < floor.min_score,
                        ),
                    )
                )
            return out, below

        shown, below = items(eligible, False)
        held_shown, held_below = items(held, True) if include_held_back else ([], 0)
    return CompanyMatches(
        company=companies.to_summary(company, now=now),
        model_id=ranker.model_id,
        ranking=learning.ranking_of(active if known else None).read(),
        items=shown,
        held_back=held_shown,
        hidden=left_out,
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
    the solicitation's needs, both reaching the minimum fit; a company the organization hid
    for this solicitation is in none."""
    now = utcnow()
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    review_of = reviews.for_solicitation(
        session, organization_id=organization_id, solicitation_id=solicitation_id
    )
    embedding = _embedding_for(session, solicitation, ranker)
    multilingual = _multilingual_for(session, solicitation)
    auths = _authorizations(session)
    active = learning.active_model(session, model_id=ranker.model_id)
    with _held_indexes(session, ranker) as (needs, view):
        query = _need_query(
            needs.index, solicitation_profile(solicitation, embedding), multilingual
        )
        everyone = _pool(view, solicitation, auths, now, role=None)
        roles = view.known.role[everyone.positions]
        hidden = _marked(view, everyone, reviews.hidden_ids(review_of))
        left_out = int((everyone.eligible & hidden).sum())

        def ranked(role: CompanyRole) -> tuple[list[tuple[Profile, ScoredCandidate]], int]:
            among = everyone.eligible & ~hidden & (roles == sync.ROLES.index(role))
            rows = everyone.rows(view, among)
            if not len(rows):
                return [], 0
            hits, below = view.index.rank_above(
                query,
                min_score=floor.min_score,
                limit=learning.pool_size(active, TEAM_POOL),
                allowed_rows=rows,
            )
            hits, _, _ = learning.reorder(active, view.index, [query], hits, limit=TEAM_POOL)
            return [(view.index.profile(hit.id), hit) for hit in hits], below

        (us_pool, us_below), (jp_pool, jp_below) = (
            ranked(CompanyRole.US_PERFORMER),
            ranked(CompanyRole.JP_PARTNER),
        )
    scores = {hit.id: hit.score for _, hit in us_pool + jp_pool}
    suggestions = suggest_teams(query, us_pool, jp_pool, limit=limit)
    need_fields = fields_of(solicitation)
    by_id = companies.summaries(session, ids=[int(i) for i in scores], now=now)
    return TeamSuggestions(
        solicitation=solicitations.to_summary(solicitation),
        min_fit=floor.value,
        min_fit_source=floor.source,
        below_min_fit=us_below + jp_below,
        hidden=left_out,
        ranking=learning.ranking_of(active).read(),
        items=[
            TeamRead(
                rank=rank,
                score=round(team.score, 4),
                coverage_score=round(team.coverage_score, 4),
                complementarity=round(team.complementarity, 4),
                us_performer=TeamMember(
                    company=by_id[int(team.us_id)],
                    score=round(scores[team.us_id], 4),
                    fit=thresholds.fit_of(scores[team.us_id]),
                ),
                jp_partner=TeamMember(
                    company=by_id[int(team.jp_id)],
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


def pair_score(
    session: Session, *, ranker: RankerState, solicitation: Solicitation, company: Company
) -> float | None:
    """The fused score of one (solicitation, company) pair, the number the solicitation's
    ranking gives the company; None while the indexes hold nothing to score it against."""
    partner = company_profile(
        company, _embedding_for(session, company, ranker), _company_multilingual(session, company)
    )
    need = solicitation_profile(solicitation, _embedding_for(session, solicitation, ranker))
    with _held_indexes(session, ranker) as (needs_view, view):
        if not needs_view.index.ids_ or not view.index.ids_:
            return None
        query = _need_query(needs_view.index, need, _multilingual_for(session, solicitation))
        scored = view.index.score_pairs([query], partner)
    return scored[0].score if scored else None


# Solicitations scored against every partner at once, in blocks of this many.
STANDING_BATCH = 64
# Stored multilingual vectors of solicitations are read this many ids at a time.
MULTILINGUAL_CHUNK = 500


@dataclass(frozen=True)
class Standing:
    """Where every candidate of `role` stands for one solicitation: each indexed live company
    the organization did not hide, its fused score and its verdict. What the match lists
    rank and the reports count, for every candidate rather than the head (capability gaps)."""

    solicitation_id: int
    company_ids: np.ndarray  # int64, one per candidate
    scores: np.ndarray  # float32 fused score per candidate
    verdict_of: np.ndarray  # per candidate, an index into `verdicts`
    verdicts: list[gates.Eligibility]
    pending: int  # candidates still waiting for their vector (left out)
    # With `passages=True`: every candidate's passage vectors and the company owning each.
    passages: np.ndarray | None = None
    passage_owners: np.ndarray | None = None
    # With `passages=True`, for candidates written (partly) in Japanese: their multilingual
    # (e5 passage) vectors, the company owning each, and each one's span in its profile's
    # composed text; `japanese_only` are the candidates whose MiniLM passages mean nothing.
    ml_passages: np.ndarray | None = None
    ml_owners: np.ndarray | None = None
    ml_spans: list[tuple[int, int]] | None = None
    japanese_only: np.ndarray | None = None

    def statuses(self) -> np.ndarray:
        """Per candidate: 0 eligible, 1 needs only an export authorization, 2 ineligible."""
        rank = {
            gates.EligibilityStatus.ELIGIBLE: 0,
            gates.EligibilityStatus.NEEDS_AUTHORIZATION: 1,
            gates.EligibilityStatus.INELIGIBLE: 2,
        }
        codes = np.array([rank[v.status] for v in self.verdicts], dtype=np.int8)
        return codes[self.verdict_of] if len(self.verdict_of) else np.zeros(0, np.int8)


def standings(
    session: Session,
    *,
    ranker: RankerState,
    needs: Sequence[Solicitation],
    role: CompanyRole,
    hidden: Mapping[int, Collection[int]] | None = None,
    as_open: bool = False,
    passages: bool = False,
) -> list[Standing]:
    """The standing of every candidate for each solicitation of `needs`, in their order.
    `hidden` are the company ids the organization hid, by solicitation; with `as_open`, a
    closed solicitation is assessed as if still open (could the partners have served it?)."""
    now = utcnow()
    hidden = hidden or {}
    auths = _authorizations(session)
    with _held_indexes(session, ranker) as (needs_view, _):
        missing = [s for s in needs if str(s.id) not in needs_view.index.positions_]
    # Encoding is the slow part: done before the indexes are held again.
    fresh = {s.id: _embedding_for(session, s, ranker) for s in missing}
    # Japanese partners are scored through the needs' multilingual vectors, as in the lists.
    multilingual = _multilingual_of(session, needs)
    out: list[Standing] = []
    with _held_indexes(session, ranker) as (needs_view, view):
        for start in range(0, len(needs), STANDING_BATCH):
            batch, queries = [], []
            for s in needs[start : start + STANDING_BATCH]:
                if s.id in fresh:
                    need = solicitation_profile(s, fresh[s.id])
                elif str(s.id) in needs_view.index.positions_:
                    need = needs_view.index.profile(str(s.id))
                else:  # removed from the index meanwhile (archived): nothing to stand for
                    continue
                batch.append(s)
                queries.append(_need_query(needs_view.index, need, multilingual.get(s.id)))
            fused = (
                view.index.scores(queries)["fused"]
                if view.index.ids_ and queries
                else np.zeros((len(batch), 0), dtype=np.float32)
            )
            for row, solicitation in zip(fused, batch, strict=True):
                facts = solicitation_facts(solicitation)
                if as_open:
                    facts = replace(facts, status="open", response_deadline=None)
                pool = _pool(view, solicitation, auths, now, role=role, facts=facts)
                rows = view.rows[pool.positions]
                ids = view.known.ids[pool.positions]
                unhidden = ~np.isin(ids, np.fromiter(hidden.get(solicitation.id, ()), np.int64))
                keep = (rows >= 0) & unhidden
                kept_rows = rows[keep]
                units = owners = None
                crossing: _CrossPassages | None = None
                if passages:
                    units, owners = _passages_of(view, kept_rows, ids[keep])
                    crossing = _multilingual_passages(view, ids[keep])
                out.append(
                    Standing(
                        solicitation_id=solicitation.id,
                        company_ids=ids[keep].astype(np.int64),
                        scores=row[kept_rows] if len(row) else np.zeros(0, np.float32),
                        verdict_of=pool.verdict_of[keep],
                        verdicts=pool.verdicts,
                        pending=int(((rows < 0) & unhidden).sum()),
                        passages=units,
                        passage_owners=owners,
                        ml_passages=crossing.vectors if crossing else None,
                        ml_owners=crossing.owners if crossing else None,
                        ml_spans=crossing.spans if crossing else None,
                        japanese_only=crossing.japanese_only if crossing else None,
                    )
                )
    return out


@dataclass(frozen=True)
class _CrossPassages:
    vectors: np.ndarray
    owners: np.ndarray
    spans: list[tuple[int, int]]
    japanese_only: np.ndarray


def _multilingual_passages(view: IndexView, company_ids: np.ndarray) -> _CrossPassages:
    """The multilingual passage vectors (copies) of those of `company_ids` that have one, the
    company owning each, their spans, and the candidates written in Japanese only."""
    index = view.index
    # Japanese profiles are few: walk them, not every candidate.
    candidates = set(company_ids.tolist())
    japanese = sorted(
        int(k)
        for k, language in index.languages_.items()
        if language == "ja" and int(k) in candidates
    )
    vectors: list[np.ndarray] = []
    owners: list[int] = []
    spans: list[tuple[int, int]] = []
    for company_id in sorted(int(k) for k in index.multilingual_ if int(k) in candidates):
        ml = index.multilingual_[str(company_id)]
        if len(ml.units):
            vectors.append(np.asarray(ml.units, dtype=np.float32))
            owners.extend([company_id] * len(ml.units))
            spans.extend((int(a), int(b)) for a, b in ml.spans)
    dim = vectors[0].shape[1] if vectors else 0
    return _CrossPassages(
        vectors=np.concatenate(vectors) if vectors else np.zeros((0, dim), np.float32),
        owners=np.array(owners, dtype=np.int64),
        spans=spans,
        japanese_only=np.array(japanese, dtype=np.int64),
    )


def _passages_of(
    view: IndexView, rows: np.ndarray, company_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The passage vectors of the profiles at `rows` (copies: rows move once the index is
    let go), and the company id owning each."""
    index = view.index
    starts = index.unit_start_[rows].astype(np.int64)
    counts = index.unit_count_[rows].astype(np.int64)
    # Every row's passages back to back, without a Python loop over the rows.
    offsets = np.cumsum(counts) - counts
    take = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()), dtype=np.int64)
    return np.array(index.units_[take]), np.repeat(company_ids, counts)

"""Capability gaps: technology areas where solicitations outrun the partners able to serve
them, and the sentences of a solicitation no eligible partner answers. Reads only.

Every figure comes from the match lists' own ranking and gates (`app.matches.service.
standings`): a partner is *eligible* for a solicitation when it passes every gate (vetted, not
held by screening, export control satisfied); a solicitation is *uncovered* when no eligible
partner reaches the organization's minimum fit, and *authorization-locked* when it is
uncovered but some partner reaching the minimum is held back only for want of an export
authorization. Pairs the organization hid count for nobody, as in its match lists."""

import math
import statistics
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.areas.models import TechnologyArea
from app.companies.models import Company, CompanyRole, company_technology_areas, effective_vetting
from app.db import utcnow
from app.distributions.service import CONTROLLED
from app.embeddings import service as embeddings
from app.errors import InvalidField
from app.insights import cache
from app.insights.schemas import (
    AreaGap,
    Companies,
    CompanyRef,
    GapsRead,
    NearPartner,
    PartnerStanding,
    SentenceGap,
    SolicitationGap,
    SolicitationRef,
    Solicitations,
    Unlock,
)
from app.matches import service as matches
from app.matches import thresholds
from app.matches.index import RankerState
from app.matches.schemas import ReasonRead
from app.organizations.models import Organization, Side
from app.reviews.models import MatchReview
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, SolicitationStatus, solicitation_technology_areas
from matching import gaps as vectors
from matching.boilerplate import BoilerplateModel
from matching.text import FieldSpan

PARTNER_ROLE = CompanyRole.JP_PARTNER
# Lists behind a figure show this many, with the total beside them.
LIST_CAP = 50
UNLOCKS_SHOWN = 10
BEST_SHOWN = 5
NEAREST_SHOWN = 3
ELIGIBLE, NEEDS_AUTHORIZATION = 0, 1


@dataclass(frozen=True)
class GapFilters:
    """What the gaps are computed over: an area, an agency (part of its name, any case),
    closed solicitations too, and a minimum fit for this request only."""

    technology_area: str | None = None
    agency: str | None = None
    include_closed: bool = False
    min_fit: float | None = None


@dataclass
class _Covered:
    """One solicitation's coverage."""

    solicitation: Solicitation
    best_score: float | None
    uncovered: bool
    unlocking: np.ndarray  # company ids held back only for an authorization, reaching the min
    eligible_ids: np.ndarray  # company ids eligible for it (any score)


@dataclass
class _Area:
    slug: str
    label_en: str
    label_ja: str
    needs: list[_Covered] = field(default_factory=list)


def area_labels(session: Session) -> dict[str, tuple[str, str]]:
    """(English, Japanese) label of each technology area, by slug."""
    rows = session.execute(
        select(TechnologyArea.slug, TechnologyArea.label_en, TechnologyArea.label_ja).order_by(
            TechnologyArea.slug
        )
    )
    return {slug: (en, ja) for slug, en, ja in rows}


def check_area(slug: str | None, labels: dict[str, tuple[str, str]]) -> None:
    """Refuse (422) an area filter naming no technology area."""
    if slug and slug not in labels:
        raise InvalidField("technology_area", f"no technology area {slug!r}", location="query")


def considered(session: Session, *, filters: GapFilters, now: datetime) -> list[Solicitation]:
    """The live solicitations the gaps are computed over, by id."""
    query = select(Solicitation).where(Solicitation.archived_at.is_(None))
    if not filters.include_closed:
        query = query.where(solicitations.status_condition(SolicitationStatus.OPEN, now=now))
    if filters.technology_area:
        query = query.where(
            Solicitation.id.in_(
                select(solicitation_technology_areas.c.solicitation_id)
                .join(TechnologyArea)
                .where(TechnologyArea.slug == filters.technology_area)
            )
        )
    if filters.agency:
        pattern = "%" + filters.agency.lower().replace("%", r"\%").replace("_", r"\_") + "%"
        query = query.where(func.lower(Solicitation.agency).like(pattern, escape="\\"))
    return list(session.scalars(query.order_by(Solicitation.id)))


def _hidden(session: Session, *, organization_id: int, ids: Sequence[int]) -> dict[int, set[int]]:
    """The partners the organization hid, by solicitation."""
    out: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return out
    rows = session.execute(
        select(MatchReview.solicitation_id, MatchReview.company_id).where(
            MatchReview.organization_id == organization_id,
            MatchReview.hidden.is_(True),
        )
    )
    wanted = set(ids)
    for solicitation_id, company_id in rows:
        if solicitation_id in wanted:
            out[solicitation_id].add(company_id)
    return out


def _partner_areas(session: Session) -> dict[str, set[int]]:
    """The live partners of each area."""
    rows = session.execute(
        select(TechnologyArea.slug, company_technology_areas.c.company_id)
        .join(TechnologyArea, TechnologyArea.id == company_technology_areas.c.technology_area_id)
        .join(Company, Company.id == company_technology_areas.c.company_id)
        .where(Company.role == PARTNER_ROLE, Company.archived_at.is_(None))
    )
    out: dict[str, set[int]] = defaultdict(set)
    for slug, company_id in rows:
        out[slug].add(company_id)
    return out


def _vetted(session: Session, now: datetime) -> set[int]:
    """Live partners whose vetting holds now (vetted, not expired)."""
    rows = session.execute(
        select(Company.id, Company.vetting_status, Company.vetting_expires_at).where(
            Company.role == PARTNER_ROLE,
            Company.archived_at.is_(None),
            Company.vetting_status == "vetted",
        )
    )
    return {
        i
        for i, status, expires in rows
        if effective_vetting(PARTNER_ROLE, status, expires, now) == "vetted"
    }


def _company_refs(session: Session, ids: Iterable[int]) -> dict[int, CompanyRef]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Company.id, Company.name, Company.name_ja).where(Company.id.in_(wanted))
    )
    return {i: CompanyRef(id=i, name=name, name_ja=name_ja) for i, name, name_ja in rows}


def _solicitation_ref(s: Solicitation) -> SolicitationRef:
    return SolicitationRef(id=s.id, notice_id=s.notice_id, title=s.title, agency=s.agency)


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 4) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _covered(standing: matches.Standing, solicitation: Solicitation, min_score: float) -> _Covered:
    status = standing.statuses()
    eligible = status == ELIGIBLE
    reaching = standing.scores >= min_score
    best = float(standing.scores[eligible].max()) if eligible.any() else None
    uncovered = not bool((eligible & reaching).any())
    unlocking = (
        standing.company_ids[(status == NEEDS_AUTHORIZATION) & reaching]
        if uncovered
        else np.zeros(0, np.int64)
    )
    return _Covered(solicitation, best, uncovered, unlocking, standing.company_ids[eligible])


def _unlocks(needs: list[_Covered], refs: dict[int, CompanyRef], limit: int) -> list[Unlock]:
    """Partners whose authorization would unlock the most of these solicitations."""
    counts = np.array([len(n.unlocking) for n in needs], dtype=np.int64)
    if not counts.sum():
        return []
    companies = np.concatenate([n.unlocking for n in needs]).astype(np.int64)
    owner = np.repeat(np.arange(len(needs)), counts)
    unique, tally = np.unique(companies, return_counts=True)
    # Most solicitations first, then the lower id.
    ranked = unique[np.lexsort((unique, -tally))][:limit]
    out = []
    for company_id in ranked.tolist():
        if company_id in refs:
            found = [needs[i].solicitation for i in owner[companies == company_id].tolist()]
            out.append(Unlock(company=refs[company_id], solicitations=_listed_needs(found)))
    return out


def _listed_needs(found: Sequence[Solicitation]) -> Solicitations:
    return Solicitations(total=len(found), items=[_solicitation_ref(s) for s in found[:LIST_CAP]])


def _listed_companies(ids: Sequence[int], refs: dict[int, CompanyRef]) -> Companies:
    shown = [refs[i] for i in sorted(ids)[:LIST_CAP] if i in refs]
    return Companies(total=len(ids), items=shown)


def gaps(
    session: Session,
    *,
    ranker: RankerState,
    organization_id: int,
    filters: GapFilters,
) -> GapsRead:
    """Coverage per technology area of the filtered solicitations, with the partners and
    solicitations behind every figure; kept in the process until its data changes."""
    return cache.cached(
        session,
        ranker=ranker,
        organization_id=organization_id,
        what=("gaps", filters),
        compute=lambda: _gaps(
            session, ranker=ranker, organization_id=organization_id, filters=filters
        ),
    )


def _gaps(
    session: Session,
    *,
    ranker: RankerState,
    organization_id: int,
    filters: GapFilters,
) -> GapsRead:
    now = utcnow()
    labels = area_labels(session)
    check_area(filters.technology_area, labels)
    floor = thresholds.min_fit_for(
        session, organization_id=organization_id, requested=filters.min_fit
    )
    needs = considered(session, filters=filters, now=now)
    hidden = _hidden(session, organization_id=organization_id, ids=[s.id for s in needs])
    stood = matches.standings(
        session,
        ranker=ranker,
        needs=needs,
        role=PARTNER_ROLE,
        hidden=hidden,
        as_open=filters.include_closed,
    )
    by_id = {s.id: s for s in needs}
    covered = [_covered(st, by_id[st.solicitation_id], floor.min_score) for st in stood]
    pending = max((st.pending for st in stood), default=0)
    partner_areas = _partner_areas(session)
    vetted = _vetted(session, now)

    areas = {slug: _Area(slug, en, ja) for slug, (en, ja) in labels.items()}
    if filters.technology_area:
        areas = {filters.technology_area: areas[filters.technology_area]}
    for need in covered:
        for slug in need.solicitation.area_slugs:
            if slug in areas:
                areas[slug].needs.append(need)

    shown_ids: set[int] = set()
    area_eligible: dict[str, list[int]] = {}
    area_vetted: dict[str, list[int]] = {}
    for slug, area in areas.items():
        members = partner_areas.get(slug, set())
        eligible_any = (
            np.unique(np.concatenate([n.eligible_ids for n in area.needs]))
            if area.needs
            else np.zeros(0, np.int64)
        )
        area_eligible[slug] = sorted(members & set(eligible_any.tolist()))
        area_vetted[slug] = sorted(members & vetted)
        shown_ids.update(area_eligible[slug][:LIST_CAP], area_vetted[slug][:LIST_CAP])
        for need in area.needs:
            shown_ids.update(need.unlocking.tolist())
    refs = _company_refs(session, shown_ids)

    out = []
    for slug, area in areas.items():
        n = len(area.needs)
        uncovered = [c.solicitation for c in area.needs if c.uncovered]
        locked = [c.solicitation for c in area.needs if c.uncovered and len(c.unlocking)]
        best = [c.best_score for c in area.needs if c.best_score is not None]
        median = _median(best)
        out.append(
            AreaGap(
                area=slug,
                label_en=area.label_en,
                label_ja=area.label_ja,
                open_solicitations=n,
                vetted_partners=len(area_vetted[slug]),
                eligible_partners=len(area_eligible[slug]),
                median_best_score=median,
                median_best_fit=thresholds.fit_of(median) if median is not None else None,
                uncovered=len(uncovered),
                uncovered_share=_share(len(uncovered), n),
                authorization_locked=len(locked),
                authorization_locked_share=_share(len(locked), n),
                solicitations=_listed_needs([c.solicitation for c in area.needs]),
                uncovered_solicitations=_listed_needs(uncovered),
                authorization_locked_solicitations=_listed_needs(locked),
                vetted=_listed_companies(area_vetted[slug], refs),
                eligible=_listed_companies(area_eligible[slug], refs),
                unlocks=_unlocks(area.needs, refs, UNLOCKS_SHOWN),
            )
        )
    # Areas with the most of their needs uncovered first, then the most needs.
    out.sort(key=lambda a: (-(a.uncovered_share or 0), -a.open_solicitations, a.area))
    return GapsRead(
        organization_id=organization_id,
        computed_at=now,
        min_fit=floor.value,
        min_fit_source=floor.source,
        min_score=round(floor.min_score, 4) if math.isfinite(floor.min_score) else None,
        technology_area=filters.technology_area,
        agency=filters.agency,
        include_closed=filters.include_closed,
        solicitations=len(needs),
        pending_embeddings=pending,
        areas=out,
        authorization_requests=_unlocks(covered, refs, UNLOCKS_SHOWN),
    )


# -- one solicitation ------------------------------------------------------------------------


def _withheld(solicitation: Solicitation, org: Organization) -> str | None:
    """Why the description is not read for this organization: the distributions' rule, an
    ITAR, EAR or CUI description never goes to the Japan side."""
    if org.side is Side.JP and solicitation.export_control in CONTROLLED:
        return (
            f"{solicitation.export_control.value.upper()}-marked: only the title is read for a "
            "Japan-side organization; the description was withheld"
        )
    return None


def _sentences(solicitation: Solicitation, *, title_only: bool) -> list[FieldSpan]:
    """The solicitation's sentences, field by field, as the explanations quote them."""
    fields = matches.fields_of(solicitation)
    out: list[FieldSpan] = []
    for piece in fields.pieces(0, len(fields.text)):
        if title_only and piece.field != "title":
            continue
        out.extend(fields.sentences(piece))
    return out


def _standing_of(
    standing: matches.Standing, at: int, refs: dict[int, CompanyRef]
) -> PartnerStanding:
    verdict = standing.verdicts[int(standing.verdict_of[at])]
    score = float(standing.scores[at])
    return PartnerStanding(
        company=refs[int(standing.company_ids[at])],
        score=round(score, 4),
        fit=thresholds.fit_of(score),
        status=verdict.status.value,
        reasons=[
            ReasonRead(code=r.code, message=r.message, status=r.status.value)
            for r in verdict.reasons
        ],
    )


def solicitation_gap(
    session: Session,
    *,
    ranker: RankerState,
    organization_id: int,
    solicitation_id: int,
    min_fit: float | None = None,
    threshold: float = vectors.COVERED_SIMILARITY,
) -> SolicitationGap:
    """Which sentences of a solicitation no eligible partner answers, and the partners nearest
    to each of them, held back or not. Encodes the sentences in memory; stores nothing; kept
    in the process until its data changes."""
    return cache.cached(
        session,
        ranker=ranker,
        organization_id=organization_id,
        what=("solicitation", solicitation_id, min_fit, threshold),
        compute=lambda: _solicitation_gap(
            session,
            ranker=ranker,
            organization_id=organization_id,
            solicitation_id=solicitation_id,
            min_fit=min_fit,
            threshold=threshold,
        ),
    )


def _solicitation_gap(
    session: Session,
    *,
    ranker: RankerState,
    organization_id: int,
    solicitation_id: int,
    min_fit: float | None,
    threshold: float,
) -> SolicitationGap:
    org = session.get_one(Organization, organization_id)
    floor = thresholds.min_fit_for(session, organization_id=organization_id, requested=min_fit)
    solicitation = solicitations.get(session, solicitation_id=solicitation_id)
    hidden = _hidden(session, organization_id=organization_id, ids=[solicitation.id])
    (standing,) = matches.standings(
        session,
        ranker=ranker,
        needs=[solicitation],
        role=PARTNER_ROLE,
        hidden=hidden,
        as_open=True,
        passages=True,
    )
    status = standing.statuses()
    reaching = standing.scores >= floor.min_score
    order = np.lexsort((standing.company_ids, -standing.scores))
    best = [int(i) for i in order if status[i] == ELIGIBLE][:BEST_SHOWN]
    covered = bool((reaching & (status == ELIGIBLE)).any())
    unlocking = (
        [int(i) for i in order if status[i] == NEEDS_AUTHORIZATION and reaching[i]][:BEST_SHOWN]
        if not covered
        else []
    )

    withheld = _withheld(solicitation, org)
    spans = _sentences(solicitation, title_only=withheld is not None)
    boilerplate = ranker_boilerplate(session, ranker)
    flags = [boilerplate is not None and boilerplate.is_boilerplate(s.text) for s in spans]
    assert standing.passages is not None and standing.passage_owners is not None
    assert standing.ml_passages is not None and standing.ml_owners is not None
    assert standing.ml_spans is not None and standing.japanese_only is not None
    texts = [s.text for s in spans]
    encoded = _encoded(ranker, texts)
    position = {int(c): i for i, c in enumerate(standing.company_ids.tolist())}
    # Candidates are in ascending id order: each passage's owner is found by bisection.
    order = np.argsort(standing.company_ids, kind="stable")

    def eligible(owners: np.ndarray) -> np.ndarray:
        at = order[np.searchsorted(standing.company_ids[order], owners)]
        return status[at] == ELIGIBLE if len(at) else np.zeros(0, dtype=bool)

    # MiniLM reads no Japanese: a Japanese-only profile is compared through e5 alone.
    english = ~np.isin(standing.passage_owners, standing.japanese_only)
    crossing = len(standing.ml_owners) > 0
    coverage = vectors.cross_lingual_coverage(
        encoded,
        standing.passages[english],
        standing.passage_owners[english],
        eligible(standing.passage_owners[english]),
        e5_sentences=_encoded_e5(texts) if crossing else np.zeros((len(texts), 0), np.float32),
        e5_passages=standing.ml_passages,
        e5_owners=standing.ml_owners,
        e5_allowed=eligible(standing.ml_owners),
        threshold=threshold,
        nearest=NEAREST_SHOWN,
    )
    ids = {int(standing.company_ids[i]) for i in best + unlocking}
    for c in coverage:
        ids.update(m.owner for m in c.nearest)
        if c.best_allowed is not None:
            ids.add(c.best_allowed.owner)
    refs = _company_refs(session, ids)
    quoted = _quoted(session, standing.ml_owners, standing.ml_spans, coverage)

    sentences = []
    for span, is_boilerplate, c in zip(spans, flags, coverage, strict=True):
        sentences.append(
            SentenceGap(
                field=span.field,
                item=span.item,
                start=span.start,
                end=span.end,
                text=span.text,
                boilerplate=is_boilerplate,
                covered=c.covered or is_boilerplate,
                best_similarity=round(c.best_allowed.similarity, 4) if c.best_allowed else None,
                best_partner=refs.get(c.best_allowed.owner) if c.best_allowed else None,
                best_passage=quoted.get(c.best_allowed.passage)
                if c.best_allowed and c.best_allowed.cross_lingual
                else None,
                nearest=[
                    NearPartner(
                        **_standing_of(standing, position[m.owner], refs).model_dump(),
                        similarity=round(m.similarity, 4),
                        cross_lingual=m.cross_lingual,
                        passage=quoted.get(m.passage) if m.cross_lingual else None,
                    )
                    for m in c.nearest
                ],
            )
        )
    needs = [s for s in sentences if not s.boilerplate]
    uncovered = sum(1 for s in needs if not s.covered)
    return SolicitationGap(
        solicitation=_solicitation_ref(solicitation),
        technology_areas=solicitation.area_slugs,
        export_control=solicitation.export_control.value,
        foreign_participation=solicitation.foreign_participation.value,
        min_fit=floor.value,
        min_fit_source=floor.source,
        covered=covered,
        authorization_locked=bool(unlocking),
        best_eligible=[_standing_of(standing, i, refs) for i in best],
        unlocking=[_standing_of(standing, i, refs) for i in unlocking],
        similarity_threshold=threshold,
        sentences=sentences,
        uncovered_sentences=uncovered,
        covered_sentence_share=_share(len(needs) - uncovered, len(needs)),
        withheld_reason=withheld,
    )


# Sentence vectors by (encoder, text): a solicitation viewed again after a change elsewhere
# (a partner vetted, a pair hidden) is not encoded again.
_SENTENCES_KEPT = 4096
_sentence_vectors: "OrderedDict[tuple[str, str], np.ndarray]" = OrderedDict()
_sentence_lock = threading.Lock()


def _kept(
    model: str, texts: list[str], encode: Callable[[list[str]], np.ndarray], dimension: int
) -> np.ndarray:
    """The vectors of `texts` in `model`'s space, encoding only those not kept."""
    with _sentence_lock:
        known = {t: _sentence_vectors[(model, t)] for t in texts if (model, t) in _sentence_vectors}
    missing = list(dict.fromkeys(t for t in texts if t not in known))
    if missing:
        fresh = np.asarray(encode(missing), dtype=np.float32)
        with _sentence_lock:
            for text, vector in zip(missing, fresh, strict=True):
                _sentence_vectors[(model, text)] = known[text] = vector
            while len(_sentence_vectors) > _SENTENCES_KEPT:
                _sentence_vectors.popitem(last=False)
    if not texts:
        return np.zeros((0, dimension), np.float32)
    return np.stack([known[t] for t in texts])


def _encoded(ranker: RankerState, texts: list[str]) -> np.ndarray:
    """The unit vectors of `texts`, encoding only those not kept."""
    encoder = ranker.encoder
    return _kept(ranker.model_id, texts, encoder.encode, encoder.dimension)


def _quoted(
    session: Session,
    owners: np.ndarray,
    spans: list[tuple[int, int]],
    coverage: list[vectors.SentenceCoverage],
) -> dict[int, str]:
    """The text of each multilingual passage shown, by its row: quoted from its company's
    composed profile text, which the stored spans index."""
    rows = {
        m.passage
        for c in coverage
        for m in [*c.nearest, *([c.best_allowed] if c.best_allowed else [])]
        if m.cross_lingual
    }
    if not rows:
        return {}
    wanted = {int(owners[r]) for r in rows}
    texts = {
        c.id: matches.fields_of(c).text
        for c in session.scalars(select(Company).where(Company.id.in_(sorted(wanted))))
    }
    return {
        r: texts[int(owners[r])][spans[r][0] : spans[r][1]].strip()
        for r in rows
        if int(owners[r]) in texts
    }


def _encoded_e5(texts: list[str]) -> np.ndarray:
    """The multilingual (e5 "query: ") unit vectors of `texts`, encoding only those not kept."""
    encoder = embeddings.get_multilingual()
    return _kept(
        encoder.space_id("query"),
        texts,
        lambda missing: encoder.encode(missing, kind="query"),
        encoder.dimension,
    )


def ranker_boilerplate(session: Session, ranker: RankerState) -> BoilerplateModel | None:
    """The boilerplate model fitted on the solicitations (export-control notices and the
    like), None before any solicitation is indexed."""
    with ranker.read(session, entity="solicitation") as needs:
        return needs.index.boilerplate_ if needs.index.ids_ else None

"""Training ranking models on recorded outcomes, and re-ordering match lists with the newest
adopted one."""

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit import service as audit
from app.errors import AppError
from app.learning.models import RankingModel
from app.learning.schemas import RankingModelRead
from app.matches.index import RankerState, as_query
from app.matches.schemas import RankingRead
from app.organizations.service import Principal
from app.outcomes.labels import LabelledPair, labelled_pairs
from matching import learning
from matching.ranker import MatchIndex, Query, ScoredCandidate, weigh_query

# Too little feedback teaches nothing reliable: a pointwise model needs both kinds.
MIN_PAIRS = 20
MIN_EACH = 5
# Held-out AUC the learned ranking must gain over the default fusion to be adopted.
ADOPT_MARGIN = 0.02
FOLDS = 5
# Candidates of the default ranking the learned model re-orders (then the list is cut).
POOL = 100


class NotEnoughFeedback(AppError):
    """Too few labelled pairs to learn from."""

    status_code = 422
    code = "not_enough_feedback"


def _refusal(pairs: Sequence[LabelledPair]) -> str | None:
    """Why these pairs are too few to learn from, or None."""
    positives = sum(1 for p in pairs if p.label)
    negatives = len(pairs) - positives
    if len(pairs) >= MIN_PAIRS and positives >= MIN_EACH and negatives >= MIN_EACH:
        return None
    return (
        f"need at least {MIN_PAIRS} labelled pairs with {MIN_EACH} of each kind; have "
        f"{len(pairs)} ({positives} positive, {negatives} negative)"
    )


def need_query(needs: MatchIndex, solicitation_id: str) -> Query:
    """An indexed solicitation as the query, weighed as the match lists weigh it."""
    return weigh_query(as_query(needs.profile(solicitation_id)), needs.boilerplate_)


def _features(
    session: Session, ranker: RankerState, pairs: Sequence[LabelledPair]
) -> tuple[np.ndarray, list[LabelledPair]]:
    """Feature rows of the pairs whose solicitation and company are both indexed, and those
    pairs (the others cannot be scored and are left out)."""
    with (
        ranker.read(session, entity="solicitation") as needs,
        ranker.read(session, entity="company") as partners,
    ):
        kept = [
            p
            for p in pairs
            if str(p.solicitation_id) in needs.index.positions_
            and str(p.company_id) in partners.index.positions_
        ]
        ids = sorted({p.solicitation_id for p in kept})
        at = {sid: i for i, sid in enumerate(ids)}
        queries = [need_query(needs.index, str(sid)) for sid in ids]
        x = learning.index_features(
            partners.index, queries, [(at[p.solicitation_id], str(p.company_id)) for p in kept]
        )
    return x, kept


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Probability that a positive outscores a negative (ties count half); NaN without both."""
    pos, neg = scores[labels], scores[~labels]
    if not len(pos) or not len(neg):
        return math.nan
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


@dataclass(frozen=True)
class HeldOut:
    """Cross-validated figures of the default fusion and of the learned re-ranking."""

    # None where nothing could be measured (JSON has no NaN).
    default: dict[str, float | None]
    learned: dict[str, float | None]
    folds: int

    def as_json(self) -> dict[str, Any]:
        """Side by side, for the stored model."""
        return {"folds": self.folds, "default": self.default, "learned": self.learned}


def _mean(values: list[float]) -> float | None:
    real = [v for v in values if not math.isnan(v)]
    return round(float(np.mean(real)), 4) if real else None


def cross_validate(data: learning.TrainingSet, *, folds: int = FOLDS, seed: int = 0) -> HeldOut:
    """Fit on all solicitations but a fold, score the fold's labelled pairs; over the folds:
    the AUC of all held-out pairs pooled, and the mean per-solicitation AUC and nDCG@10 of
    held-out solicitations that have both kinds of outcome."""
    n = min(folds, len(np.unique(data.groups)))
    fused = data.x[:, learning.FEATURES.index("fused")]
    default_scores = np.full(len(data.y), np.nan)
    learned_scores = np.full(len(data.y), np.nan)
    for held in learning.grouped_folds(data.groups, n, seed=seed):
        train = data.subset(~held)
        if train.positives == 0 or train.negatives == 0:
            learned_scores[held] = fused[held]
        else:
            model, _ = learning.fit_ranker(train, folds=FOLDS, seed=seed)
            learned_scores[held] = model.score(model.select(data.x[held]))
        default_scores[held] = fused[held]
    figures = {}
    for name, scores in (("default", default_scores), ("learned", learned_scores)):
        per_query_auc, per_query_ndcg = [], []
        for g in np.unique(data.groups):
            at = data.groups == g
            if data.y[at].all() or not data.y[at].any():
                continue
            per_query_auc.append(_auc(scores[at], data.y[at]))
            per_query_ndcg.append(learning.group_ndcg(scores[at], data.subset(at)))
        figures[name] = {
            "auc": round(_auc(scores, data.y), 4),
            "auc_per_solicitation": _mean(per_query_auc),
            "ndcg@10": _mean(per_query_ndcg),
            "solicitations_with_both": len(per_query_auc),
        }
    return HeldOut(default=figures["default"], learned=figures["learned"], folds=n)


def verdict(held_out: HeldOut, model: learning.LearnedRanker) -> tuple[bool, str]:
    """Whether the learned ranking is adopted, and why in a sentence."""
    if model.blend == 0:
        return False, (
            "not adopted, the default fusion stays: cross-validation within the outcomes found "
            "no re-weighting that beats the default order by more than noise"
        )
    # The pooled AUC always exists: training needs both kinds of outcome.
    d, lrn = held_out.default["auc"] or 0.0, held_out.learned["auc"] or 0.0
    gain = lrn - d
    if gain < ADOPT_MARGIN:
        return False, (
            f"not adopted, the default fusion stays: on held-out solicitations the learned "
            f"ranking's AUC {lrn:.3f} vs the default's {d:.3f} ({gain:+.3f}) is not the "
            f"required +{ADOPT_MARGIN}"
        )
    within_d = held_out.default["auc_per_solicitation"]
    within_l = held_out.learned["auc_per_solicitation"]
    if within_d is not None and within_l is not None and within_l < within_d:
        return False, (
            f"not adopted, the default fusion stays: the learned ranking's held-out AUC gains "
            f"({lrn:.3f} vs {d:.3f}) but it orders the pairs of one solicitation worse "
            f"({within_l:.3f} vs {within_d:.3f})"
        )
    return True, (
        f"adopted: on held-out solicitations the learned ranking separates good from bad "
        f"matches better than the default fusion (AUC {lrn:.3f} vs {d:.3f}, +{gain:.3f} "
        f">= {ADOPT_MARGIN})"
    )


Progress = Callable[[str], None]


def train(
    session: Session,
    *,
    ranker: RankerState,
    principal: Principal,
    progress: Progress | None = None,
    seed: int = 0,
) -> RankingModel:
    """Fit a ranking model on the recorded outcomes, measure it against the default fusion
    on held-out solicitations, and store it (adopted only when it wins by ADOPT_MARGIN).
    Raises NotEnoughFeedback when there is too little to learn from."""
    say = progress or (lambda _: None)
    pairs = labelled_pairs(session)
    problem = _refusal(pairs)
    if problem:
        raise NotEnoughFeedback(problem)
    say(f"computing features of {len(pairs)} labelled pairs")
    x, kept = _features(session, ranker, pairs)
    problem = _refusal(kept)
    if problem:
        raise NotEnoughFeedback(f"{problem} whose records are indexed")
    data = learning.TrainingSet(
        x, np.array([p.label for p in kept]), np.array([p.solicitation_id for p in kept])
    )
    say("cross-validating over held-out solicitations")
    held_out = cross_validate(data, seed=seed)
    say("fitting on every labelled pair")
    model, choice = learning.fit_ranker(data, folds=FOLDS, pool=POOL, seed=seed)
    adopted, why = verdict(held_out, model)
    latest = session.scalar(select(func.max(RankingModel.version))) or 0
    row = RankingModel(
        version=latest + 1,
        kind=learning.KIND,
        embedding_model_id=ranker.model_id,
        feature_names=list(model.feature_names),
        parameters=model.to_json(),
        training_pairs=len(kept),
        positives=data.positives,
        negatives=data.negatives,
        metrics={
            **held_out.as_json(),
            "chosen": {"c": choice.c, "blend": choice.blend},
            "left_out_unindexed": len(pairs) - len(kept),
        },
        adopted=adopted,
        verdict=why,
        created_by=principal.actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="ranking_model.train",
        entity_type="ranking_model",
        entity_id=row.id,
        changes={"version": row.version, "adopted": adopted, "training_pairs": len(kept)},
    )
    return row


# -- using the adopted model --------------------------------------------------------------


@dataclass(frozen=True)
class ActiveModel:
    """The adopted model a request re-ranks with."""

    version: int
    model: learning.LearnedRanker


@dataclass(frozen=True)
class Ranking:
    """Which ranking ordered a list: the default fusion, or a learned model's version."""

    model: Literal["default", "learned"]
    version: int | None

    def read(self) -> RankingRead:
        """As the API returns it."""
        return RankingRead(model=self.model, version=self.version)


DEFAULT_RANKING = Ranking("default", None)
_lock = threading.Lock()
# Per embedding model: the adopted model this process parsed last (parsed once per version).
_cache: dict[str, ActiveModel] = {}


def active_model(session: Session, *, model_id: str) -> ActiveModel | None:
    """The newest adopted model fitted in this vector space, or None: one small query per
    call, so a model adopted by another process is used at the next request."""
    version = session.scalar(
        select(func.max(RankingModel.version)).where(
            RankingModel.adopted.is_(True), RankingModel.embedding_model_id == model_id
        )
    )
    if version is None:
        return None
    with _lock:
        cached = _cache.get(model_id)
    if cached is not None and cached.version == version:
        return cached
    parameters = session.scalar(
        select(RankingModel.parameters).where(RankingModel.version == version)
    )
    try:
        active = ActiveModel(version, learning.LearnedRanker.from_json(parameters or {}))
    except (KeyError, TypeError, ValueError):
        # A model this code cannot read is no reason to fail a match list: rank by default.
        return None
    with _lock:
        _cache[model_id] = active
    return active


def pool_size(active: ActiveModel | None, limit: int) -> int:
    """How many default-ranked candidates to fetch for a list of `limit`."""
    return limit if active is None else max(limit, active.model.pool)


def reorder(
    active: ActiveModel | None,
    index: MatchIndex,
    queries: Sequence[Query],
    candidates: Sequence[ScoredCandidate],
    *,
    profile_id: str | None = None,
    limit: int,
) -> tuple[list[ScoredCandidate], dict[str, float], Ranking]:
    """The candidates (best first by the default fusion) re-ordered by the adopted model and
    cut to `limit`, with each one's learned score and the ranking used. Candidates are
    profiles of `index` ranked for the single query in `queries`, or, with `profile_id`, the
    queries themselves (candidate i is queries[i]) ranked for that one indexed profile."""
    if active is None or not candidates:
        return list(candidates[:limit]), {}, DEFAULT_RANKING
    if profile_id is None:
        pairs = [(0, hit.id) for hit in candidates]
    else:
        if profile_id not in index.positions_:
            # Not indexed yet: no features to score it with.
            return list(candidates[:limit]), {}, DEFAULT_RANKING
        pairs = [(i, profile_id) for i in range(len(candidates))]
    model = active.model
    scores = model.score(model.select(learning.index_features(index, queries, pairs)))
    order = learning.rerank_order(scores, np.array([hit.score for hit in candidates]))[:limit]
    ranked = [candidates[i] for i in order]
    learned = {candidates[i].id: round(float(scores[i]), 4) for i in order}
    return ranked, learned, Ranking("learned", active.version)


def list_models(session: Session, *, model_id: str) -> list[RankingModelRead]:
    """Every stored ranking model, newest first; `active` marks the one match lists use."""
    active = session.scalar(
        select(func.max(RankingModel.version)).where(
            RankingModel.adopted.is_(True), RankingModel.embedding_model_id == model_id
        )
    )
    rows = session.scalars(select(RankingModel).order_by(RankingModel.version.desc()))
    return [
        RankingModelRead.model_validate(row).model_copy(update={"active": row.version == active})
        for row in rows
    ]


def ranking_of(active: ActiveModel | None) -> Ranking:
    """The ranking a list ordered with `active` (None: the default fusion) says it used."""
    return DEFAULT_RANKING if active is None else Ranking("learned", active.version)

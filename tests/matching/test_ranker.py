"""MatchIndex ranking: order, restrictions, batch equivalence and single-signal modes."""

from __future__ import annotations

import numpy as np
import pytest

from matching.fusion import COMPONENTS, DEFAULT_WEIGHTS, FusionWeights
from matching.ranker import MatchIndex

from .conftest import Corpus


@pytest.fixture(scope="module")
def index(corpus: Corpus) -> MatchIndex:
    return MatchIndex().fit(list(corpus.profiles.values()))


def test_obvious_matches_rank_first(index: MatchIndex, corpus: Corpus) -> None:
    sat = index.rank(corpus.queries["sol-sat"], limit=2)
    assert {c.id for c in sat} == {"us-bus", "jp-thruster"}
    cyber = index.rank(corpus.queries["sol-cyber"], limit=1)
    assert cyber[0].id == "us-cyber"


def test_scores_and_components_are_in_unit_interval_and_sorted(
    index: MatchIndex, corpus: Corpus
) -> None:
    ranked = index.rank(corpus.queries["sol-sat"])
    assert len(ranked) == len(corpus.profiles)
    scores = [c.score for c in ranked]
    assert scores == sorted(scores, reverse=True)
    for c in ranked:
        assert 0.0 <= c.score <= 1.0
        assert set(c.components) == set(COMPONENTS)
        assert all(0.0 <= v <= 1.0 for v in c.components.values())


def test_allowed_ids_restrict_before_the_limit(index: MatchIndex, corpus: Corpus) -> None:
    allowed = {"jp-robot", "us-battery", "unknown-id"}
    ranked = index.rank(corpus.queries["sol-sat"], limit=2, allowed_ids=allowed)
    assert {c.id for c in ranked} == {"jp-robot", "us-battery"}
    assert index.rank(corpus.queries["sol-sat"], allowed_ids=[]) == []
    assert index.rank(corpus.queries["sol-sat"], limit=0) == []


def test_rank_many_equals_rank(index: MatchIndex, corpus: Corpus) -> None:
    queries = list(corpus.queries.values())
    batch = index.rank_many(queries, limit=4)
    for q, got in zip(queries, batch, strict=True):
        single = index.rank(q, limit=4)
        assert [c.id for c in got] == [c.id for c in single]
        np.testing.assert_allclose([c.score for c in got], [c.score for c in single], rtol=1e-5)


def test_single_signal_modes(corpus: Corpus) -> None:
    profiles = list(corpus.profiles.values())
    query = corpus.queries["sol-cyber"]
    lexical = MatchIndex(weights=FusionWeights(0, 1, 0, 0)).fit(profiles).rank(query)
    raw = lexical[0]
    assert raw.score == pytest.approx(raw.components["lexical"])
    dense = MatchIndex(weights=FusionWeights(1, 0, 0, 0)).fit(profiles).rank(query)
    assert all(c.score == pytest.approx(c.components["semantic"]) for c in dense)


def test_query_without_areas_is_not_penalised(index: MatchIndex, corpus: Corpus) -> None:
    q = corpus.queries["sol-cyber"]
    bare = type(q)(q.id, q.text, frozenset(), frozenset(), q.embedding)
    top = index.rank(bare, limit=1)[0]
    assert top.id == "us-cyber"
    assert top.components["areas"] == 0.0
    # Area and NAICS weights drop out, so the score is the semantic/lexical average.
    w = DEFAULT_WEIGHTS
    text_part = w.semantic * top.components["semantic"] + w.lexical * top.components["lexical"]
    expected = text_part / (w.semantic + w.lexical)
    assert top.score == pytest.approx(expected, abs=1e-6)


def test_profile_lookup_and_duplicates(index: MatchIndex, corpus: Corpus) -> None:
    assert index.profile("jp-gan") is corpus.profiles["jp-gan"]
    assert index.ids_ == list(corpus.profiles)
    with pytest.raises(KeyError):
        index.profile("nope")
    dup = list(corpus.profiles.values())[:2] * 2
    with pytest.raises(ValueError):
        MatchIndex().fit(dup)


def test_empty_index(corpus: Corpus) -> None:
    empty = MatchIndex().fit([])
    assert empty.rank(corpus.queries["sol-sat"]) == []
    assert empty.rank_many(list(corpus.queries.values())) == [[], []]


def test_rank_above_keeps_the_head_and_counts_the_rest(index: MatchIndex, corpus: Corpus) -> None:
    query = corpus.queries["sol-sat"]
    everyone = index.rank(query)
    threshold = everyone[2].score
    kept, below = index.rank_above(query, min_score=threshold, limit=1)
    assert [c.id for c in kept] == [everyone[0].id]
    assert below == sum(1 for c in everyone if c.score < threshold)
    rows = np.array(sorted(index.index_of(c.id) for c in everyone[:4]))
    kept, below = index.rank_above(query, min_score=threshold, allowed_rows=rows)
    assert [c.id for c in kept] == [c.id for c in everyone[:3]] and below == 1
    assert index.rank_above(query, min_score=float("inf")) == ([], len(everyone))

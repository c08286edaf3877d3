"""One pair, one score: a profile scored against queries equals its score in their rankings."""

from __future__ import annotations

import numpy as np

from matching.boilerplate import BoilerplateModel
from matching.ranker import MatchIndex, weigh_query

from .conftest import Corpus


def test_score_pairs_equals_each_querys_ranking(corpus: Corpus) -> None:
    index = MatchIndex().fit(list(corpus.profiles.values()))
    queries = list(corpus.queries.values())
    for profile in corpus.profiles.values():
        pairs = {hit.id: hit for hit in index.score_pairs(queries, profile)}
        for query in queries:
            ranked = {hit.id: hit for hit in index.rank(query)}
            np.testing.assert_allclose(pairs[query.id].score, ranked[profile.id].score, rtol=1e-5)
            for name, value in ranked[profile.id].components.items():
                np.testing.assert_allclose(pairs[query.id].components[name], value, atol=1e-5)


def test_a_profile_outside_the_index_is_scored_against_the_same_statistics(
    corpus: Corpus,
) -> None:
    profiles = list(corpus.profiles.values())
    outsider = profiles[0]
    index = MatchIndex().fit(profiles[1:])
    queries = list(corpus.queries.values())
    scores = index.score_pairs(queries, outsider)
    assert [hit.id for hit in scores] == [q.id for q in queries]
    assert all(0.0 <= hit.score <= 1.0 for hit in scores)
    # The same profile, once indexed, scores the same semantic component.
    full = MatchIndex().fit(profiles)
    inside = {hit.id: hit for hit in full.score_pairs(queries, outsider)}
    for hit in scores:
        assert abs(hit.components["semantic"] - inside[hit.id].components["semantic"]) < 0.05


def test_weighed_queries_score_pairs_like_rank(corpus: Corpus) -> None:
    queries = list(corpus.queries.values())
    model = BoilerplateModel(min_df=0.5).fit([q.text for q in queries] * 5)
    weighed = [weigh_query(q, model) for q in queries]
    index = MatchIndex().fit(list(corpus.profiles.values()))
    profile = next(iter(corpus.profiles.values()))
    pairs = {hit.id: hit.score for hit in index.score_pairs(weighed, profile)}
    for query in weighed:
        ranked = {hit.id: hit.score for hit in index.rank(query)}
        np.testing.assert_allclose(pairs[query.id], ranked[profile.id], rtol=1e-5)

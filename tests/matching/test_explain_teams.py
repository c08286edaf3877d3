"""Explanations quote exact passages; team suggestions cover every need and reward
complementary partners."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.encoder import DocumentEmbedding
from matching.explain import explain
from matching.ranker import MatchIndex, Profile, Query, ScoredCandidate
from matching.teams import suggest_teams
from matching.text import split_units

from .conftest import Corpus


def test_explanation_passages_are_exact_slices(corpus: Corpus) -> None:
    index = MatchIndex().fit(list(corpus.profiles.values()))
    for query in corpus.queries.values():
        for pid, profile in corpus.profiles.items():
            found = explain(
                query, profile, lexical=index.lexical_, profile_index=index.index_of(pid)
            )
            assert found.passages
            sims = [p.similarity for p in found.passages]
            assert sims == sorted(sims, reverse=True)
            for p in found.passages:
                # Without fields a text is one field named "text".
                assert p.query.field == p.profile.field == "text"
                assert p.query.text == query.text[p.query.start : p.query.end]
                assert p.profile.text == profile.text[p.profile.start : p.profile.end]
                focus = p.query_focus
                assert focus.text.strip() and focus.text == query.text[focus.start : focus.end]
                assert p.query.start <= focus.start < focus.end <= p.query.end
            for term in found.shared_terms:
                pattern = r"\b" + re.escape(term) + r"\b"
                assert re.search(pattern, query.text, re.IGNORECASE)
                assert re.search(pattern, profile.text, re.IGNORECASE)
            assert set(found.shared_areas) == set(query.areas & profile.areas)


def test_explanation_without_a_lexical_index(corpus: Corpus) -> None:
    query, profile = corpus.queries["sol-cyber"], corpus.profiles["us-cyber"]
    found = explain(query, profile, top_passages=1)
    assert len(found.passages) == 1
    lowered = {t.lower() for t in found.shared_terms}
    assert {"firmware", "intrusion"} <= lowered
    assert found.shared_naics == ["541512"]
    sat = explain(corpus.queries["sol-sat"], corpus.profiles["jp-thruster"])
    assert sat.shared_naics == ["33641"]  # prefix shared by 336414 and 336415


def _doc(vectors: list[list[float]], text_parts: list[str]) -> tuple[str, DocumentEmbedding]:
    text, spans = "", []
    for part in text_parts:
        start = len(text)
        text += part + " "
        spans.append((start, start + len(part)))
    units = np.array(vectors, dtype=np.float32)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    pooled = units.mean(axis=0)
    pooled /= np.linalg.norm(pooled)
    return text.rstrip(), DocumentEmbedding(pooled, units.astype(np.float16), spans)


def _member(pid: str, vectors: list[list[float]], score: float) -> tuple[Profile, ScoredCandidate]:
    text, emb = _doc(vectors, [f"part {i}." for i in range(len(vectors))])
    profile = Profile(pid, text, frozenset(), frozenset(), emb)
    return profile, ScoredCandidate(pid, score, {})


def test_complementary_pair_beats_overlapping_pair() -> None:
    # Three needs along three axes; members cover them in different ways.
    text, emb = _doc([[1, 0, 0], [0, 1, 0], [0, 0, 1]], ["Need A.", "Need B.", "Need C."])
    query = Query("q", text, frozenset(), frozenset(), emb)
    us = [_member("us-a", [[1, 0, 0]], 0.6), _member("us-ab", [[1, 1, 0]], 0.6)]
    jp = [_member("jp-a", [[1, 0.05, 0]], 0.6), _member("jp-c", [[0, 0, 1]], 0.6)]
    teams = suggest_teams(query, us, jp, limit=4)
    assert len(teams) == 4
    best = teams[0]
    assert (best.us_id, best.jp_id) == ("us-ab", "jp-c")
    ranked = [(t.us_id, t.jp_id) for t in teams]
    assert ranked.index(("us-a", "jp-c")) < ranked.index(("us-a", "jp-a"))
    overlap = next(t for t in teams if (t.us_id, t.jp_id) == ("us-a", "jp-a"))
    assert overlap.complementarity < best.complementarity
    for team in teams:
        assert 0.0 <= team.score <= 1.0
        assert [(c.query_start, c.query_end) for c in team.coverage] == emb.spans
        for c in team.coverage:
            assert c.query_text == text[c.query_start : c.query_end]
    by_need = {c.query_text: c.covered_by for c in best.coverage}
    assert by_need["Need C."] == "jp"


def test_teams_cover_all_units_on_real_text(corpus: Corpus) -> None:
    query = corpus.queries["sol-sat"]
    index = MatchIndex().fit(list(corpus.profiles.values()))
    ranked = {c.id: c for c in index.rank(query)}
    us = [(p, ranked[p.id]) for p in corpus.profiles.values() if p.id.startswith("us-")]
    jp = [(p, ranked[p.id]) for p in corpus.profiles.values() if p.id.startswith("jp-")]
    teams = suggest_teams(query, us, jp, limit=3)
    assert len(teams) == 3
    assert (teams[0].us_id, teams[0].jp_id) == ("us-bus", "jp-thruster")
    assert len(teams[0].coverage) == len(query.embedding.spans)
    assert suggest_teams(query, us, [], limit=3) == []


@settings(max_examples=60, deadline=None)
@given(
    st.text(min_size=1, max_size=300),
    st.text(min_size=1, max_size=300),
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=0, max_value=2**31),
)
def test_passages_are_exact_slices_for_any_text(
    query_text: str, profile_text: str, max_words: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)

    def embed(text: str) -> DocumentEmbedding:
        spans = [(u.start, u.end) for u in split_units(text, max_words=max_words)]
        units = rng.normal(size=(len(spans), 8)).astype(np.float32)
        units /= np.linalg.norm(units, axis=1, keepdims=True) + 1e-9
        pooled = units.mean(axis=0) if len(spans) else np.zeros(8, np.float32)
        return DocumentEmbedding(pooled.astype(np.float32), units.astype(np.float16), spans)

    query = Query("q", query_text, frozenset(), frozenset(), embed(query_text))
    profile = Profile("p", profile_text, frozenset(), frozenset(), embed(profile_text))
    found = explain(query, profile, top_passages=3)
    expected = min(3, len(query.embedding.spans)) if profile.embedding.spans else 0
    assert len(found.passages) == expected
    for p in found.passages:
        assert p.query.text == query_text[p.query.start : p.query.end]
        assert p.profile.text == profile_text[p.profile.start : p.profile.end]
        # Focus sentences stay inside their passages.
        assert p.query.start <= p.query_focus.start <= p.query_focus.end <= p.query.end
        assert p.profile.start <= p.profile_focus.start <= p.profile_focus.end <= p.profile.end
    for term in found.shared_terms:
        assert term.lower() in query_text.lower() and term.lower() in profile_text.lower()

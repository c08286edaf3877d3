"""Explanations: which passages of a query and a profile match, and what they share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from matching.lexical import LexicalScorer
from matching.ranker import Profile, Query
from matching.structured import normalise_naics
from matching.text import sentence_spans

__all__ = ["Explanation", "PassageMatch", "explain", "passage_similarities"]

_WORD = re.compile(r"(?u)\b\w\w+\b")


@dataclass
class PassageMatch:
    """A query passage and the profile passage most similar to it (exact slices of both texts)."""

    query_start: int
    query_end: int
    query_text: str
    profile_start: int
    profile_end: int
    profile_text: str
    similarity: float
    # The sentence of each passage that shares the most words with the other passage: what a
    # reader should look at first. Absolute spans inside the passage spans.
    query_focus: tuple[int, int] = (0, 0)
    profile_focus: tuple[int, int] = (0, 0)


@dataclass
class Explanation:
    """Why a profile matched a query."""

    passages: list[PassageMatch]
    shared_terms: list[str]
    shared_areas: list[str]
    shared_naics: list[str]


def passage_similarities(query_units: np.ndarray, profile_units: np.ndarray) -> np.ndarray:
    """Cosine similarity (n_query_units, n_profile_units) of stored unit vectors."""
    if len(query_units) == 0 or len(profile_units) == 0:
        return np.zeros((len(query_units), len(profile_units)), dtype=np.float32)
    return np.asarray(query_units, dtype=np.float32) @ np.asarray(profile_units, np.float32).T


def _best_pairs(sim: np.ndarray, top: int) -> list[tuple[int, int]]:
    """Highest-similarity (query unit, profile unit) pairs, each query unit used at most once."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for flat in np.argsort(-sim, axis=None, kind="stable"):
        qi, pi = divmod(int(flat), sim.shape[1])
        if qi in used:
            continue
        pairs.append((qi, pi))
        used.add(qi)
        if len(pairs) >= top:
            break
    return pairs


def _shared_words(query: str, profile: str, limit: int) -> list[str]:
    """Fallback shared terms without a fitted scorer: common content words, longest first."""
    profile_words = {w.lower() for w in _WORD.findall(profile)}
    seen: set[str] = set()
    out: list[str] = []
    for word in _WORD.findall(query):
        key = word.lower()
        if key in seen or key in ENGLISH_STOP_WORDS or key.isdigit() or key not in profile_words:
            continue
        seen.add(key)
        out.append(word)
    # Without corpus statistics, longer words are the better guess at informative ones.
    return sorted(out, key=lambda w: (-len(w), w.lower()))[:limit]


def focus_sentence(text: str, start: int, end: int, other: str) -> tuple[int, int]:
    """The sentence of ``text[start:end]`` sharing the most content words with ``other``."""
    other_words = {w.lower() for w in _WORD.findall(other)} - ENGLISH_STOP_WORDS
    best, best_overlap = (start, end), -1
    for s, e in sentence_spans(text[start:end]):
        words = {w.lower() for w in _WORD.findall(text[start + s : start + e])}
        overlap = len(words & other_words)
        if overlap > best_overlap:
            best, best_overlap = (start + s, start + e), overlap
    return best


@lru_cache(maxsize=4096)
def _whole_words(term: str) -> re.Pattern[str]:
    return re.compile(r"\b" + re.escape(term) + r"\b", re.IGNORECASE)


def _occurs(term: str, text: str) -> bool:
    """Whether ``term`` occurs in ``text`` as whole words, ignoring case."""
    return _whole_words(term).search(text) is not None


def _shared_naics(a: frozenset[str], b: frozenset[str]) -> list[str]:
    """Codes in both sets; failing that, the longest shared prefixes (2+ digits)."""
    ca, cb = normalise_naics(a), normalise_naics(b)
    exact = sorted(set(ca) & set(cb))
    if exact:
        return exact
    prefixes: set[str] = set()
    for x in ca:
        for y in cb:
            n = 0
            while n < min(len(x), len(y)) and x[n] == y[n]:
                n += 1
            if n >= 2:
                prefixes.add(x[:n])
    return sorted(prefixes)


def explain(
    query: Query,
    profile: Profile,
    *,
    lexical: LexicalScorer | None = None,
    profile_index: int | None = None,
    top_passages: int = 3,
    top_terms: int = 8,
) -> Explanation:
    """Explain a match by its best passage pairs, shared terms, areas and NAICS codes."""
    sim = passage_similarities(query.embedding.units, profile.embedding.units)
    passages = []
    if sim.size:
        for qi, pi in _best_pairs(sim, top_passages):
            qs, qe = query.embedding.spans[qi]
            ps, pe = profile.embedding.spans[pi]
            passages.append(
                PassageMatch(
                    query_start=qs,
                    query_end=qe,
                    query_text=query.text[qs:qe],
                    profile_start=ps,
                    profile_end=pe,
                    profile_text=profile.text[ps:pe],
                    similarity=float(sim[qi, pi]),
                    query_focus=focus_sentence(query.text, qs, qe, profile.text[ps:pe]),
                    profile_focus=focus_sentence(profile.text, ps, pe, query.text[qs:qe]),
                )
            )
    if lexical is not None and profile_index is not None:
        terms = lexical.shared_terms(query.text, profile_index, limit=top_terms)
        # Guard against an index that does not point at this profile's text.
        terms = [t for t in terms if _occurs(t, profile.text)]
    else:
        terms = _shared_words(query.text, profile.text, top_terms)
    return Explanation(
        passages=passages,
        shared_terms=terms,
        shared_areas=sorted(query.areas & profile.areas),
        shared_naics=_shared_naics(query.naics, profile.naics),
    )

"""Lexical scoring against a reference computation, and shared-term attributions."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.lexical import LexicalScorer

DOCS = [
    "Gallium nitride (GaN) power amplifiers for X-band radar, built on silicon carbide wafers.",
    "Green monopropellant thrusters for small satellites; the thruster chamber is niobium.",
    "Zero trust network defense and intrusion detection for avionics buses.",
    "Detection of mines with magnetic anomaly sensors on unmanned surface vessels.",
]


def test_tfidf_matches_sklearn_cosine() -> None:
    scorer = LexicalScorer(method="tfidf").fit(DOCS)
    query = "X-band GaN power amplifier for radar"
    ref = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")
    matrix = ref.fit_transform(DOCS)
    expected = (ref.transform([query]) @ matrix.T).toarray()[0]
    np.testing.assert_allclose(scorer.score(query), expected, rtol=1e-5, atol=1e-6)
    assert int(np.argmax(scorer.score(query))) == 0


def test_bm25_matches_a_direct_formula() -> None:
    docs = ["radar radar sensor", "radar thruster", "thruster chamber niobium alloy"]
    scorer = LexicalScorer(method="bm25", ngram_range=(1, 1), k1=1.2, b=0.75).fit(docs)
    tokens = [d.split() for d in docs]
    avg = np.mean([len(t) for t in tokens])

    def bm25(term: str, doc: list[str]) -> float:
        df = sum(term in t for t in tokens)
        idf = np.log1p((len(docs) - df + 0.5) / (df + 0.5))
        tf = doc.count(term)
        return idf * tf * 2.2 / (tf + 1.2 * (1 - 0.75 + 0.75 * len(doc) / avg))

    expected = [bm25("radar", t) + bm25("niobium", t) for t in tokens]
    np.testing.assert_allclose(scorer.score("radar niobium radar"), expected, rtol=1e-5)


@pytest.mark.parametrize("method", ["tfidf", "bm25"])
def test_changed_documents_are_weighted_as_fit_weighs_them(method: str) -> None:
    scorer = LexicalScorer(method=method).fit(DOCS)  # type: ignore[arg-type]
    before = scorer.matrix_[0].toarray()
    np.testing.assert_allclose(scorer.transform([DOCS[0]]).toarray(), before, rtol=1e-5)
    query = "X-band GaN power amplifier for radar"
    scorer.set_rows([1, len(DOCS)], [DOCS[0], DOCS[2]])
    scores = scorer.score(query)
    assert scores.shape == (len(DOCS) + 1,)
    assert scores[1] == pytest.approx(scores[0])
    assert scores[len(DOCS)] == pytest.approx(scores[2])
    assert scorer.shared_terms(query, 1) == scorer.shared_terms(query, 0)


def test_score_many_is_row_wise_score() -> None:
    scorer = LexicalScorer().fit(DOCS)
    queries = ["thruster for satellites", "intrusion detection", ""]
    many = scorer.score_many(queries)
    assert many.shape == (3, len(DOCS))
    for row, q in zip(many, queries, strict=True):
        np.testing.assert_allclose(row, scorer.score(q))
    assert not many[2].any()


def test_empty_index_scores_zero() -> None:
    scorer = LexicalScorer().fit(["", "  "])
    assert scorer.score("radar").tolist() == [0.0, 0.0]
    assert scorer.shared_terms("radar", 0) == []


@pytest.mark.parametrize("method", ["tfidf", "bm25"])
def test_an_index_of_stop_words_and_symbols_scores_zero(method: str) -> None:
    scorer = LexicalScorer(method=method).fit(["the and of", "!!! ?", "a"])
    assert scorer.score("radar of the").tolist() == [0.0, 0.0, 0.0]
    assert scorer.shared_terms("radar", 0) == []
    assert scorer.transform(["radar"]).shape == (1, 0)
    scorer.set_rows([1, 3], ["radar", "radar sensor"])
    assert scorer.score("radar").tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("method", ["tfidf", "bm25"])
def test_shared_terms_occur_in_both_texts(method: str) -> None:
    scorer = LexicalScorer(method=method).fit(DOCS)  # type: ignore[arg-type]
    query = "Magnetic anomaly detection of mines from UNMANNED surface vessels, and GaN radar."
    for i, doc in enumerate(DOCS):
        terms = scorer.shared_terms(query, i)
        for term in terms:
            pattern = r"\b" + re.escape(term) + r"\b"
            assert re.search(pattern, query, re.IGNORECASE), term
            assert re.search(pattern, doc, re.IGNORECASE), term
            assert term.lower() not in {"of", "and", "the", "from"}
    terms = scorer.shared_terms(query, 3, limit=3)
    assert len(terms) == 3
    # Bigrams are reported as written, with the stop word that separated them.
    assert any(" " in t for t in terms)
    assert "UNMANNED" in " ".join(scorer.shared_terms(query, 3, limit=20))

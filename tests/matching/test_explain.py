"""Explanations quote record fields, prefer distinctive passages to boilerplate, and show only
informative shared terms."""

from __future__ import annotations

import numpy as np
import pytest

from matching.encoder import DocumentEmbedding, Encoder
from matching.explain import common_term_limit, explain, shared_terms
from matching.lexical import LexicalScorer
from matching.ranker import MatchIndex, Profile, Query
from matching.text import FieldedText, FieldSpan

from .conftest import Corpus

NEED = FieldedText(
    [
        ("title", "Ka-band GaN amplifiers"),
        (
            "description",
            "Prototype GaN power amplifiers for Ka-band crosslinks. Foreign partners must "
            "hold a METI export licence for technical data.",
        ),
    ]
)
OFFER = FieldedText(
    [
        (
            "narrative",
            "The company complies with METI export licence rules for all technical data. "
            "We build GaN MMIC power amplifiers in Sendai.",
        ),
        ("keywords", ["GaN MMIC", "hermetic packaging"]),
    ]
)


def _value(fields: FieldedText, span: FieldSpan) -> str:
    part = next(p for p in fields.parts if (p.field, p.item) == (span.field, span.item))
    return part.value


def _embedded(fields: FieldedText, vectors: list[list[float]]) -> DocumentEmbedding:
    """Hand-made unit vectors, one per window of ``fields`` (windows of one sentence)."""
    spans = [(u.start, u.end) for u in fields.units(max_words=12)]
    assert len(spans) == len(vectors)
    units = np.array(vectors, dtype=np.float32)
    units /= np.linalg.norm(units, axis=1, keepdims=True)
    pooled = units.mean(axis=0) / np.linalg.norm(units.mean(axis=0))
    return DocumentEmbedding(pooled.astype(np.float32), units.astype(np.float16), spans)


def _pair() -> tuple[Query, Profile]:
    # Windows: need = title, amplifier sentence, export sentence; offer = compliance
    # sentence, capability sentence, keywords. The two boilerplate sentences are the most
    # similar pair; the amplifier sentences the best distinctive one.
    need = _embedded(NEED, [[0.6, 0.8, 0], [0.3, 1, 0.2], [1, 0, 0]])
    offer = _embedded(OFFER, [[1, 0.02, 0], [0.2, 1, 0.1], [0, 1, 1]])
    return (
        Query("need", NEED.text, frozenset(), frozenset(), need),
        Profile("offer", OFFER.text, frozenset(), frozenset(), offer),
    )


def test_quotes_name_their_field_and_offsets() -> None:
    query, profile = _pair()
    found = explain(query, profile, query_fields=NEED, profile_fields=OFFER)
    assert len(found.passages) == 3
    for p in found.passages:
        for fields, span in ((NEED, p.query), (NEED, p.query_focus)):
            assert _value(fields, span)[span.start : span.end] == span.text
        for fields, span in ((OFFER, p.profile), (OFFER, p.profile_focus)):
            assert _value(fields, span)[span.start : span.end] == span.text
        assert "\n" not in p.query.text + p.profile.text
    assert {p.query.field for p in found.passages} == {"title", "description"}


def test_boilerplate_is_not_the_explanation_when_something_else_matches() -> None:
    query, profile = _pair()
    plain = explain(query, profile, query_fields=NEED, profile_fields=OFFER, top_passages=1)
    assert "METI" in plain.passages[0].query.text and "METI" in plain.passages[0].profile.text

    weighted = explain(
        query,
        profile,
        query_fields=NEED,
        profile_fields=OFFER,
        query_unit_weights=np.array([1.0, 1.0, 0.05]),
        profile_unit_weights=np.array([0.1, 1.0, 1.0]),
    )
    assert weighted.passages
    for p in weighted.passages:
        assert "METI" not in p.query.text and "METI" not in p.profile.text
    best = weighted.passages[0]
    assert best.query.text.startswith("Prototype GaN") and best.profile.text.startswith("We build")
    # Similarity is reported as measured, unweighted.
    assert best.similarity == pytest.approx(
        float(query.embedding.units[1].astype(np.float32) @ profile.embedding.units[1]), abs=1e-3
    )


def test_only_boilerplate_falls_back_to_plain_similarity() -> None:
    query, profile = _pair()
    plain = explain(query, profile, query_fields=NEED, profile_fields=OFFER)
    low = explain(
        query,
        profile,
        query_fields=NEED,
        profile_fields=OFFER,
        query_unit_weights=np.full(3, 0.1),
        profile_unit_weights=np.array([0.2, 0.3, 0.0]),
    )
    assert [(p.query_unit, p.profile_unit) for p in low.passages] == [
        (p.query_unit, p.profile_unit) for p in plain.passages
    ]
    with pytest.raises(ValueError, match="profile_unit_weights has 2 values for 3 units"):
        explain(query, profile, profile_unit_weights=np.ones(2))


def test_a_keyword_window_is_quoted_by_its_best_keyword(encoder: Encoder) -> None:
    offer = FieldedText(
        [
            ("narrative", "Founded in 1962 in Nagoya, the firm is owned by its employees."),
            ("keywords", ["magnetorquer", " ", "reaction wheels", "star tracker"]),
        ]
    )
    need = FieldedText([("description", "Reaction wheels and star trackers for small satellites.")])
    need_emb, offer_emb = encoder.encode_documents([need, offer])
    # Windows never cross a field: the narrative and the keywords are separate windows.
    assert [offer.pieces(*span)[0].field for span in offer_emb.spans] == ["narrative", "keywords"]
    found = explain(
        Query("n", need.text, frozenset(), frozenset(), need_emb),
        Profile("o", offer.text, frozenset(), frozenset(), offer_emb),
        query_fields=need,
        profile_fields=offer,
    )
    quote = found.passages[0].profile
    assert quote == FieldSpan("keywords", 0, 15, "reaction wheels", item=2)
    assert found.passages[0].profile_focus == quote


def test_shared_terms_leave_out_what_the_corpus_makes_common() -> None:
    boilerplate = "A Japanese company based in Tokyo, 100 krad tested, reviewed by METI for export."
    documents = [
        f"{boilerplate} It makes {thing}."
        for thing in (
            "GaN MMIC power amplifiers in ESPA-class hermetic packages",
            "bakery robots",
            "fishing nets",
            "optical telescopes",
            "deployable booms",
        )
    ]
    scorer = LexicalScorer().fit(documents)
    query = (
        "Japanese partners with METI export approval and 100 krad (Si) parts: we need "
        "GaN MMIC power amplifiers, ESPA-Class buses and hermetic packages, 22 nm, RF."
    )
    terms = shared_terms(query, documents[0], lexical=scorer, profile_index=0)
    lowered = [t.lower() for t in terms]
    assert "gan mmic" in lowered and "espa-class" in lowered
    assert not {"japanese", "meti", "export", "krad", "100", "based", "tokyo"} & set(lowered)
    # Multi-word terms first, and no word repeated alone after a term that shows it.
    assert " " in terms[0]
    assert "mmic" not in lowered and "class" not in lowered
    for term in terms:
        assert scorer.document_frequency(term) <= common_term_limit(len(documents))


def test_shared_terms_never_exceed_the_corpus_threshold(corpus: Corpus) -> None:
    index = MatchIndex().fit(list(corpus.profiles.values()))
    limit = common_term_limit(len(index))
    for query in corpus.queries.values():
        for pid, profile in corpus.profiles.items():
            found = explain(
                query, profile, lexical=index.lexical_, profile_index=index.index_of(pid)
            )
            for term in found.shared_terms:
                assert index.lexical_.document_frequency(term) <= limit
                assert len(term) > 2 and not term.isdigit()


def test_a_boilerplate_sentence_is_not_the_focus_while_another_is_left() -> None:
    from matching.boilerplate import BoilerplateModel
    from matching.encoder import DocumentEmbedding
    from matching.ranker import Profile, Query

    notice = "Technical data is subject to the export control regulations of the United States."
    own = "Radiation-hardened star tracker optics for small satellites."
    topics = [f"Topic {i} about sensors number {i}. {notice}" for i in range(12)]
    model = BoilerplateModel().fit(topics)
    text = f"{notice} {own}"
    vector = np.ones((1, 4), dtype=np.float16) / 2
    embedding = DocumentEmbedding(vector[0].astype(np.float32), vector, [(0, len(text))])
    query = Query("q", text, frozenset(), frozenset(), embedding)
    partner_text = "Technical data follow United States export control regulations; star optics."
    partner_embedding = DocumentEmbedding(
        vector[0].astype(np.float32), vector, [(0, len(partner_text))]
    )
    partner = Profile("p", partner_text, frozenset(), frozenset(), partner_embedding)
    plain = explain(query, partner)
    assert plain.passages[0].query_focus.text == notice
    weighed = explain(query, partner, query_boilerplate=model)
    assert weighed.passages[0].query_focus.text == own

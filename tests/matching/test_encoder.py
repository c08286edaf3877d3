"""The encoder: normalised, deterministic output, a stable model id, storable embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from matching.cache import EmbeddingCache, encode_documents_cached
from matching.encoder import DocumentEmbedding, Encoder, model_fingerprint


def test_encode_is_normalised_and_deterministic(encoder: Encoder) -> None:
    texts = ["GaN power amplifiers for X-band radar.", "Green monopropellant thrusters."]
    a = encoder.encode(texts)
    b = encoder.encode(list(reversed(texts)))[::-1]
    assert a.shape == (2, encoder.dimension) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(a, b, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.dimension)


def test_model_id_is_stable_and_names_the_model(encoder: Encoder, tmp_path: Path) -> None:
    assert encoder.model_id == model_fingerprint(encoder.model_path)
    assert encoder.model_id.startswith("all-MiniLM-L6-v2@")
    # A different configuration gives a different id.
    other = tmp_path / "model"
    other.mkdir()
    (other / "config.json").write_text('{"hidden_size": 768}')
    assert model_fingerprint(str(other)) != encoder.model_id


def test_documents_cover_the_whole_text_and_pool_to_unit_norm(encoder: Encoder) -> None:
    sentence = "The thruster burns a green monopropellant in a niobium chamber. "
    long_text = sentence * 40
    docs = encoder.encode_documents([long_text, "", "Short text."])
    long_doc, empty, short = docs
    assert len(long_doc.spans) >= 3
    assert long_doc.spans[0][0] == 0 and long_doc.spans[-1][1] == len(long_text.rstrip())
    assert long_doc.units.dtype == np.float16 and long_doc.units.shape[0] == len(long_doc.spans)
    assert abs(float(np.linalg.norm(long_doc.pooled)) - 1.0) < 1e-5
    np.testing.assert_allclose(np.linalg.norm(long_doc.units.astype(np.float32), axis=1), 1, 1e-2)
    assert empty.units.shape == (0, encoder.dimension) and not empty.pooled.any()
    assert short.spans == [(0, len("Short text."))]


def test_payload_round_trip(encoder: Encoder) -> None:
    doc = encoder.encode_documents(["Radar. Lidar. Sonar sensors for drones."])[0]
    pooled, units, spans = doc.to_payload()
    back = DocumentEmbedding.from_payload(pooled, units, spans, encoder.dimension)
    np.testing.assert_array_equal(back.pooled, doc.pooled)
    np.testing.assert_array_equal(back.units, doc.units)
    assert back.spans == doc.spans


def test_token_dense_windows_are_split_to_fit_the_model(encoder: Encoder) -> None:
    text = " ".join(f"Ti-6Al-4V/{i:04d}-XQ" for i in range(115))
    units = encoder.units(text)
    assert len(units) > 1
    counts = encoder.model.tokenizer([u.text for u in units], add_special_tokens=False)
    assert max(len(ids) for ids in counts["input_ids"]) <= encoder.max_tokens
    assert all(text[u.start : u.end] == u.text for u in units)


def test_cache_encodes_only_new_texts(encoder: Encoder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path)
    texts = [
        "Quantum sensing with cold atoms.",
        "Hypersonic glide bodies.",
        "Quantum sensing with cold atoms.",
    ]
    first, n_first = encode_documents_cached(encoder, texts, cache)
    assert n_first == 2  # the duplicate is encoded once
    before = encoder.texts_encoded
    second, n_second = encode_documents_cached(encoder, texts, cache)
    assert n_second == 0 and encoder.texts_encoded == before
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.pooled, b.pooled)
        assert a.spans == b.spans

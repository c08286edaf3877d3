"""Evaluation on a tiny BEIR fixture written here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matching.encoder import Encoder
from matching.evaluation import evaluate, load_beir, render_table

CORPUS: list[dict[str, Any]] = [
    {
        "_id": "d-thruster",
        "title": "Thruster Co",
        "text": "Green monopropellant thrusters for small satellites with niobium chambers.",
        "metadata": {"technology_areas": ["space"], "naics": ["336415"]},
    },
    {
        "_id": "d-gan",
        "title": "GaN Fab",
        "text": "Gallium nitride MMIC power amplifiers for X-band radar.",
        "metadata": {"technology_areas": ["trusted-microelectronics"]},
    },
    {
        "_id": "d-robot",
        "title": "Robot Works",
        "text": "Robotic arms that sand and repaint aircraft panels.",
    },
    {"_id": "d-battery", "title": "Cells", "text": "Lithium-ion battery packs for vehicles."},
]
QUERIES: list[dict[str, Any]] = [
    {
        "_id": "q-prop",
        "title": "Satellite propulsion",
        "text": "Prototype green propulsion thrusters for a smallsat.",
        "metadata": {"technology_areas": ["space"], "naics": "336415"},
    },
    {
        "_id": "q-radar",
        "title": "Radar amplifiers",
        "text": "GaN power amplifier for an X-band radar.",
    },
    {"_id": "q-unjudged", "title": "Nothing", "text": "No judgements for this one."},
]


def _write(tmp_path: Path, header: bool = True) -> tuple[Path, Path, Path]:
    corpus, queries, qrels = tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "r.tsv"
    corpus.write_text("\n".join(json.dumps(r) for r in CORPUS) + "\n")
    queries.write_text("\n".join(json.dumps(r) for r in QUERIES) + "\n\n")
    rows = ["q-prop\td-thruster\t2", "q-prop\td-robot\t0", "q-radar\td-gan\t1"]
    qrels.write_text("\n".join((["query-id\tcorpus-id\tscore"] if header else []) + rows) + "\n")
    return queries, corpus, qrels


def test_load_beir(tmp_path: Path) -> None:
    for header in (True, False):
        ds = load_beir(*_write(tmp_path, header))
        assert [d.id for d in ds.corpus] == [r["_id"] for r in CORPUS]
        assert ds.corpus[0].areas == frozenset({"space"})
        assert ds.corpus[0].naics == frozenset({"336415"})
        assert ds.queries[0].naics == frozenset({"336415"})
        assert ds.corpus[2].areas == frozenset()
        assert ds.qrels == {"q-prop": {"d-thruster": 2, "d-robot": 0}, "q-radar": {"d-gan": 1}}


def test_evaluate_caches_and_reports_every_method(encoder: Encoder, tmp_path: Path) -> None:
    ds = load_beir(*_write(tmp_path))
    cache = tmp_path / "cache"
    before = encoder.texts_encoded
    results = evaluate(ds, encoder=encoder, cache_dir=cache, k=3)
    encoded_first = encoder.texts_encoded - before
    assert encoded_first >= len(CORPUS) + 2  # the unjudged query is skipped
    assert [r.method for r in results] == ["lexical", "dense", "fused", "rrf"]
    for r in results:
        # Both judged queries have their answer first on this easy fixture.
        assert r.ndcg == pytest.approx(1.0)
        assert r.recall == pytest.approx(1.0)
        assert r.mrr == pytest.approx(1.0)
    before = encoder.texts_encoded
    again = evaluate(ds, encoder=encoder, cache_dir=cache, k=3)
    assert encoder.texts_encoded == before, "a second run must encode nothing"
    assert again == results
    table = render_table(results, k=3)
    lines = table.splitlines()
    assert lines[0].split() == ["method", "nDCG@3", "Recall@3", "MRR@3"]
    assert len(lines) == 2 + len(results)
    assert len({len(line) for line in lines}) == 1


def test_evaluate_refuses_an_unjudged_set(encoder: Encoder, tmp_path: Path) -> None:
    queries, corpus, qrels = _write(tmp_path)
    qrels.write_text("query-id\tcorpus-id\tscore\n")
    with pytest.raises(ValueError):
        evaluate(load_beir(queries, corpus, qrels), encoder=encoder, cache_dir=None)


def test_evaluate_adds_the_learned_rerankings_row(encoder: Encoder, tmp_path: Path) -> None:
    from matching.evaluation import train_on_judgements

    ds = load_beir(*_write(tmp_path))
    model = train_on_judgements(ds, encoder=encoder, cache_dir=tmp_path / "cache")
    results = evaluate(ds, encoder=encoder, cache_dir=tmp_path / "cache", k=3, learned=model)
    by_method = {r.method: r for r in results}
    assert list(by_method) == ["lexical", "dense", "fused", "rrf", "learned"]
    # Two judged queries are too few to move away from the default order.
    assert model.blend == 0.0
    learned, fused = by_method["learned"], by_method["fused"]
    assert (learned.ndcg, learned.recall, learned.mrr) == (fused.ndcg, fused.recall, fused.mrr)

"""Boilerplate: corpus-common sentences are flagged and weighed down; small corpora have none."""

from __future__ import annotations

import numpy as np

from matching.boilerplate import BoilerplateModel

NOTICE = "Technical data is subject to the export control regulations of the United States."


def _corpus() -> list[str]:
    topics = [
        "Radiation-hardened star tracker optics for small satellites.",
        "Solid-state lithium battery cells for unmanned ground vehicles.",
        "Hypersonic inlet thermal protection tiles from ceramic matrix composites.",
        "Acoustic sensing buoys for harbour surveillance and diver detection.",
        "Quantum-secure key distribution links between ground stations.",
        "Biomanufacturing of spider silk fibres for body armour.",
        "Additive repair of turbine blades with cold spray deposition.",
        "Autonomous cargo drones for contested logistics resupply.",
        "Gallium nitride power amplifiers for phased array radars.",
        "Machine learning triage of satellite imagery for maritime domain awareness.",
        "Hydrogen fuel cells for silent watch generators.",
        "Microwave plasma synthesis of boron nitride nanotubes.",
    ]
    return [f"{topic} {NOTICE}" for topic in topics]


def test_the_shared_notice_is_boilerplate_and_the_topic_is_not() -> None:
    texts = _corpus()
    model = BoilerplateModel().fit(texts)
    text = texts[0]
    spans = model.boilerplate_spans(text)
    assert [text[s:e] for s, e in spans] == [NOTICE]
    topic_end = text.index(NOTICE)
    weights = model.unit_weights(text, [(0, topic_end - 1), (topic_end, len(text))])
    np.testing.assert_allclose(weights, [1.0, 0.0])
    # A passage half made of the notice keeps about half its weight.
    assert 0.3 < model.unit_weights(text, [(0, len(text))])[0] < 0.7


def test_a_small_corpus_has_no_boilerplate() -> None:
    texts = _corpus()[:3]
    model = BoilerplateModel().fit(texts)
    assert model.boilerplate_spans(texts[0]) == []
    np.testing.assert_array_equal(model.unit_weights(texts[0], [(0, 10)]), [1.0])

"""Boilerplate passages: text many documents of a corpus share weighs near 0, text of a
document's own weighs 1, deterministically."""

from __future__ import annotations

import numpy as np

from matching.boilerplate import common_threshold, passage_weights

EXPORT = (
    "This effort involves technical data controlled under the ITAR; foreign subcontractors may "
    "take part only under an approved DDTC authorization."
)
OWN = [
    "Ka-band GaN power amplifiers for satellite crosslinks.",
    "Green monopropellant thrusters for small satellites.",
    "Cold-atom inertial sensors for navigation without GPS.",
    "Autonomous surface vessels for harbour patrol.",
    "Ceramic matrix composite leading edges for glide bodies.",
    "Radiation-hardened mixed-signal ASICs on FD-SOI.",
]


def test_a_paragraph_most_documents_share_is_boilerplate() -> None:
    corpus = [[own, EXPORT] for own in OWN]
    weights = passage_weights(corpus)
    assert [len(w) for w in weights] == [2] * len(OWN)
    for w in weights:
        assert w[0] == 1.0
        assert w[1] == 0.0
        assert w.dtype == np.float32


def test_a_paragraph_few_documents_share_is_not() -> None:
    # Three documents hold it: each sees two others, under the threshold of three.
    corpus = [[own, EXPORT] if i < 3 else [own] for i, own in enumerate(OWN)]
    weights = passage_weights(corpus)
    assert all(float(w.min()) == 1.0 for w in weights)


def test_a_passage_partly_shared_weighs_its_own_share() -> None:
    mixed = EXPORT + " Our Ka-band amplifier line is qualified to MIL-STD-883 at Sendai."
    corpus = [[own, EXPORT] for own in OWN[:5]] + [[OWN[5], mixed]]
    weight = float(passage_weights(corpus)[-1][1])
    assert 0.2 < weight < 0.8


def test_repeats_inside_one_document_count_once() -> None:
    corpus = [[EXPORT, EXPORT, EXPORT, EXPORT, own] for own in OWN[:2]] + [[o] for o in OWN[2:]]
    for w in passage_weights(corpus):
        assert float(w.min()) == 1.0


def test_short_passages_empty_documents_and_determinism() -> None:
    corpus = [["Capabilities", "GaN MMIC"], [], ["", "!!"], *([["GaN MMIC"]] * 4)]
    first = passage_weights(corpus)
    assert [w.tolist() for w in first] == [w.tolist() for w in passage_weights(corpus)]
    assert first[0].tolist() == [1.0, 0.0]  # a two-word keyword five other documents repeat
    assert first[1].tolist() == []
    assert first[2].tolist() == [1.0, 1.0]  # nothing to judge
    assert passage_weights([]) == []


def test_threshold_grows_with_the_corpus() -> None:
    assert common_threshold(10) == 3
    assert common_threshold(1_000) == 20

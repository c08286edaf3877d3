"""Structured overlaps and score fusion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.fusion import (
    DEFAULT_WEIGHTS,
    FusionWeights,
    fuse,
    minmax,
    normalise_lexical,
    normalise_semantic,
    rrf,
)
from matching.structured import (
    NAICS_PREFIX_CREDIT,
    StructuredIndex,
    area_overlap,
    naics_credit,
    naics_overlap,
)


def test_area_overlap() -> None:
    assert area_overlap({"space"}, {"space"}) == 1.0
    assert area_overlap({"space", "sensors"}, {"space"}) == pytest.approx(1 / np.sqrt(2))
    assert area_overlap({"space"}, {"cyber"}) == 0.0
    assert area_overlap(set(), {"space"}) == 0.0


def test_naics_prefix_credit_orders_by_depth() -> None:
    assert naics_credit("334511", "334511") == 1.0
    credits = [naics_credit("334511", b) for b in ("334519", "334411", "335911", "339999")]
    assert credits == sorted(credits, reverse=True) and credits[0] < 1.0
    assert naics_credit("334511", "541715") == 0.0
    # A 4-digit code shares its whole self with a 6-digit code below it.
    assert naics_credit("3345", "334511") == NAICS_PREFIX_CREDIT[4]


def test_naics_overlap() -> None:
    assert naics_overlap({"334511"}, {"334511"}) == 1.0
    assert naics_overlap({"334511"}, {"541715"}) == 0.0
    assert naics_overlap(set(), {"334511"}) == 0.0
    exact = naics_overlap({"334511"}, {"334511"})
    group = naics_overlap({"334511"}, {"334519"})
    sector = naics_overlap({"334511"}, {"335911"})
    assert exact > group > sector > 0
    # A profile listing unrelated codes besides the match gets less than a focused one.
    assert naics_overlap({"334511"}, {"334511", "722511"}) == pytest.approx(0.75)


CODES = st.sampled_from(["33", "334", "3345", "334511", "334519", "336414", "541715", "5417", "x"])
AREAS = st.sampled_from(["space", "cyber", "quantum", "sensors"])


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.frozensets(AREAS), st.frozensets(CODES)), min_size=1, max_size=6),
    st.frozensets(AREAS),
    st.frozensets(CODES),
)
def test_structured_index_matches_pure_functions(
    profiles: list[tuple[frozenset[str], frozenset[str]]],
    q_areas: frozenset[str],
    q_naics: frozenset[str],
) -> None:
    index = StructuredIndex().fit([a for a, _ in profiles], [n for _, n in profiles])
    areas = index.area_scores(q_areas)
    naics = index.naics_scores(q_naics)
    for i, (a, n) in enumerate(profiles):
        assert areas[i] == pytest.approx(area_overlap(q_areas, a), abs=1e-6)
        assert naics[i] == pytest.approx(naics_overlap(q_naics, n), abs=1e-6)


def test_minmax() -> None:
    np.testing.assert_allclose(minmax(np.array([1.0, 3.0, 2.0])), [0.0, 1.0, 0.5])
    assert minmax(np.array([2.0, 2.0])).tolist() == [0.0, 0.0]
    np.testing.assert_allclose(minmax(np.array([[0.0, 2.0], [5.0, 1.0]])), [[0, 1], [1, 0]])


def test_semantic_scale_is_absolute() -> None:
    np.testing.assert_allclose(
        normalise_semantic(np.array([-0.2, 0.1, 0.4, 0.7, 0.9])), [0, 0, 0.5, 1, 1], atol=1e-6
    )


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-1, 1, allow_nan=False), min_size=1, max_size=30),
    st.lists(st.floats(0, 50, allow_nan=False), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_fuse_stays_in_unit_interval(
    sem: list[float], lex: list[float], w_sem: float, w_lex: float
) -> None:
    n = min(len(sem), len(lex))
    components = {
        "semantic": normalise_semantic(np.array(sem[:n])),
        "lexical": normalise_lexical(np.array(lex[:n])),
        "areas": np.ones(n),
        "naics": np.zeros(n),
    }
    for weights in (DEFAULT_WEIGHTS, FusionWeights(w_sem, w_lex, 0.1, 0.0)):
        fused = fuse(components, weights)
        assert fused.shape == (n,)
        assert np.all((fused >= 0) & (fused <= 1))
    for value in components.values():
        assert np.all((value >= 0) & (value <= 1))


def test_fuse_is_a_weighted_average_and_skips_absent_components() -> None:
    weights = FusionWeights(semantic=0.4, lexical=0.4, areas=0.2, naics=0.0)
    full = fuse(
        {"semantic": np.array([1.0]), "lexical": np.array([0.5]), "areas": np.array([0.0])}, weights
    )
    assert full[0] == pytest.approx((0.4 + 0.2) / 1.0)
    partial = fuse({"semantic": np.array([1.0]), "lexical": np.array([0.5])}, weights)
    assert partial[0] == pytest.approx(0.75)
    only_lexical = FusionWeights(0, 1, 0, 0)
    assert fuse({"semantic": np.array([1.0]), "lexical": np.array([0.2])}, only_lexical)[0] == (
        pytest.approx(0.2)
    )


def test_rrf_reference_values() -> None:
    a = np.array([3.0, 2.0, 1.0])
    b = np.array([1.0, 2.0, 3.0])
    fused = rrf({"a": a, "b": b}, k=60)
    np.testing.assert_allclose(fused, [1 / 61 + 1 / 63, 2 / 62, 1 / 63 + 1 / 61], rtol=1e-6)
    both = rrf({"a": np.stack([a, b]), "b": np.stack([b, a])}, k=60)
    np.testing.assert_allclose(both[0], fused, rtol=1e-6)


def test_kept_naics_scores_follow_every_profile_change() -> None:
    index = StructuredIndex().fit([[], [], []], [["334413"], ["541715"], []])
    query = ["541715", "334413"]
    first = index.naics_scores(query)
    assert np.allclose(first, [naics_overlap(query, p) for p in (["334413"], ["541715"], [])])
    first[:] = -1  # a caller's copy: what is kept is not changed
    again = index.naics_scores(list(reversed(query)))[0]
    assert again == pytest.approx(naics_overlap(query, ["334413"]), abs=1e-6)
    index.set_rows([2], [[]], [["541715"]])
    assert index.naics_scores(query)[2] == pytest.approx(naics_overlap(query, ["541715"]), abs=1e-6)
    index.move_row(0, 1)
    moved = index.naics_scores(query)[1]
    assert moved == pytest.approx(naics_overlap(query, ["334413"]), abs=1e-6)
    index.truncate(1)
    assert len(index.naics_scores(query)) == 1

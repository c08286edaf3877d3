"""Saved, memory-mapped match indexes and their incremental updates: an update gives what a
fresh fit gives (the lexical vocabulary aside), a saved index opens as shared maps that
updates never write back, and a damaged version is refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from matching.ranker import MatchIndex, Profile
from matching.store import (
    StoreError,
    TermTable,
    current_version,
    exclusive,
    mapped_file,
    open_version,
    publish,
)

from .conftest import Corpus


def _by_id(index: MatchIndex, scores: dict[str, np.ndarray], name: str) -> dict[str, float]:
    return {pid: float(scores[name][0, i]) for i, pid in enumerate(index.ids_)}


def _changed(corpus: Corpus) -> tuple[list[Profile], Profile, Profile]:
    """The corpus profiles, one of them rewritten as another one's text, and a new one."""
    profiles = list(corpus.profiles.values())
    gan, robot = corpus.profiles["jp-gan"], corpus.profiles["jp-robot"]
    rewritten = dataclasses.replace(
        robot, text=gan.text, areas=gan.areas, naics=gan.naics, embedding=gan.embedding
    )
    new = dataclasses.replace(corpus.profiles["us-cyber"], id="new-cyber", naics=frozenset())
    return profiles, rewritten, new


def test_updates_score_like_a_fresh_fit(corpus: Corpus) -> None:
    profiles, rewritten, new = _changed(corpus)
    index = MatchIndex().fit(profiles)
    index.upsert([rewritten, new]).remove(["us-battery"])
    final = [rewritten if p.id == "jp-robot" else p for p in profiles if p.id != "us-battery"] + [
        new
    ]
    fresh = MatchIndex().fit(final)
    assert sorted(index.ids_) == sorted(fresh.ids_)
    assert set(index.positions_) == set(index.ids_)
    for query in corpus.queries.values():
        got, want = index.scores([query]), fresh.scores([query])
        for name in ("semantic_raw", "areas", "naics"):
            expected = _by_id(fresh, want, name)
            for pid, value in _by_id(index, got, name).items():
                assert value == pytest.approx(expected[pid], abs=1e-5), (name, pid)
        # The lexical weights of a changed text come from the fitted vocabulary and IDF: the
        # rewritten profile scores exactly like the profile whose text it took.
        lexical = _by_id(index, got, "lexical_raw")
        assert lexical["jp-robot"] == pytest.approx(lexical["jp-gan"], abs=1e-6)
        assert lexical["new-cyber"] == pytest.approx(lexical["us-cyber"], abs=1e-6)
    assert index.profile("jp-robot") is rewritten
    gan = index.index_of("jp-gan")
    robot = index.index_of("jp-robot")
    query = corpus.queries["sol-sat"].text
    assert index.lexical_.shared_terms(query, robot) == index.lexical_.shared_terms(query, gan)


def test_a_saved_index_opens_as_shared_maps(corpus: Corpus, tmp_path: Path) -> None:
    profiles, rewritten, new = _changed(corpus)
    index = MatchIndex().fit(profiles)
    index.upsert([rewritten, new]).remove(["us-battery"])
    name = index.save(tmp_path, extra={"marker": np.arange(3)}, meta={"note": "hello"})
    assert current_version(tmp_path) == name
    opened, version = MatchIndex.open(tmp_path)
    assert version.meta["extra"] == {"note": "hello"}
    assert version.arrays["extra.marker"].tolist() == [0, 1, 2]
    assert opened.ids_ == index.ids_
    for query in corpus.queries.values():
        got, want = opened.scores([query]), index.scores([query])
        for component in want:
            np.testing.assert_allclose(got[component], want[component], atol=1e-6)
        assert [c.id for c in opened.rank(query)] == [c.id for c in index.rank(query)]
    for pid in opened.ids_:
        a, b = opened.profile(pid), index.profile(pid)
        assert (a.text, a.areas, a.naics, a.embedding.spans) == (
            b.text,
            b.areas,
            b.naics,
            b.embedding.spans,
        )
        np.testing.assert_array_equal(a.embedding.units, b.embedding.units)
    # The big arrays are the files' pages, not copies.
    directory = tmp_path / name
    for array, file in (
        (opened.store_.a["pooled"], "store.pooled"),
        (opened.store_.a["units"], "store.units"),
        (opened.lexical_.matrix_t_.data, "lexical.term.data"),
        (opened.lexical_.matrix_t_.indices, "lexical.term.indices"),
        (opened.lexical_.terms_table_.blob, "lexical.terms.blob"),
    ):
        assert mapped_file(array) == str(directory / f"{file}.npy")


def test_updates_after_opening_never_reach_the_files(corpus: Corpus, tmp_path: Path) -> None:
    profiles, rewritten, new = _changed(corpus)
    MatchIndex().fit(profiles).save(tmp_path)
    opened, _ = MatchIndex.open(tmp_path)
    opened.upsert([rewritten, new]).remove(["jp-gan"])
    assert "jp-gan" not in opened.positions_ and "new-cyber" in opened.positions_
    assert opened.profile("jp-robot").text == rewritten.text
    again, _ = MatchIndex.open(tmp_path)
    assert again.ids_ == [p.id for p in profiles]
    assert again.profile("jp-robot").text == corpus.profiles["jp-robot"].text


def test_reduce_units_per_profile(corpus: Corpus) -> None:
    profiles, rewritten, new = _changed(corpus)
    index = MatchIndex().fit(profiles).upsert([rewritten, new]).remove(["jp-thruster"])
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2, len(index.units_))).astype(np.float32)
    reduced = index.reduce_units(values)
    for row, pid in enumerate(index.ids_):
        mine = index.unit_owner_ == row
        assert mine.sum() == len(index.profile(pid).embedding.units) == index.unit_count_[row]
        np.testing.assert_allclose(reduced[:, row], values[:, mine].max(axis=1))
        start, count = index.unit_start_[row], index.unit_count_[row]
        np.testing.assert_array_equal(
            index.units_[start : start + count], index.profile(pid).embedding.units
        )


def _one_file(root: Path, name: str) -> Path:
    return root / current_version(root) / f"{name}.npy"  # type: ignore[operator]


@pytest.mark.parametrize("damage", ["flip", "truncate", "manifest", "missing"])
def test_a_damaged_version_is_refused(corpus: Corpus, tmp_path: Path, damage: str) -> None:
    MatchIndex().fit(list(corpus.profiles.values())).save(tmp_path)
    target = _one_file(tmp_path, "store.pooled")
    if damage == "flip":
        data = bytearray(target.read_bytes())
        data[-100] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:-1000])
    elif damage == "manifest":
        (target.parent / "manifest.json").write_text("{")
    else:
        target.unlink()
    with pytest.raises(StoreError):
        MatchIndex.open(tmp_path)


def test_versions_publish_atomically_and_old_ones_are_pruned(tmp_path: Path) -> None:
    names = [publish(tmp_path, {"a": np.arange(i + 1)}, {"i": i}) for i in range(4)]
    assert current_version(tmp_path) == names[-1]
    assert sorted(p.name for p in tmp_path.glob("v*")) == names[-2:]
    assert open_version(tmp_path, names[-1]).arrays["a"].tolist() == [0, 1, 2, 3]
    assert not list(tmp_path.glob(".tmp-*"))


def test_one_builder_at_a_time(tmp_path: Path) -> None:
    with exclusive(tmp_path) as first:
        assert first
        with exclusive(tmp_path, wait=False) as second:
            assert not second
    with exclusive(tmp_path, wait=False) as third:
        assert third


def test_term_table_lookup() -> None:
    terms = ["radar", "gan mmic", "窒化ガリウム", "", "x"]
    table = TermTable.build(terms)
    assert [table[i] for i in range(len(table))] == terms
    found = table.lookup(["x", "radar", "lidar", "窒化ガリウム", "gan mmic"])
    assert found.tolist() == [4, 0, -1, 2, 1]
    assert TermTable.build([]).lookup(["radar"]).tolist() == [-1]

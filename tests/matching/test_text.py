"""Sentence windows: exact offsets, nothing dropped, abbreviations and numbers respected."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.text import content_hash, sentence_spans, split_units, word_count

SENTENCE_WORDS = st.lists(
    st.sampled_from(
        [
            "radar",
            "e.g.",
            "U.S.",
            "3.5",
            "GHz",
            "Dr.",
            "Smith.",
            "The",
            "end.",
            "Inc.",
            "Why?",
            "Yes!",
            "(see",
            "Fig.",
            "2).",
            "|",
            "-",
            "•",
            "\n",
            "\n\n",
            "1.",
            "naïve",
            "日本",
            "",
        ]
    ),
    max_size=60,
)

TEXTS = st.one_of(
    st.text(max_size=400),
    SENTENCE_WORDS.map(" ".join),
)


def _assert_exact_and_complete(text: str, max_words: int) -> None:
    units = split_units(text, max_words=max_words)
    covered = [False] * len(text)
    previous_end = 0
    for unit in units:
        assert unit.text == text[unit.start : unit.end]
        assert unit.start >= previous_end, "windows overlap or go backwards"
        assert unit.text == unit.text.strip() and unit.text
        assert word_count(unit.text) <= max_words
        previous_end = unit.end
        for i in range(unit.start, unit.end):
            covered[i] = True
    dropped = [c for c, cov in zip(text, covered, strict=True) if not cov and not c.isspace()]
    assert not dropped, f"dropped characters {dropped!r}"


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.integers(min_value=1, max_value=40))
def test_units_are_exact_slices_covering_every_character(text: str, max_words: int) -> None:
    _assert_exact_and_complete(text, max_words)


def test_empty_and_blank_text() -> None:
    assert split_units("") == []
    assert split_units("   \n\t ") == []


def test_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = (
        "We build radios, e.g. 5G base stations for the U.S. Army at 3.5 GHz. "
        "Dr. Smith leads it. Prototypes ship in Q3."
    )
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "We build radios, e.g. 5G base stations for the U.S. Army at 3.5 GHz.",
        "Dr. Smith leads it.",
        "Prototypes ship in Q3.",
    ]


def test_bullet_lines_are_sentences() -> None:
    text = "Capabilities:\n- Additive manufacturing of Ti-6Al-4V\n- Radar signal processing\n"
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == [
        "Capabilities:",
        "- Additive manufacturing of Ti-6Al-4V",
        "- Radar signal processing",
    ]


def test_numbered_list_markers_stay_with_their_item() -> None:
    text = "Tasks:\n1. Design the bus.\n2. Qualify the thruster."
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    assert sentences == ["Tasks:", "1. Design the bus.", "2. Qualify the thruster."]


def test_long_narrative_is_kept_whole_in_balanced_windows() -> None:
    sentence = "The thruster burns a green monopropellant in a niobium chamber. "
    text = sentence * 40  # 400 words
    units = split_units(text, max_words=120)
    assert len(units) == 4
    assert sum(word_count(u.text) for u in units) == word_count(text)
    sizes = [word_count(u.text) for u in units]
    assert max(sizes) - min(sizes) <= 10


def test_one_overlong_sentence_is_chopped_at_word_boundaries() -> None:
    text = " ".join(f"w{i}" for i in range(250))
    units = split_units(text, max_words=100)
    assert [word_count(u.text) for u in units] == [84, 84, 82]
    assert re.sub(r"\s+", " ", " ".join(u.text for u in units)) == text


def test_content_hash_is_sha256() -> None:
    assert content_hash("abc") == hashlib.sha256(b"abc").hexdigest()
    assert content_hash("日本") == hashlib.sha256("日本".encode()).hexdigest()

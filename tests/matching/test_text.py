"""Sentence windows: exact offsets, nothing dropped, abbreviations and numbers respected;
fielded texts: windows never cross a field and every span maps back to the field it quotes."""

from __future__ import annotations

import hashlib
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.text import (
    FIELD_SEPARATOR,
    FieldedText,
    FieldSpan,
    content_hash,
    sentence_spans,
    split_units,
    word_count,
)

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


FIELD_VALUES = st.one_of(TEXTS, st.lists(st.one_of(TEXTS, st.just("  ")), max_size=6))
FIELDS = st.lists(
    st.tuples(
        st.sampled_from(["title", "description", "name", "narrative", "keywords"]), FIELD_VALUES
    ),
    max_size=4,
    unique_by=lambda f: f[0],
)


def _value(fields: list[tuple[str, str | list[str]]], span: FieldSpan) -> str:
    """What a client reads: record[field], or record[field][item] for a list field."""
    value = dict(fields)[span.field]
    return value if span.item is None else value[span.item]


@settings(max_examples=200, deadline=None)
@given(FIELDS, st.integers(min_value=1, max_value=30))
def test_fielded_windows_stay_in_one_field_and_drop_nothing(
    fields: list[tuple[str, str | list[str]]], max_words: int
) -> None:
    composed = FieldedText(fields)
    units = composed.units(max_words=max_words)
    covered = [False] * len(composed.text)
    for unit in units:
        assert unit.text == composed.text[unit.start : unit.end] and unit.text.strip() == unit.text
        assert word_count(unit.text) <= max_words
        assert len({p.field for p in composed.pieces(unit.start, unit.end)}) == 1
        for i in range(unit.start, unit.end):
            covered[i] = True
    for part in composed.parts:
        for i, char in enumerate(part.value):
            assert covered[part.offset + i] or char.isspace(), "a field character is in no window"


@settings(max_examples=200, deadline=None)
@given(FIELDS, st.data())
def test_any_span_maps_back_to_exact_field_slices(
    fields: list[tuple[str, str | list[str]]], data: st.DataObject
) -> None:
    composed = FieldedText(fields)
    n = len(composed.text)
    start = data.draw(st.integers(min_value=0, max_value=n))
    end = data.draw(st.integers(min_value=start, max_value=n))
    pieces = composed.pieces(start, end)
    for piece in pieces:
        assert _value(fields, piece)[piece.start : piece.end] == piece.text
        assert piece.text and piece.text == piece.text.strip()
        # Each piece is also a slice of the span: no separator or other field in between.
        assert piece.text in composed.text[start:end]
    longest = composed.locate(start, end)
    assert longest is None if not pieces else longest in pieces
    for piece in pieces:
        for sentence in composed.sentences(piece):
            assert _value(fields, sentence)[sentence.start : sentence.end] == sentence.text
            assert piece.start <= sentence.start <= sentence.end <= piece.end


def test_fields_are_composed_with_known_boundaries() -> None:
    composed = FieldedText(
        [
            ("title", "ESPA-Class Bus"),
            ("description", ""),
            ("keywords", ["GaN MMIC", " ", " star tracker "]),
        ]
    )
    assert composed.text == "ESPA-Class Bus" + FIELD_SEPARATOR + "GaN MMIC; star tracker"
    # Blank fields and elements are left out; an element keeps its index in the list and enters
    # without surrounding whitespace, though offsets still count in the element as stored.
    assert [(p.field, p.item, p.value) for p in composed.parts] == [
        ("title", None, "ESPA-Class Bus"),
        ("keywords", 0, "GaN MMIC"),
        ("keywords", 2, "star tracker"),
    ]
    assert composed.pieces(0, len(composed.text)) == [
        FieldSpan("title", 0, 14, "ESPA-Class Bus"),
        FieldSpan("keywords", 0, 8, "GaN MMIC", item=0),
        FieldSpan("keywords", 1, 13, "star tracker", item=2),
    ]
    # A span inside an element maps to offsets in that element.
    at = composed.text.index("tracker")
    assert composed.locate(at, at + 7) == FieldSpan("keywords", 6, 13, "tracker", item=2)
    # Keywords are sentences of their own: a window packs them but never cuts one.
    assert [u.text for u in composed.units(max_words=2)] == [
        "ESPA-Class Bus",
        "GaN MMIC",
        "star tracker",
    ]
    assert composed.locate(14, 16) is None  # the separator alone


def test_unicode_offsets_count_characters() -> None:
    narrative = "星空推進工業は推進系を作る。 Thrusters 🚀 fly on 4 missions. Ünïcödé tests pass."
    composed = FieldedText([("name", "Hoshizora 星空 KK"), ("narrative", narrative)])
    for unit in composed.units(max_words=4):
        piece = composed.locate(unit.start, unit.end)
        assert piece is not None
        value = {"name": "Hoshizora 星空 KK", "narrative": narrative}[piece.field]
        assert value[piece.start : piece.end] == piece.text == unit.text
    rocket = composed.text.index("🚀")
    assert composed.locate(rocket, rocket + 1) == FieldSpan(
        "narrative", narrative.index("🚀"), narrative.index("🚀") + 1, "🚀"
    )

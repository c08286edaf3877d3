"""Tests for turning SAM.gov description HTML into plain text."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.imports.html_text import (
    KNOWN_TAGS,
    _escape_literals,
    _feed_plain_tags,
    _is_tidy,
    _TextBuilder,
    has_markup,
    html_to_text,
    inline_text,
)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("Army&#8217;s", "Army’s"),
        ("R&amp;D", "R&D"),
        ("a&nbsp;b", "a b"),
        ("&ldquo;OTA&rdquo; &ndash; 10 U.S.C. &sect; 4022", "“OTA” – 10 U.S.C. § 4022"),
        ("&#x2014;", "—"),
        ("&lt;not a tag&gt;", "<not a tag>"),
    ],
)
def test_entities_are_decoded(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    "text",
    ["R&Degree", "AT&T", "&copy without semicolon", "&madeup; entity", "S&T; O&M", "a & b"],
)
def test_ampersands_that_are_not_entities_stay(text: str) -> None:
    assert html_to_text(text) == text


def test_block_tags_become_line_breaks() -> None:
    html = "<p>First paragraph.</p><div>A line.</div><div>Another line.</div>Tail<br>next"
    assert html_to_text(html) == "First paragraph.\n\nA line.\nAnother line.\nTail\nnext"


def test_double_br_is_a_paragraph_break() -> None:
    assert html_to_text("one<br><br>two<br/>three") == "one\n\ntwo\nthree"


def test_lists_become_bullets_and_numbers() -> None:
    html = (
        "<p>Needs:</p>\n<ul>\n  <li>SWaP</li>\n  <li>MOSA</li>\n</ul><ol><li>a</li><li>b</li></ol>"
    )
    assert html_to_text(html) == "Needs:\n\n• SWaP\n• MOSA\n\n1. a\n2. b"


def test_table_cells_are_separated() -> None:
    html = "<table><tr><th>CLIN</th><th>Item</th></tr><tr><td>0001</td><td>Prototype</td></tr>"
    assert html_to_text(html) == "CLIN Item\n0001 Prototype"


@pytest.mark.parametrize(
    "literal",
    [
        "<john.doe@army.mil>",
        "<Jane Smith jane@agency.gov>",
        "<mailto:x@y.mil>",
        "<urn:notice>",
        "<3",
        "a < b > c",
    ],
)
def test_angle_bracket_text_survives_in_html_and_plain_text(literal: str) -> None:
    assert literal in html_to_text(f"<p>Questions to {literal} by 1 Dec.</p>")
    assert literal in html_to_text(f"Questions to {literal} by 1 Dec.")


def test_word_markup_and_scripts_carry_no_text() -> None:
    html = (
        '<p class=MsoNormal><span style="font-family:Arial">Pitch<o:p></o:p></span></p>'
        '<st1:place w:st="on"></st1:place>'
        "<!--[if gte mso 9]><xml>junk</xml><![endif]--><style>p {color: red}</style>"
        "<script>alert(1)</script><!DOCTYPE html>"
    )
    assert html_to_text(html) == "Pitch"


def test_unclosed_script_is_literal_text() -> None:
    assert html_to_text("Do not paste <script> tags") == "Do not paste <script> tags"


def test_links_keep_their_address() -> None:
    html = (
        '<a href="https://sam.gov/opp/1/view">the notice</a>, '
        '<a href="mailto:ko@army.mil">ko@army.mil</a>, <a href="#top">top</a>'
    )
    assert html_to_text(html) == "the notice (https://sam.gov/opp/1/view), ko@army.mil, top"


def test_plain_text_keeps_its_line_breaks_and_collapses_spaces() -> None:
    text = "Line one   with  spaces\r\nLine two\n\n\n\nLine three\t\t end  "
    assert html_to_text(text) == "Line one with spaces\nLine two\n\nLine three end"


def test_inline_text_is_one_line() -> None:
    assert (
        inline_text("  Launch &amp; Recovery\n<b>Prototype</b>  ") == "Launch & Recovery Prototype"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<p>x</p>", True),
        ("a &amp; b", True),
        ("<!-- note -->", True),
        ("<john.doe@army.mil>", False),
        ("R&D <3", False),
        ("plain", False),
    ],
)
def test_has_markup(text: str, expected: bool) -> None:
    assert has_markup(text) is expected


_TRICKY = st.sampled_from(
    [
        "<", ">", "&", ";", "#", "</", "<!", "<?", "<p", "<br", "x>", "<3", "a<b", "&#", "&amp",
        "&copy", "R&D", "AT&T", "<john.doe@army.mil>", "<Jane Smith jane@agency.gov>",
        "\n", "\r\n", " ", "\t", "\xa0", "\u2028", "’", "日本語",
    ]
)  # fmt: skip
_PLAIN_TEXT = st.lists(st.one_of(st.text(min_size=1, max_size=8), _TRICKY), max_size=30).map(
    "".join
)


@settings(max_examples=400, deadline=None)
@given(_PLAIN_TEXT)
def test_plain_text_never_loses_a_word(text: str) -> None:
    assume(not has_markup(text))
    assert html_to_text(text).split() == text.split()


_WORD = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=10)
_TAG = st.sampled_from(sorted(KNOWN_TAGS - {"a"}))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_WORD, _TAG), min_size=1, max_size=15))
def test_words_inside_tags_survive_in_order(pieces: list[tuple[str, str]]) -> None:
    html = " ".join(f"<{tag}>{word}</{tag}>" for word, tag in pieces)
    markers = re.compile(r"•|\d+\.")  # list bullets and numbers added for <li>
    words = [t for t in html_to_text(html).split() if not markers.fullmatch(t)]
    assert words == [word for word, _ in pieces]


def _through_html_parser(text: str, keep_newlines: bool) -> str:
    builder = _TextBuilder(keep_newlines=keep_newlines)
    builder.feed(_escape_literals(text))
    builder.close()
    return "".join(builder.parts)


_SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>", "</p>", "<br>", "<br/>", "<br />", "<BR>", "<li>", "</li>", "<ul>",
                "</ul>", "<ol>", "</ol>", "<pre>", "</pre>", "<td>", "<th>", "<tr>", "</tr>",
                "<b>", "</b>", "<o:p>", "</o:p>", "<p  >", "</p >", "<p/>", "<span\tid='s'>",
                '<a href="https://sam.gov/opp/1?a=1&amp;b=2">', "<a href='mailto:k@army.mil'>",
                '<a href="">', "<a href>", '<A HREF="http://x.mil" title="t">', "</a>",
                "<a href=bare>", '<p title="a>b">', "</p class=x>", "<div\xa0class='x'>",
                "<st1:place w:st=\"on\">", "<p\x0b>", "<script>", "<3", "a < b",
                "<jo.doe@army.mil>", "&amp;", "&nbsp;", "&#8217;", "&#1;", "&#x80;", "&copy",
                "AT&T", "&madeup;", "\n", "  ", "\t", "\u2028",
            ]
        ),
        st.text(min_size=1, max_size=6),
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(_SOUP, st.booleans())
def test_plain_tags_read_directly_give_what_html_parser_gives(
    text: str, keep_newlines: bool
) -> None:
    direct = _TextBuilder(keep_newlines=keep_newlines)
    if _feed_plain_tags(direct, text):
        assert "".join(direct.parts) == _through_html_parser(text, keep_newlines)


@settings(max_examples=500, deadline=None)
@given(st.text(st.characters(categories=("Zs", "Zl", "Zp", "Cc", "Cf", "L")), max_size=12))
def test_a_line_found_tidy_is_left_as_splitting_would_leave_it(line: str) -> None:
    if _is_tidy(line):
        assert " ".join(line.split()) == line

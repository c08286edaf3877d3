"""Turn the HTML-ish text of SAM.gov descriptions into plain text without losing any words."""

from __future__ import annotations

import html
import re
from html.entities import html5
from html.parser import HTMLParser


def _names(text: str) -> frozenset[str]:
    """Build a set of tag names from a space-separated list."""
    return frozenset(text.split())


# Tags that end a line, and tags that end a paragraph (blank line after).
_LINE_TAGS = _names(
    "address article aside body br caption center dd details div dt fieldset figcaption figure "
    "footer form head header html legend main nav section summary tbody tfoot thead title tr"
)
_PARA_TAGS = _names("blockquote dl h1 h2 h3 h4 h5 h6 hr ol p pre table ul")
_INLINE_TAGS = _names(
    "a abbr acronym b big cite code col colgroup data del dfn em font i img ins kbd label li "
    "link mark meta nobr q s samp small span strike strong sub sup td th time tt u var wbr"
)
KNOWN_TAGS = _LINE_TAGS | _PARA_TAGS | _INLINE_TAGS

_ATTR = r"""(?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)"""
_TAG = rf"</?(?P<name>[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)?)(?:{_ATTR})*\s*/?>"
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|(?P<ent>[A-Za-z][A-Za-z0-9]{1,31}));"
_SPECIAL_RE = re.compile(r"[<&]")
_TAG_RE = re.compile(_TAG)
_ENTITY_RE = re.compile(_ENTITY)

# Markup that carries no text: comments, Word conditionals, doctypes, XML processing
# instructions, and closed script/style blocks (an unclosed one is left as literal text).
_NOISE_RE = re.compile(
    r"<!--.*?-->|<!\[(?:end)?if[^\]>]*\]>|<!doctype[^<>]*>|<\?xml[^<>]*\?>"
    r"|<(script|style)\b[^<>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
# Tags whose reading by html.parser is certain (ASCII spaces, quoted attribute values): these
# are turned into parser events directly; any other tag sends the text through html.parser.
_SPACE = r"[ \t\n\r\f]"
_NAME = r"[A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)?"
_ATTR_NAME = r"[A-Za-z_:][-A-Za-z0-9_:.]*"
_QUOTED = r"""(?:"[^"]*"|'[^']*')"""
_PLAIN_START_RE = re.compile(
    rf"<(?P<name>{_NAME})(?P<attrs>(?:{_SPACE}+{_ATTR_NAME}(?:{_SPACE}*={_SPACE}*{_QUOTED})?)*)"
    rf"{_SPACE}*(?P<slash>/?)>"
)
_PLAIN_ATTR_RE = re.compile(
    rf"{_SPACE}+(?P<attr>{_ATTR_NAME})(?:{_SPACE}*={_SPACE}*(?P<value>{_QUOTED}))?"
)
_PLAIN_END_RE = re.compile(rf"</(?P<name>{_NAME}){_SPACE}*>")
_NEWLINES_RE = re.compile(r"\r\n?")
_BLANK_RUN_RE = re.compile(r"\n{3,}")
_OFFICE_TAG_RE = re.compile(r"(?:o|v|w|m|x|st\d+):")
_LINK_SCHEMES = ("http://", "https://", "mailto:", "ftp://")


def _is_known_tag(name: str) -> bool:
    """Say whether a tag name is real HTML or an Office tag pasted from Word (o:p, st1:place)."""
    name = name.lower()
    return name in KNOWN_TAGS or bool(_OFFICE_TAG_RE.match(name))


def _is_entity(match: re.Match[str]) -> bool:
    """Say whether an &...; reference is a real character reference."""
    name = match.group("ent")
    return name is None or f"{name};" in html5


def has_markup(text: str) -> bool:
    """Say whether text holds anything html_to_text treats as markup rather than words."""
    if "<" not in text and "&" not in text:
        return False
    if _NOISE_RE.search(text):
        return True
    if any(_is_known_tag(m.group("name")) for m in _TAG_RE.finditer(text)):
        return True
    return any(_is_entity(m) for m in _ENTITY_RE.finditer(text))


def _escape_literals(text: str) -> str:
    """Escape every < and & that does not start a known tag or a real entity."""
    out: list[str] = []
    pos = 0
    while special := _SPECIAL_RE.search(text, pos):
        start = special.start()
        out.append(text[pos:start])
        if text[start] == "<":
            tag = _TAG_RE.match(text, start)
            # "<Jane Smith jane@agency.gov>" parses like a tag; only real tag names stay tags.
            if tag and _is_known_tag(tag.group("name")):
                out.append(tag.group(0))
                pos = tag.end()
                continue
            out.append("&lt;")
        else:
            entity = _ENTITY_RE.match(text, start)
            if entity and _is_entity(entity):
                out.append(entity.group(0))
                pos = entity.end()
                continue
            out.append("&amp;")
        pos = start + 1
    out.append(text[pos:])
    return "".join(out)


def _feed_plain_tags(builder: _TextBuilder, text: str) -> bool:
    """Give builder the events html.parser would give for _escape_literals(text), without
    escaping and re-parsing: the same walk, with each data run decoded as the parser decodes
    it. Returns False, part way, at a tag whose reading is not certain (see _PLAIN_START_RE)."""
    parts: list[str] = []
    run_start = pos = 0
    while special := _SPECIAL_RE.search(text, pos):
        start = special.start()
        if text[start] == "<":
            tag = _TAG_RE.match(text, start)
            if tag and _is_known_tag(tag.group("name")):
                if run_start < start:
                    parts.append(text[pos:start])
                    builder.handle_data("".join(parts))
                parts = []
                if not _plain_tag_event(builder, tag.group(0)):
                    return False
                run_start = pos = tag.end()
                continue
        else:
            entity = _ENTITY_RE.match(text, start)
            if entity and _is_entity(entity):
                parts.append(text[pos:start])
                parts.append(html.unescape(entity.group(0)))
                pos = entity.end()
                continue
        parts.append(text[pos : start + 1])  # a literal < or &
        pos = start + 1
    if run_start < len(text):
        parts.append(text[pos:])
        builder.handle_data("".join(parts))
    return True


def _plain_tag_event(builder: _TextBuilder, tag: str) -> bool:
    """Send one tag to builder as html.parser would; False if it is not a plain tag."""
    if end := _PLAIN_END_RE.fullmatch(tag):
        builder.handle_endtag(end["name"].lower())
        return True
    start = _PLAIN_START_RE.fullmatch(tag)
    if start is None:
        return False
    name = start["name"].lower()
    attrs: list[tuple[str, str | None]] = []
    if name == "a":  # the only tag whose attributes are read
        for attr in _PLAIN_ATTR_RE.finditer(start["attrs"]):
            value = attr["value"]
            if value is not None:
                value = html.unescape(value[1:-1])
            attrs.append((attr["attr"].lower(), value))
    if start["slash"]:
        builder.handle_startendtag(name, attrs)
    else:
        builder.handle_starttag(name, attrs)
    return True


def _tag_names(text: str) -> set[str]:
    """Return the lower-cased names of the known tags used in text."""
    names = {m.group("name").lower() for m in _TAG_RE.finditer(text)}
    return {name for name in names if _is_known_tag(name)}


def _decode_entities(text: str) -> str:
    """Decode real character references and leave every other & as written."""
    return _ENTITY_RE.sub(
        lambda m: html.unescape(m.group(0)) if _is_entity(m) else m.group(0), text
    )


class _TextBuilder(HTMLParser):
    """Collect the text of an escaped HTML fragment, turning layout tags into line breaks."""

    def __init__(self, *, keep_newlines: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._keep_newlines = keep_newlines
        self._pre = 0
        self._lists: list[list[int] | None] = []
        self._links: list[tuple[str, int]] = []
        self._pending = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Open a tag."""
        if tag == "br":
            self._pending = min(self._pending + 1, 2)  # <br><br> is how editors make paragraphs
        elif tag == "li":
            self._break(1)
            counter = self._lists[-1] if self._lists else None
            if counter is None:
                self._emit("• ")
            else:
                counter[0] += 1
                self._emit(f"{counter[0]}. ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._links.append((href.strip(), len(self.parts)))
        if tag in ("ul", "ol"):
            self._lists.append([0] if tag == "ol" else None)
        elif tag == "pre":
            self._pre += 1
        self._break(2 if tag in _PARA_TAGS else 1 if tag in _LINE_TAGS and tag != "br" else 0)

    def handle_endtag(self, tag: str) -> None:
        """Close a tag."""
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        elif tag == "pre" and self._pre:
            self._pre -= 1
        elif tag == "a" and self._links:
            self._close_link()
        if tag != "br":
            self._break(2 if tag in _PARA_TAGS else 1 if tag in _LINE_TAGS else 0)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Treat <br/> and friends as a start tag only, so they break the line once."""
        self.handle_starttag(tag, attrs)
        if tag not in _LINE_TAGS and tag not in _PARA_TAGS:
            self.handle_endtag(tag)

    def handle_data(self, data: str) -> None:
        """Keep text; in HTML layout mode raw newlines are just spaces."""
        if not self._keep_newlines and not self._pre:
            data = data.replace("\n", " ")
            if self._pending and not data.strip():
                return  # indentation between block tags
        self._emit(data)

    def _break(self, kind: int) -> None:
        """Ask for a line break (1) or a paragraph break (2) before the next text."""
        self._pending = max(self._pending, kind)

    def _emit(self, text: str) -> None:
        """Append text after any pending break."""
        if self._pending:
            self.parts.append("\n" * self._pending)
            self._pending = 0
        self.parts.append(text)

    def _close_link(self) -> None:
        """Keep a link's address beside its text when the text does not already show it."""
        href, start = self._links.pop()
        if not href.lower().startswith(_LINK_SCHEMES):
            return
        shown = "".join(self.parts[start:])
        address = href[len("mailto:") :] if href.lower().startswith("mailto:") else href
        if address in shown:
            return
        self._emit(f" ({address})" if shown.strip() else address)


def _tidy(text: str) -> str:
    """Collapse spaces inside lines and keep at most one blank line between paragraphs."""
    lines = [line if _is_tidy(line) else " ".join(line.split()) for line in text.split("\n")]
    tidy = "\n".join(lines)
    if "\n\n\n" in tidy:
        tidy = _BLANK_RUN_RE.sub("\n\n", tidy)
    return tidy.strip("\n")


def _is_tidy(line: str) -> bool:
    """Whether " ".join(line.split()) would leave line as it is, found without splitting it:
    every whitespace character but the space is unprintable."""
    return (
        line.isprintable()
        and "  " not in line
        and not line.startswith(" ")
        and not line.endswith(" ")
    )


def html_to_text(value: str) -> str:
    """Convert an HTML or plain-text description to plain text, keeping every word."""
    text = _NEWLINES_RE.sub("\n", value) if "\r" in value else value
    if "<" not in text and "&" not in text:
        return _tidy(text)
    if "<!" in text or "<?" in text or "<s" in text or "<S" in text:
        text = _NOISE_RE.sub("", text)
    tags = _tag_names(text) if "<" in text else set()
    if not tags:
        return _tidy(_decode_entities(text))  # text with entities and <addresses> only
    keep_newlines = not tags & (_LINE_TAGS | _PARA_TAGS | {"li"})
    builder = _TextBuilder(keep_newlines=keep_newlines)
    if not _feed_plain_tags(builder, text):
        builder = _TextBuilder(keep_newlines=keep_newlines)
        builder.feed(_escape_literals(text))
        builder.close()
    return _tidy("".join(builder.parts))


def inline_text(value: str) -> str:
    """Convert a short field (a title, a name) to one line of plain text."""
    if "<" not in value and "&" not in value:
        return " ".join(value.split())
    return " ".join(html_to_text(value).split())

"""Read SAM.gov extracts, SAM.gov API JSON and company files into plain dicts, one row at a time.

This layer only converts formats (encodings, dates, codes, HTML, lists) and reports what it
cannot convert; the service validates the dicts with Pydantic and upserts them.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, BinaryIO, Literal, TextIO
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser

from app.imports.html_text import html_to_text, inline_text

Format = Literal["csv", "json", "jsonl"]

EASTERN = ZoneInfo("America/New_York")
PREFIX_BYTES = 1 << 20  # bytes looked at to choose the encoding
HEAD_BYTES = 64 << 10  # bytes looked at to recognise the format
MAX_FIELD_CHARS = 8 << 20  # one CSV cell; also bounds an unterminated quote
MAX_JSON_RECORD_CHARS = 16 << 20  # one JSON record
ENVELOPE_KEYS = frozenset({"opportunitiesData", "companies", "data"})

_FALLBACK_ERRORS = "kakehashi-cp1252-fallback"
_SURROGATE_RE = re.compile("[\udc80-\udcff]")
_CP932_WIDE_RE = re.compile("[^\x00-\x7f\uff61-\uff9f\ufffd\ue000-\uf8ff]+")
_CP932_BAD_RE = re.compile("[\ufffd\ue000-\uf8ff]")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f")
_WS_RE = re.compile(r"[ \t\r\n]*")
_NAICS_RE = re.compile(r"\d{2,6}")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_US_DATE_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}")
_DATE_START_RE = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})(?:[T ].*)?", re.DOTALL
)
_EXCEL_NUMBER_RE = re.compile(r"\d(?:\.\d+)?[eE]\+\d+")
_BARE_DOMAIN_RE = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.[a-zA-Z]{2,}(?:[/?#]\S*)?")


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """A value in one row that could not be converted."""

    line: int
    field: str
    reason: str


@dataclass
class ParsedRow:
    """One row of a file: the converted fields, what could not be converted, and a content hash."""

    line: int
    data: dict[str, Any]
    errors: list[RowError]
    raw_hash: str


class ImportFormatError(ValueError):
    """The file as a whole cannot be read (not CSV/JSON, binary, empty, missing columns)."""


# -- bytes to text --------------------------------------------------------------------------


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as windows-1252; its five undefined bytes stay escaped."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return bytes(bad).decode("cp1252", errors="surrogateescape"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one; export the sheet as CSV)"),
    (b"\xd0\xcf\x11\xe0", "an Office document (.xls); export the sheet as CSV"),
    (b"\x1f\x8b", "a gzip archive; decompress it first"),
)


class _PrefixedReader(io.RawIOBase):
    """A raw stream that replays an already-read prefix, then reads on from the source."""

    def __init__(self, prefix: bytes, source: BinaryIO) -> None:
        super().__init__()
        self._prefix = prefix
        self._offset = 0
        self._source = source

    def readable(self) -> bool:
        """Say the stream is readable."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill buffer from the prefix first, then from the source."""
        view = memoryview(buffer).cast("B")
        if self._offset < len(self._prefix):
            chunk = self._prefix[self._offset : self._offset + len(view)]
            self._offset += len(chunk)
            if self._offset >= len(self._prefix):
                self._prefix = b""  # release it once replayed
                self._offset = 0
        else:
            chunk = self._source.read(len(view)) or b""
        view[: len(chunk)] = chunk
        return len(chunk)


def _read_prefix(stream: BinaryIO) -> tuple[bytes, bool]:
    """Read up to PREFIX_BYTES; also say whether that was the whole stream."""
    parts: list[bytes] = []
    size = 0
    while size < PREFIX_BYTES:
        chunk = stream.read(PREFIX_BYTES - size)
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), False


def _is_cp932(prefix: bytes, complete: bool) -> bool:
    """Whether bytes that are not UTF-8 read as Japanese in CP932 (Shift_JIS as Windows and
    Japanese databases write it) rather than as windows-1252.

    Windows-1252 text read as CP932 either breaks (an accented letter before a space or a
    closing quote is no valid pair) or turns each accented letter or curly apostrophe into one
    stray kanji between ASCII letters ("company's" -> "company痴"). Japanese reads cleanly and
    its characters come in runs (words, names). Half-width katakana (bytes A1-DF, Latin-1
    letters and symbols in windows-1252) count for neither.
    """
    text = codecs.getincrementaldecoder("cp932")(errors="replace").decode(
        prefix[:HEAD_BYTES], final=complete and len(prefix) <= HEAD_BYTES
    )
    runs = [len(run) for run in _CP932_WIDE_RE.findall(text)]
    wide = sum(runs)
    # Undecodable pairs, and the user-defined area no Japanese text uses.
    bad = len(_CP932_BAD_RE.findall(text))
    return wide > 0 and bad * 100 <= wide and sum(n for n in runs if n >= 2) * 2 >= wide


def _choose_encoding(prefix: bytes, complete: bool) -> tuple[str, str]:
    """Pick (encoding, error handler) from a prefix: BOM, else valid UTF-8, else CP932 when
    it reads as Japanese, else windows-1252."""
    if prefix.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "surrogateescape"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(prefix, final=complete)
    except UnicodeDecodeError:
        if _is_cp932(prefix, complete):
            return "cp932", "surrogateescape"
        return "cp1252", "surrogateescape"
    if prefix.isascii():
        # Nothing decided yet; SAM extracts are windows-1252, so read later stray bytes as that.
        return "utf-8", _FALLBACK_ERRORS
    return "utf-8", "surrogateescape"


def _wrap(prefix: bytes, complete: bool, stream: BinaryIO) -> TextIO:
    """Wrap a binary stream (whose prefix was already read) in a decoding text stream."""
    encoding, errors = _choose_encoding(prefix, complete)
    buffered = io.BufferedReader(_PrefixedReader(prefix, stream), buffer_size=64 << 10)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="")


def decode_stream(stream: BinaryIO) -> TextIO:
    """Return a text view of a binary stream: UTF-8 with BOM, UTF-8, CP932, else windows-1252.

    Only the first PREFIX_BYTES are inspected. Bytes that later turn out to be undecodable come
    through as lone surrogates (\\udc80-\\udcff), which the readers report as row errors.
    Newlines are left untranslated, as the csv module requires.
    """
    prefix, complete = _read_prefix(stream)
    return _wrap(prefix, complete, stream)


def detect_format(head: bytes) -> Format:
    """Recognise CSV, a JSON document or JSON lines from the first bytes of a file."""
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise ImportFormatError(f"the file is {what}, not CSV or JSON")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFormatError("the file is UTF-16 encoded; save it as UTF-8 or Windows-1252")
    text = head.removeprefix(codecs.BOM_UTF8)
    stripped = text.lstrip()
    if not stripped:
        raise ImportFormatError("the file is empty")
    controls = len(text) - len(text.translate(None, _CONTROL_BYTES))
    if b"\x00" in text or controls > len(text) // 100:
        raise ImportFormatError("the file is binary, not CSV or JSON")
    if stripped[:1] == b"[":
        return "json"
    if stripped[:1] == b"{":
        first_line = stripped.split(b"\n", 1)[0]
        try:
            record = json.loads(first_line)
        except ValueError:
            return "json"  # a pretty-printed document, or a first line longer than the head
        if isinstance(record, dict) and not ENVELOPE_KEYS & record.keys():
            return "jsonl"
        return "json"
    if re.match(rb"<(?:!doctype|html|\?xml)", stripped[:16].lower()):
        raise ImportFormatError("the file is an HTML or XML document, not CSV or JSON")
    return "csv"


@dataclass
class _Opened:
    """A file whose format is known, ready to read as text."""

    fmt: Format
    text: TextIO
    first_line: str


def _open(stream: BinaryIO, filename: str | None) -> _Opened:
    """Read the prefix, recognise the format and wrap the stream for decoding."""
    prefix, complete = _read_prefix(stream)
    try:
        fmt = detect_format(prefix[:HEAD_BYTES])
    except ImportFormatError as exc:
        raise _file_error(filename, str(exc)) from None
    if fmt == "json" and filename and filename.lower().endswith((".jsonl", ".ndjson")):
        fmt = "jsonl"
    head = prefix[:HEAD_BYTES].removeprefix(codecs.BOM_UTF8).decode("latin-1")
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    return _Opened(fmt, _wrap(prefix, complete, stream), first_line)


def _file_error(filename: str | None, message: str) -> ImportFormatError:
    """Build a one-line file-level error, naming the file when known."""
    message = " ".join(message.split())
    return ImportFormatError(f"{filename}: {message}" if filename else message)


# -- value converters (raise ValueError with a readable reason) -----------------------------

_TZ_ABBREVIATIONS: dict[str, tzinfo] = {
    "UTC": UTC,
    "GMT": UTC,
    "Z": UTC,
    "EST": timezone(timedelta(hours=-5)),
    "EDT": timezone(timedelta(hours=-4)),
    "ET": EASTERN,
    "CST": timezone(timedelta(hours=-6)),
    "CDT": timezone(timedelta(hours=-5)),
    "CT": ZoneInfo("America/Chicago"),
    "MST": timezone(timedelta(hours=-7)),
    "MDT": timezone(timedelta(hours=-6)),
    "MT": ZoneInfo("America/Denver"),
    "PST": timezone(timedelta(hours=-8)),
    "PDT": timezone(timedelta(hours=-7)),
    "PT": ZoneInfo("America/Los_Angeles"),
    "AKST": timezone(timedelta(hours=-9)),
    "AKDT": timezone(timedelta(hours=-8)),
    "HST": timezone(timedelta(hours=-10)),
    "JST": timezone(timedelta(hours=9)),
}


def _short(value: str, limit: int = 60) -> str:
    """Quote a value for an error message, cut to a readable length."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def _parse_datetime(value: str) -> datetime:
    """Parse the date formats SAM.gov uses: ISO 8601 (offsets like -04 included) and M/D/YYYY."""
    text = value.strip()
    if not _DATE_START_RE.fullmatch(text):
        raise ValueError(f"{_short(value)} is not a recognised date")
    try:
        return datetime.fromisoformat(text)  # fast, and covers SAM's "-04" style offsets
    except ValueError:
        pass
    try:
        # dayfirst=False: SAM.gov is a US system, so 03/04/2026 is March 4.
        return date_parser.parse(text, dayfirst=False, tzinfos=_TZ_ABBREVIATIONS)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{_short(value)} is not a valid date") from exc


def parse_date(value: str) -> date | None:
    """Parse a posted or archive date; the calendar date is kept as written. Empty gives None."""
    if not value.strip():
        return None
    return _parse_datetime(value).date()


def parse_deadline(value: str) -> date | datetime | None:
    """Parse a response deadline, keeping how it was stated. Empty gives None.

    A date without a time stays a date (the record keeps that calendar date and closes at
    the end of that day, US Eastern); a time keeps its offset, and a time without an offset
    is read as US Eastern (America/New_York), because SAM.gov states deadlines in Eastern time
    unless it says otherwise.
    """
    text = value.strip()
    if not text:
        return None
    parsed = _parse_datetime(text)
    if _ISO_DATE_RE.fullmatch(text) or _US_DATE_RE.fullmatch(text):
        return parsed.date()
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=EASTERN)
    offset = parsed.utcoffset()
    if offset is None:
        raise ValueError(f"{_short(value)} has a time zone without a known offset")
    return parsed.replace(tzinfo=UTC if not offset else timezone(offset))  # a plain offset


def parse_naics(value: str | int | list[Any]) -> list[str]:
    """Split NAICS codes (a cell may hold several, split by ; , or spaces); each 2-6 digits."""
    if isinstance(value, str):
        parts = re.split(r"[;,\s]+", value)
    elif isinstance(value, int | list) and not isinstance(value, bool):
        parts = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    else:
        raise ValueError(f"expected NAICS codes, found {type(value).__name__}")
    codes: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if not _NAICS_RE.fullmatch(part):
            raise ValueError(f"{_short(part)} is not a NAICS code (2 to 6 digits)")
        if part not in codes:
            codes.append(part)
    return codes


def parse_amount(value: str | float) -> float:
    """Parse a dollar amount such as "$1,250,000.00" into a float."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an amount")
    if isinstance(value, int | float):
        amount = float(value)
    elif not isinstance(value, str):
        raise ValueError(f"expected an amount, found {type(value).__name__}")
    else:
        cleaned = re.sub(r"[\s,$]|USD", "", value, flags=re.IGNORECASE)
        try:
            amount = float(cleaned)
        except ValueError:
            raise ValueError(f"{_short(value)} is not an amount") from None
    if not math.isfinite(amount):
        raise ValueError(f"{_short(str(value))} is not an amount")
    return amount


def split_list(value: str | list[Any]) -> list[str]:
    """Split a ;-separated cell (or take a JSON list), trimming items and dropping empties."""
    if not isinstance(value, str | list):
        raise ValueError(f"expected a list or ;-separated text, found {type(value).__name__}")
    items = value.split(";") if isinstance(value, str) else value
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise ValueError(f"list item {_short(str(item))} is not text")
        text = " ".join(str(item).split())
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def slugify(value: str) -> str:
    """Turn a label into a slug: "Additive Manufacturing" -> "additive-manufacturing".

    "and" and "&" are dropped, as in the vocabulary's "5g-communications".
    """
    words = re.findall(r"[0-9a-z]+", value.lower())
    return "-".join(word for word in words if word != "and")


def sam_status(notice_type: str, active: str) -> str:
    """Map SAM.gov Type and Active to a status; a past deadline is left for the service to judge."""
    kind = notice_type.strip().lower()
    if kind == "award notice":
        return "awarded"
    if "cancel" in kind:
        return "cancelled"
    if active.strip().lower() in {"no", "n", "false", "0", "inactive"}:
        return "closed"
    return "open"


# Export hints: deliberately conservative keyword rules. A mention counts even when negated
# ("not subject to ITAR"), because holding a notice back for review is the safe mistake.
_ITAR_RE = re.compile(r"\bITAR\b|International\s+Traffic\s+in\s+Arms", re.IGNORECASE)
_CUI_RE = re.compile(r"\bCUI\b|Controlled\s+Unclassified", re.IGNORECASE)
_EAR_RE = re.compile(r"\bEAR(?:99)?\b|Export\s+Administration\s+Regulations?")
_FOREIGN_PROHIBITED_RE = re.compile(
    r"foreign\s+(?:participation|nationals?|persons?|firms?|entities|companies|offerors?|"
    r"sources?)\s+(?:is|are|will)\s+(?:not\s+(?:be\s+)?(?:permitted|allowed|eligible|accepted)|"
    r"(?:be\s+)?(?:prohibited|ineligible|excluded))"
    r"|(?:U\.\s?S\.|US|United\s+States)\s+citizens?\s+only"
    r"|\bno\s+foreign\b|\bNOFORN\b|not\s+open\s+to\s+foreign",
    re.IGNORECASE,
)


def export_hints(text: str) -> dict[str, str]:
    """Read export_control and foreign_participation from notice text; {} when it says nothing."""
    hints: dict[str, str] = {}
    lower = text.lower()
    # Plain substring checks first: the regexes are only run on the few texts that could match.
    # _EAR_RE is case-sensitive so the word "ear" or "year" never counts.
    rules = (
        ("itar", ("itar", "traffic in arms"), _ITAR_RE),
        ("cui", ("cui", "controlled unclassified"), _CUI_RE),
        ("ear", ("ear", "export administration"), _EAR_RE),
    )
    for marking, needles, pattern in rules:
        if any(n in lower for n in needles) and pattern.search(text):
            hints["export_control"] = marking  # strongest first: itar > cui > ear
            break
    may_prohibit = any(n in lower for n in ("foreign", "citizen", "noforn"))
    if may_prohibit and _FOREIGN_PROHIBITED_RE.search(text):
        hints["foreign_participation"] = "prohibited"
    elif hints:
        hints["foreign_participation"] = "allowed_with_authorization"
    return hints


# -- row assembly ---------------------------------------------------------------------------


def _hash_text(text: str) -> str:
    """Hash decoded text with line endings normalised, so re-encoded files hash the same."""
    normal = text.replace("\r\n", "\n").replace("\r", "\n").removesuffix("\n")
    return hashlib.sha256(normal.encode("utf-8", "surrogateescape")).hexdigest()


def _hash_record(record: Any) -> str:
    """Hash a JSON record in canonical form."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogateescape")).hexdigest()


class _Row:
    """Collects converted fields and errors for one row."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.data: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.failed: set[str] = set()

    def error(self, name: str, reason: str) -> None:
        """Record that a field could not be converted."""
        self.errors.append(RowError(self.line, name, reason))
        self.failed.add(name)

    def put(self, name: str, value: Any) -> None:
        """Set a field unless it is empty."""
        if value not in (None, "", []):
            self.data[name] = value

    def convert(self, name: str, raw: Any, converter: Callable[[Any], Any]) -> None:
        """Convert raw with converter and set the field, or record why it failed."""
        if raw is None or raw == "":
            return
        try:
            value = converter(raw)
        except ValueError as exc:
            self.error(name, str(exc))
            return
        self.put(name, value)

    def require(self, *names: str) -> None:
        """Record an error for each required field that is missing."""
        for name in names:
            if name not in self.data and name not in self.failed:
                self.error(name, "required, but empty")

    def done(self, raw_hash: str) -> ParsedRow:
        """Return the finished row."""
        return ParsedRow(self.line, self.data, self.errors, raw_hash)


# -- CSV ------------------------------------------------------------------------------------


def _header_key(name: str) -> str:
    """Normalise a header for matching: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


@dataclass
class _CsvRecord:
    """The cells of one CSV record, where it starts, and its raw text."""

    line: int
    cells: list[str]
    raw: str
    problem: str | None = None


class _LineFeed:
    """Feeds lines to csv.reader while keeping the raw text of the record being read."""

    def __init__(self, text: TextIO) -> None:
        self._lines = iter(text)
        self.raw: list[str] = []
        self.exhausted = False

    def __iter__(self) -> _LineFeed:
        """Return self."""
        return self

    def __next__(self) -> str:
        """Return the next physical line."""
        try:
            line = next(self._lines)
        except StopIteration:
            self.exhausted = True
            raise
        self.raw.append(line)
        return line


def _sniff_delimiter(header_line: str) -> str:
    """Pick the delimiter from the header line: comma, unless tabs or semicolons clearly win."""
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _csv_records(text: TextIO, delimiter: str) -> Iterator[_CsvRecord]:
    """Yield non-blank CSV records with their 1-based starting line numbers."""
    if csv.field_size_limit() < MAX_FIELD_CHARS:
        csv.field_size_limit(MAX_FIELD_CHARS)  # long HTML descriptions exceed the 128 KiB default
    feed = _LineFeed(text)
    reader = csv.reader(feed, delimiter=delimiter, strict=False)
    while True:
        start = reader.line_num + 1
        feed.raw.clear()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _CsvRecord(start, [], "".join(feed.raw), f"unreadable CSV: {exc}")
            continue
        raw = "".join(feed.raw)
        if feed.exhausted:
            # csv.reader only asks for another line at end of file inside a quoted cell.
            problem = (
                f"unterminated quoted cell: lines {start}-{reader.line_num} "
                "were read as one row; check the quotes"
            )
            yield _CsvRecord(start, cells, raw, problem)
            return
        if any(cell.strip() for cell in cells):
            yield _CsvRecord(start, cells, raw)


@dataclass
class _CsvTable:
    """A CSV file with its header resolved to known columns."""

    columns: dict[str, int]
    width: int
    records: Iterator[_CsvRecord]


def _open_csv_table(
    opened: _Opened,
    known: Mapping[str, str],
    required: Iterable[str],
    filename: str | None,
) -> _CsvTable:
    """Read the header row, map it to known column names, and check required columns."""
    records = _csv_records(opened.text, _sniff_delimiter(opened.first_line))
    header = next(records, None)
    if header is None or not header.cells:
        raise _file_error(filename, "the file has no header row")
    if header.problem:
        raise _file_error(filename, f"the header row cannot be read ({header.problem})")
    columns: dict[str, int] = {}
    for index, name in enumerate(header.cells):
        column = known.get(_header_key(name))
        if column is not None and column not in columns:
            columns[column] = index
    missing = [name for name in required if name not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        found = ", ".join(c.strip() for c in header.cells[:8] if c.strip())
        raise _file_error(
            filename,
            f"missing required column{plural} {', '.join(missing)} "
            f"(header starts: {found or 'nothing'})",
        )
    return _CsvTable(columns, len(header.cells), records)


def _csv_values(
    record: _CsvRecord, table: _CsvTable, row: _Row, field_names: Mapping[str, str]
) -> dict[str, str]:
    """Return the stripped cells of known columns, recording row and encoding problems."""
    if record.problem:
        row.error("row", record.problem)
    if len(record.cells) > table.width:
        row.error("row", f"{len(record.cells)} cells, but the header has {table.width} columns")
    values: dict[str, str] = {}
    for column, index in table.columns.items():
        cell = record.cells[index] if index < len(record.cells) else ""
        if not cell.isascii() and _SURROGATE_RE.search(cell):
            bad = sorted({f"0x{ord(c) - 0xDC00:02X}" for c in _SURROGATE_RE.findall(cell)})
            row.error(field_names.get(column, column), f"undecodable bytes {', '.join(bad)}")
            continue
        values[column] = cell.strip()
    return values


def _prime(rows: Iterator[ParsedRow]) -> Iterator[ParsedRow]:
    """Run a reader up to its first row now, so file-level errors raise at call time."""
    try:
        first = next(rows)
    except StopIteration:
        return iter(())
    return itertools.chain([first], rows)


# -- JSON -----------------------------------------------------------------------------------


class _JsonError(ValueError):
    """A JSON document that cannot be read on from this point."""


class _JsonScanner:
    """Reads a JSON document value by value with a bounded buffer (no whole-file load)."""

    def __init__(self, text: TextIO) -> None:
        self._text = text
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._decoder = json.JSONDecoder()

    def _fill(self, size: int) -> bool:
        """Read more text into the buffer; False at end of file."""
        if self._eof:
            return False
        if self._pos > (1 << 20):
            self._buf = self._buf[self._pos :]
            self._pos = 0
        chunk = self._text.read(size)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def peek(self) -> str | None:
        """Return the next non-space character without consuming it; None at end of file."""
        while True:
            match = _WS_RE.match(self._buf, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill(64 << 10):
                return None

    def take(self, expected: str) -> None:
        """Consume one expected punctuation character."""
        found = self.peek()
        if found != expected:
            shown = "end of file" if found is None else repr(found)
            raise _JsonError(f"expected {expected!r} but found {shown}")
        self._pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value, reading more text as needed."""
        if self.peek() is None:
            raise _JsonError("unexpected end of file")
        grow = 64 << 10
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._eof:
                    raise _JsonError(exc.msg) from None
                if len(self._buf) - self._pos > MAX_JSON_RECORD_CHARS:
                    raise _JsonError("a record is malformed or larger than 16 MiB") from None
                self._fill(grow)
                grow *= 2  # doubling keeps re-parsing of a long record linear overall
                continue
            if end == len(self._buf) and self._fill(grow):
                continue  # a number at the end of the buffer may go on in the next chunk
            self._pos = end
            return value

    def array(self) -> Iterator[Any]:
        """Yield the elements of the array that starts here."""
        self.take("[")
        if self.peek() == "]":
            self.take("]")
            return
        while True:
            yield self.value()
            if self.peek() == ",":
                self.take(",")
                continue
            self.take("]")
            return

    def records(self) -> Iterator[Any]:
        """Yield records: array elements, an envelope's array elements, or top-level objects."""
        while (start := self.peek()) is not None:
            if start == "[":
                yield from self.array()
            elif start == "{":
                yield from self._object_or_envelope()
            else:
                raise _JsonError(f"expected an object or an array but found {start!r}")

    def _object_or_envelope(self) -> Iterator[Any]:
        """Yield the records of an envelope object, or the object itself when it is a record."""
        self.take("{")
        record: dict[str, Any] = {}
        envelope = False
        if self.peek() == "}":
            self.take("}")
        else:
            while True:
                key = self.value()
                if not isinstance(key, str):
                    raise _JsonError("expected a quoted key")
                self.take(":")
                if key in ENVELOPE_KEYS and self.peek() == "[":
                    envelope = True
                    yield from self.array()
                else:
                    record[key] = self.value()
                if self.peek() == ",":
                    self.take(",")
                    continue
                self.take("}")
                break
        if not envelope:
            yield record


def _has_surrogates(value: Any) -> bool:
    """Say whether any string inside a JSON value holds undecodable bytes."""
    if isinstance(value, str):
        return bool(_SURROGATE_RE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogates(v) for v in value)
    return False


def _json_records(
    opened: _Opened, filename: str | None, build: Callable[[int, dict[str, Any]], ParsedRow]
) -> Iterator[ParsedRow]:
    """Yield rows from a JSON document (record numbers) or JSON lines (line numbers)."""
    if opened.fmt == "jsonl":
        for line_no, line in enumerate(opened.text, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                reason = f"invalid JSON: {exc}"
                yield ParsedRow(line_no, {}, [RowError(line_no, "row", reason)], _hash_text(line))
                continue
            if isinstance(value, dict) and ENVELOPE_KEYS & value.keys():
                key = next(k for k in ENVELOPE_KEYS if k in value)
                items = value[key] if isinstance(value[key], list) else [value[key]]
                for item in items:
                    yield _json_row(line_no, item, build)
            else:
                yield _json_row(line_no, value, build)
        return
    number = 0
    scanner = _JsonScanner(opened.text)
    try:
        for value in scanner.records():
            number += 1
            yield _json_row(number, value, build)
    except _JsonError as exc:
        if number == 0:
            raise _file_error(filename, f"not valid JSON: {exc}") from None
        reason = f"invalid JSON after record {number}: {exc}; the rest of the file was not read"
        yield ParsedRow(number + 1, {}, [RowError(number + 1, "row", reason)], _hash_text(reason))


def _json_row(
    number: int, value: Any, build: Callable[[int, dict[str, Any]], ParsedRow]
) -> ParsedRow:
    """Build a row from one JSON record, or an error row when it is not a usable object."""
    if not isinstance(value, dict):
        reason = f"expected an object, found {type(value).__name__}"
        return ParsedRow(number, {}, [RowError(number, "row", reason)], _hash_record(value))
    if _has_surrogates(value):
        reason = "undecodable bytes in the record; save the file as UTF-8"
        return ParsedRow(number, {}, [RowError(number, "row", reason)], _hash_record(value))
    return build(number, value)


def _json_text(value: Any) -> str:
    """Read a JSON scalar as text; objects and lists are not text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text, found {type(value).__name__}")


# -- solicitations --------------------------------------------------------------------------

# Canonical SAM.gov extract column name for each normalised header spelling we use.
_SAM_COLUMNS: dict[str, str] = {
    "noticeid": "NoticeId",
    "title": "Title",
    "sol": "Sol#",
    "solicitationnumber": "Sol#",
    "departmentindagency": "Department/Ind.Agency",
    "department": "Department/Ind.Agency",
    "subtier": "Sub-Tier",
    "office": "Office",
    "posteddate": "PostedDate",
    "type": "Type",
    "basetype": "BaseType",
    "setasidecode": "SetASideCode",
    "setaside": "SetASide",
    "responsedeadline": "ResponseDeadLine",
    "naicscode": "NaicsCode",
    "naics": "NaicsCode",
    "classificationcode": "ClassificationCode",
    "popcity": "PopCity",
    "popstate": "PopState",
    "popcountry": "PopCountry",
    "active": "Active",
    "award": "Award$",
    "estimatedvalue": "EstimatedValue",
    "awardee": "Awardee",
    "additionalinfolink": "AdditionalInfoLink",
    "link": "Link",
    "description": "Description",
}
_SAM_REQUIRED = ("NoticeId", "Title")
_SAM_FIELD_OF = {
    "NoticeId": "notice_id",
    "Title": "title",
    "Sol#": "solicitation_number",
    "Department/Ind.Agency": "agency",
    "Sub-Tier": "sub_tier",
    "Office": "office",
    "PostedDate": "posted_date",
    "Type": "notice_type",
    "BaseType": "notice_type",
    "SetASideCode": "set_aside",
    "SetASide": "set_aside",
    "ResponseDeadLine": "response_deadline",
    "NaicsCode": "naics",
    "ClassificationCode": "classification_code",
    "PopCity": "place_of_performance",
    "PopState": "place_of_performance",
    "PopCountry": "place_of_performance",
    "Active": "status",
    "Award$": "estimated_value",
    "EstimatedValue": "estimated_value",
    "Awardee": "awardee",
    "AdditionalInfoLink": "link",
    "Link": "link",
    "Description": "description",
}


def _finish_solicitation(row: _Row, notice_type: str, active: str) -> None:
    """Add status and export hints, and check required fields."""
    row.data["status"] = sam_status(notice_type, active)
    hints = export_hints(f"{row.data.get('title', '')}\n{row.data.get('description', '')}")
    row.data.update(hints)
    row.require("notice_id", "title")


def _sam_csv_row(record: _CsvRecord, table: _CsvTable, source: str) -> ParsedRow:
    """Convert one SAM.gov extract row."""
    row = _Row(record.line)
    v = _csv_values(record, table, row, _SAM_FIELD_OF)
    row.data["source"] = source
    row.put("notice_id", v.get("NoticeId"))
    row.convert("title", v.get("Title"), inline_text)
    row.put("solicitation_number", v.get("Sol#"))
    row.convert("agency", v.get("Department/Ind.Agency"), inline_text)
    row.convert("sub_tier", v.get("Sub-Tier"), inline_text)
    row.convert("office", v.get("Office"), inline_text)
    notice_type = v.get("Type") or v.get("BaseType") or ""
    row.put("notice_type", notice_type)
    row.convert("description", v.get("Description"), html_to_text)
    row.convert("naics", v.get("NaicsCode"), parse_naics)
    row.put("classification_code", v.get("ClassificationCode"))
    row.convert("set_aside", v.get("SetASide") or v.get("SetASideCode"), inline_text)
    row.convert("posted_date", v.get("PostedDate"), parse_date)
    if "ResponseDeadLine" in v:
        try:
            row.data["response_deadline"] = parse_deadline(v["ResponseDeadLine"])
        except ValueError as exc:
            row.error("response_deadline", str(exc))
    place = [v.get(c, "") for c in ("PopCity", "PopState", "PopCountry")]
    row.put("place_of_performance", ", ".join(p for p in place if p))
    row.put("link", v.get("Link") or v.get("AdditionalInfoLink"))
    row.convert("estimated_value", v.get("Award$") or v.get("EstimatedValue"), parse_amount)
    row.convert("awardee", v.get("Awardee"), inline_text)
    _finish_solicitation(row, notice_type, v.get("Active", ""))
    return row.done(_hash_text(record.raw))


def _named(value: Any, *keys: str) -> str:
    """Read text from a value that is either text or an object such as {"code": .., "name": ..}."""
    if isinstance(value, dict):
        for key in keys:
            text = _json_text(value.get(key))
            if text:
                return text
        return ""
    return _json_text(value)


def _place(value: Any) -> str:
    """Join a SAM.gov API placeOfPerformance into "city, state, country"."""
    if not isinstance(value, dict):
        return _json_text(value)
    parts = [
        _named(value.get("city"), "name", "code"),
        _named(value.get("state"), "code", "name"),
        _named(value.get("country"), "code", "name"),
    ]
    return ", ".join(p for p in parts if p)


def _sam_api_row(number: int, rec: dict[str, Any], source: str) -> ParsedRow:
    """Convert one SAM.gov opportunities API record."""
    row = _Row(number)
    row.data["source"] = source

    def text(key: str, name: str | None = None) -> str:
        try:
            return _json_text(rec.get(key))
        except ValueError as exc:
            row.error(name or key, str(exc))
            return ""

    row.put("notice_id", text("noticeId", "notice_id"))
    row.convert("title", text("title", "title"), inline_text)
    row.put("solicitation_number", text("solicitationNumber", "solicitation_number"))
    path = [p.strip() for p in text("fullParentPathName").split(".") if p.strip()]
    row.convert("agency", path[0] if path else text("department"), inline_text)
    row.convert("sub_tier", path[1] if len(path) > 1 else text("subTier"), inline_text)
    row.convert("office", path[-1] if len(path) > 2 else text("office"), inline_text)
    notice_type = text("type") or text("baseType")
    row.put("notice_type", notice_type)
    row.convert("description", text("description"), html_to_text)
    row.convert("naics", rec.get("naicsCodes") or rec.get("naicsCode"), parse_naics)
    row.put("classification_code", text("classificationCode"))
    set_aside = text("typeOfSetAsideDescription") or text("typeOfSetAside")
    row.convert("set_aside", set_aside, inline_text)
    row.convert("posted_date", text("postedDate"), parse_date)
    if "responseDeadLine" in rec:
        try:
            row.data["response_deadline"] = parse_deadline(text("responseDeadLine"))
        except ValueError as exc:
            row.error("response_deadline", str(exc))
    try:
        row.put("place_of_performance", _place(rec.get("placeOfPerformance")))
    except ValueError as exc:
        row.error("place_of_performance", str(exc))
    row.put("link", text("uiLink") or text("additionalInfoLink"))
    award = rec.get("award")
    if isinstance(award, dict):
        row.convert("estimated_value", award.get("amount"), parse_amount)
        try:
            row.convert("awardee", _named(award.get("awardee"), "name"), inline_text)
        except ValueError as exc:
            row.error("awardee", str(exc))
    _finish_solicitation(row, notice_type, text("active"))
    return row.done(_hash_record(rec))


def read_solicitations(
    stream: BinaryIO, *, source: str = "sam.gov", filename: str | None = None
) -> Iterator[ParsedRow]:
    """Read solicitations from a SAM.gov CSV extract or SAM.gov API JSON, one row at a time.

    File-level problems raise ImportFormatError at call time; row problems come back in
    ParsedRow.errors. Line numbers are physical lines for CSV and JSON lines, and record
    numbers for a JSON document.
    """
    opened = _open(stream, filename)
    if opened.fmt != "csv":
        return _prime(_json_records(opened, filename, lambda n, rec: _sam_api_row(n, rec, source)))
    table = _open_csv_table(opened, _SAM_COLUMNS, _SAM_REQUIRED, filename)
    return (_sam_csv_row(record, table, source) for record in table.records)


# -- companies ------------------------------------------------------------------------------

_COMPANY_LIST_FIELDS = ("keywords", "certifications", "consortia")
_CONTACT_PARTS = ("name", "title", "email", "phone")
_COMPANY_COLUMNS: dict[str, str] = {
    "role": "role",
    "country": "country",
    "name": "name",
    "companyname": "name",
    "nameja": "name_ja",
    "website": "website",
    "narrative": "narrative",
    "narrativeja": "narrative_ja",
    "keywords": "keywords",
    "technologyareas": "technology_areas",
    "naics": "naics",
    "uei": "uei",
    "cage": "cage",
    "cagecode": "cage",
    "corporatenumber": "corporate_number",
    "houjinbangou": "corporate_number",
    "certifications": "certifications",
    "consortia": "consortia",
    "contactname": "contact_name",
    "contacttitle": "contact_title",
    "contactemail": "contact_email",
    "contactphone": "contact_phone",
    "externalid": "external_id",
}
_COMPANY_REQUIRED = ("role", "name")
_ROLE_ALIASES = {
    "us_performer": "us_performer",
    "us": "us_performer",
    "performer": "us_performer",
    "us_ota_performer": "us_performer",
    "ota_performer": "us_performer",
    "jp_partner": "jp_partner",
    "jp": "jp_partner",
    "partner": "jp_partner",
    "japanese_partner": "jp_partner",
    "japan_partner": "jp_partner",
}
_COUNTRY_ALIASES = {
    "jp": "JP",
    "jpn": "JP",
    "japan": "JP",
    "日本": "JP",
    "us": "US",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "united states of america": "US",
}


def parse_role(value: str) -> str:
    """Map a role cell to us_performer or jp_partner."""
    key = re.sub(r"[\s\-./]+", "_", value.strip().lower()).strip("_")
    if key not in _ROLE_ALIASES:
        raise ValueError(f"unknown role {_short(value)}; use us_performer or jp_partner")
    return _ROLE_ALIASES[key]


def parse_country(value: str) -> str:
    """Map common spellings of Japan and the United States to ISO codes; keep others as given."""
    text = " ".join(value.split())
    if text.lower() in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[text.lower()]
    return text.upper() if len(text) == 2 else text


def parse_website(value: str) -> str:
    """Add https:// to a bare domain such as www.example.co.jp; keep anything else as given."""
    text = value.strip()
    if "://" not in text and _BARE_DOMAIN_RE.fullmatch(text):
        return f"https://{text}"
    return text


def parse_identifier(value: str) -> str:
    """Normalise a UEI or CAGE code: no spaces, upper case."""
    return re.sub(r"\s+", "", value).upper()


def parse_corporate_number(value: str) -> str:
    """Strip spaces and hyphens from a corporate number; refuse Excel's scientific notation."""
    text = re.sub(r"[\s\-]+", "", value)
    if _EXCEL_NUMBER_RE.fullmatch(text):
        raise ValueError(
            f"{_short(value)} was turned into a number by a spreadsheet; format the column as text"
        )
    return text


def _contacts_from_cells(values: Mapping[str, Any]) -> list[dict[str, str | None]]:
    """Build contacts from contact_* cells; several contacts are ;-separated, in step."""
    columns = {
        part: [p.strip() for p in _json_text(values.get(f"contact_{part}")).split(";")]
        for part in _CONTACT_PARTS
        if _json_text(values.get(f"contact_{part}"))
    }
    if not columns:
        return []
    counts = {len(parts) for parts in columns.values()}
    if len(counts) > 1:
        raise ValueError("contact_* cells hold different numbers of ;-separated values")
    contacts = []
    for index in range(counts.pop()):
        contact = {p: (columns[p][index] or None) if p in columns else None for p in _CONTACT_PARTS}
        if any(contact.values()):
            contacts.append(contact)
    return contacts


def _contacts_from_json(value: Any) -> list[dict[str, str | None]]:
    """Read a JSON list of contact objects."""
    if not isinstance(value, list):
        raise ValueError("contacts must be a list of objects")
    contacts = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError("contacts must be a list of objects")
        contact = {p: _json_text(item.get(p)) or None for p in _CONTACT_PARTS}
        if any(contact.values()):
            contacts.append(contact)
    return contacts


def _company_row(values: Mapping[str, Any], raw_hash: str, row: _Row) -> ParsedRow:
    """Convert one company record (CSV cells or a JSON object) into a company dict."""

    def text(key: str) -> str:
        try:
            return _json_text(values.get(key))
        except ValueError as exc:
            row.error(key, str(exc))
            return ""

    row.convert("role", text("role"), parse_role)
    row.convert("country", text("country"), parse_country)
    row.convert("name", text("name"), inline_text)
    row.convert("name_ja", text("name_ja"), inline_text)
    row.convert("website", text("website"), parse_website)
    row.convert("narrative", text("narrative"), html_to_text)
    row.convert("narrative_ja", text("narrative_ja"), html_to_text)
    for key in _COMPANY_LIST_FIELDS:
        row.convert(key, values.get(key), split_list)
    row.convert(
        "technology_areas",
        values.get("technology_areas"),
        lambda raw: [s for s in (slugify(x) for x in split_list(raw)) if s],
    )
    row.convert("naics", values.get("naics"), parse_naics)
    row.convert("uei", text("uei"), parse_identifier)
    row.convert("cage", text("cage"), parse_identifier)
    row.convert("corporate_number", text("corporate_number"), parse_corporate_number)
    contacts = values.get("contacts")
    if contacts is not None:
        row.convert("contacts", contacts, _contacts_from_json)
    else:
        row.convert("contacts", values, _contacts_from_cells)
    row.put("external_id", text("external_id"))
    row.require("role", "name")
    return row.done(raw_hash)


def _company_csv_row(record: _CsvRecord, table: _CsvTable) -> ParsedRow:
    """Convert one company CSV row."""
    row = _Row(record.line)
    fields = {c: "contacts" if c.startswith("contact_") else c for c in table.columns}
    values = _csv_values(record, table, row, fields)
    return _company_row(values, _hash_text(record.raw), row)


COMPANY_TEMPLATE_COLUMNS = (
    "role",
    "country",
    "name",
    "name_ja",
    "website",
    "narrative",
    "narrative_ja",
    "keywords",
    "technology_areas",
    "naics",
    "uei",
    "cage",
    "corporate_number",
    "certifications",
    "consortia",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
    "external_id",
)
_COMPANY_TEMPLATE_EXAMPLE = (
    "jp_partner",
    "JP",
    "Hoshizora Orbital Systems K.K.",
    "星空オービタルシステムズ株式会社",
    "https://www.hoshizora-orbital.example.jp",
    "Builds 50 kg smallsat buses and optical inter-satellite terminals.",
    "50kg級の小型衛星バスと衛星間光通信端末を開発・製造しています。",
    "smallsat bus; optical terminal; debris tracking",
    "Space; Sensors",
    "336414; 541715",
    "",
    "",
    "4010001234567",
    "JIS Q 9100; ISO/IEC 27001",
    "Space Enterprise Consortium (SpEC)",
    "Sato Haruka; Mori Aya",
    "Director, Defense Programs; Export Compliance Manager",
    "h.sato@hoshizora-orbital.example.jp; a.mori@hoshizora-orbital.example.jp",
    "+81-3-5555-0101; +81-3-5555-0102",
    "JETRO-2026-0042",
)


def company_template_csv() -> str:
    """The company CSV template: every column in order, and one example row (with a BOM so
    spreadsheet programs read the Japanese name as UTF-8)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COMPANY_TEMPLATE_COLUMNS)
    writer.writerow(_COMPANY_TEMPLATE_EXAMPLE)
    return "\ufeff" + buffer.getvalue()


def read_companies(stream: BinaryIO, *, filename: str | None = None) -> Iterator[ParsedRow]:
    """Read companies from the company CSV template, JSON lines or a JSON array of objects."""
    opened = _open(stream, filename)
    if opened.fmt != "csv":
        return _prime(
            _json_records(
                opened,
                filename,
                lambda n, rec: _company_row(rec, _hash_record(rec), _Row(n)),
            )
        )
    table = _open_csv_table(opened, _COMPANY_COLUMNS, _COMPANY_REQUIRED, filename)
    return (_company_csv_row(record, table) for record in table.records)


def _count_records(handle: BinaryIO, *, quoted: bool) -> int:
    """Count line breaks, skipping those inside quoted CSV cells when quoted is set."""
    breaks = 0
    in_quotes = False
    last = b""
    while chunk := handle.read(1 << 20):
        last = chunk[-1:]
        if not quoted:
            breaks += chunk.count(b"\n")
            continue
        # '"' and '\n' never occur inside a multi-byte UTF-8, windows-1252 or CP932 character. The
        # pieces between quotes are alternately outside and inside a quoted cell (an escaped
        # "" is an empty piece inside).
        pieces = chunk.split(b'"')
        outside = pieces[1::2] if in_quotes else pieces[::2]
        breaks += sum(piece.count(b"\n") for piece in outside)
        in_quotes = in_quotes != (len(pieces) % 2 == 0)
    return breaks + (1 if last not in (b"\n", b"") else 0)


def count_rows_hint(path: Path) -> int | None:
    """Count data rows cheaply for a progress bar total; None for a JSON document.

    CSV line breaks inside quoted cells are not counted, so multi-line descriptions do not
    inflate the total; blank lines still do, so it is an estimate.
    """
    try:
        with path.open("rb") as handle:
            fmt = detect_format(handle.read(HEAD_BYTES))
            if fmt == "json":
                return None
            handle.seek(0)
            records = _count_records(handle, quoted=fmt == "csv")
    except (OSError, ImportFormatError):
        return None
    return max(records - (1 if fmt == "csv" else 0), 0)

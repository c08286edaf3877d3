"""Reading screening lists: the US Consolidated Screening List as trade.gov publishes it, and
METI's End User List in Kakehashi's CSV layout.

A file is read whole before anything is written: a bad line fails the load and changes
nothing. Errors name the line (as a spreadsheet numbers it, the header being line 1).

METI End User List layout (UTF-8 or windows-1252, comma-separated, a header line)::

    no,company_name,aliases,country,type_of_concern

``aliases`` holds the other names separated by "; "; ``country`` is an ISO 3166 code (or the
English country name the list prints, for the countries it names); ``type_of_concern`` is the
list's column of weapons concerns (e.g. "Biological, Chemical, Missile, Nuclear"). ``no`` is the
list's running number: it changes between editions, so an entry is known by its name and
country instead.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

from app.errors import InvalidField
from app.screening.models import ScreeningList

# The columns Kakehashi reads from the CSL; the published file has more (all kept optional).
CSL_COLUMNS = (
    "_id",
    "source",
    "type",
    "programs",
    "name",
    "addresses",
    "remarks",
    "source_list_url",
    "alt_names",
)
METI_COLUMNS = ("no", "company_name", "aliases", "country", "type_of_concern")
REQUIRED: dict[ScreeningList, tuple[str, ...]] = {
    ScreeningList.CSL: CSL_COLUMNS,
    ScreeningList.METI_EUL: METI_COLUMNS,
}
METI_SOURCE = "End User List (METI)"
METI_URL = "https://www.meti.go.jp/policy/anpo/law05.html"
SEPARATOR = "; "
KEY_LENGTH = 200

# The countries and regions METI's list names, as it spells them.
METI_COUNTRIES = {
    "afghanistan": "AF",
    "armenia": "AM",
    "belarus": "BY",
    "china": "CN",
    "hong kong": "HK",
    "india": "IN",
    "iran": "IR",
    "israel": "IL",
    "north korea": "KP",
    "pakistan": "PK",
    "russia": "RU",
    "syria": "SY",
    "taiwan": "TW",
    "turkey": "TR",
    "türkiye": "TR",
    "united arab emirates": "AE",
    "uae": "AE",
    "uzbekistan": "UZ",
    "kyrgyzstan": "KG",
    "kazakhstan": "KZ",
    "yemen": "YE",
    "lebanon": "LB",
    "egypt": "EG",
}
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


class ListFileError(InvalidField):
    """A file that is not a screening list, or a line of one that cannot be read (422)."""

    def __init__(self, reason: str) -> None:
        super().__init__("file", reason)


@dataclass(frozen=True)
class ParsedEntry:
    """One listed party as read from a file, before it is stored."""

    entry_key: str
    source: str
    entry_type: str | None
    names: list[str]
    addresses: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    remarks: str = ""
    source_list_url: str | None = None

    @property
    def entry_hash(self) -> str:
        """A fingerprint of everything the entry says: a change to it raises cleared hits."""
        content = asdict(self)
        return hashlib.sha256(
            json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()


@dataclass(frozen=True)
class ParsedList:
    """A whole file: which list, and its entries in file order."""

    list_name: ScreeningList
    entries: list[ParsedEntry]


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else windows-1252 as spreadsheets save it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ListFileError(
            f"not UTF-8 or windows-1252 text (byte {exc.start} cannot be read)"
        ) from exc


def _header(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text)), None)
    return [c.strip().lower() for c in first] if first else []


def detect(header: Sequence[str]) -> ScreeningList:
    """Which list a header belongs to; a header of neither is not a screening list."""
    columns = set(header)
    if {"_id", "alt_names"} <= columns:
        return ScreeningList.CSL
    if "company_name" in columns:
        return ScreeningList.METI_EUL
    shown = ", ".join(header[:6]) or "nothing"
    raise ListFileError(
        f"not a screening list: the header ({shown}) is neither the Consolidated Screening "
        f"List's (_id, name, alt_names, ...) nor the METI End User List layout's "
        f"({', '.join(METI_COLUMNS)})"
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _address_country(address: str) -> str | None:
    """The ISO code a CSL address ends in ("..., Beijing, CN")."""
    last = address.rsplit(",", 1)[-1].strip()
    return last.upper() if _COUNTRY_CODE.match(last) else None


def _rows(text: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) of every data line; errors name the line."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        raw_header = next(reader, None)
        header = [c.strip().lower() for c in raw_header or []]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ListFileError(f"missing columns: {', '.join(missing)}")
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise ListFileError(
                    f"line {start}: expected {len(header)} fields, found {len(values)}"
                )
            yield start, dict(zip(header, values, strict=True))
    except csv.Error as exc:
        raise ListFileError(f"line {reader.line_num}: {exc}") from exc


def _csl(text: str) -> list[ParsedEntry]:
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for line, row in _rows(text, CSL_COLUMNS):
        key = row["_id"].strip()
        name = row["name"].strip()
        if not key:
            raise ListFileError(f"line {line}: _id is empty")
        if not name:
            raise ListFileError(f"line {line}: name is empty")
        if len(key) > KEY_LENGTH:
            raise ListFileError(f"line {line}: _id is longer than {KEY_LENGTH} characters")
        if key in seen:
            raise ListFileError(f"line {line}: _id {key} is already on line {seen[key]}")
        seen[key] = line
        addresses = _split(row["addresses"])
        countries = sorted({c for a in addresses if (c := _address_country(a))})
        entries.append(
            ParsedEntry(
                entry_key=key,
                source=row["source"].strip(),
                entry_type=row["type"].strip() or None,
                names=_unique([name, *_split(row["alt_names"])]),
                addresses=addresses,
                countries=countries,
                programs=_split(row["programs"]),
                remarks=row["remarks"].strip(),
                source_list_url=row["source_list_url"].strip() or None,
            )
        )
    return entries


def _meti_country(value: str) -> list[str]:
    value = value.strip()
    if _COUNTRY_CODE.match(value):
        return [value.upper()]
    code = METI_COUNTRIES.get(" ".join(value.lower().split()))
    return [code] if code else []


def _key_part(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split())


def _meti(text: str) -> list[ParsedEntry]:
    entries: list[ParsedEntry] = []
    seen: dict[str, int] = {}
    for line, row in _rows(text, METI_COLUMNS):
        name = row["company_name"].strip()
        if not name:
            raise ListFileError(f"line {line}: company_name is empty")
        countries = _meti_country(row["country"])
        country = countries[0] if countries else row["country"].strip()
        key = f"{_key_part(country) or '-'}:{_key_part(name)}"[:KEY_LENGTH]
        if key in seen:
            raise ListFileError(f"line {line}: {name} ({country}) is already on line {seen[key]}")
        seen[key] = line
        concern = row["type_of_concern"].strip()
        entries.append(
            ParsedEntry(
                entry_key=key,
                source=METI_SOURCE,
                entry_type="entity",
                names=_unique([name, *_split(row["aliases"])]),
                countries=countries,
                programs=[concern] if concern else [],
                source_list_url=METI_URL,
            )
        )
    return entries


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def parse(data: bytes, *, list_name: ScreeningList | None = None) -> ParsedList:
    """A whole list file, read and checked; the list is told by the header when not given."""
    text = decode(data)
    if not text.strip():
        raise ListFileError("the file is empty")
    detected = list_name or detect(_header(text))
    entries = _csl(text) if detected is ScreeningList.CSL else _meti(text)
    if not entries:
        raise ListFileError("the file has a header but no entries")
    return ParsedList(detected, entries)

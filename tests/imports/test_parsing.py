"""Tests for reading SAM.gov extracts, SAM.gov API JSON and company files."""

from __future__ import annotations

import codecs
import csv
import importlib.util
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.imports.parsing import (
    PREFIX_BYTES,
    ImportFormatError,
    ParsedRow,
    RowError,
    count_rows_hint,
    decode_stream,
    detect_format,
    export_hints,
    parse_date,
    parse_deadline,
    parse_naics,
    read_companies,
    read_solicitations,
    sam_status,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "imports"
ROOT = Path(__file__).resolve().parents[2]
EASTERN = ZoneInfo("America/New_York")


def _read(
    name: str, reader: Callable[..., Iterator[ParsedRow]] = read_solicitations
) -> list[ParsedRow]:
    with (FIXTURES / name).open("rb") as handle:
        return list(reader(handle, filename=name))


def _by_id(rows: list[ParsedRow]) -> dict[str, dict[str, Any]]:
    return {row.data["notice_id"]: row.data for row in rows}


def _errors(rows: list[ParsedRow]) -> list[tuple[int, str]]:
    return [(error.line, error.field) for row in rows for error in row.errors]


class _ReadOnlyStream(io.RawIOBase):
    """A stream that can only be read forwards, like an upload body."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


# -- encodings ------------------------------------------------------------------------------


def test_each_encoding_decodes_to_the_same_rows() -> None:
    cp1252 = _read("sam_extract_cp1252.csv")
    utf8 = _read("sam_extract_utf8.csv")
    utf8_bom = _read("sam_extract_utf8_bom.csv")
    assert len(cp1252) == 12
    assert len(utf8) == len(utf8_bom) == 13  # plus one notice with Japanese text
    for a, b, c in zip(cp1252, utf8, utf8_bom, strict=False):
        assert a.data == b.data == c.data
        assert a.line == b.line == c.line
        assert a.raw_hash == b.raw_hash == c.raw_hash  # CRLF cp1252 and LF UTF-8 hash alike
    assert [r.errors for r in utf8] == [[]] * 13


def test_windows_1252_characters_are_decoded() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))
    first = rows["a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10"]
    assert first["title"].startswith("Request for Prototype Proposals – Modular")
    quotes = rows["1b8e3f2a0c9d4482cf5a6b7c8d9e0f1a"]["description"]
    assert "An “industry day” will be held" in quotes
    assert "attendees’ names" in quotes
    assert (
        "Renée Martín, MICC – Fort Bliss" in rows["2c9f4a3b1d0e4593d06b7c8d9e0f1a2b"]["description"]
    )


def test_utf8_file_keeps_japanese_text() -> None:
    last = _read("sam_extract_utf8_bom.csv")[-1].data
    assert last["title"] == "Industry Day – US-Japan Space Domain Awareness (日米宇宙協力)"
    assert last["place_of_performance"] == "Fussa, Tokyo, JPN"


def test_decode_stream_detects_bom_utf8_and_cp1252() -> None:
    assert decode_stream(io.BytesIO(b"\xef\xbb\xbfNoticeId\n")).read() == "NoticeId\n"
    assert decode_stream(io.BytesIO("café\r\n".encode())).read() == "café\r\n"
    assert decode_stream(io.BytesIO(b"caf\xe9 \x93OTA\x94\r\n")).read() == "café “OTA”\r\n"


def _big_csv(first_title: str, late_title: bytes) -> bytes:
    header = b"NoticeId,Title,Description\n"
    first = f"n1,{first_title},short\n".encode()
    filler = b"".join(b"n%d,Filler,%s\n" % (i, b"x" * 200) for i in range(2, 6000))
    assert len(header + first + filler) > PREFIX_BYTES  # the late row lies past the sniffed part
    return header + first + filler + b"late," + late_title + b",tail\n"


def test_invalid_utf8_after_the_prefix_is_a_row_error() -> None:
    rows = list(read_solicitations(io.BytesIO(_big_csv("Café prototype", b"Caf\xe9 \xff"))))
    assert rows[0].data["title"] == "Café prototype" and not rows[0].errors
    late = rows[-1]
    assert late.data["notice_id"] == "late" and "title" not in late.data
    assert [(e.field, e.reason) for e in late.errors] == [("title", "undecodable bytes 0xE9, 0xFF")]
    assert sum(bool(r.errors) for r in rows) == 1


def test_ascii_prefix_then_windows_1252_bytes_decode_as_windows_1252() -> None:
    rows = list(
        read_solicitations(io.BytesIO(_big_csv("Plain prototype", b"Army\x92s \x93RF\x94")))
    )
    assert rows[-1].data["title"] == "Army’s “RF”"
    assert not any(r.errors for r in rows)


def test_reads_a_stream_that_cannot_seek() -> None:
    data = (FIXTURES / "sam_extract_cp1252.csv").read_bytes()
    stream: BinaryIO = io.BufferedReader(_ReadOnlyStream(data))
    assert [r.data for r in read_solicitations(stream)] == [
        r.data for r in _read("sam_extract_cp1252.csv")
    ]


# -- conversions ----------------------------------------------------------------------------


def _tz(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-02 10:15:22.123-04", datetime(2026, 11, 2, 10, 15, 22, 123000, _tz(-4))),
        ("2026-11-02T10:15:22-04:00", datetime(2026, 11, 2, 10, 15, 22, tzinfo=_tz(-4))),
        ("2026-12-15T14:00:00+09:00", datetime(2026, 12, 15, 14, 0, tzinfo=_tz(9))),
        ("2026-12-15T19:00:00Z", datetime(2026, 12, 15, 19, 0, tzinfo=UTC)),
        ("12/15/2026 2:00 PM", datetime(2026, 12, 15, 14, 0, tzinfo=EASTERN)),
        ("07/01/2026 2:00 PM", datetime(2026, 7, 1, 14, 0, tzinfo=_tz(-4))),  # EDT
        ("12/15/2026 2:00 PM PST", datetime(2026, 12, 15, 14, 0, tzinfo=_tz(-8))),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_deadline(value: str, expected: datetime | None) -> None:
    parsed = parse_deadline(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == expected.utcoffset()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["2026-12-15", "12/15/2026", " 2026-12-15 "])
def test_date_only_deadline_stays_a_date(value: str) -> None:
    # The record keeps the calendar date; it closes at the end of that day, US Eastern.
    assert parse_deadline(value) == date(2026, 12, 15)
    assert type(parse_deadline(value)) is date


def test_deadline_offsets_are_plain_offsets_as_stated() -> None:
    parsed = parse_deadline("2026-03-19T17:00:00+09:00")
    assert isinstance(parsed, datetime)
    assert parsed.isoformat() == "2026-03-19T17:00:00+09:00"
    named = parse_deadline("12/15/2026 2:00 PM ET")
    assert isinstance(named, datetime) and named.isoformat() == "2026-12-15T14:00:00-05:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-02 10:15:22.123-04", date(2026, 11, 2)),
        ("2026-11-15 13:00:00.0+09", date(2026, 11, 15)),  # the date as written, not shifted
        ("11/12/2026", date(2026, 11, 12)),
        ("2026-11-02", date(2026, 11, 2)),
        ("", None),
    ],
)
def test_parse_date(value: str, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value", ["2026-13-45", "2026-02-30T10:00:00-05:00", "next Tuesday", "2026", "15 Dec"]
)
def test_bad_dates_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_deadline(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("541715", ["541715"]),
        ("54", ["54"]),
        ("336", ["336"]),
        ("5417", ["5417"]),
        ("33641", ["33641"]),
        ("541715; 336414, 541715", ["541715", "336414"]),
        (["541715", 336414], ["541715", "336414"]),
        ("", []),
    ],
)
def test_parse_naics_keeps_2_to_6_digit_codes(value: Any, expected: list[str]) -> None:
    assert parse_naics(value) == expected


@pytest.mark.parametrize("value", ["54A715", "5", "5417151", "54-17"])
def test_parse_naics_refuses_other_codes(value: str) -> None:
    with pytest.raises(ValueError, match="NAICS"):
        parse_naics(value)


def test_short_naics_codes_survive_a_real_extract() -> None:
    naics = [row.data["naics"] for row in _read("sam_extract_cp1252.csv")]
    assert ["54"] in naics and ["336"] in naics and ["5417"] in naics and ["33641"] in naics


@pytest.mark.parametrize(
    ("notice_type", "active", "status"),
    [
        ("Award Notice", "Yes", "awarded"),
        ("Award Notice", "No", "awarded"),
        ("Combined Synopsis/Solicitation", "No", "closed"),
        ("Sources Sought", "Yes", "open"),
        ("Solicitation", "", "open"),
    ],
)
def test_sam_status(notice_type: str, active: str, status: str) -> None:
    assert sam_status(notice_type, active) == status


def test_statuses_and_award_fields_in_the_extract() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))
    award = rows["d4a9b8c7e6f5404a9b1c2d3e4f5a6b7c"]
    assert award["status"] == "awarded"
    assert award["notice_type"] == "Award Notice"
    assert award["estimated_value"] == 4_850_000.0
    assert award["awardee"] == "Aegis Additive Systems, Inc."
    assert award["response_deadline"] is None
    assert rows["e5b0c9d8f7a6415b8c2d3e4f5a6b7c8d"]["status"] == "closed"  # Active = No
    first = rows["a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10"]
    assert first["status"] == "open"
    assert "estimated_value" not in first and "awardee" not in first and "set_aside" not in first


def test_a_full_extract_row_maps_every_field() -> None:
    row = _read("sam_extract_cp1252.csv")[0]
    description = row.data.pop("description")
    assert row.line == 2
    assert row.data == {
        "source": "sam.gov",
        "notice_id": "a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10",
        "title": "Request for Prototype Proposals – Modular Open RF Sensing Payload (MORFS)",
        "solicitation_number": "W15QKN-26-9-0012",
        "agency": "DEPT OF DEFENSE",
        "sub_tier": "DEPT OF THE ARMY",
        "office": "W6QK ACC-APG",
        "notice_type": "Combined Synopsis/Solicitation",
        "naics": ["541715"],
        "classification_code": "AC12",
        "posted_date": date(2026, 11, 2),
        "response_deadline": datetime(2026, 12, 15, 14, tzinfo=timezone(timedelta(hours=-5))),
        "place_of_performance": "Aberdeen Proving Ground, MD, USA",
        "link": "https://sam.gov/opp/a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10/view",
        "status": "open",
    }
    assert description.splitlines() == [
        "The U.S. Army Contracting Command – Aberdeen Proving Ground (ACC-APG), on behalf of "
        "the DEVCOM C5ISR Center, is issuing this Request for Prototype Proposals under "
        "10 U.S.C. § 4022.",
        "",
        "The Government’s objective is a modular RF sensing payload for Group 2 unmanned aircraft.",
        "",
        "• Open architecture aligned with CMOSS and SOSA",
        "• Size, weight & power under 4 kg",
        "",
        "Questions to <john.doe@army.mil> no later than 1 December 2026.",
    ]


def test_deadlines_in_the_extract() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))
    japan = rows["1b8e3f2a0c9d4482cf5a6b7c8d9e0f1a"]["response_deadline"]
    assert japan == datetime(2026, 12, 15, 14, tzinfo=timezone(timedelta(hours=9)))
    assert japan.utcoffset() == timedelta(hours=9)
    date_only = date(2026, 12, 15)
    assert rows["f6c1d0e9a8b74260ad3e4f5a6b7c8d9e"]["response_deadline"] == date_only
    assert rows["0a7d2e1f9b8c4371be4f5a6b7c8d9e0f"]["response_deadline"] == date_only
    assert rows["c3f8a1d9e4b2476c8d0e1f2a3b4c5d6e"]["response_deadline"] is None
    assert rows["0a7d2e1f9b8c4371be4f5a6b7c8d9e0f"]["posted_date"] == date(2026, 11, 12)


def test_literal_addresses_in_descriptions_survive() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))
    assert (
        "Questions to <john.doe@army.mil> no later"
        in (rows["a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10"]["description"])
    )
    assert rows["c3f8a1d9e4b2476c8d0e1f2a3b4c5d6e"]["description"] == (
        "DIU seeks commercial unmanned surface vessels that move 500 kg of cargo between ships "
        "and austere shores.\nSolution briefs are accepted on a rolling basis.\n\n"
        "Point of contact: <Jane Smith jane.smith@diu.mil>"
    )


def test_html_in_descriptions_is_flattened() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))
    assert rows["f6c1d0e9a8b74260ad3e4f5a6b7c8d9e"]["description"] == (
        "NAVAIR's PMA-263 seeks launch & recovery systems for Group 1-2 UAS.\n"
        "Sea state 4 operation is required."
    )
    assert rows["3d0a5b4c2e1f46a4e17c8d9e0f1a2b3c"]["description"].endswith(
        "\n\n1. Phase 1: concept & design\n2. Phase 2: ground demonstration\n"
        "3. Phase 3: on-orbit demonstration"
    )
    word = rows["4e1b6c5d3f2a47b5f28d9e0f1a2b3c4d"]["description"]
    assert word == (
        "CDAO invites 5-minute video pitches for AI models that run on disconnected edge devices."
    )
    assert "&" not in rows["a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10"]["title"]


# -- export hints ---------------------------------------------------------------------------


def test_export_hints_in_the_extract() -> None:
    rows = _by_id(_read("sam_extract_cp1252.csv"))

    def hints(notice_id: str) -> tuple[str | None, str | None]:
        data = rows[notice_id]
        return data.get("export_control"), data.get("foreign_participation")

    assert hints("b7e2d6f03c9a4e58a1b2c3d4e5f60718") == ("itar", "prohibited")
    assert hints("e5b0c9d8f7a6415b8c2d3e4f5a6b7c8d") == ("cui", "allowed_with_authorization")
    assert hints("0a7d2e1f9b8c4371be4f5a6b7c8d9e0f") == ("ear", "allowed_with_authorization")
    assert hints("5f2c7d6e4a3b48c6a39e0f1a2b3c4d5e") == (None, "prohibited")
    assert hints("a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10") == (None, None)
    assert "export_control" not in rows["a1c94e0b7d2f4b1e9f3a6c5d8e7b2a10"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Subject to ITAR and the EAR; contains CUI.", {"export_control": "itar"}),
        ("International Traffic in Arms Regulations apply.", {"export_control": "itar"}),
        ("Controlled Unclassified Information and EAR99 items.", {"export_control": "cui"}),
        ("Export Administration Regulations apply.", {"export_control": "ear"}),
        ("Each year we hear from industry; near-term dates.", {}),
        ("No export restrictions apply to this notice.", {}),
        ("U.S. citizens only.", {"foreign_participation": "prohibited"}),
        ("No foreign participation.", {"foreign_participation": "prohibited"}),
        ("Foreign firms are prohibited from submitting.", {"foreign_participation": "prohibited"}),
        ("Foreign nationals will not be permitted.", {"foreign_participation": "prohibited"}),
    ],
)
def test_export_hints(text: str, expected: dict[str, str]) -> None:
    hints = export_hints(text)
    for key, value in expected.items():
        assert hints[key] == value
    if "export_control" in expected and "foreign_participation" not in expected:
        assert hints["foreign_participation"] == "allowed_with_authorization"
    if not expected:
        assert hints == {}


# -- row errors -----------------------------------------------------------------------------


def test_malformed_file_reports_each_problem_at_its_line() -> None:
    rows = _read("sam_malformed.csv")
    assert [row.line for row in rows] == [2, 3, 4, 5, 6, 9, 10, 12, 13]
    assert _errors(rows) == [
        (3, "notice_id"),
        (4, "response_deadline"),
        (5, "naics"),
        (9, "row"),
        (13, "row"),
    ]
    by_line = {row.line: row for row in rows}
    assert "13-45" in by_line[4].errors[0].reason
    assert "54A715" in by_line[5].errors[0].reason
    assert "14 cells" in by_line[9].errors[0].reason
    assert (
        "unterminated" in by_line[13].errors[0].reason and "13-14" in by_line[13].errors[0].reason
    )
    # convertible fields are kept next to the errors
    assert by_line[3].data["title"] == "Hypersonic Materials Prototype"
    assert by_line[4].data["naics"] == ["541511"] and "response_deadline" not in by_line[4].data
    assert by_line[5].data["notice_id"] == "m0004" and "naics" not in by_line[5].data
    assert by_line[6].data["description"] == (
        'First line,\nsecond line with a comma, and\na third "quoted" line.'
    )
    assert by_line[12].data["status"] == "closed"


def test_duplicate_notice_ids_are_both_yielded() -> None:
    rows = _read("sam_malformed.csv")
    duplicates = [row for row in rows if row.data.get("notice_id") == "m0001"]
    assert [row.line for row in duplicates] == [2, 10]
    assert duplicates[0].raw_hash != duplicates[1].raw_hash


def test_a_row_without_title_gets_an_error() -> None:
    data = b"NoticeId,Title\nabc,\n,\n"
    rows = list(read_solicitations(io.BytesIO(data)))
    assert _errors(rows) == [(2, "title")]  # the all-empty line 3 is blank, so skipped


def test_raw_hash_is_stable_and_row_specific() -> None:
    first = [row.raw_hash for row in _read("sam_extract_cp1252.csv")]
    assert first == [row.raw_hash for row in _read("sam_extract_cp1252.csv")]
    assert len(set(first)) == len(first)
    assert all(len(h) == 64 for h in first)


# -- file-level errors and formats ----------------------------------------------------------


def _file_error(name: str, reader: Callable[..., Iterator[ParsedRow]]) -> str:
    with (FIXTURES / name).open("rb") as handle, pytest.raises(ImportFormatError) as caught:
        reader(handle, filename=name)  # raises at call time, before iteration
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_binary_file_is_refused_in_one_line() -> None:
    message = _file_error("not_a_table.bin", read_solicitations)
    assert message == "not_a_table.bin: the file is a PNG image, not CSV or JSON"
    assert "PNG" in _file_error("not_a_table.bin", read_companies)


def test_missing_notice_id_column_is_named() -> None:
    message = _file_error("sam_missing_columns.csv", read_solicitations)
    assert message.startswith("sam_missing_columns.csv: missing required column NoticeId")


def test_empty_file_is_refused() -> None:
    assert _file_error("empty.csv", read_solicitations) == "empty.csv: the file is empty"


def test_missing_company_columns_are_named() -> None:
    with pytest.raises(ImportFormatError, match="missing required columns role, name"):
        read_companies(io.BytesIO(b"country,website\nJP,https://x.example.jp\n"))


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"NoticeId,Title\n", "csv"),
        (b"\xef\xbb\xbfNoticeId,Title\n", "csv"),
        (b'  [{"noticeId": "a"}]', "json"),
        (b'{\n  "totalRecords": 1,\n  "opportunitiesData": []\n}', "json"),
        (b'{"totalRecords": 1, "opportunitiesData": []}', "json"),
        (b'{"noticeId": "a"}\n{"noticeId": "b"}\n', "jsonl"),
        (b'{"noticeId": "a", "title": "cut off in the mid', "json"),
    ],
)
def test_detect_format(head: bytes, expected: str) -> None:
    assert detect_format(head) == expected


@pytest.mark.parametrize(
    ("head", "words"),
    [
        (b"", "empty"),
        (b"  \r\n\n", "empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".xls"),
        (b"%PDF-1.7\n", "PDF"),
        (b"\xff\xfeN\x00o\x00", "UTF-16"),
        (b"<!DOCTYPE html><html>", "HTML"),
        (b"abc\x00\x01\x02def", "binary"),
    ],
)
def test_detect_format_refuses_other_files(head: bytes, words: str) -> None:
    with pytest.raises(ImportFormatError, match=words):
        detect_format(head)


def test_headers_match_ignoring_case_spaces_and_punctuation() -> None:
    data = b"notice id;TITLE;sol #;Naics Code;Response Dead Line\nn1;Radar;W1;541715;2026-12-15\n"
    (row,) = read_solicitations(io.BytesIO(data))
    assert row.errors == []
    assert row.data["notice_id"] == "n1" and row.data["solicitation_number"] == "W1"
    assert row.data["naics"] == ["541715"]
    assert "agency" not in row.data  # absent columns give absent keys


def test_count_rows_hint() -> None:
    assert count_rows_hint(FIXTURES / "sam_extract_cp1252.csv") == 12
    assert count_rows_hint(FIXTURES / "sam_extract_utf8_bom.csv") == 13
    assert count_rows_hint(FIXTURES / "sam_api_response.json") is None
    assert count_rows_hint(FIXTURES / "not_a_table.bin") is None
    assert count_rows_hint(FIXTURES / "missing.csv") is None


def test_count_rows_hint_skips_quoted_line_breaks_across_reads(tmp_path: Path) -> None:
    # Multi-line cells with escaped quotes, one of them across the first 1 MiB read.
    cell = '"Line one\nsays ""hi""\n' + "x" * (1 << 20) + '\nlast line"'
    rows = ["NoticeId,Title", f"n1,{cell}", 'n2,"a\nb"', "n3,plain", f"n4,{cell}"]
    path = tmp_path / "quoted.csv"
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")
    assert path.stat().st_size > 2 << 20
    assert count_rows_hint(path) == 4


# -- SAM.gov API JSON -----------------------------------------------------------------------


def test_api_envelope() -> None:
    rows = _read("sam_api_response.json")
    assert [row.line for row in rows] == [1, 2, 3, 4, 5, 6]
    assert _errors(rows) == []
    first, award, sought, itar, closed, japan = (row.data for row in rows)
    assert (first["agency"], first["sub_tier"], first["office"]) == (
        "DEPT OF DEFENSE",
        "DEPT OF THE ARMY",
        "W6QK ACC-APG ADELPHI",
    )
    assert first["posted_date"] == date(2026, 11, 2)
    assert first["place_of_performance"] == "Adelphi, MD, USA"
    assert first["link"] == "https://sam.gov/opp/7b4e9f8a6c5d4ae8a51b2c3d4e5f6a7b/view"
    assert first["description"].startswith("https://api.sam.gov/prod/opportunities/v1/noticedesc")
    assert (
        award["office"] == "DMEA"
        and award["sub_tier"] == "DEFENSE MICROELECTRONICS ACTIVITY (DMEA)"
    )
    assert award["status"] == "awarded" and award["response_deadline"] is None
    assert award["estimated_value"] == 2_450_000.0
    assert award["awardee"] == "Minato Trusted Packaging USA, Inc."
    assert sought["naics"] == ["5417"]
    assert sought["set_aside"] == "Total Small Business Set-Aside (FAR 19.5)"
    assert (itar["export_control"], itar["foreign_participation"]) == ("itar", "prohibited")
    assert closed["status"] == "closed"
    assert japan["response_deadline"].utcoffset() == timedelta(hours=9)


def test_api_json_lines_match_the_envelope() -> None:
    lines = _read("sam_api_lines.jsonl")
    envelope = _read("sam_api_response.json")
    assert [row.line for row in lines] == [1, 2, 4, 5]  # physical lines; line 3 is blank
    assert [row.data for row in lines] == [row.data for row in envelope[:4]]
    assert [row.raw_hash for row in lines] == [row.raw_hash for row in envelope[:4]]


def test_plain_json_array_and_custom_source() -> None:
    records = [{"noticeId": "n1", "title": "One", "naicsCode": 541715}, {"noticeId": "n2"}]
    rows = list(read_solicitations(io.BytesIO(json.dumps(records).encode()), source="diu.mil"))
    assert rows[0].data == {
        "source": "diu.mil",
        "notice_id": "n1",
        "title": "One",
        "naics": ["541715"],
        "status": "open",
    }
    assert rows[1].errors == [RowError(2, "title", "required, but empty")]


def test_json_broken_part_way_stops_with_a_row_error() -> None:
    data = b'[{"noticeId": "n1", "title": "One"}, {"noticeId": "n2", "title": ]'
    rows = list(read_solicitations(io.BytesIO(data)))
    assert rows[0].errors == []
    assert _errors(rows[1:]) == [(2, "row")]
    assert "invalid JSON after record 1" in rows[1].errors[0].reason


def test_json_broken_at_the_start_is_a_file_error() -> None:
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        read_solicitations(io.BytesIO(b"[{noticeId: n1}]"), filename="x.json")


def test_json_lines_skip_a_bad_line_and_go_on() -> None:
    data = (
        b'{"noticeId": "n1", "title": "One"}\n{"noticeId": \n["not an object"]\n'
        b'{"noticeId": "n4", "title": "Four"}\n'
    )
    rows = list(read_solicitations(io.BytesIO(data), filename="x.jsonl"))
    assert [row.line for row in rows] == [1, 2, 3, 4]
    assert _errors(rows) == [(2, "row"), (3, "row")]
    assert rows[3].data["notice_id"] == "n4"


def test_json_scanner_reads_records_larger_than_its_chunks() -> None:
    description = "word " * 60_000  # 300 kB, several read chunks
    records = [{"noticeId": f"n{i}", "title": "T", "description": description} for i in range(3)]
    envelope = {"opportunitiesData": records, "totalRecords": 3}
    rows = list(read_solicitations(io.BytesIO(json.dumps(envelope, indent=1).encode())))
    assert [row.data["notice_id"] for row in rows] == ["n0", "n1", "n2"]
    assert rows[2].data["description"] == description.strip()


# -- companies ------------------------------------------------------------------------------


def test_company_template() -> None:
    rows = _read("companies_template.csv", read_companies)
    assert len(rows) == 8 and _errors(rows) == []
    hoshizora, kurogane, *_, brightline = (row.data for row in rows)
    assert hoshizora == {
        "role": "jp_partner",
        "country": "JP",
        "name": "Hoshizora Orbital Systems K.K.",
        "name_ja": "星空オービタルシステムズ株式会社",
        "website": "https://www.hoshizora-orbital.example.jp",
        "narrative": "Builds 50 kg smallsat buses and optical inter-satellite terminals.",
        "narrative_ja": "50kg級の小型衛星バスと衛星間光通信端末を開発・製造しています。",
        "keywords": ["smallsat bus", "optical terminal", "debris tracking"],
        "technology_areas": ["space", "sensors"],
        "naics": ["336414", "541715"],
        "corporate_number": "4010001234567",
        "certifications": ["JIS Q 9100", "ISO/IEC 27001"],
        "consortia": ["Space Enterprise Consortium (SpEC)"],
        "contacts": [
            {
                "name": "Sato Haruka",
                "title": "Director, Defense Programs",
                "email": "h.sato@hoshizora-orbital.example.jp",
                "phone": "+81-3-5555-0101",
            }
        ],
        "external_id": "JETRO-2026-0042",
    }
    assert kurogane["country"] == "JP"  # written "Japan"
    assert kurogane["website"] == "https://www.kurogane-am.example.jp"
    assert [c["email"] for c in kurogane["contacts"]] == [
        "tanaka@kurogane-am.example.jp",
        "mori@kurogane-am.example.jp",
    ]
    assert brightline["technology_areas"] == ["5g-communications", "cyber"]
    assert kurogane["technology_areas"] == [
        "additive-manufacturing",
        "advanced-materials",
        "hypersonics",
    ]
    us = [row.data for row in rows if row.data["role"] == "us_performer"]
    assert {c["country"] for c in us} == {"US"}  # "USA" normalised
    assert all(len(c["uei"]) == 12 and len(c["cage"]) == 5 for c in us)


def test_company_cp1252_file() -> None:
    rows = _read("companies_cp1252.csv", read_companies)
    assert _errors(rows) == []
    names = [row.data["name"] for row in rows]
    assert names[0] == "Rivière Photonics LLC" and names[2] == "O’Neill Energetics Inc."
    assert "“last-mile”" in rows[0].data["narrative"]


def test_company_cp932_file_with_japanese() -> None:
    data = (FIXTURES / "companies_cp932.csv").read_bytes()
    assert b"\xef\xbb\xbf" not in data and b"\r\n" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    rows = _read("companies_cp932.csv", read_companies)
    assert _errors(rows) == []
    hamakaze, yamabiko = (row.data for row in rows)
    assert hamakaze["country"] == "JP"  # written 日本
    assert hamakaze["name_ja"] == "浜風精密㈱"  # an NEC extension, not in plain Shift_JIS
    assert hamakaze["narrative"].startswith("浜松市で航空宇宙向けのチタン合金の精密切削加工")
    # 表 ends in the byte 0x5C, a backslash in ASCII.
    assert hamakaze["narrative"].endswith("表面処理まで社内で一貫対応が可能です。")
    assert "narrative_ja" not in hamakaze
    assert hamakaze["keywords"] == ["精密切削", "非破壊検査", "チタン合金"]
    assert hamakaze["contacts"][0]["name"] == "鈴木 一郎"
    assert yamabiko["narrative"].startswith("Hydrophone arrays")
    assert yamabiko["narrative_ja"] == (
        "港湾警備向けの水中音響センサと①小型ハイドロフォンアレイを開発しています。"
    )
    assert yamabiko["keywords"] == ["hydrophone", "水中音響"]


def test_company_utf8_files_with_japanese_with_and_without_bom() -> None:
    text = (
        "role,name,narrative,narrative_ja,keywords\r\n"
        "jp_partner,Hamakaze Seimitsu K.K.,浜松市で精密切削加工を行っています。,,精密切削; 検査\r\n"
    )
    for data in (text.encode("utf-8"), codecs.BOM_UTF8 + text.encode("utf-8")):
        (row,) = read_companies(io.BytesIO(data))
        assert row.errors == []
        assert row.data["narrative"] == "浜松市で精密切削加工を行っています。"
        assert row.data["keywords"] == ["精密切削", "検査"]


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("浜風精密株式会社、チタン合金の精密切削\r\n", "cp932"),
        ("東京都千代田区,株式会社\r\n", "cp932"),  # kanji only, no kana
        ("ｶﾌﾞｼｷｶﾞｲｼｬ ハマカゼ\r\n", "cp932"),  # half-width katakana beside full-width
        ("The company’s DoD’s work—naïve résumé café\r\n", "cp1252"),
        ("The Army’s and the Navy’s programs\r\n", "cp1252"),  # each ’s would be one kanji
        ("“Hello” from Müller in Zürich ® © ½\r\n", "cp1252"),
        ("Ø 2 m autoclave, ±0.1 mm, 120 °C, ¥ prices\r\n", "cp1252"),
    ],
)
def test_decode_stream_tells_cp932_from_windows_1252(text: str, encoding: str) -> None:
    assert decode_stream(io.BytesIO(text.encode(encoding))).read() == text


def test_company_bad_rows() -> None:
    rows = _read("companies_bad_rows.csv", read_companies)
    assert [row.line for row in rows] == [2, 3, 4, 5, 6, 7, 8]
    assert _errors(rows) == [(5, "role"), (6, "name"), (8, "corporate_number")]
    # check digits and UEI rules are the service's job; the values pass through unchanged
    assert rows[1].data["corporate_number"] == "1011001098766"
    assert rows[2].data["uei"] == "0X3KLMN7PQR2"
    assert "spreadsheet" in rows[6].errors[0].reason


def test_company_json_lines_and_array() -> None:
    lines = _read("companies.jsonl", read_companies)
    assert _errors(lines) == []
    template = {
        row.data["name"]: row.data for row in _read("companies_template.csv", read_companies)
    }
    for row in lines:
        expected = template[row.data["name"]]
        for key in ("role", "country", "keywords", "technology_areas", "naics", "uei", "cage"):
            assert row.data.get(key) == expected.get(key)
    records = [json.loads(line) for line in (FIXTURES / "companies.jsonl").read_text().splitlines()]
    array = list(read_companies(io.BytesIO(json.dumps(records).encode())))
    assert [row.data for row in array] == [row.data for row in lines]


def test_company_contacts_out_of_step_are_an_error() -> None:
    data = "role,name,contact_name,contact_email\nus_performer,Acme,A; B,a@x.example\n"
    (row,) = read_companies(io.BytesIO(data.encode()))
    assert _errors([row]) == [(2, "contacts")]


# -- streaming ------------------------------------------------------------------------------


def _bench_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_import_files", ROOT / "bench" / "make_import_files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _peak_while_parsing(path: Path) -> tuple[int, int]:
    """Parse a file, keeping nothing; return (rows, tracemalloc peak in bytes)."""
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            count = sum(1 for row in read_solicitations(handle) if not row.errors)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_parsing_streams_in_bounded_memory(tmp_path: Path) -> None:
    make = _bench_module()
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    make.write_sam_csv(small, rows=2_000)
    size = make.write_sam_csv(large, rows=20_000)
    assert size > 30_000_000  # about 2 kB a row
    small_rows, small_peak = _peak_while_parsing(small)
    large_rows, large_peak = _peak_while_parsing(large)
    assert (small_rows, large_rows) == (2_000, 20_000)
    # The peak is the 1 MiB encoding prefix, the 64 KiB read buffers and one row; it must not
    # grow with the file: ten times the rows may cost at most 1 MiB more (allocator noise),
    # and the whole parse stays under 8 MiB while the file is over 30 MB.
    assert large_peak < small_peak + (1 << 20)
    assert large_peak < 8 << 20


# -- robustness -----------------------------------------------------------------------------

_SAM_KEYS = [
    "noticeId", "title", "solicitationNumber", "fullParentPathName", "department", "subTier",
    "office", "postedDate", "type", "baseType", "typeOfSetAsideDescription", "responseDeadLine",
    "naicsCode", "naicsCodes", "classificationCode", "active", "award", "description",
    "placeOfPerformance", "uiLink", "additionalInfoLink",
]  # fmt: skip
_COMPANY_KEYS = [
    "role", "country", "name", "name_ja", "website", "narrative", "keywords", "technology_areas",
    "naics", "uei", "cage", "corporate_number", "certifications", "consortia", "contacts",
    "contact_name", "contact_email", "external_id",
]  # fmt: skip
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.dictionaries(st.sampled_from(_SAM_KEYS), _JSON_VALUES), min_size=1, max_size=4),
    st.lists(st.dictionaries(st.sampled_from(_COMPANY_KEYS), _JSON_VALUES), min_size=1, max_size=4),
)
def test_json_records_of_any_shape_never_crash_a_reader(
    solicitations: list[dict[str, Any]], companies: list[dict[str, Any]]
) -> None:
    for reader, records in ((read_solicitations, solicitations), (read_companies, companies)):
        rows = list(reader(io.BytesIO(json.dumps(records).encode())))
        assert [row.line for row in rows] == list(range(1, len(records) + 1))
        for row in rows:
            assert all(isinstance(error, RowError) for error in row.errors)


def test_an_oversized_cell_is_a_row_error_and_reading_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit = csv.field_size_limit()
    monkeypatch.setattr("app.imports.parsing.MAX_FIELD_CHARS", 1_000)
    csv.field_size_limit(1_000)
    try:
        data = f'NoticeId,Title,Description\nn1,One,"{"x" * 2_000}"\nn2,Two,short\n'.encode()
        rows = list(read_solicitations(io.BytesIO(data)))
    finally:
        csv.field_size_limit(limit)
    assert rows[0].line == 2 and rows[0].errors[0].field == "row"
    assert "field larger than field limit" in rows[0].errors[0].reason
    assert rows[-1].data["notice_id"] == "n2" and rows[-1].errors == []

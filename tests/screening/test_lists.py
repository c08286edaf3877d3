"""Reading screening list files: the CSL as published, METI's list in the documented layout,
and every kind of bad file refused with its line before anything is stored."""

from pathlib import Path

import pytest

from app.screening.lists import ListFileError, parse
from app.screening.models import ScreeningList

FIXTURES = Path(__file__).parents[1] / "fixtures" / "screening"


def read(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_csl_as_published_gives_names_aliases_addresses_and_countries() -> None:
    parsed = parse(read("csl_excerpt.csv"))
    assert parsed.list_name is ScreeningList.CSL
    assert len(parsed.entries) == 3
    shenyang = parsed.entries[1]
    assert shenyang.entry_key == "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"
    assert shenyang.names == [
        "Shenyang Orient Navigation Instruments Co., Ltd.",
        "Orient Navigation",
        "Shenyang Dongfang Daohang Yiqi",
    ]
    assert len(shenyang.addresses) == 2
    assert shenyang.countries == ["CN", "HK"]
    assert shenyang.source.startswith("Entity List (EL)")
    volga = parsed.entries[2]
    assert volga.programs == ["RUSSIA-EO14024"]
    assert volga.countries == ["RU"]
    assert volga.remarks == "(Linked To: KAZAN OPTICAL PLANT)"


def test_meti_layout_maps_country_names_to_codes() -> None:
    parsed = parse(read("meti_eul.csv"))
    assert parsed.list_name is ScreeningList.METI_EUL
    first = parsed.entries[0]
    assert first.names == [
        "Hikari Nuclear Trading Company",
        "Hikari Trading",
        "Hikari Genshiryoku Boeki",
    ]
    assert first.countries == ["IR"]
    assert first.programs == ["Chemical, Nuclear"]
    assert first.entry_key == "ir:hikari nuclear trading company"
    assert [e.countries for e in parsed.entries] == [["IR"], ["KP"], ["PK"]]


def test_windows_1252_and_a_byte_order_mark_are_read() -> None:
    parsed = parse(read("meti_eul_cp1252.csv"))
    assert parsed.entries[0].names == ["Société Générale d’Optique – Téhéran", "SGO Téhéran"]
    with_bom = parse(b"\xef\xbb\xbf" + read("meti_eul.csv"))
    assert [e.entry_key for e in with_bom.entries] == [
        e.entry_key for e in parse(read("meti_eul.csv")).entries
    ]


def test_entry_hash_follows_content_only() -> None:
    first, second = parse(read("csl_excerpt.csv")), parse(read("csl_next_edition.csv"))
    hashes = {e.entry_key: e.entry_hash for e in first.entries}
    again = {e.entry_key: e.entry_hash for e in second.entries}
    kawasemi, shenyang = "9f3c1e2a7b4d4c6e8a1f0b2c3d4e5f60", "1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"
    assert hashes[kawasemi] == again[kawasemi]
    assert hashes[shenyang] != again[shenyang]


def test_a_file_that_is_no_screening_list_is_refused() -> None:
    with pytest.raises(ListFileError, match="not a screening list"):
        parse(b"notice_id,title,agency\nW1,Radar,Army\n")


def test_missing_columns_are_named() -> None:
    text = read("csl_excerpt.csv").decode().replace(",alt_names,", ",aliases_x,", 1)
    with pytest.raises(ListFileError, match="missing columns: alt_names"):
        parse(text.encode(), list_name=ScreeningList.CSL)
    with pytest.raises(ListFileError, match="missing columns: aliases, type_of_concern"):
        parse(b"no,company_name,country\n1,Acme,IR\n", list_name=ScreeningList.METI_EUL)


def test_a_malformed_row_names_its_line() -> None:
    short = read("meti_eul.csv") + b"4,Only Two Fields\n"
    with pytest.raises(ListFileError, match="line 5: expected 5 fields, found 2"):
        parse(short)
    unclosed = b'no,company_name,aliases,country,type_of_concern\n1,Acme,,IR,x\n2,"Open quote,,IR,x'
    with pytest.raises(ListFileError, match="line 3"):
        parse(unclosed)
    nameless = b"no,company_name,aliases,country,type_of_concern\n1,Acme,,IR,x\n2,,,IR,x\n"
    with pytest.raises(ListFileError, match="line 3: company_name is empty"):
        parse(nameless)


def test_duplicate_csl_ids_name_both_lines() -> None:
    lines = read("csl_excerpt.csv").decode().splitlines()
    with pytest.raises(ListFileError, match=r"line 5: _id .* is already on line 2"):
        parse("\n".join([*lines, lines[1]]).encode())


def test_undecodable_and_empty_files_are_refused() -> None:
    with pytest.raises(ListFileError, match="not UTF-8 or windows-1252"):
        parse(b"no,company_name\n\x81\x8d\x8f\n")
    with pytest.raises(ListFileError, match="empty"):
        parse(b"")
    with pytest.raises(ListFileError, match="no entries"):
        parse(b"no,company_name,aliases,country,type_of_concern\n")

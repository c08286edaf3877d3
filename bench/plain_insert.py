"""The floor for an import: a SAM.gov CSV read with the importer's decoding and inserted into
the solicitations table with a bare Core executemany, 500 rows a transaction, no checks.

    python bench/plain_insert.py FILE.csv --org SLUG   (KAKEHASHI_DATABASE_URL names the database)

No HTML to text, no validation, no natural-key lookups, audit rows or duplicate flags: only
what any loader must do (decode, split the CSV, convert the dates the column types insist on,
send the rows). bench_imports.py runs it beside the real import of the same file.
"""

import argparse
import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from app.db import get_sessionmaker
from app.imports.parsing import decode_stream
from app.organizations.models import Organization
from app.solicitations.models import Solicitation

CHUNK = 500


def _day(cell: str) -> date | None:
    try:
        return date.fromisoformat(cell[:10])
    except ValueError:
        return None


def plain_rows(path: Path, organization_id: int) -> Iterator[dict[str, Any]]:
    """Yield one dict of column values per CSV row, cells taken as they are."""
    now = datetime.now(UTC)
    with path.open("rb") as stream:
        reader = csv.DictReader(decode_stream(stream))
        for cells in reader:
            place = ", ".join(p for p in (cells["PopCity"], cells["PopState"]) if p)
            yield {
                "source": "sam.gov",
                "notice_id": cells["NoticeId"],
                "solicitation_number": cells["Sol#"] or None,
                "title": cells["Title"],
                "agency": cells["Department/Ind.Agency"] or None,
                "sub_tier": cells["Sub-Tier"] or None,
                "office": cells["Office"] or None,
                "notice_type": cells["Type"] or None,
                "description": cells["Description"],
                "naics": [cells["NaicsCode"]] if cells["NaicsCode"] else [],
                "classification_code": cells["ClassificationCode"] or None,
                "posted_date": _day(cells["PostedDate"]),
                "status": "open",
                "export_control": "none",
                "foreign_participation": "allowed",
                "awardee": cells["Awardee"] or None,
                "place_of_performance": place or None,
                "link": cells["Link"] or None,
                "locked_fields": [],
                "suggested_areas": [],
                "flags": [],
                "created_by_id": organization_id,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }


def main() -> int:
    """Insert the file's rows, 500 a transaction; print how many."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--org", required=True)
    args = parser.parse_args()
    session = get_sessionmaker()()
    organization_id = session.scalar(select(Organization.id).where(Organization.slug == args.org))
    assert organization_id is not None, f"no organization {args.org}"
    session.commit()
    rows = plain_rows(args.path, organization_id)
    statement = insert(Solicitation.__table__)
    total = 0
    while chunk := list(islice(rows, CHUNK)):
        session.connection().execute(statement, chunk)
        session.commit()
        total += len(chunk)
    session.close()
    print(f"{total} rows inserted")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

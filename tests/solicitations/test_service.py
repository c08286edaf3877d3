"""The bulk insert imports use writes the same records as creating them one at a time."""

from typing import Any

import pytest
from sqlalchemy import Table, select

from app.areas import service as areas_service
from app.db import session_scope
from app.solicitations import service
from app.solicitations.models import Solicitation
from app.solicitations.schemas import SolicitationImport
from tests.conftest import Keys
from tests.factories import PLATFORM_ANALYST, solicitation_payload

PRINCIPAL = PLATFORM_ANALYST
# Set by the database or the clock, or the key itself: the only columns allowed to differ.
OWN = {"id", "notice_id", "created_at", "updated_at"}


def _columns(record: Solicitation) -> dict[str, Any]:
    table: Table = Solicitation.__table__  # type: ignore[assignment]
    return {c.key: getattr(record, c.key) for c in table.columns if c.key not in OWN}


@pytest.mark.parametrize(
    "overrides",
    [
        {},  # areas, a deadline with its offset, an amount
        {"response_deadline": "2027-01-15", "technology_areas": []},  # a date alone
        {"response_deadline": "2026-10-30T09:00:00+09:00"},  # before posted: flagged
        {"response_deadline": None, "posted_date": None, "estimated_value": None},
    ],
)
def test_insert_new_stores_what_create_stores(keys: Keys, overrides: dict[str, Any]) -> None:
    payload = solicitation_payload(**overrides)
    with session_scope() as session:
        one = service.create(
            session,
            principal=PRINCIPAL,
            data=SolicitationImport.model_validate({**payload, "notice_id": "ONE"}),
            embed=False,
            audited=False,
        )
        known = areas_service.ids_by_slug(session)
        bulk = SolicitationImport.model_validate({**payload, "notice_id": "BULK"})
        area_ids = areas_service.resolve_ids(
            known, slugs=bulk.technology_areas, field="technology_areas"
        )
        [bulk_id] = service.insert_new(session, principal=PRINCIPAL, items=[(bulk, area_ids)])
        one_id = one.id
    with session_scope() as session:
        stored = {
            s.id: s
            for s in session.scalars(select(Solicitation).execution_options(populate_existing=True))
        }
        assert _columns(stored[bulk_id]) == _columns(stored[one_id])
        assert stored[bulk_id].area_slugs == stored[one_id].area_slugs
        read = service.to_read(stored[bulk_id]).model_dump(exclude=OWN)
        assert read == service.to_read(stored[one_id]).model_dump(exclude=OWN)


def test_insert_new_returns_ids_in_the_order_given(keys: Keys) -> None:
    items = [
        (SolicitationImport.model_validate(solicitation_payload(notice_id=f"N{i}")), [])
        for i in (3, 1, 2)
    ]
    with session_scope() as session:
        ids = service.insert_new(session, principal=PRINCIPAL, items=items)
        notice_ids = [session.get(Solicitation, id_).notice_id for id_ in ids]  # type: ignore[union-attr]
    assert notice_ids == ["N3", "N1", "N2"]

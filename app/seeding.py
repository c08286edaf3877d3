"""Loading the bundled demo data (seed_data/) through the same services the API uses."""

import hashlib
import io
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import seeding_history as history
from app.authorizations import service as authorizations
from app.authorizations.schemas import ExportAuthorizationCreate
from app.companies import service as companies
from app.companies.models import Company
from app.companies.schemas import CompanyCreate
from app.imports import service as imports
from app.organizations import service as organizations
from app.organizations.models import Organization, Side
from app.organizations.service import Principal
from app.reports import recipients as report_recipients
from app.reports.api_schemas import RecipientCreate
from app.screening import service as screening
from app.screening.models import ScreeningList, ScreeningSnapshot
from app.solicitations import service as solicitations
from app.solicitations.schemas import SolicitationCreate
from app.vetting import service as vetting
from app.vetting.schemas import VettingDecisionCreate

SEED_SOURCE = "seed"
# Date fields of SAM.gov opportunities API records, shifted like the demo records' dates.
SAM_API_DATES = ("postedDate", "responseDeadLine", "archiveDate")


def _shift(value: str | None, delta: timedelta) -> Any:
    if value is None:
        return None
    if "T" in value:
        return (datetime.fromisoformat(value) + delta).isoformat()
    return (date.fromisoformat(value) + delta).isoformat()


def _read(directory: Path, name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((directory / name).read_text(encoding="utf-8"))
    return data


def load(session: Session, *, directory: Path, today: date | None = None) -> dict[str, int]:
    """Create what is missing from the demo files; running it twice creates nothing new."""
    # The files are written as of the manifest's reference date; dates move with the calendar
    # so the demo always has open solicitations and live vetting.
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    reference = date.fromisoformat(manifest["reference_date"])
    delta = (today or datetime.now(UTC).date()) - reference
    counts = {
        "organizations": 0,
        "companies": 0,
        "vetting_decisions": 0,
        "solicitations": 0,
        "export_authorizations": 0,
        "report_recipients": 0,
    }
    orgs: dict[str, Organization] = {}
    for row in _read(directory, "organizations.json"):
        org = session.scalar(select(Organization).where(Organization.slug == row["slug"]))
        if org is None:
            org = organizations.create_organization(
                session,
                slug=row["slug"],
                name=row["name"],
                side=Side(row["side"]),
                is_platform=row.get("is_platform", False),
                contact_email=row.get("contact_email"),
            )
            org.report_send_time = row.get("report_send_time", org.report_send_time)
            org.report_time_zone = row.get("report_time_zone", org.report_time_zone)
            counts["organizations"] += 1
        orgs[org.slug] = org
    principals = {slug: organizations.operator_principal(org) for slug, org in orgs.items()}
    for row in _read(directory, "organizations.json"):
        counts["report_recipients"] += _add_report_recipients(
            session, principal=principals[row["slug"]], rows=row.get("report_recipients", [])
        )

    company_ids: dict[str, int] = {}
    for row in _read(directory, "companies.json"):
        existing = session.scalar(
            select(Company).where(
                Company.external_source == SEED_SOURCE, Company.external_id == row["key"]
            )
        )
        if existing is not None:
            company_ids[row["key"]] = existing.id
            continue
        fields = {k: v for k, v in row.items() if k not in {"key", "created_by", "vetting"}}
        company = companies.create(
            session,
            principal=principals[row["created_by"]],
            data=CompanyCreate.model_validate(fields),
            source=SEED_SOURCE,
            external_id=row["key"],
        )
        company_ids[row["key"]] = company.id
        counts["companies"] += 1
        for decision in row.get("vetting", []):
            vetting.decide(
                session,
                principal=principals[decision["decided_by"]],
                company_id=company.id,
                data=VettingDecisionCreate(
                    status=decision["status"],
                    decided_at=_shift(decision["decided_at"], delta),
                    expires_at=_shift(decision.get("expires_at"), delta),
                    evidence=decision.get("evidence", ""),
                ),
            )
            counts["vetting_decisions"] += 1

    solicitation_ids: dict[str, int] = {}
    for row in _read(directory, "solicitations.json"):
        existing_sol = solicitations.find_by_notice(
            session, source=row["source"], notice_id=row["notice_id"]
        )
        if existing_sol is not None:
            solicitation_ids[row["key"]] = existing_sol.id
            continue
        fields = {k: v for k, v in row.items() if k not in {"key", "created_by"}}
        fields["posted_date"] = _shift(fields.get("posted_date"), delta)
        fields["response_deadline"] = _shift(fields.get("response_deadline"), delta)
        solicitation = solicitations.create(
            session,
            principal=principals[row["created_by"]],
            data=SolicitationCreate.model_validate(fields),
        )
        solicitation_ids[row["key"]] = solicitation.id
        counts["solicitations"] += 1

    auth_path = directory / "export_authorizations.json"
    if auth_path.exists() and counts["companies"]:
        for row in _read(directory, "export_authorizations.json"):
            authorizations.create(
                session,
                principal=principals[row["created_by"]],
                data=ExportAuthorizationCreate(
                    company_id=company_ids[row["company"]],
                    solicitation_id=solicitation_ids[row["solicitation"]]
                    if row.get("solicitation")
                    else None,
                    technology_area=row.get("technology_area"),
                    authority=row["authority"],
                    reference=row["reference"],
                    scope=row.get("scope", ""),
                    valid_from=_shift(row["valid_from"], delta),
                    valid_until=_shift(row.get("valid_until"), delta),
                    notes=row.get("notes", ""),
                ),
            )
            counts["export_authorizations"] += 1

    counts["likely_duplicates"] = 0
    for spec in manifest.get("imports", []):
        counts["likely_duplicates"] += _import_once(
            session, directory=directory, spec=spec, delta=delta, principal=principals[spec["org"]]
        )
    # The history is recorded now, through the gates as they stand today, then dated back: a
    # demo seeded as of another day gets none.
    if manifest.get("history") and delta == datetime.now(UTC).date() - reference:
        rows = json.loads((directory / manifest["history"]).read_text(encoding="utf-8"))
        counts.update(
            history.load(
                session,
                rows=rows,
                principals=principals,
                company_ids=company_ids,
                solicitation_ids=solicitation_ids,
            )
        )
        counts["insight_snapshots"] = history.load_insight_trend(
            session,
            spec=rows["insight_trend"],
            organization_ids=[org.id for org in orgs.values()],
            now=datetime.now(UTC),
        )
    # Lists last: the demo's history was recorded before anyone was held.
    counts["screening_hits"] = 0
    for spec in manifest.get("screening", []):
        counts["screening_hits"] += _load_list_once(
            session, directory=directory, spec=spec, principal=principals[spec["org"]]
        )
    counts["insight_snapshots_this_week"] = _snapshot_when_embedded(session, orgs.values())
    return counts


def _snapshot_when_embedded(session: Session, orgs: Iterable[Organization]) -> int:
    """This week's capability-gap snapshot of every organization, once every record has its
    vector (run the seed again after `kakehashi embed`, or `kakehashi insights snapshot`):
    before, every partner would count as missing. Rows written."""
    from app.insights import snapshots
    from app.matches import sync
    from app.matches.index import get_ranker

    ranker = get_ranker()
    for entity in ("company", "solicitation"):
        records, _versions, _last, vectors, *_ = sync.signature(
            session, entity=entity, model_id=ranker.model_id
        )
        if vectors < records:
            return 0
    session.flush()
    return sum(len(snapshots.take(session, ranker=ranker, organization_id=org.id)) for org in orgs)


def _add_report_recipients(
    session: Session, *, principal: Principal, rows: list[dict[str, Any]]
) -> int:
    """Add the organization's report recipients whose address it does not list yet."""
    added = 0
    for row in rows:
        data = RecipientCreate.model_validate(row)
        known = report_recipients.find_by_email(
            session, organization_id=principal.organization_id, email=data.email
        )
        if known is None:
            report_recipients.create(session, principal=principal, data=data)
            added += 1
    return added


def _load_list_once(
    session: Session, *, directory: Path, spec: dict[str, Any], principal: Principal
) -> int:
    """Load a demo screening list unless this very file is loaded already; returns the
    potential hits it raised (the demo holds one partner)."""
    data = (directory / spec["file"]).read_bytes()
    list_name = ScreeningList(spec["list"])
    loaded = session.scalar(
        select(ScreeningSnapshot.id).where(
            ScreeningSnapshot.list_name == list_name,
            ScreeningSnapshot.sha256 == hashlib.sha256(data).hexdigest(),
        )
    )
    if loaded is not None:
        return 0
    result = screening.load_snapshot(
        session,
        list_name=list_name,
        filename=Path(spec["file"]).name,
        data=data,
        principal=principal,
    )
    return result.hits_raised


def _import_once(
    session: Session,
    *,
    directory: Path,
    spec: dict[str, Any],
    delta: timedelta,
    principal: Principal,
) -> int:
    """Import a SAM.gov API JSON-lines file through the import service, unless its first
    notice is already there; returns the likely duplicates it flagged.

    The demo's review queue is filled the way real ones are: the file re-posts a demo
    solicitation under another notice id, and the import flags it.
    """
    lines = (directory / spec["file"]).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    first = solicitations.find_by_notice(
        session, source=spec["source"], notice_id=records[0]["noticeId"]
    )
    if first is not None:
        return 0
    for record in records:
        for field in SAM_API_DATES:
            record[field] = _shift(record.get(field), delta)
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    # The import service commits as it goes, like every import (the demo records with it).
    summary = imports.import_file(
        session,
        kind=spec["kind"],
        principal=principal,
        stream=io.BytesIO(data.encode("utf-8")),
        source=spec["source"],
        filename=spec["file"],
    )
    if summary.rejected:
        raise ValueError(f"{spec['file']}: {summary.errors[0].field}: {summary.errors[0].reason}")
    return len(summary.duplicates)

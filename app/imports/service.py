"""Importing solicitations and company profiles from files: idempotent upserts by natural
key, per-row errors, likely duplicates flagged, commits in chunks so an interrupted import can
simply be run again."""

import re
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import PurePath
from typing import Any, BinaryIO, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ValidationError
from rapidfuzz import fuzz, process
from sqlalchemy import Select, Table, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tqdm import tqdm

from app.areas import service as areas_service
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.companies import service as companies
from app.companies.models import Company
from app.companies.schemas import CompanyCreate
from app.config import get_settings
from app.db import refresh_statistics, utcnow
from app.errors import AppError, Conflict, NotFound
from app.follows import events
from app.imports import parsing
from app.imports.models import DuplicateFlag, FlagResolution, ImportRun, ImportStatus
from app.imports.schemas import DuplicateFlagRead, ImportSummary, RowErrorRead, RowWarningRead
from app.jobs import service as jobs
from app.organizations.models import Role
from app.organizations.service import Principal
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, deadline_before_posted
from app.solicitations.schemas import SolicitationCreate, SolicitationImport

Kind = Literal["solicitations", "companies"]
# (validated row, external id) -> the key that makes two rows of one file the same record
KeyOf = Callable[[Any, str | None], str]
# (validated row, fields the file gave, external id) -> "created" | "updated" | "unchanged",
# or QUEUED: a new record written with the rest of its chunk, and counted then.
Upsert = Callable[[Any, set[str], str | None], str]
QUEUED = "queued"
# validated row -> (field, reason) of each warning about a row that is imported all the same
WarningsOf = Callable[[Any], list[tuple[str, str]]]
CHUNK = 500
DEFAULT_SOURCE = {"solicitations": "sam.gov", "companies": "upload"}
# A source name: notice ids and external ids are unique per source.
SOURCE_PATTERN = r"[A-Za-z0-9._-]{1,64}"
ERRORS_STORED = 1000
NAME_SIMILARITY = 92
LEGAL_SUFFIXES = re.compile(
    r"\b(co|ltd|inc|llc|corp|corporation|company|kk|kabushiki kaisha|gk|limited|plc)\b\.?"
)
NOT_NAME_CHARS = re.compile(r"[^0-9a-z ]+")


class RowRejected(Exception):
    """A row that cannot be imported, with the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _chunks(rows: Iterable[parsing.ParsedRow], size: int) -> Iterator[list[parsing.ParsedRow]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "row"
        # Pydantic prefixes a validator's own message with "Value error, "; a row report
        # reads better without it.
        raise RowRejected(field, error["msg"].removeprefix("Value error, ")) from exc


def _table(model: type[Any]) -> Table:
    """A model's table, for plain Core inserts (no unit of work per row)."""
    table: Table = model.__table__
    return table


def _normalise_name(name: str) -> str:
    text = NOT_NAME_CHARS.sub(" ", name.lower())
    return " ".join(LEGAL_SUFFIXES.sub(" ", text).split())


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


@dataclass
class _NewSolicitation:
    """A valid row for a notice id not yet stored, inserted with the rest of its chunk."""

    line: int
    payload: SolicitationImport
    area_ids: list[int]


class _Importer:
    """State of one import run."""

    def __init__(
        self,
        session: Session,
        *,
        principal: Principal,
        kind: Kind,
        source: str | None,
        filename: str | None,
        dry_run: bool,
        run: ImportRun | None = None,
        position: Callable[[], int] | None = None,
    ) -> None:
        self.session = session
        self.position = position
        self.principal = principal
        self.summary = ImportSummary(
            run_id=None, kind=kind, source=source, filename=filename, dry_run=dry_run
        )
        self.run: ImportRun | None = run
        self.seen: dict[str, int] = {}
        self._names: dict[str, int] | None = None
        self._hosts: dict[str, int] | None = None
        self._titles: dict[str, int] | None = None
        self._area_ids: dict[str, int] | None = None
        # Records created when the planner's statistics were last refreshed (PostgreSQL).
        self._analyzed_at = 0
        # The line of the row being handled: audit rows are written in file order.
        self.line = 0
        # Written in bulk at the end of each chunk.
        self.audit_rows: list[tuple[int, dict[str, Any]]] = []
        self.flag_rows: list[dict[str, Any]] = []
        self.new_solicitations: list[_NewSolicitation] = []
        self.known: dict[str, Solicitation] = {}
        # Rows, errors and warnings an earlier attempt of this run saved (see _resume).
        self.skip = 0
        self.errors_before = 0
        self.warnings_before = 0
        # Files name areas by slug or by label ("Additive Manufacturing", "5G & comms").
        self.area_aliases = {
            parsing.slugify(alias): area.slug
            for area in areas_service.get_all(session)
            for alias in (area.slug, area.label_en)
        }
        if run is not None:
            # A queued upload: this run records the outcome, dry run or not.
            if run.counts.get("rows") or run.interruptions or run.status is not ImportStatus.QUEUED:
                self._resume(run)
            else:
                run.started_at = utcnow()
            run.status = ImportStatus.RUNNING
            run.failure = None
            session.commit()
            self.summary.run_id = run.id
        elif not dry_run:
            self.run = ImportRun(
                organization_id=principal.organization_id,
                actor=principal.actor,
                kind=kind,
                source=source,
                filename=filename,
            )
            session.add(self.run)
            session.commit()
            self.summary.run_id = self.run.id

    def _resume(self, run: ImportRun) -> None:
        """Go on from where an earlier attempt of this run stopped: what it committed (rows,
        counts, errors, warnings, flags) was committed together with its counts, so those rows
        are skipped and the counts carried on; each row is counted once over all attempts."""
        done = int(run.counts.get("rows", 0))
        lease = jobs.current()
        if run.interruptions and run.interruptions[-1].get("resumed_at") is None:
            stopped = dict(run.interruptions[-1])  # recorded when the run was queued again
        else:
            if run.status is ImportStatus.RUNNING:
                reason = "the worker stopped (killed, or its machine went away)"
                if lease is not None and lease.took_over:
                    reason = lease.took_over
            else:
                reason = run.failure or "the import stopped"
            stopped = {"attempt": len(run.interruptions) + 1, "rows": done, "reason": reason}
        stopped["resumed_at"] = utcnow().isoformat()
        previous = [i for i in run.interruptions if i.get("resumed_at") is not None]
        run.interruptions = [*previous, stopped]
        if self.summary.dry_run or not done:
            # A dry run kept nothing, so it starts again from the top.
            run.counts = {}
            run.errors = []
            run.warnings = []
            return
        self.skip = done
        for name in ("rows", "created", "updated", "unchanged", "rejected"):
            setattr(self.summary, name, int(run.counts.get(name, 0)))
        self.summary.errors = [RowErrorRead.model_validate(e) for e in run.errors]
        self.summary.warnings = [RowWarningRead.model_validate(w) for w in run.warnings]
        self.errors_before = int(run.counts.get("errors", 0)) - len(run.errors)
        self.warnings_before = int(run.counts.get("warnings", 0)) - len(run.warnings)
        flags = self.session.scalars(
            select(DuplicateFlag).where(DuplicateFlag.import_run_id == run.id)
        )
        self.summary.duplicates = [DuplicateFlagRead.model_validate(f) for f in flags]

    def audit(self, action: str, entity_type: str, entity_id: int, changes: dict[str, Any]) -> None:
        """Queue an audit event; they are written in bulk with each chunk."""
        event = audit.event_row(
            principal=self.principal,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes={**changes, "import_run": self.summary.run_id},
        )
        self.audit_rows.append((self.line, event))

    def _flush_audit(self) -> None:
        if self.audit_rows:
            # New records are written at the end of their chunk, after the chunk's updates.
            self.audit_rows.sort(key=lambda queued: queued[0])
            self.session.execute(
                insert(_table(AuditEvent)), [event for _line, event in self.audit_rows]
            )
            self.audit_rows = []

    def prefetch_solicitations(self, chunk: list[parsing.ParsedRow]) -> None:
        """Load the chunk's existing solicitations in one query."""
        source = self.summary.source or ""
        notice_ids = [str(r.data["notice_id"]) for r in chunk if r.data.get("notice_id")]
        found = self.session.scalars(
            select(Solicitation).where(
                Solicitation.source == source, Solicitation.notice_id.in_(notice_ids)
            )
        )
        self.known = {s.notice_id: s for s in found}

    def reject(self, line: int, field: str, reason: str) -> None:
        self.summary.rejected += 1
        self.summary.errors.append(RowErrorRead(line=line, field=field, reason=reason))

    def _reject_app_error(self, line: int, exc: AppError) -> None:
        self.reject(line, getattr(exc, "field", "row"), getattr(exc, "reason", exc.message))

    def warn(self, line: int, field: str, reason: str) -> None:
        self.summary.warnings.append(RowWarningRead(line=line, field=field, reason=reason))

    def flag(
        self, entity_type: str, entity_id: int, other_id: int, reason: str, score: float
    ) -> None:
        """Queue a likely duplicate for review; they are written in bulk with each chunk."""
        self.flag_rows.append(
            {
                "entity_type": entity_type,
                "entity_id": entity_id,
                "other_id": other_id,
                "reason": reason,
                "score": score,
                "import_run_id": self.run.id if self.run else None,
                "created_at": utcnow(),
            }
        )

    def _flush_flags(self) -> None:
        if not self.flag_rows:
            return
        ids: list[int | None] = [None] * len(self.flag_rows)
        if self.run is not None and not self.summary.dry_run:
            # The ids let a client resolve a flag straight from the import's response. Read
            # back after a plain executemany, which both drivers send fastest (see insert_new).
            table = _table(DuplicateFlag)
            self.session.execute(insert(table), self.flag_rows)
            found = self.session.execute(
                select(table.c.entity_type, table.c.entity_id, table.c.other_id, table.c.id)
                .where(
                    table.c.import_run_id == self.run.id,
                    table.c.entity_id.in_({row["entity_id"] for row in self.flag_rows}),
                )
                .order_by(table.c.id)
            )
            by_pair: dict[tuple[str, int, int], list[int]] = {}
            for entity_type, entity_id, other_id, id_ in found:
                by_pair.setdefault((entity_type, entity_id, other_id), []).append(id_)
            ids = [
                by_pair[(row["entity_type"], row["entity_id"], row["other_id"])].pop(0)
                for row in self.flag_rows
            ]
        self.summary.duplicates.extend(
            DuplicateFlagRead(
                id=id_,
                entity_type=row["entity_type"],
                entity_id=row["entity_id"],
                other_id=row["other_id"],
                reason=row["reason"],
                score=row["score"],
            )
            for id_, row in zip(ids, self.flag_rows, strict=True)
        )
        self.flag_rows = []

    def process(
        self,
        rows: Iterable[parsing.ParsedRow],
        key_of: KeyOf,
        validate: type[BaseModel],
        upsert: Upsert,
        total: int | None,
        progress: bool,
        prefetch: Callable[[list[parsing.ParsedRow]], None] | None = None,
        warnings_of: WarningsOf | None = None,
        write_queued: Callable[[], None] | None = None,
    ) -> ImportSummary:
        bar = tqdm(
            total=total, unit="row", desc=f"importing {self.summary.kind}", disable=not progress
        )
        rows = iter(rows)
        saved = self._saved()
        try:
            if self.skip:
                # Rows an earlier attempt saved: only remember their keys, so a later row that
                # repeats one is still reported as a duplicate in this file.
                for row in islice(rows, self.skip):
                    self._remember(row, key_of, validate)
                bar.update(self.skip)
            for chunk in _chunks(rows, CHUNK):
                if prefetch is not None:
                    prefetch(chunk)
                for row in chunk:
                    self.summary.rows += 1
                    self._one(row, key_of, validate, upsert, warnings_of)
                if write_queued is not None:
                    write_queued()
                self._flush_audit()
                self._flush_flags()
                self._in_line_order(saved)
                if self.summary.dry_run:
                    # Nothing of a dry run is kept. Ending its transaction with each chunk keeps
                    # SQLite's write lock short; rows repeated across chunks are caught by
                    # `seen`, so the counts come out the same.
                    self.session.rollback()
                self._checkpoint()
                self.session.commit()
                saved = self._saved()
                bar.update(len(chunk))
        except jobs.LeaseLost:
            # Another worker has taken this run over; it records the outcome.
            self.session.rollback()
            raise
        except BaseException as exc:
            self.session.rollback()
            self._restore(saved)  # the counts of what was committed, and nothing more
            stopped = f"stopped after {self.summary.rows:,} rows ({type(exc).__name__}); "
            if self.run is not None:
                # Read by the attempt that goes on (a retry, or "run again").
                self.run.interruptions = [
                    *self.run.interruptions,
                    {
                        "attempt": len(self.run.interruptions) + 1,
                        "rows": self.summary.rows,
                        "reason": f"{type(exc).__name__}: {exc}"[:300].rstrip(": "),
                    },
                ]
            self._finish(
                ImportStatus.FAILED,
                failure=stopped
                + (
                    "nothing was saved"
                    if self.summary.dry_run
                    else "the rows before the last 500 are saved; importing the same file "
                    "again finishes the rest"
                ),
            )
            raise
        finally:
            bar.close()
        if not self.summary.dry_run and (self.summary.created or self.summary.updated):
            # One job embeds (and classifies) everything new or changed, in batches.
            jobs.enqueue(self.session, kind="embed_all", payload={}, dedupe_key="embed_all")
        self._finish(ImportStatus.FINISHED)
        return self.summary

    def _saved(self) -> tuple[int, ...]:
        """The summary as of the last commit: counts and list lengths."""
        s = self.summary
        return (
            s.rows,
            s.created,
            s.updated,
            s.unchanged,
            s.rejected,
            len(s.errors),
            len(s.warnings),
            len(s.duplicates),
        )

    def _restore(self, saved: tuple[int, ...]) -> None:
        """Forget what the summary learnt after the last commit (it was rolled back)."""
        s = self.summary
        s.rows, s.created, s.updated, s.unchanged, s.rejected = saved[:5]
        del s.errors[saved[5] :], s.warnings[saved[6] :], s.duplicates[saved[7] :]
        self.audit_rows = []
        self.flag_rows = []
        self.new_solicitations = []

    def _in_line_order(self, saved: tuple[int, ...]) -> None:
        """Sort the chunk's errors and warnings by line: new records are written, and their
        warnings (or a clash with another writer) reported, after the chunk's other rows."""
        s = self.summary
        s.errors[saved[5] :] = sorted(s.errors[saved[5] :], key=lambda e: e.line)
        s.warnings[saved[6] :] = sorted(s.warnings[saved[6] :], key=lambda w: w.line)

    def _data(self, row: parsing.ParsedRow) -> tuple[dict[str, Any], str | None]:
        data = dict(row.data)
        external = data.pop("external_id", None)
        external_id = str(external) if external else None
        if "technology_areas" in data:
            data["technology_areas"] = [
                self.area_aliases.get(parsing.slugify(v), v) for v in data["technology_areas"]
            ]
        return data, external_id

    def _remember(self, row: parsing.ParsedRow, key_of: KeyOf, validate: type[BaseModel]) -> None:
        """Note the key of a row an earlier attempt handled, as _one did."""
        if row.errors:
            return
        data, external_id = self._data(row)
        try:
            key = key_of(_validate(validate, data), external_id)
        except RowRejected:
            return
        self.seen.setdefault(key, row.line)

    def _one(
        self,
        row: parsing.ParsedRow,
        key_of: KeyOf,
        validate: type[BaseModel],
        upsert: Upsert,
        warnings_of: WarningsOf | None = None,
    ) -> None:
        if row.errors:
            self.summary.rejected += 1
            self.summary.errors.extend(
                RowErrorRead(line=e.line, field=e.field, reason=e.reason) for e in row.errors
            )
            return
        self.line = row.line
        data, external_id = self._data(row)
        try:
            payload = _validate(validate, data)
            key = key_of(payload, external_id)
            if key in self.seen:
                raise RowRejected(
                    "row", f"duplicate of line {self.seen[key]} in this file; skipped"
                )
            self.seen[key] = row.line
            outcome = upsert(payload, set(data), external_id)
        except RowRejected as exc:
            self.reject(row.line, exc.field, exc.reason)
            return
        except AppError as exc:
            self._reject_app_error(row.line, exc)
            return
        if outcome == QUEUED:
            return
        setattr(self.summary, outcome, getattr(self.summary, outcome) + 1)
        for field, reason in warnings_of(payload) if warnings_of is not None else []:
            self.warn(row.line, field, reason)

    def _checkpoint(self) -> None:
        if self.run is None:
            return
        self.run.counts = {
            **self.summary.model_dump(
                include={"rows", "created", "updated", "unchanged", "rejected"}
            ),
            "duplicates": len(self.summary.duplicates),
            "errors": self.errors_before + len(self.summary.errors),
            "warnings": self.warnings_before + len(self.summary.warnings),
        }
        if self.position is not None:
            self.run.bytes_done = self.position()
        jobs.heartbeat(self.session)
        # Rewritten only when the stored head changed: once it is full, later chunks only add
        # to the counts (and a chunk reorders only its own rows, all past the stored head).
        errors = self.summary.errors[:ERRORS_STORED]
        if len(errors) != len(self.run.errors):
            self.run.errors = [e.model_dump() for e in errors]
        warnings = self.summary.warnings[:ERRORS_STORED]
        if len(warnings) != len(self.run.warnings):
            self.run.warnings = [w.model_dump() for w in warnings]

    def _finish(self, status: ImportStatus, failure: str | None = None) -> None:
        if self.run is None:
            return
        self._checkpoint()
        self.run.status = status
        self.run.failure = failure
        self.run.upload_path = None if status is ImportStatus.FINISHED else self.run.upload_path
        self.run.finished_at = utcnow()
        self.session.commit()

    # -- solicitations ---------------------------------------------------------------------

    def upsert_solicitation(
        self, payload: SolicitationImport, present: set[str], _external_id: str | None
    ) -> str:
        existing = self.known.get(payload.notice_id)
        if existing is None:
            if self._area_ids is None:
                self._area_ids = areas_service.ids_by_slug(self.session)
            area_ids = areas_service.resolve_ids(
                self._area_ids, slugs=payload.technology_areas, field="technology_areas"
            )
            self.new_solicitations.append(_NewSolicitation(self.line, payload, area_ids))
            return QUEUED
        if existing.archived_at is not None:
            raise Conflict(f"solicitation {existing.id} with this notice id is archived")
        self.principal.require_owner(existing.created_by_id, "solicitation")
        fixed = {"source", "notice_id", *existing.locked_fields}
        changes = {
            k: getattr(payload, k)
            for k in present
            if k in SolicitationCreate.model_fields and k not in fixed
        }
        was_open = events.is_open(existing, now=utcnow())
        with self.session.begin_nested():
            changed = solicitations.apply_changes(
                self.session, solicitation=existing, changes=changes, embed=False
            )
        if not changed:
            return "unchanged"
        self.audit("import.update", "solicitation", existing.id, changed)
        events.record(
            self.session,
            solicitation=existing,
            changed=changed,
            was_open=was_open,
            source=f"import:{self.summary.run_id}",
        )
        return "updated"

    def write_new_solicitations(self) -> None:
        """Insert the chunk's new solicitations together, then audit and flag them in order."""
        new, self.new_solicitations = self.new_solicitations, []
        if not new:
            return
        if self._titles is None:
            # Read before the chunk is inserted, so its rows only count from their own line.
            rows = self.session.execute(
                select(Solicitation.id, Solicitation.title, Solicitation.agency)
            )
            self._titles = {f"{_normalise_name(t)}|{a or ''}": i for i, t, a in rows}
        try:
            with self.session.begin_nested():
                ids = solicitations.insert_new(
                    self.session,
                    principal=self.principal,
                    items=[(n.payload, n.area_ids) for n in new],
                )
        except IntegrityError:
            # Another writer stored one of these notice ids since the chunk looked them up:
            # one row at a time, so only the rows that clash are rejected.
            for one in new:
                self._create_solicitation(one)
            return
        for one, id_ in zip(new, ids, strict=True):
            self._created_solicitation(one, id_)
        grown = self.summary.created >= max(CHUNK, 2 * self._analyzed_at)
        if grown and not self.summary.dry_run:
            # Each chunk looks its notice ids up by (source, notice_id); a table growing this
            # fast is otherwise planned as nearly empty, which turns each lookup into a scan of
            # everything imported so far. Refreshed as the table doubles: a few times a run.
            # (A dry run's rows go with each chunk, so its table does not grow.)
            refresh_statistics(self.session, _table(Solicitation), ["source", "notice_id"])
            self._analyzed_at = self.summary.created

    def _create_solicitation(self, new: _NewSolicitation) -> None:
        self.line = new.line
        try:
            with self.session.begin_nested():
                created = solicitations.create(
                    self.session,
                    principal=self.principal,
                    data=new.payload,
                    embed=False,
                    audited=False,
                )
        except AppError as exc:
            self._reject_app_error(new.line, exc)
            return
        self._created_solicitation(new, created.id)

    def _created_solicitation(self, new: _NewSolicitation, id_: int) -> None:
        self.line = new.line
        payload = new.payload
        self.summary.created += 1
        self.audit(
            "import.create",
            "solicitation",
            id_,
            {"notice_id": payload.notice_id, "title": payload.title},
        )
        self._flag_similar_solicitation(id_, payload.title, payload.agency)
        for field, reason in self.solicitation_warnings(payload):
            self.warn(new.line, field, reason)

    @staticmethod
    def solicitation_warnings(payload: SolicitationImport) -> list[tuple[str, str]]:
        """What is worth a look in a solicitation imported as its source gives it."""
        if deadline_before_posted(payload.posted_date, payload.response_deadline):
            return [
                (
                    "response_deadline",
                    f"is before posted_date {payload.posted_date}; kept as the source gives "
                    "it (an amended notice?) and the record is flagged deadline_before_posted",
                )
            ]
        return []

    def _flag_similar_solicitation(self, id_: int, title: str, agency: str | None) -> None:
        assert self._titles is not None  # read by write_new_solicitations
        key = f"{_normalise_name(title)}|{agency or ''}"
        # Compared by key, not id: a dry run rolls back each chunk, so ids come round again.
        other = self._titles.get(key)
        if other is not None:
            self.flag(
                "solicitation", id_, other, "same title and agency under another notice id", 100.0
            )
        self._titles.setdefault(key, id_)

    # -- companies -------------------------------------------------------------------------

    def find_company(self, payload: CompanyCreate, external_id: str | None) -> Company | None:
        for field in ("corporate_number", "uei", "cage"):
            value = getattr(payload, field)
            if value:
                found = self.session.scalar(select(Company).where(getattr(Company, field) == value))
                if found is not None:
                    return found
        if external_id and self.summary.source:
            return self.session.scalar(
                select(Company).where(
                    Company.external_source == self.summary.source,
                    Company.external_id == external_id,
                )
            )
        return None

    def upsert_company(
        self, payload: CompanyCreate, present: set[str], external_id: str | None
    ) -> str:
        with self.session.begin_nested():
            return self._upsert_company(payload, present, external_id)

    def _upsert_company(
        self, payload: CompanyCreate, present: set[str], external_id: str | None
    ) -> str:
        existing = self.find_company(payload, external_id)
        if existing is None:
            created = companies.create(
                self.session,
                principal=self.principal,
                data=payload,
                source=self.summary.source,
                external_id=external_id,
                embed=False,
                audited=False,
            )
            self.audit("import.create", "company", created.id, {"name": created.name})
            self._flag_similar_company(created)
            return "created"
        if existing.archived_at is not None:
            raise Conflict(f"company {existing.id} with this identifier is archived")
        self.principal.require_owner(existing.created_by_id, "company")
        changes = {
            k: getattr(payload, k)
            for k in present
            if k in CompanyCreate.model_fields and k not in existing.locked_fields
        }
        changed = companies.apply_changes(
            self.session, company=existing, changes=changes, embed=False
        )
        if not changed:
            return "unchanged"
        self.audit("import.update", "company", existing.id, changed)
        return "updated"

    def _flag_similar_company(self, created: Company) -> None:
        if self._names is None or self._hosts is None:
            rows = list(self.session.execute(select(Company.id, Company.name, Company.website)))
            self._names = {_normalise_name(n): i for i, n, _w in rows if i != created.id}
            self._hosts = {h: i for i, _n, w in rows if (h := _host(w)) and i != created.id}
        host = _host(created.website)
        if host and host in self._hosts:
            self.flag("company", created.id, self._hosts[host], f"same website host {host}", 100.0)
        else:
            best = process.extractOne(
                _normalise_name(created.name),
                list(self._names),
                scorer=fuzz.token_sort_ratio,
                score_cutoff=NAME_SIMILARITY,
            )
            if best is not None:
                self.flag(
                    "company",
                    created.id,
                    self._names[best[0]],
                    f"similar name ({best[0]})",
                    float(best[1]),
                )
        self._names[_normalise_name(created.name)] = created.id
        if host:
            self._hosts[host] = created.id


def read_rows(
    kind: Kind, stream: BinaryIO, *, source: str, filename: str | None
) -> Iterator[parsing.ParsedRow]:
    """The rows of a file of this kind. The first row is read at once, so a file that is not
    a readable table raises ImportFormatError before anything is written."""
    if kind == "solicitations":
        rows = parsing.read_solicitations(stream, source=source, filename=filename)
    else:
        rows = parsing.read_companies(stream, filename=filename)
    first = next(rows, None)
    return _prepend([first] if first is not None else [], rows)


def _company_key(payload: CompanyCreate, external_id: str | None) -> str:
    return (
        payload.corporate_number
        or payload.uei
        or payload.cage
        or external_id
        or _normalise_name(payload.name)
    )


def import_file(
    session: Session,
    *,
    kind: Kind,
    principal: Principal,
    stream: BinaryIO,
    source: str,
    filename: str | None = None,
    dry_run: bool = False,
    total: int | None = None,
    progress: bool = False,
    run: ImportRun | None = None,
    position: Callable[[], int] | None = None,
) -> ImportSummary:
    """Import solicitations (a SAM.gov CSV extract or API JSON) or company profiles (the CSV
    template or JSON lines). Raises ImportFormatError before writing anything when the file is
    not a readable table. `run` is a queued upload's record, which then holds the outcome;
    `position` tells how many bytes were read, for progress."""
    rows = read_rows(kind, stream, source=source, filename=filename)
    importer = _Importer(
        session,
        principal=principal,
        kind=kind,
        source=source,
        filename=filename,
        dry_run=dry_run,
        run=run,
        position=position,
    )
    if kind == "solicitations":
        return importer.process(
            rows,
            key_of=lambda p, _external_id: f"{p.source}|{p.notice_id}",
            validate=SolicitationImport,
            upsert=importer.upsert_solicitation,
            total=total,
            progress=progress,
            prefetch=importer.prefetch_solicitations,
            warnings_of=importer.solicitation_warnings,
            write_queued=importer.write_new_solicitations,
        )
    return importer.process(
        rows,
        key_of=_company_key,
        validate=CompanyCreate,
        upsert=importer.upsert_company,
        total=total,
        progress=progress,
    )


def _prepend(
    head: list[parsing.ParsedRow], rest: Iterator[parsing.ParsedRow]
) -> Iterator[parsing.ParsedRow]:
    yield from head
    yield from rest


def queue_upload(
    session: Session,
    *,
    principal: Principal,
    kind: Kind,
    stream: BinaryIO,
    filename: str | None,
    source: str,
    dry_run: bool = False,
) -> ImportRun:
    """Save an uploaded file for the import job and queue it, in the caller's transaction.

    The file's head is read first, so a file that is not a table of this kind raises
    ImportFormatError at once and nothing is kept.
    """
    directory = get_settings().upload_dir
    directory.mkdir(parents=True, exist_ok=True)
    path = (directory / f"{uuid.uuid4().hex}.upload").resolve()
    with path.open("wb") as out:
        shutil.copyfileobj(stream, out, length=1 << 20)
    try:
        with path.open("rb") as saved:
            read_rows(kind, saved, source=source, filename=filename)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    run = ImportRun(
        organization_id=principal.organization_id,
        actor=principal.actor,
        kind=kind,
        source=source,
        filename=PurePath(filename or "upload").name[:300],
        dry_run=dry_run,
        status=ImportStatus.QUEUED,
        upload_path=str(path),
        bytes_total=path.stat().st_size,
        bytes_done=0,
    )
    session.add(run)
    session.flush()
    queue_run(session, run=run, principal=principal)
    return run


def queue_run(session: Session, *, run: ImportRun, principal: Principal) -> None:
    """Hand a run whose file is kept to the job worker (again, after a failure: it goes on
    from the rows the failed attempt saved)."""
    pending = run.interruptions and run.interruptions[-1].get("resumed_at") is None
    if run.status is ImportStatus.FAILED and not pending:
        rows = int(run.counts.get("rows", 0))
        reason = run.failure or "the import failed"
        attempt = len(run.interruptions) + 1
        run.interruptions = [
            *run.interruptions,
            {"attempt": attempt, "rows": rows, "reason": reason},
        ]
    run.status = ImportStatus.QUEUED
    run.failure = None
    # One job per run: "run again" while the failed job waits to retry runs that job, now.
    job = jobs.enqueue(
        session,
        kind="import",
        payload={"run_id": run.id, "role": principal.role.value},
        dedupe_key=f"import:{run.id}",
    )
    job.run_after = min(job.run_after, utcnow())


def runs(
    session: Session, *, principal: Principal, limit: int, offset: int
) -> tuple[list[ImportRun], int]:
    """The organization's import runs, newest first."""
    query = select(ImportRun).where(ImportRun.organization_id == principal.organization_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(ImportRun.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def get_run(session: Session, *, principal: Principal, run_id: int) -> ImportRun:
    """One of the organization's runs; another organization's is not found."""
    run = session.get(ImportRun, run_id)
    if run is None or run.organization_id != principal.organization_id:
        raise NotFound(f"no import with id {run_id}")
    return run


def _visible_flags(principal: Principal) -> Select[Any]:
    """Flags raised by the principal's organization's imports."""
    return (
        select(DuplicateFlag)
        .join(ImportRun, ImportRun.id == DuplicateFlag.import_run_id)
        .where(ImportRun.organization_id == principal.organization_id)
    )


def open_flags(
    session: Session, *, principal: Principal, limit: int, offset: int
) -> tuple[list[DuplicateFlag], int]:
    """The organization's unresolved duplicate flags, newest first."""
    query = _visible_flags(principal).where(DuplicateFlag.resolved_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(DuplicateFlag.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def resolve_flag(
    session: Session, *, principal: Principal, flag_id: int, resolution: FlagResolution
) -> DuplicateFlag:
    """Settle a likely duplicate: keep both records, or archive the one the import created.
    Another organization's flag is not found; a settled one cannot be settled again."""
    principal.require(Role.ANALYST)
    flag: DuplicateFlag | None = session.scalar(
        _visible_flags(principal).where(DuplicateFlag.id == flag_id)
    )
    if flag is None:
        raise NotFound(f"no duplicate flag with id {flag_id}")
    if flag.resolution is not None:
        raise Conflict(f"duplicate flag {flag_id} was already settled: {flag.resolution.value}")
    if resolution is FlagResolution.ARCHIVED_IMPORTED:
        if flag.entity_type == "company":
            company = session.get(Company, flag.entity_id)
            if company is not None and company.archived_at is None:
                companies.archive(session, principal=principal, company_id=company.id)
        else:
            solicitation = session.get(Solicitation, flag.entity_id)
            if solicitation is not None and solicitation.archived_at is None:
                solicitations.archive(session, principal=principal, solicitation_id=solicitation.id)
    flag.resolution = resolution
    flag.resolved_at = utcnow()
    flag.resolved_by = principal.actor
    session.flush()
    audit.record(
        session,
        principal=principal,
        action="duplicate.resolve",
        entity_type=flag.entity_type,
        entity_id=flag.entity_id,
        changes={"other_id": flag.other_id, "resolution": resolution.value},
    )
    return flag

"""Change events of solicitations, recorded by whatever writes them (an edit, an import, an
archive, the deadline sweep). Kept apart from the follow service so the solicitation and
import services can record events without importing it (it reads solicitations)."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import utcnow
from app.follows.models import ChangeKind, SolicitationChange
from app.solicitations.models import Solicitation, SolicitationStatus

# Fields whose change is its own kind of event; every other changed field is an amendment.
DEADLINE = "response_deadline"
STATUS = "status"


def is_open(solicitation: Solicitation, *, now: datetime) -> bool:
    """Whether readers see the solicitation open: live, stored open, deadline not passed."""
    deadline = solicitation.response_deadline
    return (
        solicitation.archived_at is None
        and solicitation.status is SolicitationStatus.OPEN
        and (deadline is None or deadline >= now)
    )


def _status(open_: bool, stored: Any) -> str:
    value = getattr(stored, "value", stored)
    return "open" if open_ else ("closed" if value == "open" else str(value))


def record(
    session: Session,
    *,
    solicitation: Solicitation,
    changed: dict[str, Any],
    was_open: bool,
    source: str,
    now: datetime | None = None,
) -> list[SolicitationChange]:
    """The events of one write: `closed` / `reopened` when it moved the solicitation out of or
    into `open` (as readers see it: an extended deadline reopens), `deadline_moved` when the
    deadline changed, `amended` for the other fields. `changed` is the audit diff."""
    now = now or utcnow()
    open_now = is_open(solicitation, now=now)
    events: list[SolicitationChange] = []

    def add(kind: ChangeKind, changes: dict[str, Any]) -> None:
        events.append(
            SolicitationChange(
                solicitation_id=solicitation.id,
                kind=kind,
                changes=changes,
                source=source[:100],
                occurred_at=now,
            )
        )

    if was_open != open_now:
        stored = changed.get(STATUS, {}).get("before", solicitation.status)
        before = _status(was_open, stored)
        add(
            ChangeKind.REOPENED if open_now else ChangeKind.CLOSED,
            {STATUS: {"before": before, "after": _status(open_now, solicitation.status)}},
        )
    if DEADLINE in changed:
        add(ChangeKind.DEADLINE_MOVED, {DEADLINE: changed[DEADLINE]})
    amended = {
        field: diff
        for field, diff in changed.items()
        if field != DEADLINE and not (field == STATUS and was_open != open_now)
    }
    if amended:
        add(ChangeKind.AMENDED, amended)
    # Written with the session's next flush (an import's next row, the route's commit).
    session.add_all(events)
    return events


def record_archive(
    session: Session, *, solicitation: Solicitation, was_open: bool, source: str
) -> SolicitationChange:
    """An archived solicitation is closed for its followers, whatever its status was."""
    event = SolicitationChange(
        solicitation_id=solicitation.id,
        kind=ChangeKind.CLOSED,
        changes={
            "archived": {"before": False, "after": True},
            STATUS: {"before": _status(was_open, solicitation.status), "after": "archived"},
        },
        source=source[:100],
        occurred_at=utcnow(),
    )
    session.add(event)
    session.flush()
    return event

"""What one reader's nightly report holds: built from the records, nothing written."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.organizations.models import Organization, Side
from app.reports.models import DEFAULT_MAX_MATCHES, ReportRecipient
from app.reports.schemas import Report


@dataclass(frozen=True)
class Audience:
    """Who a report is for and what they want in it: a recipient, or an organization's
    default reader (for previews)."""

    organization_id: int
    recipient_id: int | None
    email: str
    locale: str
    technology_areas: tuple[str, ...] = ()
    min_fit: float | None = None
    max_matches: int = DEFAULT_MAX_MATCHES

    @classmethod
    def of(cls, recipient: ReportRecipient) -> "Audience":
        """A recipient's own preferences."""
        return cls(
            organization_id=recipient.organization_id,
            recipient_id=recipient.id,
            email=recipient.email,
            locale=recipient.locale,
            technology_areas=tuple(recipient.technology_areas),
            min_fit=recipient.min_fit,
            max_matches=recipient.max_matches,
        )

    @classmethod
    def organization_default(cls, org: Organization) -> "Audience":
        """Every area, the organization's minimum fit, the default list length, and the
        language of its side."""
        return cls(
            organization_id=org.id,
            recipient_id=None,
            email=org.contact_email or "",
            locale="ja" if org.side is Side.JP else "en",
        )


class ReportCache:
    """What several reports of one night share (the ranked matches of a solicitation for an
    organization), so 250 readers over the same solicitations rank each once."""


def build_report(
    session: Session,
    *,
    audience: Audience,
    report_date: date,
    window_start: datetime,
    window_end: datetime,
    cache: ReportCache | None = None,
) -> Report:
    """The report for `audience` covering [window_start, window_end). Reads only."""
    raise NotImplementedError

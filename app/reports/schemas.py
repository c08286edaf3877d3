"""What a nightly report holds, as the preview API returns it and the templates render it."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ReportMatch(BaseModel):
    """One eligible partner for a solicitation in the report."""

    company_id: int
    name: str
    name_ja: str | None = None
    country: str
    score: float
    fit: float
    why: str = Field(description="one line: what the solicitation and the profile share")
    shared_areas: list[str]
    pinned: bool = False


class HeldBackCount(BaseModel):
    """How many partners above the minimum were held back for one reason."""

    code: str
    message: str = Field(description="the reason, e.g. 'needs a METI authorization'")
    count: int


class ReportSolicitation(BaseModel):
    """A new or changed open solicitation, with its top eligible matches."""

    id: int
    notice_id: str
    title: str
    agency: str | None
    kind: Literal["new", "changed"]
    response_deadline: datetime | None
    export_control: str
    foreign_participation: str
    technology_areas: list[str]
    link: str | None
    # A short excerpt; null when withheld (a Japan-side reader of an ITAR, EAR or CUI notice).
    description: str | None
    withheld_reason: str | None = None
    matches: list[ReportMatch]
    # Eligible matches above the minimum beyond the recipient's max_matches.
    more_matches: int = 0
    held_back: list[HeldBackCount] = []


class ReportChange(BaseModel):
    """A change to a solicitation the organization follows."""

    solicitation_id: int
    notice_id: str
    title: str
    kind: str = Field(description="amended, deadline_moved, closed or reopened")
    changes: dict[str, Any]
    occurred_at: datetime


class WaitingRecipient(BaseModel):
    """A partner a distribution went to who has not answered yet."""

    distribution_id: int
    solicitation_id: int
    title: str
    company_id: int
    name: str
    status: Literal["sent", "viewed", "no_response"]
    sent_at: datetime
    days_waiting: int


class UpcomingDeadline(BaseModel):
    """An open solicitation that closes within the next 14 days."""

    solicitation_id: int
    notice_id: str
    title: str
    response_deadline: datetime
    days_left: int
    followed: bool


class PartnerVetting(BaseModel):
    """A partner vetted in the window, or whose vetting expires within 30 days."""

    company_id: int
    name: str
    name_ja: str | None = None
    country: str
    kind: Literal["newly_vetted", "expiring"]
    decided_at: datetime | None
    expires_at: datetime | None


class ScreeningAlert(BaseModel):
    """A potential restricted-party hit raised in the window: the partner is held back from
    matches, distributions and reports until someone reviews it."""

    hit_id: int
    company_id: int
    name: str
    name_ja: str | None = None
    country: str
    list_name: str = Field(description="csl (US Consolidated Screening List) or meti_eul")
    entry_name: str
    score: float
    status: str = Field(description="the hit's status now: open, cleared or confirmed")


class GapArea(BaseModel):
    """A technology area's coverage in the organization's latest weekly snapshot."""

    area: str
    label: str
    open_solicitations: int
    uncovered_share: float | None
    authorization_locked_share: float | None


class ReportGaps(BaseModel):
    """Capability gaps from the organization's latest weekly snapshot: the least covered
    areas and those an export authorization would unlock, with the page that has the rest."""

    week_start: date
    least_covered: list[GapArea]
    authorization_locked: list[GapArea]
    url: str


class Report(BaseModel):
    """One recipient's report for one report date."""

    organization_id: int
    organization: str
    side: str
    # The organization's IANA zone: dates are shown in it.
    time_zone: str = "UTC"
    # None for an organization's default reader (a preview).
    recipient_id: int | None
    recipient_email: str
    locale: str
    report_date: date
    window_start: datetime
    window_end: datetime
    solicitations: list[ReportSolicitation]
    changes: list[ReportChange]
    waiting: list[WaitingRecipient]
    deadlines: list[UpcomingDeadline]
    partners: list[PartnerVetting]
    screening: list[ScreeningAlert] = []
    # Not news on its own: shown beside news, never the reason a mail is sent.
    gaps: ReportGaps | None = None

    @property
    def nothing_new(self) -> bool:
        """Whether there is nothing to tell the reader."""
        return not (
            self.solicitations
            or self.changes
            or self.waiting
            or self.deadlines
            or self.partners
            or self.screening
        )

    def summary(self) -> dict[str, int]:
        """Counts of what the report holds, kept with the sent message."""
        return {
            "solicitations": len(self.solicitations),
            "matches": sum(len(s.matches) for s in self.solicitations),
            "changes": len(self.changes),
            "waiting": len(self.waiting),
            "deadlines": len(self.deadlines),
            "partners": len(self.partners),
            "screening": len(self.screening),
        }

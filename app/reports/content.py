"""What one reader's nightly report holds: built from the records, nothing written.

New and changed solicitations, followed changes and newly vetted partners are selected by a
timestamp inside [window_start, window_end), so consecutive reports of a reader chain with
nothing skipped or repeated; waiting answers, deadlines and expiring vettings are the state at
window_end. Matches come from the same ranker, gates and reviews as the match lists
(`app.matches.service`); a `ReportCache` shares them between the readers of a night."""

import html
import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.admin.i18n import N_
from app.areas.models import TechnologyArea
from app.companies.models import Company, CompanyRole
from app.config import get_settings
from app.distributions.models import Distribution, DistributionRecipient, RecipientStatus
from app.distributions.service import CONTROLLED
from app.follows import service as follows
from app.follows.models import SolicitationChange, SolicitationFollow
from app.insights import snapshots
from app.learning import service as learning
from app.matches import service as matches
from app.matches import thresholds
from app.matches.index import RankerState, get_ranker
from app.matches.schemas import CompanyMatch, ExplanationRead
from app.organizations.models import Organization, Side
from app.reports.models import DEFAULT_MAX_MATCHES, ReportRecipient
from app.reports.schemas import (
    GapArea,
    HeldBackCount,
    PartnerVetting,
    Report,
    ReportChange,
    ReportGaps,
    ReportMatch,
    ReportSolicitation,
    ScreeningAlert,
    UpcomingDeadline,
    WaitingRecipient,
)
from app.reviews import service as reviews
from app.screening import service as screening
from app.solicitations import service as solicitations
from app.solicitations.models import Solicitation, SolicitationStatus
from app.vetting.models import VettingDecision, VettingStatus

# What a report looks ahead to.
DEADLINE_HORIZON = timedelta(days=14)
VETTING_HORIZON = timedelta(days=30)
# A description is shown as a short excerpt: readers follow the link for the rest.
EXCERPT_CHARS = 300
WHY_QUOTE_CHARS = 110
WHY_TERMS = 3
WAITING_STATUSES = (RecipientStatus.SENT, RecipientStatus.VIEWED, RecipientStatus.NO_RESPONSE)
# The partners of a solicitation are Japanese: the reports list those, whichever side reads.
PARTNER_ROLE = CompanyRole.JP_PARTNER

# Why partners were held back, as a reader says it (the eligibility rules' own messages name
# references and dates, too much for a count). Translated where the report is rendered.
HELD_BACK_MESSAGES = {
    "authorization_required": N_("need an export authorization"),
    "authorization_expired": N_("export authorization expired"),
    "authorization_revoked": N_("export authorization revoked"),
    "authorization_not_yet_valid": N_("export authorization not yet valid"),
    "foreign_participation_prohibited": N_("foreign participation prohibited"),
    "not_vetted": N_("not vetted yet"),
    "vetting_pending": N_("vetting still pending"),
    "vetting_rejected": N_("vetting rejected"),
    "vetting_suspended": N_("vetting suspended"),
    "vetting_expired": N_("vetting expired"),
}


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


@dataclass(frozen=True)
class _Ranked:
    """A solicitation's matches for one organization and minimum, ranked for `limit`."""

    limit: int
    items: list[CompanyMatch]
    eligible_reaching: int
    held_back: list[matches.HeldBackCount]

    def pinned(self) -> list[CompanyMatch]:
        """The pinned matches: listed first, whatever the length asked for."""
        return [item for item in self.items if item.review and item.review.pinned]

    def cut(self, limit: int) -> "_Ranked":
        """The same ranking for a shorter list: the pinned ones, then the head of the rest."""
        pinned = self.pinned()
        rest = [item for item in self.items if not (item.review and item.review.pinned)]
        items = pinned + rest[: max(limit - len(pinned), 0)]
        return _Ranked(limit, items, self.eligible_reaching, self.held_back)


@dataclass
class ReportCache:
    """What several reports of one night share (the ranked matches of a solicitation for an
    organization, or for every organization that reviewed none of its pairs), so 250 readers
    over the same solicitations rank each about once.

    Use one per run (a night's reports), never across nights: rankings change with the data.
    `ranker` defaults to the process-wide one."""

    ranker: RankerState | None = None
    # The longest list ranked, by (organization, or None when it reviewed none of the
    # pairs), solicitation and minimum fit: shorter ones are its head.
    _ranked: dict[tuple[int | None, int, float], _Ranked] = field(default_factory=dict)
    # The adopted learned ranking (None: the default fusion), looked up once.
    _learned: learning.ActiveModel | None = None
    _learned_known: bool = False
    _areas: dict[str, tuple[str, str]] | None = None
    # Rankings computed, and served again from the cache (the bench prints them).
    rankings: int = 0
    hits: int = 0

    def ranker_state(self) -> RankerState:
        """The ranker in use."""
        if self.ranker is None:
            self.ranker = get_ranker()
        return self.ranker

    def area_labels(self, session: Session) -> dict[str, tuple[str, str]]:
        """(English, Japanese) label of each technology area, by slug."""
        if self._areas is None:
            rows = session.execute(
                select(TechnologyArea.slug, TechnologyArea.label_en, TechnologyArea.label_ja)
            )
            self._areas = {slug: (en, ja) for slug, en, ja in rows}
        return self._areas

    def ranked(
        self,
        session: Session,
        *,
        organization_id: int,
        solicitation_id: int,
        min_fit: float,
        limit: int,
    ) -> _Ranked:
        """The organization's top `limit` eligible matches reaching `min_fit` (pinned first,
        hidden left out), and the counts of every partner reaching it. Organizations that
        reviewed none of the solicitation's pairs share one ranking: theirs are the same."""
        reviewed = reviews.for_solicitation(
            session, organization_id=organization_id, solicitation_id=solicitation_id
        )
        owner = organization_id if reviewed else None
        key = (owner, solicitation_id, min_fit)
        found = self._ranked.get(key)
        if found is not None and (found.limit == limit or self._is_head(session, found, limit)):
            self.hits += 1
            return found if found.limit == limit else found.cut(limit)
        self.rankings += 1
        listed = matches.match_solicitation(
            session,
            ranker=self.ranker_state(),
            solicitation_id=solicitation_id,
            role=PARTNER_ROLE,
            limit=limit,
            include_held_back=False,
            organization_id=owner,
            min_fit=min_fit,
        )
        counts = (
            matches.reach_counts(
                session,
                ranker=self.ranker_state(),
                solicitation_id=solicitation_id,
                role=PARTNER_ROLE,
                organization_id=owner,
                min_fit=min_fit,
            )
            if found is None
            else matches.ReachCounts(found.eligible_reaching, found.held_back)
        )
        ranked = _Ranked(limit, listed.items, counts.eligible, counts.held_back)
        if found is None or limit > found.limit:
            self._ranked[key] = ranked
        return ranked

    def _is_head(self, session: Session, found: _Ranked, limit: int) -> bool:
        """Whether a shorter list is the head of a ranking made for a longer one: always
        under the default fusion; under a learned model only when the longer list was
        re-ordered from the model's whole candidate pool (a shorter one would be too)."""
        if limit > found.limit:
            return False
        if not self._learned_known:
            self._learned = learning.active_model(session, model_id=self.ranker_state().model_id)
            self._learned_known = True
        room = found.limit - len(found.pinned())
        return self._learned is None or room <= learning.pool_size(self._learned, 0)


# -- text -------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """Plain text of a field that may hold markup: tags dropped, entities read, one space
    between words."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", text))).strip()


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary, with an ellipsis when cut."""
    text = clean_text(text)
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def why_line(explanation: ExplanationRead, area_names: list[str]) -> str:
    """One readable line on what a solicitation and a profile share: the terms both use and
    the profile's sentence closest to the need (else the shared areas)."""
    parts = []
    if explanation.shared_terms:
        parts.append(", ".join(explanation.shared_terms[:WHY_TERMS]))
    if explanation.passages:
        quote = shorten(explanation.passages[0].capability_sentence.text, WHY_QUOTE_CHARS)
        if quote:
            parts.append(f"“{quote}”")
    if not parts and area_names:
        parts.append(", ".join(area_names))
    return " — ".join(parts)


# -- sections ---------------------------------------------------------------------------


def _label(labels: dict[str, tuple[str, str]], slug: str, locale: str) -> str:
    en, ja = labels.get(slug, (slug, slug))
    return ja if locale == "ja" else en


def _wanted(area_slugs: Iterable[str], audience: Audience) -> bool:
    """Whether a solicitation is in the reader's areas (all when they chose none)."""
    return not audience.technology_areas or bool(set(area_slugs) & set(audience.technology_areas))


def _withheld(solicitation: Solicitation, org: Organization) -> str | None:
    """Why the description is left out for this organization, or None when it is not. The
    distributions' rule: an ITAR, EAR or CUI description never goes to the Japan side."""
    marking = solicitation.export_control
    if org.side is Side.JP and marking in CONTROLLED:
        return (
            f"{marking.value.upper()}-marked: only public fields go to a Japan-side "
            "organization; the description was withheld"
        )
    return None


def _report_match(
    item: CompanyMatch, labels: dict[str, tuple[str, str]], locale: str
) -> ReportMatch:
    areas = [_label(labels, slug, locale) for slug in item.explanation.shared_areas]
    return ReportMatch(
        company_id=item.company.id,
        name=item.company.name,
        name_ja=item.company.name_ja,
        country=item.company.country,
        score=item.score,
        fit=item.fit,
        why=why_line(item.explanation, areas),
        shared_areas=areas,
        pinned=bool(item.review and item.review.pinned),
    )


def _new_and_changed(
    session: Session,
    *,
    org: Organization,
    audience: Audience,
    start: datetime,
    end: datetime,
    cache: ReportCache,
) -> list[ReportSolicitation]:
    """Open solicitations created or changed in the window, in the reader's areas, each with
    its top eligible matches: new ones first, then by deadline."""
    changed_in_window = (
        select(SolicitationChange.solicitation_id)
        .where(SolicitationChange.occurred_at >= start, SolicitationChange.occurred_at < end)
        .scalar_subquery()
    )
    found = session.scalars(
        select(Solicitation).where(
            Solicitation.archived_at.is_(None),
            solicitations.status_condition(SolicitationStatus.OPEN, now=end),
            Solicitation.created_at < end,
            or_(
                Solicitation.created_at >= start,
                (Solicitation.updated_at >= start) & (Solicitation.updated_at < end),
                Solicitation.id.in_(changed_in_window),
            ),
        )
    ).all()
    labels = cache.area_labels(session)
    floor = thresholds.min_fit_for(session, organization_id=org.id, requested=audience.min_fit)
    out = []
    for solicitation in found:
        if not _wanted(solicitation.area_slugs, audience):
            continue
        ranked = cache.ranked(
            session,
            organization_id=org.id,
            solicitation_id=solicitation.id,
            min_fit=floor.value,
            limit=audience.max_matches,
        )
        listed = [_report_match(item, labels, audience.locale) for item in ranked.items]
        shown_reaching = sum(1 for item in ranked.items if not item.pinned_below_min_fit)
        withheld = _withheld(solicitation, org)
        out.append(
            ReportSolicitation(
                id=solicitation.id,
                notice_id=solicitation.notice_id,
                title=solicitation.title,
                agency=solicitation.agency,
                kind="new" if solicitation.created_at >= start else "changed",
                response_deadline=solicitation.response_deadline,
                export_control=solicitation.export_control.value,
                foreign_participation=solicitation.foreign_participation.value,
                technology_areas=[
                    _label(labels, slug, audience.locale) for slug in solicitation.area_slugs
                ],
                link=solicitation.link,
                description=None
                if withheld
                else shorten(solicitation.description or "", EXCERPT_CHARS) or None,
                withheld_reason=withheld,
                matches=listed,
                more_matches=max(ranked.eligible_reaching - shown_reaching, 0),
                held_back=[
                    HeldBackCount(
                        code=h.code,
                        message=HELD_BACK_MESSAGES.get(h.code, h.message),
                        count=h.count,
                    )
                    for h in ranked.held_back
                ],
            )
        )
    far = datetime.max.replace(tzinfo=end.tzinfo)
    out.sort(key=lambda s: (s.kind != "new", s.response_deadline or far, s.id))
    return out


def _controlled_ids(session: Session, ids: Collection[int]) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Solicitation.id).where(
                Solicitation.id.in_(ids), Solicitation.export_control.in_(CONTROLLED)
            )
        )
    )


def _changes(
    session: Session, *, org: Organization, start: datetime, end: datetime
) -> list[ReportChange]:
    """Changes in the window to the solicitations the organization follows, oldest first.
    A Japan-side reader never sees the text of an ITAR, EAR or CUI description in them."""
    found = follows.changes_for_organization(
        session, organization_id=org.id, since=start, until=end
    )
    controlled = (
        _controlled_ids(session, {c.solicitation_id for c in found})
        if org.side is Side.JP
        else set()
    )
    out = []
    for change in reversed(found):
        changes: dict[str, Any] = dict(change.changes)
        marking_change = changes.get("export_control")
        was_controlled = isinstance(marking_change, dict) and any(
            str(v).lower() in {m.value for m in CONTROLLED} for v in marking_change.values()
        )
        secret = change.solicitation_id in controlled or was_controlled
        if org.side is Side.JP and secret and "description" in changes:
            changes["description"] = {"withheld": True}
        out.append(
            ReportChange(
                solicitation_id=change.solicitation_id,
                notice_id=change.notice_id,
                title=change.title,
                kind=change.kind.value,
                changes=changes,
                occurred_at=change.occurred_at,
            )
        )
    return out


def _waiting(session: Session, *, org: Organization, end: datetime) -> list[WaitingRecipient]:
    """The organization's distributions still waiting for an answer, longest waiting first."""
    rows = session.execute(
        select(
            DistributionRecipient.distribution_id,
            DistributionRecipient.solicitation_id,
            Solicitation.title,
            DistributionRecipient.company_id,
            Company.name,
            DistributionRecipient.status,
            Distribution.created_at,
        )
        .join(Distribution, Distribution.id == DistributionRecipient.distribution_id)
        .join(Solicitation, Solicitation.id == DistributionRecipient.solicitation_id)
        .join(Company, Company.id == DistributionRecipient.company_id)
        .where(
            DistributionRecipient.organization_id == org.id,
            DistributionRecipient.status.in_(WAITING_STATUSES),
            Distribution.created_at < end,
        )
        .order_by(Distribution.created_at, DistributionRecipient.id)
    ).all()
    return [
        WaitingRecipient(
            distribution_id=distribution_id,
            solicitation_id=solicitation_id,
            title=title,
            company_id=company_id,
            name=name,
            status=status.value,
            sent_at=sent_at,
            days_waiting=max((end - sent_at).days, 0),
        )
        for distribution_id, solicitation_id, title, company_id, name, status, sent_at in rows
    ]


def _deadlines(
    session: Session, *, org: Organization, audience: Audience, end: datetime
) -> list[UpcomingDeadline]:
    """Open solicitations in the reader's areas closing within DEADLINE_HORIZON, soonest first."""
    found = session.scalars(
        select(Solicitation)
        .where(
            Solicitation.archived_at.is_(None),
            Solicitation.status == SolicitationStatus.OPEN,
            Solicitation.response_deadline >= end,
            Solicitation.response_deadline < end + DEADLINE_HORIZON,
        )
        .order_by(Solicitation.response_deadline, Solicitation.id)
    ).all()
    followed = set(
        session.scalars(
            select(SolicitationFollow.solicitation_id).where(
                SolicitationFollow.organization_id == org.id
            )
        )
    )
    return [
        UpcomingDeadline(
            solicitation_id=s.id,
            notice_id=s.notice_id,
            title=s.title,
            response_deadline=s.response_deadline,
            days_left=math.ceil((s.response_deadline - end) / timedelta(days=1)),
            followed=s.id in followed,
        )
        for s in found
        if s.response_deadline is not None and _wanted(s.area_slugs, audience)
    ]


def _partners(session: Session, *, start: datetime, end: datetime) -> list[PartnerVetting]:
    """Partners vetted in the window (the decision recorded in it, and still vetted), then
    those whose vetting expires within VETTING_HORIZON, soonest first."""
    columns = (Company.id, Company.name, Company.name_ja, Company.country)
    live_vetted = (
        Company.archived_at.is_(None),
        Company.vetting_status == VettingStatus.VETTED.value,
    )
    decisions = session.execute(
        select(*columns, VettingDecision.decided_at, VettingDecision.expires_at)
        .join(VettingDecision, VettingDecision.company_id == Company.id)
        .where(
            *live_vetted,
            VettingDecision.status == VettingStatus.VETTED,
            VettingDecision.recorded_at >= start,
            VettingDecision.recorded_at < end,
        )
        .order_by(VettingDecision.recorded_at, VettingDecision.id)
    ).all()
    expiring = session.execute(
        select(*columns, Company.vetting_decided_at, Company.vetting_expires_at)
        .where(
            *live_vetted,
            Company.vetting_expires_at >= end,
            Company.vetting_expires_at < end + VETTING_HORIZON,
        )
        .order_by(Company.vetting_expires_at, Company.id)
    ).all()

    def item(row: Any, kind: Literal["newly_vetted", "expiring"]) -> PartnerVetting:
        company_id, name, name_ja, country, decided_at, expires_at = row
        return PartnerVetting(
            company_id=company_id,
            name=name,
            name_ja=name_ja,
            country=country,
            kind=kind,
            decided_at=decided_at,
            expires_at=expires_at,
        )

    # A partner vetted twice in the window is listed once, with its last decision.
    newly = {row[0]: item(row, "newly_vetted") for row in decisions}
    return [*newly.values(), *(item(row, "expiring") for row in expiring)]


def _screening(
    session: Session, *, org: Organization, start: datetime, end: datetime
) -> list[ScreeningAlert]:
    """Potential restricted-party hits raised in the window on the companies the organization
    may review: all of them for the platform organization, else its own (as the API shows)."""
    hits = screening.new_hits(session, start, end)
    if not hits:
        return []
    companies = {
        row.id: row
        for row in session.execute(
            select(
                Company.id, Company.name, Company.name_ja, Company.country, Company.created_by_id
            ).where(Company.id.in_({hit.company_id for hit in hits}))
        )
    }
    return [
        ScreeningAlert(
            hit_id=hit.id,
            company_id=hit.company_id,
            name=company.name,
            name_ja=company.name_ja,
            country=company.country,
            list_name=hit.list_name.value,
            entry_name=hit.entry_name,
            score=round(hit.score, 4),
            status=hit.status.value,
        )
        for hit in hits
        if (company := companies.get(hit.company_id)) is not None
        and (org.is_platform or company.created_by_id == org.id)
    ]


# Areas shown in the report's capability-gap section, each list.
GAP_AREAS = 3


def _gaps(
    session: Session, *, org: Organization, audience: Audience, cache: ReportCache
) -> ReportGaps | None:
    """The least covered areas and the authorization-locked ones from the organization's
    latest weekly snapshot (read, not computed: the same for every reader); None before the
    first snapshot."""

    rows = [r for r in snapshots.latest(session, organization_id=org.id) if r.open_solicitations]
    if not rows:
        return None
    labels = cache.area_labels(session)

    def area(row: Any) -> GapArea:
        return GapArea(
            area=row.area_slug,
            label=_label(labels, row.area_slug, audience.locale),
            open_solicitations=row.open_solicitations,
            uncovered_share=row.uncovered_share,
            authorization_locked_share=row.authorization_locked_share,
        )

    uncovered = sorted(
        (r for r in rows if r.uncovered_share),
        key=lambda r: (-(r.uncovered_share or 0), -r.open_solicitations, r.area_slug),
    )
    locked = sorted(
        (r for r in rows if r.authorization_locked_share),
        key=lambda r: (-(r.authorization_locked_share or 0), -r.open_solicitations, r.area_slug),
    )
    return ReportGaps(
        week_start=rows[0].week_start,
        least_covered=[area(r) for r in uncovered[:GAP_AREAS]],
        authorization_locked=[area(r) for r in locked[:GAP_AREAS]],
        url=f"{get_settings().public_url.rstrip('/')}/admin/insights",
    )


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
    if window_start > window_end:
        raise ValueError("the window starts after it ends")
    cache = cache if cache is not None else ReportCache()
    org = session.get_one(Organization, audience.organization_id)
    return Report(
        organization_id=org.id,
        organization=org.name,
        side=org.side.value,
        time_zone=org.report_time_zone,
        recipient_id=audience.recipient_id,
        recipient_email=audience.email,
        locale=audience.locale,
        report_date=report_date,
        window_start=window_start,
        window_end=window_end,
        solicitations=_new_and_changed(
            session, org=org, audience=audience, start=window_start, end=window_end, cache=cache
        ),
        changes=_changes(session, org=org, start=window_start, end=window_end),
        waiting=_waiting(session, org=org, end=window_end),
        deadlines=_deadlines(session, org=org, audience=audience, end=window_end),
        partners=_partners(session, start=window_start, end=window_end),
        screening=_screening(session, org=org, start=window_start, end=window_end),
        gaps=_gaps(session, org=org, audience=audience, cache=cache),
    )

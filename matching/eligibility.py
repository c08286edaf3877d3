"""Eligibility rules: who may receive a solicitation, and why anyone is held back.

Pure functions over plain facts; no ranking. Every applicable reason is collected and the worst
status wins (ineligible > needs_authorization > eligible). Unknown enumeration values fail
closed: they make the partner ineligible rather than raising in the middle of a batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Protocol, TypeVar

__all__ = [
    "AuthorizationFacts",
    "Eligibility",
    "EligibilityStatus",
    "PartnerFacts",
    "Reason",
    "SolicitationFacts",
    "assess",
    "partition",
]

ROLES = frozenset({"us_performer", "jp_partner"})
VETTING = frozenset({"vetted", "pending", "rejected", "suspended", "expired", "unvetted"})
STATUSES = frozenset({"open", "closed", "awarded", "cancelled"})
MARKINGS = frozenset({"none", "ear", "itar", "cui"})
FOREIGN = frozenset({"allowed", "allowed_with_authorization", "prohibited"})
CONTROLLED = frozenset({"ear", "itar", "cui"})
# A company's restricted-party screening: an open potential hit holds it, a confirmed one blocks.
SCREENING = frozenset({"hold", "blocked"})


class EligibilityStatus(StrEnum):
    """Outcome of an eligibility check, from best to worst."""

    ELIGIBLE = "eligible"
    NEEDS_AUTHORIZATION = "needs_authorization"
    INELIGIBLE = "ineligible"


_RANK = {
    EligibilityStatus.ELIGIBLE: 0,
    EligibilityStatus.NEEDS_AUTHORIZATION: 1,
    EligibilityStatus.INELIGIBLE: 2,
}


@dataclass(frozen=True)
class Reason:
    """A machine-readable code, a sentence for people, and the status it implies."""

    code: str
    message: str
    status: EligibilityStatus = EligibilityStatus.ELIGIBLE


@dataclass(frozen=True)
class PartnerFacts:
    """What the rules need to know about a company."""

    id: str
    role: str
    country: str
    vetting_status: str
    # Last day the vetting decision holds, if it has an end; after it the partner is expired.
    vetted_until: date | None = None
    # "hold" while a screening hit awaits review, "blocked" once one is confirmed, None if clear.
    screening: str | None = None


@dataclass(frozen=True)
class SolicitationFacts:
    """What the rules need to know about a solicitation."""

    id: str
    status: str
    response_deadline: datetime | None
    export_control: str
    foreign_participation: str
    areas: frozenset[str]


@dataclass(frozen=True)
class AuthorizationFacts:
    """A licence or waiver letting a foreign company take part, for a solicitation or an area."""

    company_id: str
    solicitation_id: str | None
    technology_area: str | None
    valid_from: date
    valid_until: date | None
    revoked: bool = False
    reference: str | None = None


@dataclass(frozen=True)
class Eligibility:
    """The worst status over all reasons, and the reasons themselves."""

    status: EligibilityStatus
    reasons: tuple[Reason, ...]

    @property
    def blocking(self) -> tuple[Reason, ...]:
        """The reasons that hold the partner back."""
        return tuple(r for r in self.reasons if r.status is not EligibilityStatus.ELIGIBLE)


def _aware(moment: datetime) -> datetime:
    """Treat a naive datetime as UTC so comparisons never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _covers(auth: AuthorizationFacts, solicitation: SolicitationFacts) -> bool:
    """Whether an authorization's scope includes this solicitation."""
    if auth.solicitation_id is not None:
        return auth.solicitation_id == solicitation.id
    return auth.technology_area is not None and auth.technology_area in solicitation.areas


def _describe(auth: AuthorizationFacts) -> str:
    scope = (
        f"solicitation {auth.solicitation_id}"
        if auth.solicitation_id is not None
        else f"area {auth.technology_area}"
    )
    ref = f" {auth.reference}" if auth.reference else ""
    until = auth.valid_until.isoformat() if auth.valid_until else "open-ended"
    return f"authorization{ref} for {scope}, valid {auth.valid_from.isoformat()} to {until}"


def _vetting_reasons(partner: PartnerFacts, today: date) -> list[Reason]:
    """Reasons from the vetting state of a Japanese partner."""
    bad = EligibilityStatus.INELIGIBLE
    state = partner.vetting_status
    if state not in VETTING:
        return [Reason("unknown_vetting_status", f"unknown vetting status {state!r}", bad)]
    if state == "vetted":
        if partner.vetted_until is not None and partner.vetted_until < today:
            until = partner.vetted_until.isoformat()
            return [Reason("vetting_expired", f"vetting lapsed on {until}", bad)]
        return []
    messages = {
        "pending": ("vetting_pending", "vetting is still pending"),
        "unvetted": ("not_vetted", "partner has not been vetted"),
        "rejected": ("vetting_rejected", "vetting was rejected"),
        "suspended": ("vetting_suspended", "vetting is suspended"),
        "expired": ("vetting_expired", "vetting has expired"),
    }
    code, message = messages[state]
    return [Reason(code, message, bad)]


def _screening_reasons(partner: PartnerFacts) -> list[Reason]:
    """Reasons from restricted-party screening; they apply to every company, US ones too."""
    bad = EligibilityStatus.INELIGIBLE
    state = partner.screening
    if state is None:
        return []
    if state not in SCREENING:
        return [Reason("unknown_screening_status", f"unknown screening status {state!r}", bad)]
    if state == "hold":
        return [
            Reason(
                "screening_hold",
                "a potential restricted-party list hit awaits review",
                bad,
            )
        ]
    return [Reason("screening_blocked", "confirmed on a restricted-party list", bad)]


def _authorization_reasons(
    partner: PartnerFacts,
    solicitation: SolicitationFacts,
    authorizations: Iterable[AuthorizationFacts],
    today: date,
    why: str,
) -> list[Reason]:
    """Either the valid authorization that clears the partner, or why none does."""
    relevant = [
        a for a in authorizations if a.company_id == partner.id and _covers(a, solicitation)
    ]
    valid = [
        a
        for a in relevant
        if not a.revoked
        and a.valid_from <= today
        and (a.valid_until is None or today <= a.valid_until)
    ]
    if valid:
        # Prefer a solicitation-specific authorization, then the one valid longest.
        best = min(
            valid,
            key=lambda a: (a.solicitation_id is None, -(a.valid_until or date.max).toordinal()),
        )
        return [Reason("authorized", f"{why}; covered by {_describe(best)}")]
    reasons = [
        Reason(
            "authorization_required",
            f"{why}; no valid authorization on record",
            EligibilityStatus.NEEDS_AUTHORIZATION,
        )
    ]
    for a in relevant:
        if a.revoked:
            code, detail = "authorization_revoked", "was revoked"
        elif a.valid_from > today:
            code, detail = "authorization_not_yet_valid", "is not yet valid"
        else:
            code, detail = "authorization_expired", "has expired"
        reasons.append(
            Reason(code, f"{_describe(a)} {detail}", EligibilityStatus.NEEDS_AUTHORIZATION)
        )
    return reasons


def assess(
    partner: PartnerFacts,
    solicitation: SolicitationFacts,
    authorizations: Sequence[AuthorizationFacts],
    *,
    now: datetime,
) -> Eligibility:
    """Decide whether ``partner`` may receive ``solicitation`` at ``now``, with every reason."""
    now = _aware(now)
    today = now.date()
    bad = EligibilityStatus.INELIGIBLE
    reasons: list[Reason] = []

    if solicitation.status not in STATUSES:
        reasons.append(
            Reason("unknown_solicitation_status", f"unknown status {solicitation.status!r}", bad)
        )
    elif solicitation.status != "open":
        reasons.append(Reason("solicitation_closed", f"solicitation is {solicitation.status}", bad))
    deadline = solicitation.response_deadline
    if deadline is not None and _aware(deadline) < now:
        reasons.append(
            Reason("deadline_passed", f"response deadline {deadline.isoformat()} has passed", bad)
        )

    if partner.role not in ROLES:
        reasons.append(Reason("unknown_role", f"unknown role {partner.role!r}", bad))
    elif partner.role == "jp_partner":
        reasons.extend(_vetting_reasons(partner, today))

    reasons.extend(_screening_reasons(partner))

    if partner.country.upper() != "US":
        reasons.extend(_foreign_reasons(partner, solicitation, authorizations, today))

    status = max((r.status for r in reasons), key=_RANK.__getitem__, default=None)
    return Eligibility(status or EligibilityStatus.ELIGIBLE, tuple(reasons))


def _foreign_reasons(
    partner: PartnerFacts,
    solicitation: SolicitationFacts,
    authorizations: Sequence[AuthorizationFacts],
    today: date,
) -> list[Reason]:
    """Foreign-participation and export-control reasons for a non-US company."""
    bad = EligibilityStatus.INELIGIBLE
    participation = solicitation.foreign_participation
    marking = solicitation.export_control
    reasons: list[Reason] = []
    if participation not in FOREIGN:
        reasons.append(
            Reason("unknown_foreign_participation", f"unknown value {participation!r}", bad)
        )
    if marking not in MARKINGS:
        reasons.append(Reason("unknown_export_control", f"unknown marking {marking!r}", bad))
    if participation == "prohibited":
        reasons.append(
            Reason(
                "foreign_participation_prohibited",
                f"foreign participation is prohibited ({partner.country.upper()} company)",
                bad,
            )
        )
        return reasons
    causes = []
    if participation == "allowed_with_authorization":
        causes.append("foreign participation needs an authorization")
    if marking in CONTROLLED:
        causes.append(f"solicitation is {marking.upper()}-controlled")
    if causes:
        reasons.extend(
            _authorization_reasons(partner, solicitation, authorizations, today, "; ".join(causes))
        )
    return reasons


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_HasId)


def partition(
    candidates: Sequence[T], eligibilities: Mapping[str, Eligibility]
) -> dict[EligibilityStatus, list[T]]:
    """Group candidates by status, keeping their order; a candidate without a verdict is held."""
    groups: dict[EligibilityStatus, list[T]] = {s: [] for s in EligibilityStatus}
    for candidate in candidates:
        verdict = eligibilities.get(candidate.id)
        status = verdict.status if verdict is not None else EligibilityStatus.INELIGIBLE
        groups[status].append(candidate)
    return groups

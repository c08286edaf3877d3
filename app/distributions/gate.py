"""The export-control gate of a distribution: who among the companies may not receive it.

One function, so every reason a company is held back (vetting, authorizations, foreign
participation, and a restricted-party screening hold once screening exists) is decided in one
place, exactly as the matcher decides it."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.authorizations import service as authorizations
from app.companies.models import Company
from app.matches.service import authorization_facts, partner_facts, solicitation_facts
from app.solicitations.models import Solicitation
from matching import eligibility as gates


@dataclass(frozen=True)
class HeldBack:
    """A company that may not receive the solicitation, with every reason."""

    company: Company
    reasons: tuple[gates.Reason, ...]


def held_back(
    session: Session, *, solicitation: Solicitation, companies: list[Company], now: datetime
) -> list[HeldBack]:
    """The companies that may not receive `solicitation` at `now`, each with every reason (the
    blocking ones and the rest), in the order given; empty when all may."""
    facts = solicitation_facts(solicitation)
    auths: dict[int, list[gates.AuthorizationFacts]] = {}
    for auth in authorizations.for_companies(session, company_ids=[c.id for c in companies]):
        auths.setdefault(auth.company_id, []).append(authorization_facts(auth))
    out = []
    for company in companies:
        verdict = gates.assess(
            partner_facts(company, now), facts, auths.get(company.id, []), now=now
        )
        if verdict.status is not gates.EligibilityStatus.ELIGIBLE:
            out.append(HeldBack(company, verdict.reasons))
    return out

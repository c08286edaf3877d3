"""Eligibility rules, as examples and as properties over random facts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.eligibility import (
    AuthorizationFacts,
    Eligibility,
    EligibilityStatus,
    PartnerFacts,
    SolicitationFacts,
    assess,
    partition,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
ELIGIBLE = EligibilityStatus.ELIGIBLE
NEEDS = EligibilityStatus.NEEDS_AUTHORIZATION
INELIGIBLE = EligibilityStatus.INELIGIBLE


def solicitation(**kw: object) -> SolicitationFacts:
    base: dict[str, object] = {
        "id": "sol-1",
        "status": "open",
        "response_deadline": NOW + timedelta(days=10),
        "export_control": "none",
        "foreign_participation": "allowed",
        "areas": frozenset({"space"}),
    }
    base.update(kw)
    return SolicitationFacts(**base)  # type: ignore[arg-type]


def jp(**kw: object) -> PartnerFacts:
    base: dict[str, object] = {
        "id": "jp-1",
        "role": "jp_partner",
        "country": "JP",
        "vetting_status": "vetted",
    }
    base.update(kw)
    return PartnerFacts(**base)  # type: ignore[arg-type]


US = PartnerFacts(id="us-1", role="us_performer", country="US", vetting_status="unvetted")


def auth(**kw: object) -> AuthorizationFacts:
    base: dict[str, object] = {
        "company_id": "jp-1",
        "solicitation_id": "sol-1",
        "technology_area": None,
        "valid_from": TODAY - timedelta(days=30),
        "valid_until": TODAY + timedelta(days=30),
    }
    base.update(kw)
    return AuthorizationFacts(**base)  # type: ignore[arg-type]


def codes(result: Eligibility) -> set[str]:
    return {r.code for r in result.reasons}


def test_vetted_partner_on_open_uncontrolled_solicitation_is_eligible() -> None:
    result = assess(jp(), solicitation(), [], now=NOW)
    assert result.status is ELIGIBLE
    assert result.reasons == ()


def test_closed_solicitation_and_passed_deadline_hold_everyone_with_all_reasons() -> None:
    sol = solicitation(status="awarded", response_deadline=NOW - timedelta(hours=1))
    for partner in (US, jp()):
        result = assess(partner, sol, [], now=NOW)
        assert result.status is INELIGIBLE
        assert {"solicitation_closed", "deadline_passed"} <= codes(result)


def test_unvetted_partner_collects_every_reason() -> None:
    sol = solicitation(foreign_participation="prohibited", status="closed")
    result = assess(jp(vetting_status="unvetted"), sol, [], now=NOW)
    assert result.status is INELIGIBLE
    assert codes(result) == {
        "solicitation_closed",
        "not_vetted",
        "foreign_participation_prohibited",
    }


def test_vetting_past_its_end_date_is_expired() -> None:
    result = assess(jp(vetted_until=TODAY - timedelta(days=1)), solicitation(), [], now=NOW)
    assert result.status is INELIGIBLE
    assert "vetting_expired" in codes(result)


def test_itar_needs_authorization_and_a_valid_one_clears_it() -> None:
    sol = solicitation(export_control="itar")
    assert assess(jp(), sol, [], now=NOW).status is NEEDS
    result = assess(jp(), sol, [auth()], now=NOW)
    assert result.status is ELIGIBLE
    assert codes(result) == {"authorized"}


def test_area_authorization_covers_solicitations_in_that_area() -> None:
    sol = solicitation(foreign_participation="allowed_with_authorization")
    area = auth(solicitation_id=None, technology_area="space")
    assert assess(jp(), sol, [area], now=NOW).status is ELIGIBLE
    other = auth(solicitation_id=None, technology_area="cyber")
    assert assess(jp(), sol, [other], now=NOW).status is NEEDS


def test_expired_revoked_future_or_foreign_authorizations_do_not_count() -> None:
    sol = solicitation(export_control="cui")
    cases = {
        "authorization_expired": auth(valid_until=TODAY - timedelta(days=1)),
        "authorization_revoked": auth(revoked=True),
        "authorization_not_yet_valid": auth(valid_from=TODAY + timedelta(days=1)),
    }
    for code, a in cases.items():
        result = assess(jp(), sol, [a], now=NOW)
        assert result.status is NEEDS
        assert {"authorization_required", code} <= codes(result)
    other_company = auth(company_id="jp-2")
    assert assess(jp(), sol, [other_company], now=NOW).status is NEEDS
    other_solicitation = auth(solicitation_id="sol-2", technology_area="space")
    assert assess(jp(), sol, [other_solicitation], now=NOW).status is NEEDS


def test_authorization_valid_until_today_still_counts() -> None:
    sol = solicitation(export_control="ear")
    assert assess(jp(), sol, [auth(valid_until=TODAY)], now=NOW).status is ELIGIBLE


def test_us_performer_ignores_markings_and_foreign_rules() -> None:
    sol = solicitation(export_control="itar", foreign_participation="prohibited")
    assert assess(US, sol, [], now=NOW).status is ELIGIBLE


def test_unknown_values_fail_closed() -> None:
    assert assess(jp(vetting_status="maybe"), solicitation(), [], now=NOW).status is INELIGIBLE
    assert assess(jp(), solicitation(export_control="secret"), [], now=NOW).status is INELIGIBLE
    assert assess(jp(), solicitation(status="draft"), [], now=NOW).status is INELIGIBLE


def test_open_screening_hit_holds_an_otherwise_eligible_partner() -> None:
    result = assess(jp(screening="hold"), solicitation(), [], now=NOW)
    assert result.status is INELIGIBLE
    assert [(r.code, r.status) for r in result.reasons] == [("screening_hold", INELIGIBLE)]


def test_confirmed_screening_hit_blocks_even_a_us_performer() -> None:
    us = PartnerFacts(id="us-1", role="us_performer", country="US", vetting_status="unvetted")
    result = assess(
        PartnerFacts(**{**us.__dict__, "screening": "blocked"}), solicitation(), [], now=NOW
    )
    assert result.status is INELIGIBLE
    assert [r.code for r in result.reasons] == ["screening_blocked"]
    assert assess(us, solicitation(), [], now=NOW).status is ELIGIBLE


def test_unknown_screening_status_fails_closed() -> None:
    result = assess(jp(screening="maybe"), solicitation(), [], now=NOW)
    assert result.status is INELIGIBLE
    assert [r.code for r in result.reasons] == ["unknown_screening_status"]


def test_partition_groups_by_status_and_holds_unknown_candidates() -> None:
    class C:
        def __init__(self, id: str) -> None:
            self.id = id

    items = [C("a"), C("b"), C("c")]
    verdicts = {
        "a": Eligibility(ELIGIBLE, ()),
        "b": Eligibility(NEEDS, ()),
    }
    groups = partition(items, verdicts)
    assert [c.id for c in groups[ELIGIBLE]] == ["a"]
    assert [c.id for c in groups[NEEDS]] == ["b"]
    assert [c.id for c in groups[INELIGIBLE]] == ["c"]


# --- properties ---------------------------------------------------------------------------

VETTING = ["vetted", "pending", "rejected", "suspended", "expired", "unvetted"]
days = st.integers(min_value=-400, max_value=400)

partners = st.builds(
    PartnerFacts,
    id=st.sampled_from(["p-1", "p-2"]),
    role=st.sampled_from(["us_performer", "jp_partner"]),
    country=st.sampled_from(["US", "JP", "us", "DE"]),
    vetting_status=st.sampled_from(VETTING),
    vetted_until=st.one_of(st.none(), days.map(lambda d: TODAY + timedelta(days=d))),
    screening=st.sampled_from([None, "hold", "blocked"]),
)
solicitations = st.builds(
    SolicitationFacts,
    id=st.sampled_from(["s-1", "s-2"]),
    status=st.sampled_from(["open", "closed", "awarded", "cancelled"]),
    response_deadline=st.one_of(
        st.none(), st.integers(-10_000, 10_000).map(lambda m: NOW + timedelta(minutes=m))
    ),
    export_control=st.sampled_from(["none", "ear", "itar", "cui"]),
    foreign_participation=st.sampled_from(["allowed", "allowed_with_authorization", "prohibited"]),
    areas=st.frozensets(st.sampled_from(["space", "cyber", "quantum"]), max_size=2),
)


@st.composite
def authorizations(draw: st.DrawFn) -> AuthorizationFacts:
    start = draw(days)
    length = draw(st.one_of(st.none(), st.integers(0, 400)))
    return AuthorizationFacts(
        company_id=draw(st.sampled_from(["p-1", "p-2"])),
        solicitation_id=draw(st.sampled_from([None, "s-1", "s-2"])),
        technology_area=draw(st.sampled_from([None, "space", "cyber", "quantum"])),
        valid_from=TODAY + timedelta(days=start),
        valid_until=None if length is None else TODAY + timedelta(days=start + length),
        revoked=draw(st.booleans()),
    )


def _valid_for(a: AuthorizationFacts, p: PartnerFacts, s: SolicitationFacts, on: date) -> bool:
    in_scope = (a.solicitation_id == s.id) or (
        a.solicitation_id is None and a.technology_area in s.areas
    )
    in_time = a.valid_from <= on and (a.valid_until is None or on <= a.valid_until)
    return a.company_id == p.id and in_scope and in_time and not a.revoked


@settings(max_examples=400, deadline=None)
@given(partners, solicitations, st.lists(authorizations(), max_size=4))
def test_properties_of_assess(
    p: PartnerFacts, s: SolicitationFacts, auths: list[AuthorizationFacts]
) -> None:
    result = assess(p, s, auths, now=NOW)
    blocking = [r for r in result.reasons if r.status is not ELIGIBLE]
    # The status is the worst reason, and a held-back partner is never eligible.
    assert (result.status is ELIGIBLE) == (not blocking)
    closed = s.status != "open" or (s.response_deadline is not None and s.response_deadline < NOW)
    if closed:
        assert result.status is INELIGIBLE
    effectively_vetted = p.vetting_status == "vetted" and (
        p.vetted_until is None or p.vetted_until >= TODAY
    )
    if p.role == "jp_partner" and not effectively_vetted:
        assert result.status is INELIGIBLE
    # A screening hold or block holds anyone back, whatever else is true.
    if p.screening is not None:
        assert result.status is INELIGIBLE
        assert f"screening_{p.screening}" in {r.code for r in result.reasons}
    screened = p.screening is None
    foreign = p.country.upper() != "US"
    if not foreign:
        # A US company is never held by foreign-participation or marking rules.
        assert not {"foreign_participation_prohibited", "authorization_required"} & codes(result)
        if not closed and screened and (p.role == "us_performer" or effectively_vetted):
            assert result.status is ELIGIBLE
    if foreign and s.foreign_participation == "prohibited":
        assert result.status is INELIGIBLE
    needs_auth = (
        foreign
        and s.foreign_participation != "prohibited"
        and (
            s.foreign_participation == "allowed_with_authorization"
            or s.export_control in {"ear", "itar", "cui"}
        )
    )
    has_valid = any(_valid_for(a, p, s, TODAY) for a in auths)
    if needs_auth:
        assert ("authorization_required" in codes(result)) == (not has_valid)
        assert ("authorized" in codes(result)) == has_valid
    # Without the other obstacles, the authorization alone decides.
    if needs_auth and not closed and screened and (p.role == "us_performer" or effectively_vetted):
        assert result.status is (ELIGIBLE if has_valid else NEEDS)


@settings(max_examples=200, deadline=None)
@given(partners, solicitations, st.lists(authorizations(), max_size=4))
def test_invalid_authorizations_never_clear_a_partner(
    p: PartnerFacts, s: SolicitationFacts, auths: list[AuthorizationFacts]
) -> None:
    invalid = [a for a in auths if not _valid_for(a, p, s, TODAY)]
    with_invalid = assess(p, s, invalid, now=NOW)
    without = assess(p, s, [], now=NOW)
    assert with_invalid.status is without.status

"""A solicitation past its deadline reads `closed` everywhere, from the moment the deadline
passes, with no job having to run."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

URL = "/api/v1/solicitations"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create(client: TestClient, keys: Keys, notice_id: str, **overrides: object) -> dict:
    now = datetime.now(UTC)
    body = solicitation_payload(
        notice_id=notice_id, posted_date=(now - timedelta(days=30)).date().isoformat(), **overrides
    )
    response = client.post(URL, json=body, headers=keys.headers("pichtr_analyst"))
    assert response.status_code == 201, response.text
    return response.json()


def test_past_deadline_reads_closed_in_lists_filters_and_records(
    client: TestClient, keys: Keys
) -> None:
    now = datetime.now(UTC)
    past = create(client, keys, "PAST", response_deadline=iso(now - timedelta(days=7)))
    assert past["status"] == "closed"
    create(client, keys, "SOON", response_deadline=iso(now + timedelta(days=7)))
    create(client, keys, "NO-DEADLINE", response_deadline=None)
    create(client, keys, "CLOSED", response_deadline=iso(now + timedelta(days=9)), status="closed")
    awarded = iso(now - timedelta(days=3))
    create(client, keys, "AWARDED", response_deadline=awarded, status="awarded")
    headers = keys.headers("jetro_viewer")

    def listed(**params: object) -> dict[str, str]:
        response = client.get(URL, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == len(body["items"])
        return {s["notice_id"]: s["status"] for s in body["items"]}

    assert listed(status="open") == {"SOON": "open", "NO-DEADLINE": "open"}
    assert listed(status="closed") == {"PAST": "closed", "CLOSED": "closed"}
    assert listed(status="awarded") == {"AWARDED": "awarded"}
    assert listed()["PAST"] == "closed"
    record = client.get(f"{URL}/{past['id']}", headers=headers)
    assert record.json()["status"] == "closed"

    # Moving the deadline later opens it again: the stored status was never rewritten.
    moved = client.patch(
        f"{URL}/{past['id']}",
        json={"response_deadline": iso(now + timedelta(days=14))},
        headers=keys.headers("pichtr_analyst"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "open"
    assert "PAST" in listed(status="open")


def test_status_changes_the_moment_the_deadline_passes(database_url: str, keys: Keys) -> None:
    from app.db import session_scope
    from app.organizations import service as organizations
    from app.solicitations import service
    from app.solicitations.models import SolicitationStatus
    from app.solicitations.schemas import SolicitationCreate

    deadline = datetime(2031, 5, 1, 17, 0, tzinfo=UTC)
    with session_scope() as session:
        principal = organizations.operator_principal(
            organizations.get_by_slug(session, slug="pichtr")
        )
        solicitation = service.create(
            session,
            principal=principal,
            data=SolicitationCreate.model_validate(
                solicitation_payload(response_deadline=iso(deadline))
            ),
            embed=False,
        )
        for moment, expected in (
            (deadline - timedelta(seconds=1), SolicitationStatus.OPEN),
            (deadline, SolicitationStatus.OPEN),
            (deadline + timedelta(seconds=1), SolicitationStatus.CLOSED),
        ):
            assert service.effective_status(solicitation, now=moment) is expected
            assert service.to_read(solicitation, now=moment).status is expected
            assert service.to_summary(solicitation, now=moment).status is expected
            for status in (SolicitationStatus.OPEN, SolicitationStatus.CLOSED):
                rows, total = service.get_all(session, status=status, now=moment)
                assert ([r.id for r in rows], total) == (
                    ([solicitation.id], 1) if status is expected else ([], 0)
                )


def test_matches_show_and_skip_past_deadlines(client: TestClient, keys: Keys) -> None:
    now = datetime.now(UTC)
    partner = client.post(
        "/api/v1/companies",
        json=company_payload(corporate_number=None),
        headers=keys.headers("jetro_analyst"),
    ).json()
    vetting = client.post(
        f"/api/v1/companies/{partner['id']}/vetting",
        json={"status": "vetted", "evidence": "Site visit."},
        headers=keys.headers("pichtr_analyst"),
    )
    assert vetting.status_code == 201, vetting.text
    open_terms = {"export_control": "none", "foreign_participation": "allowed"}
    past = create(
        client, keys, "PAST", response_deadline=iso(now - timedelta(days=1)), **open_terms
    )
    live = create(
        client, keys, "LIVE", response_deadline=iso(now + timedelta(days=30)), **open_terms
    )
    headers = keys.headers("jetro_viewer")
    drain()  # the worker embeds the new records (a read never does)

    matches = client.get(
        f"{URL}/{past['id']}/matches", params={"include_held_back": True}, headers=headers
    ).json()
    assert matches["solicitation"]["status"] == "closed"
    assert matches["items"] == []
    reasons = {r["code"] for m in matches["held_back"] for r in m["eligibility"]["reasons"]}
    assert "deadline_passed" in reasons

    fits = client.get(
        f"/api/v1/companies/{partner['id']}/matches",
        params={"include_held_back": True},
        headers=headers,
    ).json()
    listed = [m["solicitation"] for m in fits["items"] + fits["held_back"]]
    assert [s["id"] for s in listed] == [live["id"]]
    assert listed[0]["status"] == "open"

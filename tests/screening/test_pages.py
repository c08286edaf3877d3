"""The review queue in the admin pages: an admin loads a list, an analyst clears a hit with a
reason (refused without one, beside the field) or confirms one; a viewer only reads."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.companies import service as companies
from app.companies.models import Company
from app.companies.schemas import CompanyCreate
from app.db import session_scope
from app.organizations import service as organizations
from app.organizations.models import Role
from app.screening.models import HitStatus, ScreeningHit
from app.users import service as users
from tests.conftest import PASSWORD, People, csrf_of, sign_in
from tests.factories import company_payload
from tests.screening.conftest import FIXTURES


def _admin_and_partners() -> tuple[int, int]:
    """A platform admin, and two partners the CSL excerpt lists (created by JETRO)."""
    with session_scope() as session:
        pichtr = organizations.get_by_slug(session, slug="pichtr")
        users.create_user(
            session, organization=pichtr, username="ada", password=PASSWORD, role=Role.ADMIN
        )
        jetro = organizations.operator_principal(organizations.get_by_slug(session, slug="jetro"))
        ids = []
        for name, country in (
            ("Kawasemi Microwave Devices", "JP"),
            ("Volga Precision Optics", "RU"),
        ):
            payload = CompanyCreate(
                **company_payload(name=name, country=country, corporate_number=None)
            )
            ids.append(companies.create(session, principal=jetro, data=payload).id)
    return ids[0], ids[1]


def test_load_review_clear_and_confirm(admin_client: TestClient, people: People) -> None:
    kawasemi, volga = _admin_and_partners()
    token = sign_in(admin_client, "ada")
    page = admin_client.get("/admin/screening")
    assert page.status_code == 200
    assert 'href="/admin/screening"' in page.text
    assert "No potential hit awaits review." in page.text
    missing = admin_client.post(
        "/admin/screening/lists", data={"csrf_token": token, "list_name": ""}
    )
    assert missing.status_code == 422
    assert "choose a list file to load" in missing.text
    bad = admin_client.post(
        "/admin/screening/lists",
        data={"csrf_token": token, "list_name": "meti_eul"},
        files={"file": ("csl.csv", (FIXTURES / "csl_excerpt.csv").read_bytes(), "text/csv")},
    )
    assert bad.status_code == 422
    assert "missing columns: no, company_name, aliases, country, type_of_concern" in bad.text
    loaded = admin_client.post(
        "/admin/screening/lists",
        data={"csrf_token": token, "list_name": ""},
        files={"file": ("csl.csv", (FIXTURES / "csl_excerpt.csv").read_bytes(), "text/csv")},
    )
    assert loaded.status_code == 303
    queue = admin_client.get(loaded.headers["location"])
    assert "3 entries, 3 added, 0 removed, 0 changed" in queue.text
    assert "2 open potential hits" in queue.text
    assert "Kawasemi Micro-Wave Devices Kabushiki Kaisha" in queue.text
    with session_scope() as session:
        hit_of = {h.company_id: h.id for h in session.scalars(select(ScreeningHit))}
    profile = admin_client.get(f"/admin/companies/{kawasemi}")
    assert "Held: a potential restricted-party list hit awaits review." in profile.text

    admin_client.post("/admin/logout", data={"csrf_token": csrf_of(queue.text)})
    token = sign_in(admin_client, people.analyst)
    blank = admin_client.post(
        f"/admin/screening/hits/{hit_of[kawasemi]}/clear", data={"csrf_token": token, "reason": " "}
    )
    assert blank.status_code == 422
    assert "write why this is not the listed party" in blank.text
    assert 'aria-invalid="true"' in blank.text
    cleared = admin_client.post(
        f"/admin/screening/hits/{hit_of[kawasemi]}/clear",
        data={"csrf_token": token, "reason": "Different company: Tokyo, not Yokohama."},
    )
    assert cleared.status_code == 303
    confirmed = admin_client.post(
        f"/admin/screening/hits/{hit_of[volga]}/confirm", data={"csrf_token": token}
    )
    assert confirmed.status_code == 303
    with session_scope() as session:
        status = dict(session.execute(select(Company.id, Company.screening_status)).tuples().all())
        decided = {h.company_id: h.status for h in session.scalars(select(ScreeningHit))}
    assert status == {kawasemi: None, volga: "blocked"}
    assert decided == {kawasemi: HitStatus.CLEARED, volga: HitStatus.CONFIRMED}
    assert "No potential hit awaits review." in admin_client.get("/admin/screening").text
    forged = admin_client.post(f"/admin/screening/hits/{hit_of[volga]}/clear", data={"reason": "x"})
    assert forged.status_code == 403


def test_a_viewer_reads_the_queue_but_decides_nothing(
    admin_client: TestClient, people: People
) -> None:
    _admin_and_partners()
    token = sign_in(admin_client, people.viewer)
    page = admin_client.get("/admin/screening", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert "Clear as a false positive" not in page.text
    refused = admin_client.post(
        "/admin/screening/lists",
        data={"csrf_token": token, "list_name": "csl"},
        files={"file": ("csl.csv", (FIXTURES / "csl_excerpt.csv").read_bytes(), "text/csv")},
    )
    assert refused.status_code == 403
    assert (
        admin_client.post(
            "/admin/screening/hits/1/clear", data={"csrf_token": token, "reason": "x"}
        ).status_code
        == 403
    )

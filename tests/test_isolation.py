"""Two organizations call every API endpoint: PICHTR (the platform) and JETRO. Neither reads the
other's private records (import runs, duplicate flags, audit events), and JETRO writes nothing
on PICHTR's records: no edit, no archive, no vetting decision, no export authorization.
Shared records (profiles, solicitations, vetting histories, authorizations) are read by both."""

import re
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

API = "/api/v1"
PARAMETER = re.compile(r"\{[a-z_]+\}")


class Api:
    """Calls endpoints by their path template and remembers which ones were called."""

    def __init__(self, client: TestClient, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.called: set[tuple[str, str]] = set()

    def __call__(
        self, method: str, template: str, key: str, expect: int, **kwargs: Any
    ) -> httpx.Response:
        # `path` is the record (or id) whose id fills the template's one path parameter.
        record = kwargs.pop("path", None)
        record_id = record["id"] if isinstance(record, dict) else record
        self.called.add((method, API + template))
        response = self.client.request(
            method,
            API + PARAMETER.sub(str(record_id), template),
            headers=self.keys.headers(key),
            **kwargs,
        )
        assert response.status_code == expect, (method, template, key, response.text)
        return response

    def every_operation(self) -> set[tuple[str, str]]:
        """Every operation of the API, from its OpenAPI document."""
        paths = self.client.app.openapi()["paths"]  # type: ignore[attr-defined]
        return {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith(API)}


def lookalike_csv(name: str) -> dict[str, Any]:
    """A one-row company file whose row looks like an existing profile (a duplicate flag)."""
    return {
        "files": {"file": ("partners.csv", f"role,country,name\njp_partner,JP,{name}\n".encode())},
        "data": {"kind": "companies"},
    }


def test_each_organization_reads_and_writes_only_what_it_may(
    client: TestClient, keys: Keys, upload_dir: Path
) -> None:
    api = Api(client, keys)
    api("GET", "/health", "jetro_viewer", 200)
    me = {
        org: api("GET", "/organizations/me", f"{org}_viewer", 200).json()
        for org in ("pichtr", "jetro")
    }
    assert me["jetro"]["slug"] == "jetro" and not me["jetro"]["is_platform"]
    assert me["pichtr"]["is_platform"]
    jetro_id = me["jetro"]["id"]

    # Records of each organization.
    j_partner = api(
        "POST",
        "/companies",
        "jetro_analyst",
        201,
        json=company_payload(name="Kawasemi Microwave Devices KK"),
    ).json()
    p_partner = api(
        "POST",
        "/companies",
        "pichtr_analyst",
        201,
        json=company_payload(
            name="Hayabusa Photonics KK",
            corporate_number=None,
            website="https://hayabusa.example.jp",
        ),
    ).json()
    p_sol = api("POST", "/solicitations", "pichtr_analyst", 201, json=solicitation_payload()).json()
    j_sol = api(
        "POST",
        "/solicitations",
        "jetro_analyst",
        201,
        json=solicitation_payload(notice_id="W15QKN-27-9-0102", title="Ka-band GaN MMIC sources"),
    ).json()
    for key in ("jetro_viewer", "pichtr_viewer"):
        assert api("GET", "/companies", key, 200).json()["total"] == 2
        assert api("GET", "/solicitations", key, 200).json()["total"] == 2
        api("GET", "/companies/{company_id}", key, 200, path=p_partner["id"])
        api("GET", "/solicitations/{solicitation_id}", key, 200, path=j_sol["id"])
        api("GET", "/technology-areas", key, 200)
    area = {"slug": "quantum-sensing", "label_en": "Quantum sensing", "label_ja": "量子センシング"}
    api("POST", "/technology-areas", "jetro_analyst", 403, json=area)
    api("POST", "/technology-areas", "pichtr_admin", 201, json=area)

    # JETRO cannot edit or archive PICHTR's records; each edits its own.
    for method, template, record in (
        ("PATCH", "/companies/{company_id}", p_partner),
        ("DELETE", "/companies/{company_id}", p_partner),
        ("PATCH", "/solicitations/{solicitation_id}", p_sol),
        ("DELETE", "/solicitations/{solicitation_id}", p_sol),
    ):
        body = {"json": {"name" if "companies" in template else "title": "Taken over"}}
        api(method, template, "jetro_admin", 403, path=record["id"], **body)
    api(
        "PATCH",
        "/companies/{company_id}",
        "jetro_analyst",
        200,
        path=j_partner,
        json={"name": "Kawasemi"},
    )
    got = api("GET", "/companies/{company_id}", "pichtr_viewer", 200, path=p_partner["id"])
    assert got.json()["name"] == "Hayabusa Photonics KK"

    # Vetting: the partner's owner or the platform decides; a third organization is refused.
    decision = {"status": "suspended", "evidence": "Adverse media report."}
    for key in ("jetro_analyst", "jetro_admin"):
        api("POST", "/companies/{company_id}/vetting", key, 403, path=p_partner, json=decision)
    assert (
        api("GET", "/companies/{company_id}/vetting", "jetro_viewer", 200, path=p_partner).json()
        == []
    )
    vetted = {"status": "vetted", "evidence": "Site visit 2026-10."}
    api(
        "POST", "/companies/{company_id}/vetting", "jetro_analyst", 201, path=j_partner, json=vetted
    )
    api(
        "POST",
        "/companies/{company_id}/vetting",
        "pichtr_analyst",
        201,
        path=p_partner,
        json=vetted,
    )
    api(
        "POST",
        "/companies/{company_id}/vetting",
        "pichtr_analyst",
        201,
        path=j_partner,
        json=vetted,
    )
    history = api(
        "GET", "/companies/{company_id}/vetting", "pichtr_viewer", 200, path=j_partner
    ).json()
    assert [d["decided_by"] for d in history] == ["pichtr", "jetro"]

    # Export authorizations, the same rule.
    licence = {
        "solicitation_id": p_sol["id"],
        "authority": "ddtc",
        "reference": "DSP-5 050-000001",
        "valid_from": "2026-01-01",
    }
    refused = {**licence, "company_id": p_partner["id"]}
    for key in ("jetro_analyst", "jetro_admin"):
        api("POST", "/export-authorizations", key, 403, json=refused)
    mine = {**licence, "company_id": j_partner["id"]}
    api("POST", "/export-authorizations", "jetro_analyst", 201, json=mine)
    platform_auth = api("POST", "/export-authorizations", "pichtr_analyst", 201, json=mine).json()
    for key in ("jetro_viewer", "pichtr_viewer"):
        listed = api("GET", "/export-authorizations", key, 200).json()
        assert {a["company_id"] for a in listed["items"]} == {j_partner["id"]}
    api(
        "DELETE",
        "/export-authorizations/{authorization_id}",
        "jetro_admin",
        403,
        path=platform_auth["id"],
    )

    # Imports: runs and duplicate flags are private to the importing organization.
    runs = {}
    for org, name in (("jetro", "KAWASEMI"), ("pichtr", "HAYABUSA PHOTONICS KK")):
        summary = api("POST", "/imports", f"{org}_analyst", 200, **lookalike_csv(name)).json()
        assert len(summary["duplicates"]) == 1, summary
        runs[org] = summary["run_id"]
    queued = api("POST", "/imports/background", "jetro_analyst", 202, **lookalike_csv("Tsubame"))
    background = queued.json()["id"]
    for org, other in (("jetro", "pichtr"), ("pichtr", "jetro")):
        own_runs = {r["id"] for r in api("GET", "/imports", f"{org}_viewer", 200).json()["items"]}
        assert runs[org] in own_runs and runs[other] not in own_runs
        assert (background in own_runs) is (org == "jetro")
        api("GET", "/imports/{run_id}", f"{org}_admin", 404, path=runs[other])
        api("GET", "/imports/{run_id}", f"{org}_viewer", 200, path=runs[org])
    flags = {
        org: api("GET", "/imports/duplicates", f"{org}_viewer", 200).json()["items"]
        for org in ("jetro", "pichtr")
    }
    assert len(flags["jetro"]) == len(flags["pichtr"]) == 1
    assert flags["jetro"][0]["id"] != flags["pichtr"][0]["id"]
    resolve = "/imports/duplicates/{flag_id}/resolve"
    body = {"resolution": "kept_both"}
    api("POST", resolve, "jetro_admin", 404, path=flags["pichtr"][0], json=body)
    api("POST", resolve, "pichtr_admin", 404, path=flags["jetro"][0], json=body)
    api("POST", resolve, "jetro_analyst", 200, path=flags["jetro"][0], json=body)

    # Settings: each organization changes its own, through its admin keys only.
    settings = "/organizations/me/settings"
    api("PATCH", settings, "jetro_analyst", 403, json={"min_fit": 0.3})
    api("PATCH", settings, "jetro_admin", 200, json={"min_fit": 0.3})
    for org, own in (("jetro", 0.3), ("pichtr", None)):
        assert api("GET", settings, f"{org}_viewer", 200).json()["min_fit"] == own

    # Matching reads shared records only, under each organization's own minimum fit.
    for key, source in (("jetro_viewer", "organization"), ("pichtr_viewer", "platform")):
        listed = api("GET", "/solicitations/{solicitation_id}/matches", key, 200, path=p_sol)
        assert listed.json()["min_fit_source"] == source
        api("GET", "/solicitations/{solicitation_id}/teams", key, 200, path=p_sol)
        api("GET", "/companies/{company_id}/matches", key, 200, path=j_partner)
    api("DELETE", "/solicitations/{solicitation_id}", "jetro_analyst", 204, path=j_sol)

    # The audit trail: JETRO reads its own events, the platform reads everyone's.
    api("GET", "/audit", "jetro_analyst", 403)
    jetro_events = api("GET", "/audit", "jetro_admin", 200, params={"limit": 500}).json()
    platform_events = api("GET", "/audit", "pichtr_admin", 200, params={"limit": 500}).json()
    assert jetro_events["total"] == len(jetro_events["items"]) > 0
    # Its own, and the system's (the area classifier's) on its own records.
    assert {e["organization_id"] for e in jetro_events["items"]} <= {jetro_id, None}
    assert not any(e["actor"].startswith("pichtr:") for e in jetro_events["items"])
    all_ids = {e["id"] for e in platform_events["items"]}
    assert {e["id"] for e in jetro_events["items"]} < all_ids
    assert any(e["actor"].startswith("pichtr:") for e in platform_events["items"])
    # No refused write left a trace: nothing of JETRO's touches PICHTR's records.
    p_ids = {
        ("company", p_partner["id"]),
        ("solicitation", p_sol["id"]),
        ("organization", me["pichtr"]["id"]),
    }
    assert not [e for e in jetro_events["items"] if (e["entity_type"], e["entity_id"]) in p_ids]

    # Ranking models are shared by every organization (trained on everyone's outcomes, which
    # they show only as counts): every admin reads the list, no one else does.
    api("GET", "/ranking-models", "jetro_analyst", 403)
    for key in ("jetro_admin", "pichtr_admin"):
        assert api("GET", "/ranking-models", key, 200).json() == []

    assert api.called == api.every_operation(), api.every_operation() - api.called

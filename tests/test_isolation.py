"""Two organizations call every API endpoint: PICHTR (the platform) and JETRO. Neither reads the
other's private records (import runs, duplicate flags, audit events), and JETRO writes nothing
on PICHTR's records: no edit, no archive, no vetting decision, no export authorization.
Shared records (profiles, solicitations, vetting histories, authorizations) are read by both."""

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from app.db import session_scope
from app.reports.models import ReportMessage, ReportStatus
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

API = "/api/v1"
PARAMETER = re.compile(r"\{[a-z_]+\}")
FIXTURES = Path(__file__).parent / "fixtures"


class Api:
    """Calls endpoints by their path template and remembers which ones were called."""

    def __init__(self, client: TestClient, keys: Keys) -> None:
        self.client = client
        self.keys = keys
        self.called: set[tuple[str, str]] = set()

    def __call__(
        self, method: str, template: str, key: str, expect: int, **kwargs: Any
    ) -> httpx.Response:
        # `path` is the record (or id) whose id fills the template's one path parameter; a
        # tuple of ids fills several, in order.
        record = kwargs.pop("path", None)
        values = iter(record if isinstance(record, tuple) else (record,))
        self.called.add((method, API + template))
        response = self.client.request(
            method,
            API + PARAMETER.sub(lambda _m: str(_id(next(values))), template),
            headers=self.keys.headers(key),
            **kwargs,
        )
        assert response.status_code == expect, (method, template, key, response.text)
        return response

    def every_operation(self) -> set[tuple[str, str]]:
        """Every operation of the API, from its OpenAPI document."""
        paths = self.client.app.openapi()["paths"]  # type: ignore[attr-defined]
        return {(m.upper(), p) for p, ops in paths.items() for m in ops if p.startswith(API)}


def _id(record: Any) -> Any:
    return record["id"] if isinstance(record, dict) else record


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
        # Capability gaps: shared records, each under its own minimum; snapshots are private.
        gaps = api("GET", "/insights/gaps", key, 200).json()
        assert gaps["min_fit_source"] == source
        api("GET", "/insights/gaps.csv", key, 200)
        api("GET", "/insights/gaps/solicitations/{solicitation_id}", key, 200, path=p_sol)
        assert api("GET", "/insights/gaps/trend", key, 200).json()["areas"] == []
    api("DELETE", "/solicitations/{solicitation_id}", "jetro_analyst", 204, path=j_sol)

    # Distributions, their recipients and answers are private to the sending organization.
    body = {"company_ids": [j_partner["id"]], "channel": "manual", "message": "For you"}
    sends = "/solicitations/{solicitation_id}/distributions"
    api("POST", sends, "jetro_viewer", 403, path=p_sol, json=body)
    sent = {
        org: api("POST", sends, f"{org}_analyst", 201, path=p_sol, json=body).json()
        for org in ("jetro", "pichtr")
    }
    recipient = "/distributions/{distribution_id}/recipients/{recipient_id}"
    answer = {"status": "interested", "reason": "Call booked"}
    for org, other in (("jetro", "pichtr"), ("pichtr", "jetro")):
        own, theirs = sent[org], sent[other]
        own_r, their_r = own["recipients"][0], theirs["recipients"][0]
        for key in (f"{org}_viewer", f"{org}_admin"):
            for template, parameter in (
                ("/distributions", None),
                (sends, p_sol),
                ("/companies/{company_id}/distributions", j_partner),
            ):
                listed = api("GET", template, key, 200, path=parameter).json()
                assert [r["id"] for r in listed["items"]] == [own_r["id"]]
            export = api("GET", "/distributions/export.csv", key, 200).text
            exported = [row["recipient_id"] for row in csv.DictReader(io.StringIO(export))]
            assert exported == [str(own_r["id"])]
            api("GET", "/distributions/{distribution_id}", key, 404, path=theirs)
            api("GET", recipient, key, 404, path=(theirs, their_r))
            api("GET", recipient, key, 404, path=(own, their_r))
            api("GET", "/distributions/{distribution_id}", key, 200, path=own)
            api("GET", recipient, key, 200, path=(own, own_r))
        api("POST", recipient + "/status", f"{org}_admin", 404, path=(theirs, their_r), json=answer)
        api("POST", recipient + "/status", f"{org}_analyst", 200, path=(own, own_r), json=answer)
    # The partner's link needs no key, and answers once.
    link = sent["jetro"]["recipients"][0]["response_url"].rsplit("/", 1)[1]
    api("GET", "/responses/{token}", "jetro_viewer", 200, path=link)
    api("POST", "/responses/{token}", "pichtr_viewer", 200, path=link, json=answer)
    api("POST", "/responses/{token}", "pichtr_viewer", 409, path=link, json=answer)

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

    # Reviews, follows and outcomes: each organization's own, invisible to the other (404).
    pair = "/solicitations/{solicitation_id}/matches/{company_id}"
    review, outcomes, p_pair = pair + "/review", pair + "/outcomes", (p_sol, p_partner)
    api("PUT", review, "jetro_analyst", 201, path=p_pair, json={"note": "JETRO's own note"})
    api("GET", review, "jetro_viewer", 200, path=p_pair)
    api("GET", review, "pichtr_admin", 404, path=p_pair)
    hide = {"hidden": True, "hidden_reason": "not_a_fit"}
    api("PUT", review, "pichtr_analyst", 201, path=p_pair, json=hide)
    assert api("GET", review, "jetro_viewer", 200, path=p_pair).json()["note"] == "JETRO's own note"
    for org in ("jetro", "pichtr"):
        assert api("GET", "/reviews", f"{org}_viewer", 200).json()["total"] == 1
    api("POST", outcomes, "jetro_analyst", 201, path=p_pair, json={"outcome": "interested"})
    api("GET", outcomes, "jetro_viewer", 200, path=p_pair)
    api("GET", outcomes, "pichtr_admin", 404, path=p_pair)
    assert api("GET", "/outcomes", "pichtr_viewer", 200).json()["total"] == 0
    assert api("GET", "/outcomes", "jetro_viewer", 200).json()["total"] == 1
    follow = "/solicitations/{solicitation_id}/follow"
    api("PUT", follow, "jetro_analyst", 201, path=p_sol)
    api("DELETE", follow, "pichtr_analyst", 404, path=p_sol)
    api(
        "PATCH",
        "/solicitations/{solicitation_id}",
        "pichtr_analyst",
        200,
        path=p_sol,
        json={"title": "Amended"},
    )
    since = {"since": "2000-01-01T00:00:00Z"}
    assert api("GET", "/follows/changes", "jetro_viewer", 200, params=since).json()["total"] == 1
    assert api("GET", "/follows/changes", "pichtr_viewer", 200, params=since).json()["total"] == 0
    assert api("GET", "/follows", "pichtr_viewer", 200).json()["total"] == 0
    assert api("GET", "/follows", "jetro_viewer", 200).json()["total"] == 1
    api("GET", "/solicitations/{solicitation_id}/changes", "pichtr_viewer", 200, path=p_sol)
    api("DELETE", follow, "jetro_analyst", 204, path=p_sol)
    # Ranking models are shared by every organization (trained on everyone's outcomes, which
    # they show only as counts): every admin reads the list, no one else does.
    api("GET", "/ranking-models", "jetro_analyst", 403)
    for key in ("jetro_admin", "pichtr_admin"):
        assert api("GET", "/ranking-models", key, 200).json() == []
    # Report recipients and the outbox: each organization's own, invisible to the other (404).
    recipients, recipient = "/reports/recipients", "/reports/recipients/{recipient_id}"
    desk = {"email": "desk@jetro.example.jp", "locale": "ja"}
    j_desk = api("POST", recipients, "jetro_admin", 201, json=desk).json()
    p_desk = api(
        "POST", recipients, "pichtr_admin", 201, json={"email": "ota@pichtr.example"}
    ).json()
    api("GET", recipient, "pichtr_admin", 404, path=j_desk)
    api("PATCH", recipient, "pichtr_admin", 404, path=j_desk, json={"opted_out": True})
    api("DELETE", recipient, "pichtr_admin", 404, path=j_desk)
    api("PATCH", recipient, "jetro_admin", 200, path=j_desk, json={"max_matches": 5})
    assert api("GET", recipients, "pichtr_viewer", 200).json()["total"] == 1
    with session_scope() as session:
        session.add(
            ReportMessage(
                organization_id=jetro_id,
                recipient_id=j_desk["id"],
                report_date=date(2026, 11, 30),
                window_start=datetime(2026, 11, 29, 23, tzinfo=UTC),
                window_end=datetime(2026, 11, 30, 23, tzinfo=UTC),
                to_address=desk["email"],
                locale="ja",
                subject="Kakehashi",
                message_id="isolation@kakehashi.test",
                status=ReportStatus.SENT,
            )
        )
    j_report = api("GET", "/reports", "jetro_viewer", 200).json()["items"][0]
    assert api("GET", "/reports", "pichtr_viewer", 200).json()["total"] == 0
    api("GET", "/reports/{message_id}", "jetro_viewer", 200, path=j_report)
    api("GET", "/reports/{message_id}", "pichtr_admin", 404, path=j_report)
    preview = {"date": "2026-11-30", "recipient_id": j_desk["id"]}
    api("GET", "/reports/preview", "pichtr_viewer", 404, params=preview)
    api("GET", "/reports/preview", "jetro_viewer", 200, params=preview)
    api("DELETE", recipient, "pichtr_admin", 204, path=p_desk)
    # Restricted-party screening: only the platform loads lists; a hit shows to the platform
    # and to the organization whose company it is on, and only they may decide it.
    lists = "/screening/lists/{list_name}"
    csl = {"file": ("csl.csv", (FIXTURES / "screening" / "csl_excerpt.csv").read_bytes())}
    eul = {
        "file": (
            "eul.csv",
            b"no,company_name,aliases,country,type_of_concern\n"
            b"1,Hayabusa Photonics Company,,JP,Missile\n2,Kawasemi,,JP,Missile\n",
        )
    }
    api("POST", lists, "jetro_admin", 403, path="csl", files=csl)
    api("POST", lists, "pichtr_admin", 201, path="csl", files=csl)
    api("POST", lists, "pichtr_admin", 201, path="meti_eul", files=eul)
    for org in ("jetro", "pichtr"):
        assert api("GET", "/screening/snapshots", f"{org}_viewer", 200).json()["total"] == 2
    open_hits = {"status": "open"}
    p_hits = api("GET", "/screening/hits", "pichtr_viewer", 200, params=open_hits).json()
    j_hits = api("GET", "/screening/hits", "jetro_viewer", 200, params=open_hits).json()
    j_ids = {h["company_id"] for h in j_hits["items"]}
    p_ids = {h["company_id"] for h in p_hits["items"]}
    assert j_partner["id"] in j_ids and p_partner["id"] not in j_ids
    assert j_ids | {p_partner["id"]} <= p_ids
    p_hit = next(h for h in p_hits["items"] if h["company_id"] == p_partner["id"])
    j_hit = next(h for h in j_hits["items"] if h["company_id"] == j_partner["id"])
    hit = "/screening/hits/{hit_id}"
    api("GET", hit, "jetro_viewer", 404, path=p_hit)
    api("GET", hit, "pichtr_viewer", 200, path=j_hit)
    why = {"reason": "A different company: other address and founders."}
    api("POST", hit + "/clear", "jetro_analyst", 404, path=p_hit, json=why)
    api("POST", hit + "/confirm", "jetro_analyst", 404, path=p_hit, json=why)
    api("POST", hit + "/clear", "jetro_viewer", 403, path=j_hit, json=why)
    api("POST", hit + "/clear", "jetro_analyst", 200, path=j_hit, json=why)
    api("POST", hit + "/confirm", "pichtr_analyst", 200, path=p_hit, json={})
    history = "/companies/{company_id}/screening"
    assert api("GET", history, "jetro_viewer", 200, path=p_partner).json() == []
    [decided] = api("GET", history, "pichtr_viewer", 200, path=j_partner).json()
    assert decided["status"] == "cleared"

    assert api.called == api.every_operation(), api.every_operation() - api.called

"""Explanations over the demo data and awkward records: every quote is an exact slice of the
field it names, as the API returns the record, and shared terms are informative."""

from typing import Any

from fastapi.testclient import TestClient

from app import seeding
from app.config import get_settings
from app.db import session_scope
from app.jobs.worker import drain
from app.matches.index import get_ranker
from matching.explain import common_term_limit
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload


def assert_quotes(record: dict[str, Any], quote: dict[str, Any]) -> None:
    """`record[field][start:end] == text`, through the keyword's index for `keywords`: a slice
    of one field, so no join between fields ("Inc.. Kirameki", "Capabilities:") can show."""
    value = record[quote["field"]]
    if quote["field"] == "keywords":
        assert isinstance(quote["item"], int)
        value = value[quote["item"]]
    else:
        assert quote["item"] is None
    assert value[quote["start"] : quote["end"]] == quote["text"], quote
    assert quote["text"] and quote["text"] == quote["text"].strip()


def assert_explained(need: dict, company: dict, explanation: dict) -> list[dict[str, Any]]:
    """Check every quote of one explanation; return the capability quotes."""
    quotes = []
    for passage in explanation["passages"]:
        for side, record in (("need", need), ("capability", company)):
            window, sentence = passage[side], passage[f"{side}_sentence"]
            assert_quotes(record, window)
            assert_quotes(record, sentence)
            assert (window["field"], window["item"]) == (sentence["field"], sentence["item"])
            assert window["start"] <= sentence["start"] < sentence["end"] <= window["end"]
        quotes.append(passage["capability"])
    return quotes


def test_demo_explanations_quote_the_records(client: TestClient, keys: Keys) -> None:
    with session_scope() as session:
        seeding.load(session, directory=get_settings().seed_dir)
    drain()
    headers = keys.headers("pichtr_analyst")
    records: dict[str, dict[int, dict]] = {"companies": {}, "solicitations": {}}

    def record(kind: str, record_id: int) -> dict:
        if record_id not in records[kind]:
            response = client.get(f"/api/v1/{kind}/{record_id}", headers=headers)
            records[kind][record_id] = response.json()
        return records[kind][record_id]

    capability_fields: set[str] = set()
    for solicitation_id in (1, 2, 3, 4, 5, 6, 7, 8):
        need = record("solicitations", solicitation_id)
        for role in ("jp_partner", "us_performer"):
            body = client.get(
                f"/api/v1/solicitations/{solicitation_id}/matches",
                params={"role": role, "include_held_back": True, "limit": 10},
                headers=headers,
            ).json()
            assert body["pending_embeddings"] == 0
            for item in body["items"] + body["held_back"]:
                company = record("companies", item["company"]["id"])
                quotes = assert_explained(need, company, item["explanation"])
                capability_fields.update(q["field"] for q in quotes)
    # Windows of keywords are quoted too, each by one keyword.
    assert "keywords" in capability_fields and "narrative" in capability_fields

    # The reverse direction: solicitations for a partner.
    for company_id in (1, 2, 3):
        body = client.get(
            f"/api/v1/companies/{company_id}/matches",
            params={"include_held_back": True},
            headers=headers,
        ).json()
        company = record("companies", company_id)
        for item in body["items"] + body["held_back"]:
            need = record("solicitations", item["solicitation"]["id"])
            assert_explained(need, company, item["explanation"])

    # Team coverage quotes the solicitation's fields.
    teams = client.get("/api/v1/solicitations/1/teams", headers=headers).json()
    assert teams["items"]
    for team in teams["items"]:
        for coverage in team["coverage"]:
            assert_quotes(record("solicitations", 1), coverage["need"])

    # Shared terms are never common across the corpus they were found in.
    with session_scope() as session:
        lexical = get_ranker().companies(session).lexical_
    body = client.get(
        "/api/v1/solicitations/1/matches", params={"include_held_back": True}, headers=headers
    ).json()
    limit = common_term_limit(lexical.n_documents_)
    for item in body["items"] + body["held_back"]:
        for term in item["explanation"]["shared_terms"]:
            assert lexical.document_frequency(term) <= limit, term
            assert term.lower() not in {"meti", "japanese", "class", "include", "based"}


def test_long_and_unicode_texts_are_quoted_exactly(client: TestClient, keys: Keys) -> None:
    sentences = [
        f"Phase {i} qualifies GaN power amplifiers at {70 + i} GHz under thermal vacuum, "
        f"with hermetic packages screened to {i * 10} krad total dose and burn-in."
        for i in range(40)
    ]
    description = "Overview:\n\n" + " ".join(sentences) + "\n\n- Deliverables: reports 📄."
    need = solicitation_payload(
        notice_id="LONG-1",
        title="Ka-band GaN amplifiers — 長い説明",
        description=description,
        export_control="none",
        foreign_participation="allowed",
    )
    need_id = client.post(
        "/api/v1/solicitations", json=need, headers=keys.headers("pichtr_analyst")
    ).json()["id"]
    partner = company_payload(
        name="Aoi 窒化ガリウム Devices KK",
        corporate_number=None,
        narrative="窒化ガリウム（GaN）の増幅器を設計します。 We design GaN power amplifiers 🚀 "
        "for Ka-band links and package them in hermetic ceramic modules. Ünïcödé naïve café.",
        keywords=["GaN MMIC", "hermetic packaging", "熱真空試験"],
    )
    partner_id = client.post(
        "/api/v1/companies", json=partner, headers=keys.headers("jetro_analyst")
    ).json()["id"]
    client.post(
        f"/api/v1/companies/{partner_id}/vetting",
        json={"status": "vetted", "evidence": "Site visit."},
        headers=keys.headers("pichtr_analyst"),
    )
    drain()
    headers = keys.headers("jetro_viewer")
    need_record = client.get(f"/api/v1/solicitations/{need_id}", headers=headers).json()
    company = client.get(f"/api/v1/companies/{partner_id}", headers=headers).json()
    body = client.get(f"/api/v1/solicitations/{need_id}/matches", headers=headers).json()
    [item] = body["items"]
    assert len(item["explanation"]["passages"]) == 3
    assert_explained(need_record, company, item["explanation"])
    # The description is long: its windows are quoted at offsets well past the first window.
    assert max(p["need"]["end"] for p in item["explanation"]["passages"]) > 1000 or any(
        p["need"]["start"] > 1000 for p in item["explanation"]["passages"]
    )
    reverse = client.get(f"/api/v1/companies/{partner_id}/matches", headers=headers).json()
    for found in reverse["items"]:
        if found["solicitation"]["id"] == need_id:
            assert_explained(need_record, company, found["explanation"])

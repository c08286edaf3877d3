"""Japanese-language profiles through the API: stored, detected, filtered, audited."""

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.factories import company_payload

URL = "/api/v1/companies"
NARRATIVE_JA = (
    "当社は窒化ガリウム（GaN）パワー半導体の設計と試作を行う大阪の中小企業です。"
    "レーダー用の高周波増幅器モジュールを自社工場で組み立て、気密封止まで一貫して対応します。"
)
JAPANESE_ONLY = {
    "name": "Naniwa Power Devices K.K.",
    "name_ja": "なにわパワーデバイス株式会社",
    "narrative": NARRATIVE_JA,
    "keywords": ["窒化ガリウム", "高周波増幅器", "気密封止"],
}


def _post(client: TestClient, keys: Keys, **overrides: object) -> dict:
    response = client.post(
        URL, json=company_payload(**overrides), headers=keys.headers("jetro_analyst")
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_japanese_only_profile_is_stored_and_detected(client: TestClient, keys: Keys) -> None:
    body = _post(client, keys, **JAPANESE_ONLY)
    assert body["narrative"] == NARRATIVE_JA
    assert body["keywords"] == ["窒化ガリウム", "高周波増幅器", "気密封止"]
    assert body["narrative_ja"] == ""
    assert body["profile_language"] == "ja"
    assert body["narrative_language"] == "ja"
    fetched = client.get(f"{URL}/{body['id']}", headers=keys.headers("pichtr_viewer")).json()
    assert fetched == body


def test_english_profile_with_japanese_version_is_both(client: TestClient, keys: Keys) -> None:
    body = _post(client, keys, narrative_ja=NARRATIVE_JA)
    assert body["narrative_ja"] == NARRATIVE_JA
    assert body["narrative_language"] == "en"
    assert body["profile_language"] == "en+ja"
    # English narrative, Japanese keywords: both languages too.
    mixed = _post(client, keys, corporate_number=None, keywords=["GaN", "窒化ガリウム"])
    assert mixed["profile_language"] == "en+ja"
    english = _post(client, keys, corporate_number=None, name="Plain English K.K.")
    assert english["profile_language"] == "en"
    assert english["narrative_ja"] == ""


def test_patch_recomputes_language_with_one_version_bump(client: TestClient, keys: Keys) -> None:
    company = _post(client, keys)
    url = f"{URL}/{company['id']}"
    headers = keys.headers("jetro_analyst")
    assert company["profile_language"] == "en"

    both = client.patch(
        url, json={"narrative_ja": NARRATIVE_JA}, headers={**headers, "If-Match": '"1"'}
    )
    assert both.status_code == 200, both.text
    assert both.json()["profile_language"] == "en+ja"
    assert both.json()["version"] == 2 and both.headers["ETag"] == '"2"'

    japanese = client.patch(
        url,
        json={"narrative": NARRATIVE_JA, "narrative_ja": "", "keywords": ["窒化ガリウム"]},
        headers={**headers, "If-Match": '"2"'},
    )
    assert japanese.status_code == 200, japanese.text
    assert japanese.json()["profile_language"] == "ja"
    assert japanese.json()["narrative_language"] == "ja"
    assert japanese.json()["version"] == 3

    # A change elsewhere leaves the language alone; an unchanged write bumps nothing.
    renamed = client.patch(url, json={"name": "Renamed K.K."}, headers=headers).json()
    assert renamed["profile_language"] == "ja" and renamed["version"] == 4
    same = client.patch(url, json={"narrative": NARRATIVE_JA}, headers=headers).json()
    assert same["version"] == 4

    nulled = client.patch(url, json={"narrative_ja": None}, headers=headers)
    assert nulled.status_code == 422
    assert "narrative_ja" in nulled.text

    audit = client.get(
        "/api/v1/audit",
        params={"entity_type": "company", "entity_id": company["id"]},
        headers=keys.headers("pichtr_admin"),
    ).json()
    update = next(e for e in audit["items"] if e["changes"].get("narrative_ja", {}).get("after"))
    assert update["changes"]["narrative_ja"] == {"before": "", "after": NARRATIVE_JA}


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Gallium nitride power devices for radar.", "must be Japanese text"),
        ("GaN パワー semiconductors for radar modules", "must be Japanese text"),
        ("窒" * 20_001, "at most 20000 characters"),
        ("窒化ガリウム\x00", "NUL"),
        ("窒化ガリウム\ud800", "lone surrogate"),
    ],
)
def test_narrative_ja_must_be_storable_japanese(
    client: TestClient, keys: Keys, value: str, reason: str
) -> None:
    headers = {**keys.headers("jetro_analyst"), "Content-Type": "application/json"}
    # Built by hand: a lone surrogate has no UTF-8 form, so it travels as a JSON escape.
    escaped = value.replace("\x00", "\\u0000").replace("\ud800", "\\ud800")
    body = (
        '{"role": "jp_partner", "country": "JP", "name": "Naniwa K.K.", "narrative_ja": "'
        + escaped
        + '"}'
    )
    response = client.post(URL, content=body.encode("utf-8", "surrogatepass"), headers=headers)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == "narrative_ja" and reason in e["msg"] for e in errors), errors
    assert client.get(URL, headers=keys.headers("jetro_viewer")).json()["total"] == 0


def test_patch_refuses_english_in_narrative_ja(client: TestClient, keys: Keys) -> None:
    company = _post(client, keys)
    response = client.patch(
        f"{URL}/{company['id']}",
        json={"narrative_ja": "An English text"},
        headers=keys.headers("jetro_analyst"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "narrative_ja"


def test_list_filters_by_profile_language(client: TestClient, keys: Keys) -> None:
    _post(client, keys, **JAPANESE_ONLY)
    _post(client, keys, corporate_number=None, name="Bilingual K.K.", narrative_ja=NARRATIVE_JA)
    _post(client, keys, corporate_number=None, name="English K.K.")
    headers = keys.headers("pichtr_viewer")

    def names(**params: str) -> list[str]:
        page = client.get(URL, params=params, headers=headers)
        assert page.status_code == 200, page.text
        return [c["name"] for c in page.json()["items"]]

    assert names(profile_language="ja") == ["Naniwa Power Devices K.K."]
    assert names(profile_language="en+ja") == ["Bilingual K.K."]
    assert names(profile_language="en") == ["English K.K."]
    # Text search reads both narratives.
    assert names(q="気密封止") == ["Bilingual K.K.", "Naniwa Power Devices K.K."]
    bad = client.get(URL, params={"profile_language": "fr"}, headers=headers)
    assert bad.status_code == 422
    assert "profile_language" in bad.text

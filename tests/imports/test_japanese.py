"""Japanese company profiles through an import: CP932 and UTF-8 files, narrative_ja, the
detected profile language, and per-row errors for a Japanese version that is not Japanese."""

from fastapi.testclient import TestClient

from tests.conftest import Keys
from tests.imports.test_service import upload

URL = "/api/v1/companies"


def _by_name(client: TestClient, keys: Keys) -> dict[str, dict]:
    page = client.get(URL, params={"limit": 100}, headers=keys.headers("pichtr_viewer")).json()
    return {c["name"]: c for c in page["items"]}


def test_cp932_file_imports_japanese_profiles(client: TestClient, keys: Keys) -> None:
    summary = upload(client, keys, "companies_cp932.csv", kind="companies", key="jetro_analyst")
    assert summary["errors"] == [] and summary["created"] == 2, summary
    companies = _by_name(client, keys)
    hamakaze = companies["Hamakaze Seimitsu K.K."]
    assert hamakaze["name_ja"] == "浜風精密㈱"
    assert hamakaze["narrative"].endswith("表面処理まで社内で一貫対応が可能です。")
    assert hamakaze["narrative_ja"] == ""
    assert hamakaze["profile_language"] == "ja"
    yamabiko = companies["Yamabiko Acoustics Co., Ltd."]
    assert yamabiko["narrative_ja"].startswith("港湾警備向けの水中音響センサ")
    assert yamabiko["profile_language"] == "en+ja"
    ja = client.get(URL, params={"profile_language": "ja"}, headers=keys.headers("jetro_viewer"))
    assert [c["name"] for c in ja.json()["items"]] == ["Hamakaze Seimitsu K.K."]


def test_template_and_windows_1252_files_keep_their_languages(
    client: TestClient, keys: Keys
) -> None:
    upload(client, keys, "companies_template.csv", kind="companies")
    upload(client, keys, "companies_cp1252.csv", kind="companies")
    companies = _by_name(client, keys)
    assert companies["Hoshizora Orbital Systems K.K."]["profile_language"] == "en+ja"
    assert companies["Rivière Photonics LLC"]["narrative"].startswith("Free-space optical links")
    assert companies["O’Neill Energetics Inc."]["profile_language"] == "en"
    assert companies["Shirokuma Robotics K.K."]["profile_language"] == "en"


def test_reimport_updates_language_and_refuses_english_narrative_ja(
    client: TestClient, keys: Keys
) -> None:
    header = "role,country,name,narrative,narrative_ja,keywords,external_id\n"
    first = (
        header + "jp_partner,JP,Sakura Optics K.K.,Precision infrared lenses.,,IR optics,S-1\n"
    ).encode("utf-8")
    assert upload(client, keys, "s.csv", kind="companies", content=first)["created"] == 1
    assert _by_name(client, keys)["Sakura Optics K.K."]["profile_language"] == "en"

    second = (
        header
        + "jp_partner,JP,Sakura Optics K.K.,Precision infrared lenses.,"
        + "赤外線用の精密レンズを研削・研磨しています。,IR optics; 赤外線レンズ,S-1\n"
        + "jp_partner,JP,Fuji Lens K.K.,Camera lenses.,Camera lenses in English.,,S-2\n"
    ).encode("utf-8")
    summary = upload(client, keys, "s.csv", kind="companies", content=second)
    assert summary["updated"] == 1 and summary["created"] == 0
    (error,) = summary["errors"]
    assert error["line"] == 3 and error["field"] == "narrative_ja"
    assert "must be Japanese text" in error["reason"]
    sakura = _by_name(client, keys)["Sakura Optics K.K."]
    assert sakura["profile_language"] == "en+ja"
    assert sakura["keywords"] == ["IR optics", "赤外線レンズ"]
    assert sakura["version"] == 2

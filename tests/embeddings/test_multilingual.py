"""Multilingual vectors: stored per model and text hash beside the base vectors, only for
companies written (partly) in Japanese and, once one exists, for solicitations; re-encoded
only when the text changed. Japanese companies get their areas from them."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.companies.models import Company
from app.db import get_sessionmaker
from app.embeddings.jobs import embed_in_chunks
from app.embeddings.models import Embedding
from app.embeddings.service import multilingual_space_id
from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload

JAPANESE = (
    "当社は小型人工衛星向けのグリーン推進剤スラスタを開発・製造しています。"
    "真空環境を模擬した燃焼試験設備を保有し、軌道上での姿勢制御と軌道変更を支えています。"
)


def _hashes(model_id: str) -> dict[tuple[str, int], str]:
    with get_sessionmaker()() as session:
        rows = session.scalars(select(Embedding).where(Embedding.model_id == model_id))
        return {(r.entity_type, r.entity_id): r.content_hash for r in rows}


def test_only_changed_japanese_text_is_encoded_again(client: TestClient, keys: Keys) -> None:
    analyst = keys.headers("jetro_analyst")
    english = client.post("/api/v1/companies", json=company_payload(), headers=analyst).json()
    # A solicitation stored before any company needed multilingual vectors...
    need = client.post(
        "/api/v1/solicitations", json=solicitation_payload(), headers=keys.headers("pichtr_analyst")
    ).json()
    drain()
    assert not _hashes(multilingual_space_id("solicitation"))
    # ...gets one once a Japanese company is embedded.
    body = company_payload(name="星空推進株式会社", narrative=JAPANESE, keywords=[])
    body["corporate_number"] = None
    body["technology_areas"] = []  # left to the classifier
    japanese = client.post("/api/v1/companies", json=body, headers=analyst).json()
    drain()
    passages = _hashes(multilingual_space_id("company"))
    assert set(passages) == {("company", japanese["id"])}
    assert ("solicitation", need["id"]) in _hashes(multilingual_space_id("solicitation"))

    # Areas of the Japanese company come from its multilingual vectors.
    with get_sessionmaker()() as session:
        company = session.get(Company, japanese["id"])
        assert company is not None and "space" in company.area_slugs

    # Nothing changed: a second run encodes nothing, in either space.
    with get_sessionmaker()() as session:
        again = embed_in_chunks(session, entity="company")
    assert again.encoded == 0
    assert _hashes(multilingual_space_id("company")) == passages

    # The English company changes: still no multilingual vector for it, and the Japanese
    # one's stays as it was.
    client.patch(
        f"/api/v1/companies/{english['id']}", json={"keywords": ["Ka-band"]}, headers=analyst
    )
    drain()
    assert _hashes(multilingual_space_id("company")) == passages

    # The Japanese text changes: its multilingual vector is computed again, from the new text.
    client.patch(
        f"/api/v1/companies/{japanese['id']}",
        json={"narrative": JAPANESE + "ISO 9001認証を取得しています。"},
        headers=analyst,
    )
    drain()
    changed = _hashes(multilingual_space_id("company"))
    assert set(changed) == set(passages)
    assert changed[("company", japanese["id"])] != passages[("company", japanese["id"])]

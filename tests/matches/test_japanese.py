"""A partner that describes itself in Japanese only is matched to an English need on both
databases: the worker stores its multilingual vector, the match list ranks it, says that its
lexical score is absent (not zero), and quotes its Japanese sentence beside the English one."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import get_sessionmaker
from app.embeddings.models import Embedding
from app.embeddings.service import multilingual_space_id
from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.matches.conftest import BAKERY, post, vet

GAN_JA = (
    "当社は窒化ガリウム（GaN）を用いたKaバンド帯の高出力増幅器を設計・製造しています。"
    "耐放射線プロセスにより100 kradの総電離線量に耐え、衛星間通信に用いられています。"
    "増幅器はMIL-STD-883に準拠した気密セラミックモジュールに実装して出荷しています。"
)


def test_japanese_only_partner_in_the_match_list(client: TestClient, keys: Keys) -> None:
    ids = {}
    for key, name, narrative in (
        ("japanese", "北辰GaNデバイス株式会社", GAN_JA),
        ("bakery", "Sakura Bakery Robotics KK", BAKERY),
    ):
        body = company_payload(name=name, narrative=narrative, corporate_number=None, keywords=[])
        ids[key] = post(client, keys, "/api/v1/companies", body, "jetro_analyst")["id"]
        vet(client, keys, ids[key])
    need = solicitation_payload(
        export_control="none",
        foreign_participation="allowed",
        description="Prototype radiation-hardened GaN power amplifiers for Ka-band satellite "
        "crosslinks. Amplifiers must survive 100 krad total dose and come in hermetic packages.",
    )
    solicitation = post(client, keys, "/api/v1/solicitations", need, "pichtr_analyst")["id"]
    drain()  # the worker embeds, the multilingual vectors too

    with get_sessionmaker()() as session:
        stored = {
            (row.entity_type, row.entity_id)
            for row in session.scalars(
                select(Embedding).where(
                    Embedding.model_id.in_(
                        [multilingual_space_id("company"), multilingual_space_id("solicitation")]
                    )
                )
            )
        }
    # Only the Japanese partner gets a multilingual passage vector; the need gets a query one.
    assert ("company", ids["japanese"]) in stored
    assert ("company", ids["bakery"]) not in stored
    assert ("solicitation", solicitation) in stored

    headers = keys.headers("jetro_viewer")
    url = f"/api/v1/solicitations/{solicitation}/matches"
    body = client.get(url, params={"min_fit": 0}, headers=headers).json()
    ranked = [m["company"]["id"] for m in body["items"]]
    assert ranked[0] == ids["japanese"]
    top = body["items"][0]
    assert top["cross_lingual"] is True
    assert top["lexical_basis"] == "absent"
    assert top["components"]["lexical"] == 0.0
    assert top["explanation"]["shared_terms"] == []
    passage = top["explanation"]["passages"][0]
    sentence = passage["capability_sentence"]
    assert sentence["field"] == "narrative"
    assert GAN_JA[sentence["start"] : sentence["end"]] == sentence["text"]
    assert sentence["text"].endswith("。")
    need_sentence = passage["need_sentence"]
    assert need_sentence["field"] in {"title", "description"}
    english = next(m for m in body["items"] if m["company"]["id"] == ids["bakery"])
    assert english["cross_lingual"] is False and english["lexical_basis"] == "text"

    # The reverse list, from the Japanese partner's side, scores the same pair the same way.
    reverse = client.get(
        f"/api/v1/companies/{ids['japanese']}/matches", params={"min_fit": 0}, headers=headers
    ).json()
    pair = next(m for m in reverse["items"] if m["solicitation"]["id"] == solicitation)
    assert abs(pair["score"] - top["score"]) < 1e-3
    assert pair["cross_lingual"] is True

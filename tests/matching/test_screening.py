"""Restricted-party screening: name normalisation, fuzzy matching, the country signal and the
order of hits."""

from __future__ import annotations

import numpy as np
import pytest

from matching.screening import (
    _VECTORISED_FROM,
    COUNTRY_AGREEMENT_BONUS,
    COUNTRY_DISAGREEMENT_PENALTY,
    DEFAULT_THRESHOLD,
    Hit,
    ListedParty,
    Party,
    ScreeningIndex,
    _comparable_words,
    _name_score,
    normalise,
)

# A small list in the shape of the Consolidated Screening List, with the common words of real
# lists around the names that matter.
ENTRIES = [
    ListedParty(
        "csl-hikvision",
        ("Hangzhou Hikvision Digital Technology Co., Ltd.", "Hikvision"),
        ("CN",),
    ),
    ListedParty("csl-toshiba", ("Kabushiki Kaisha Toshiba",), ("JP",)),
    ListedParty(
        "csl-rostec",
        ('Joint Stock Company "Concern Radio-Electronic Technologies"', "KRET"),
        ("RU",),
    ),
    ListedParty(
        "csl-sanaye", ("Sanaye Electronic Sabalan Co.", "Sabalan Electronic Industries"), ("IR",)
    ),
    ListedParty("meti-tokai", ("東海精密機械株式会社", "Tokai Seimitsu Kikai K.K."), ("JP",)),
    ListedParty("csl-beijing", ("Beijing Zhongke Precision Instruments Co., Ltd.",), ("CN",)),
    ListedParty("csl-aria", ("Aria Navigation Systems Limited",), ("AE",)),
    ListedParty("csl-arc", ("Advanced Rocket Concern", "ARC"), ("RU",)),
    ListedParty("csl-generic", ("General Electronics Trading Co.",), ("HK",)),
]


@pytest.fixture(scope="module")
def index() -> ScreeningIndex:
    return ScreeningIndex(ENTRIES)


def entry_keys(hits: list[Hit]) -> list[str]:
    return [hit.entry_key for hit in hits]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ＴＯＳＨＩＢＡ　ＣＯＲＰ．", "toshiba"),  # NFKC: full-width letters and space
        ("Tōshiba", "toshiba"),  # accents off Latin letters
        ("TOSHIBA", "toshiba"),  # case
        ("Sanaye-Electronic, Sabalan!", "sanaye electronic sabalan"),  # punctuation
        ("Hikvision Co., Ltd.", "hikvision"),
        ("Toshiba Corporation", "toshiba"),
        ("Toshiba Company Limited", "toshiba"),
        ("Toshiba Inc.", "toshiba"),
        ("Toshiba LLC", "toshiba"),
        ("Siemens GmbH", "siemens"),
        ("Kabushiki Kaisha Toshiba", "toshiba"),
        ("Toshiba Kabushiki-Kaisha", "toshiba"),
        ("Toshiba K.K.", "toshiba"),
        ("Toshiba KK", "toshiba"),
        ("Toshiba Godo Kaisha", "toshiba"),
        ("Toshiba G.K.", "toshiba"),
        ("Yugen Kaisha Toshiba", "toshiba"),
        ("株式会社東芝", "東芝"),
        ("東芝株式会社", "東芝"),
        ("(株)東芝", "東芝"),
        ("㈱東芝", "東芝"),
        ("東芝合同会社", "東芝"),
        ("有限会社東芝", "東芝"),
        ('OOO "Radiotekhnika"', "radiotekhnika"),
        ("Toshiba Device & Storage", "toshiba device and storage"),
        ("Company Limited", "company limited"),  # nothing but legal forms: kept
        ("  ", ""),
    ],
)
def test_normalise(name: str, expected: str) -> None:
    assert normalise(name) == expected


@pytest.mark.parametrize(
    ("party_name", "country", "entry_key"),
    [
        ("Toshiba Corporation", "JP", "csl-toshiba"),  # legal forms, romanised and English
        ("Hikvision", "CN", "csl-hikvision"),  # short name inside the long one
        ("Hikvision Japan K.K.", "JP", "csl-hikvision"),  # a listed company's branch
        ("Digital Technology Hikvision Hangzhou", "CN", "csl-hikvision"),  # reordered words
        ("Hangzhou Hikvison Digital Technology", "CN", "csl-hikvision"),  # a typo
        ("Hang Zhou Hikvision Digital Technology", "CN", "csl-hikvision"),  # a split word
        ("Concern Radio Electronic Technologies JSC", "RU", "csl-rostec"),  # legal form moved
        ("Sanaye Elektronik Sabalan", "IR", "csl-sanaye"),  # transliteration
        ("東海精密機械", "JP", "meti-tokai"),  # Japanese script against Japanese script
        ("Tokai Seimitsu Kikai Co., Ltd.", "JP", "meti-tokai"),  # romanised alias
        ("ARC Co., Ltd.", "RU", "csl-arc"),  # a short alias, equal
        ("Trading General Electronics Ltd.", "HK", "csl-generic"),  # common words only
        ("Tokai Precision Machinery Co., Ltd.", "JP", "meti-tokai"),  # its English form
        ("Kabushiki Kaisha Tokai Seimitsu Kikai", "JP", "meti-tokai"),  # legal form in front
        ("Toshiba Corporatoin", "JP", "csl-toshiba"),  # a typo in the legal form
        ("Tokai Seimitsu Kiaki", "JP", "meti-tokai"),  # a typo in a Japanese trade word
        ("Sanaye Electronic Sabalaan", "IR", "csl-sanaye"),  # a doubled letter
        ("Sanaieh Electronic Sabalan", "IR", "csl-sanaye"),  # Persian -eh and y/i
        ("Hangzhou Heekvision Digital Technology", "CN", "csl-hikvision"),  # ee for i
    ],
)
def test_true_pairs_are_hits(
    index: ScreeningIndex, party_name: str, country: str, entry_key: str
) -> None:
    hits = index.screen([Party("p", (party_name,), country)])
    assert entry_key in entry_keys(hits), hits
    assert all(DEFAULT_THRESHOLD <= hit.score <= 1.0 for hit in hits)


@pytest.mark.parametrize(
    "party_name",
    [
        "Digital Technology Inc.",  # only common words of a listed name
        "Tokai Rika Co., Ltd.",  # shares one word with a listed name
        "Beijing Precision Machinery Co., Ltd.",  # a city and trade words
        "Aria Logistics K.K.",  # a short common first word
        "Mitsubishi Electric Corporation",
        "Beijing Huaxin Precision Instruments Co., Ltd.",  # same city and trade, other brand
        "Aira Navigation Systems",  # a short word that differs is another name
        "Sabalan Foods K.K.",  # one listed word among others as rare
        "Toshiba Cooperation Society",  # two edits from a legal form is a word
        "Arc Systems K.K.",  # a listed three-letter alias among common words
    ],
)
def test_different_names_are_not_hits(index: ScreeningIndex, party_name: str) -> None:
    assert index.screen([Party("p", (party_name,), "JP")]) == []


def test_scores_at_once_equal_word_by_word_scores() -> None:
    """The numpy path (many candidates) against the word-by-word reference."""
    cities = ["Beijing", "Hangzhou", "Xian", "Wuhan"]
    brands = ["Zhongke", "Zhongkai", "Huaxin", "Huaxing", "Tianyu", "Hik Vision", "Hikvision"]
    trades = ["Precision Instruments", "Digital Technology", "Trading", "Navigation Systems"]
    entries = [
        ListedParty(f"e{i}", (f"{city} {brand} {trade} Co., Ltd.", f"{brand} {trade}"), ("CN",))
        for i, (city, brand, trade) in enumerate(
            (city, brand, trade) for city in cities for brand in brands for trade in trades
        )
    ]
    index = ScreeningIndex(entries)
    for text in [
        "Zhongke Precision Instruments",
        "Hangzhou Hikvison Digital Tech",
        "Huaxin",
        "Wuhan Tianyu Trading K.K.",
        "Hik-Vision Navigation Systems Japan",
    ]:
        name = index._name(text, _comparable_words(normalise(text)))
        candidates = np.arange(len(index.names_))
        assert len(candidates) > _VECTORISED_FROM
        expected = [_name_score(name, index.names_[i].name) for i in candidates.tolist()]
        assert index._scores(name, candidates) == pytest.approx(expected, abs=1e-6)


def test_any_name_of_the_party_can_hit(index: ScreeningIndex) -> None:
    party = Party("p", ("Eastsea Fine Machines", "東海精密機械株式会社"), "JP")
    [hit] = index.screen([party])
    assert (hit.entry_key, hit.party_name, hit.score) == ("meti-tokai", "東海精密機械株式会社", 1.0)
    assert hit.matched_fields == ("name", "country")


def test_alias_hit_is_named_alt_name(index: ScreeningIndex) -> None:
    [hit] = index.screen([Party("p", ("KRET",), None)])
    assert (hit.entry_key, hit.entry_name, hit.matched_fields) == (
        "csl-rostec",
        "KRET",
        ("alt_name",),
    )


def test_country_agreement_raises_and_disagreement_lowers(index: ScreeningIndex) -> None:
    name = ("Hangzou Hikvison Digital Tech",)
    [unknown] = index.screen([Party("p", name, None)], threshold=0.5)
    [agrees] = index.screen([Party("p", name, "cn")], threshold=0.5)
    [differs] = index.screen([Party("p", name, "JP")], threshold=0.5)
    assert agrees.score == pytest.approx(unknown.score + COUNTRY_AGREEMENT_BONUS)
    assert differs.score == pytest.approx(unknown.score - COUNTRY_DISAGREEMENT_PENALTY)
    assert "country" in agrees.matched_fields
    assert "country" not in differs.matched_fields and "country" not in unknown.matched_fields


def test_empty_names_are_ignored() -> None:
    index = ScreeningIndex([ListedParty("e", ("", "  ", "Hikvision"), ("CN",))])
    assert index.screen([Party("p", ("", " ", "..."), "CN")]) == []
    [hit] = index.screen([Party("p", ("", "Hikvision"), "CN")])
    assert hit.entry_name == "Hikvision"


def test_one_hit_per_party_and_entry_best_first_and_deterministic(index: ScreeningIndex) -> None:
    parties = [
        Party("a", ("Hikvision", "Hangzhou Hikvision Digital Technology"), "CN"),
        Party("b", ("Toshiba K.K.", "Sanaye Electronic Sabalan"), "JP"),
    ]
    hits = index.screen(parties, threshold=0.5)
    pairs = [(hit.party_key, hit.entry_key) for hit in hits]
    assert len(pairs) == len(set(pairs))
    for key in ("a", "b"):
        scores = [hit.score for hit in hits if hit.party_key == key]
        assert scores == sorted(scores, reverse=True)
    assert [hit.party_key for hit in hits] == sorted(hit.party_key for hit in hits)
    assert index.screen(list(reversed(parties)), threshold=0.5) == [
        hit for key in ("b", "a") for hit in hits if hit.party_key == key
    ]
    assert ScreeningIndex(list(reversed(ENTRIES))).screen(parties, threshold=0.5) == hits


def test_threshold_filters(index: ScreeningIndex) -> None:
    party = Party("p", ("Hangzhou Hikvison Digital Tech",), "CN")
    [hit] = index.screen([party])
    assert index.screen([party], threshold=hit.score) == [hit]
    assert index.screen([party], threshold=min(1.0, hit.score + 0.001)) == []


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_zero_to_one_is_refused(index: ScreeningIndex, threshold: float) -> None:
    with pytest.raises(ValueError, match="threshold"):
        index.screen([Party("p", ("Hikvision",), "CN")], threshold=threshold)


def test_an_empty_list_hits_nothing() -> None:
    assert ScreeningIndex([]).screen([Party("p", ("Hikvision",), "CN")]) == []

"""The area classifier recovers obvious areas."""

from __future__ import annotations

import pytest

from matching.classify import DEFAULT_AREAS, AreaClassifier, AreaDefinition
from matching.encoder import Encoder

SLUGS = {
    "space",
    "hypersonics",
    "trusted-microelectronics",
    "additive-manufacturing",
    "artificial-intelligence",
    "unmanned-systems",
    "5g-communications",
    "robotics",
    "cyber",
    "advanced-materials",
    "sensors",
    "energy",
    "biotechnology",
    "quantum",
}


@pytest.fixture(scope="module")
def classifier(encoder: Encoder) -> AreaClassifier:
    return AreaClassifier().fit(DEFAULT_AREAS, encoder)


def test_default_areas_cover_the_vocabulary() -> None:
    assert {a.slug for a in DEFAULT_AREAS} == SLUGS
    for area in DEFAULT_AREAS:
        assert 8 <= len(area.keywords) <= 20
        assert area.description.count(".") >= 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "We design scramjet combustors and thermal protection for Mach 6 glide vehicles, "
            "tested in our arc jet facility.",
            "hypersonics",
        ),
        (
            "Our laser powder bed fusion line prints Inconel 718 brackets; binder jetting and "
            "directed energy deposition are qualified for spare parts.",
            "additive-manufacturing",
        ),
        (
            "Open RAN 5G base stations and millimeter-wave antennas for tactical networks.",
            "5g-communications",
        ),
        (
            "Cold-atom interferometers and optical atomic clocks for navigation without GPS.",
            "quantum",
        ),
        (
            "Zero trust architectures, malware analysis and penetration testing of weapon "
            "system networks.",
            "cyber",
        ),
    ],
)
def test_obvious_area_is_predicted_first(
    classifier: AreaClassifier, encoder: Encoder, text: str, expected: str
) -> None:
    embedding = encoder.encode_documents([text])[0]
    predicted = classifier.predict(text, embedding)
    assert predicted[0][0] == expected
    assert len(predicted) <= classifier.max_areas
    scores = [s for _, s in predicted]
    assert scores == sorted(scores, reverse=True)


def test_at_least_one_area_for_non_empty_text_and_none_for_empty(
    encoder: Encoder,
) -> None:
    strict = AreaClassifier(threshold=1.01).fit(DEFAULT_AREAS, encoder)
    text = "A company that makes things."
    assert len(strict.predict(text, encoder.encode_documents([text])[0])) == 1
    assert strict.predict("  ", encoder.encode_documents([""])[0]) == []


def test_custom_vocabulary(encoder: Encoder) -> None:
    areas = [
        AreaDefinition(
            "ships", "Ships", "Naval vessels and hulls. Shipbuilding.", ("hull", "ship")
        ),
        AreaDefinition("food", "Food", "Rations and nutrition. Field kitchens.", ("ration",)),
    ]
    clf = AreaClassifier().fit(areas, encoder)
    text = "We weld steel hulls for patrol ships."
    assert clf.predict(text, encoder.encode_documents([text])[0])[0][0] == "ships"

"""Fixtures for the matching library: the real model, loaded once per test session, and a
small set of encoded profiles and queries shared by the ranking tests."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from matching.encoder import DocumentEmbedding, Encoder
from matching.ranker import Profile, Query

PROFILES = {
    "jp-thruster": (
        "Hoshizora builds green monopropellant thrusters for small satellites. Its 22 N "
        "thruster burns a HAN blend in a niobium C-103 chamber. Hot-fire testing runs on a "
        "vacuum stand that simulates 40 km altitude.",
        {"space", "advanced-materials"},
        {"336415", "541715"},
    ),
    "jp-gan": (
        "A gallium nitride foundry producing X-band GaN MMIC power amplifiers on silicon "
        "carbide wafers. The fab offers trusted packaging, wafer-level test and radiation "
        "screening for defence electronics.",
        {"trusted-microelectronics"},
        {"334413"},
    ),
    "jp-robot": (
        "Industrial robotic arms with force-controlled grippers for aircraft maintenance. "
        "The arms sand, inspect and repaint fuselage panels, and teleoperation lets a "
        "technician guide them remotely.",
        {"robotics"},
        {"333998"},
    ),
    "us-bus": (
        "We integrate ESPA-class small satellite buses with star trackers, reaction wheels "
        "and X-band downlinks. Our line in Colorado delivers twelve spacecraft buses a year "
        "for low Earth orbit missions.",
        {"space"},
        {"336414", "541715"},
    ),
    "us-cyber": (
        "Zero trust network defense for weapon system platforms. We perform penetration "
        "testing, firmware vulnerability analysis and intrusion detection for avionics "
        "buses such as MIL-STD-1553.",
        {"cyber"},
        {"541512"},
    ),
    "us-battery": (
        "Lithium-ion battery packs and microgrid controllers for expeditionary bases. Our "
        "packs pass UN 38.3 safety tests and run silent watch power for vehicles.",
        {"energy"},
        {"335911"},
    ),
}

QUERIES = {
    "sol-sat": (
        "Small satellite bus for a tactical ISR demonstration. The bus must provide precise "
        "pointing with star trackers and reaction wheels and an X-band downlink. It needs "
        "green propulsion with at least 150 m/s of delta-V from monopropellant thrusters "
        "tested in vacuum.",
        {"space"},
        {"336414"},
    ),
    "sol-cyber": (
        "Prototype intrusion detection for MIL-STD-1553 avionics buses and firmware "
        "vulnerability analysis of aircraft mission computers, under a zero trust design.",
        {"cyber"},
        {"541512"},
    ),
}


@dataclass
class Corpus:
    """Encoded fixtures: profiles by id and queries by id."""

    profiles: dict[str, Profile]
    queries: dict[str, Query]


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The bundled all-MiniLM-L6-v2 on CPU."""
    return Encoder()


@pytest.fixture(scope="session")
def corpus(encoder: Encoder) -> Corpus:
    """Six profiles and two queries, encoded once."""
    texts = [t for t, _, _ in PROFILES.values()] + [t for t, _, _ in QUERIES.values()]
    embeddings: list[DocumentEmbedding] = encoder.encode_documents(texts)
    profiles = {
        pid: Profile(pid, text, frozenset(areas), frozenset(naics), emb)
        for (pid, (text, areas, naics)), emb in zip(PROFILES.items(), embeddings, strict=False)
    }
    queries = {
        qid: Query(qid, text, frozenset(areas), frozenset(naics), emb)
        for (qid, (text, areas, naics)), emb in zip(
            QUERIES.items(), embeddings[len(PROFILES) :], strict=True
        )
    }
    return Corpus(profiles, queries)

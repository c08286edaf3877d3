"""seed the technology area vocabulary

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREAS = [
    (
        "space",
        "Space",
        "宇宙",
        "Spacecraft, small satellites, launch, on-orbit servicing, space "
        "domain awareness and their components.",
    ),
    (
        "hypersonics",
        "Hypersonics",
        "極超音速",
        "Flight above Mach 5: thermal protection, "
        "scramjet and propulsion, high-temperature materials, test and instrumentation.",
    ),
    (
        "trusted-microelectronics",
        "Trusted microelectronics",
        "高信頼マイクロエレクトロニクス",
        "Secure, radiation-hardened and assured semiconductors, RF devices, packaging and "
        "supply-chain provenance.",
    ),
    (
        "additive-manufacturing",
        "Additive manufacturing",
        "積層造形",
        "Metal and polymer 3D "
        "printing, qualification, in-situ monitoring and expeditionary production of parts.",
    ),
    (
        "artificial-intelligence",
        "Artificial intelligence",
        "人工知能",
        "Machine learning, "
        "computer vision, autonomy software, decision support and edge inference.",
    ),
    (
        "unmanned-systems",
        "Unmanned systems",
        "無人システム",
        "Uncrewed aerial, ground, surface and underwater vehicles, swarming and counter-UAS.",
    ),
    (
        "5g-communications",
        "5G and communications",
        "5G・通信",
        "5G and Open RAN networks, mmWave, tactical and satellite communications, spectrum.",
    ),
    (
        "robotics",
        "Robotics",
        "ロボティクス",
        "Industrial and field robots, manipulators, logistics automation and teleoperation.",
    ),
    (
        "cyber",
        "Cyber",
        "サイバー",
        "Cybersecurity, zero trust, secure software, threat "
        "detection and resilience of operational technology.",
    ),
    (
        "advanced-materials",
        "Advanced materials",
        "先端材料",
        "Composites, ceramics, alloys, coatings and functional materials.",
    ),
    (
        "sensors",
        "Sensors",
        "センサー",
        "Electro-optical/infrared, radar, LiDAR, acoustic, inertial and quantum sensing hardware.",
    ),
    (
        "energy",
        "Energy",
        "エネルギー",
        "Batteries, fuel cells, microgrids, power electronics "
        "and energy resilience of installations.",
    ),
    (
        "biotechnology",
        "Biotechnology",
        "バイオテクノロジー",
        "Biomanufacturing, medical countermeasures, diagnostics and synthetic biology.",
    ),
    (
        "quantum",
        "Quantum",
        "量子",
        "Quantum sensing, timing and navigation, quantum computing and communications.",
    ),
]


def upgrade() -> None:
    table = sa.table(
        "technology_areas",
        sa.column("slug", sa.String),
        sa.column("label_en", sa.String),
        sa.column("label_ja", sa.String),
        sa.column("description", sa.Text),
    )
    op.bulk_insert(
        table,
        [
            {"slug": slug, "label_en": en, "label_ja": ja, "description": description}
            for slug, en, ja, description in AREAS
        ],
    )


def downgrade() -> None:
    slugs = [slug for slug, *_ in AREAS]
    op.execute(
        sa.text("DELETE FROM technology_areas WHERE slug IN :slugs").bindparams(
            sa.bindparam("slugs", expanding=True, value=slugs)
        )
    )

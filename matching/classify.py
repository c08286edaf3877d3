"""Technology-area classifier: embedding similarity to area descriptions plus keyword hits.

An area's score is ``(1 - w) * semantic + w * keywords``: semantic is the mean of the
document's and its best window's cosine to the area description, rescaled from [0.1, 0.5] to
[0, 1]; keywords is ``1 - 0.5 ** distinct_hits``. Threshold and keyword weight were chosen by
micro precision / recall against the hand-assigned areas of the 69 seed companies (narrative)
and 30 seed solicitations (title + description), 99 texts, 177 labels:

    keyword weight  threshold   precision  recall  F1
    0.0             0.5         0.79       0.61    0.69
    0.3             0.4         0.83       0.76    0.80
    0.5             0.4         0.80       0.79    0.80
    0.5             0.5         0.90       0.73    0.81   <- default
    0.5             0.6         0.96       0.64    0.77
    0.7             0.5         0.85       0.74    0.79

The best area is in the hand-assigned set for 98% of texts. Most misses are second areas a
person inferred (a hypersonic test bed labelled "space", a counter-UAS system labelled
"artificial-intelligence").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.encoder import DocumentEmbedding, Encoder
from matching.language import detect_language
from matching.multilingual import MultilingualEncoder

# Range of e5 cosines (text to area description) mapped onto [0, 1]; see _semantic_multilingual.
# Chosen on the Japanese versions of the demo set's 44 partners against their English labels
# (micro P / R / F1; the English versions with MiniLM: 0.88 / 0.72 / 0.79):
#     floor 0.76 span 0.06: 0.61 / 0.83 / 0.70    floor 0.78 span 0.06: 0.72 / 0.67 / 0.70
#     floor 0.78 span 0.08: 0.74 / 0.61 / 0.67    floor 0.80 span 0.06: 0.81 / 0.53 / 0.64
E5_AREA_FLOOR = 0.78
E5_AREA_SPAN = 0.06

__all__ = ["DEFAULT_AREAS", "AreaClassifier", "AreaDefinition"]


@dataclass(frozen=True)
class AreaDefinition:
    """A technology area of the controlled vocabulary."""

    slug: str
    label: str
    description: str
    keywords: tuple[str, ...]
    # Japanese terms, found as written (Japanese has no spaces around words).
    keywords_ja: tuple[str, ...] = ()


DEFAULT_AREAS: tuple[AreaDefinition, ...] = (
    AreaDefinition(
        "space",
        "Space",
        "Spacecraft, satellites and launch: small satellite buses, in-space propulsion, "
        "payloads, ground segments and space domain awareness. Work that designs, builds, "
        "launches or operates systems in orbit or beyond.",
        (
            "satellite",
            "spacecraft",
            "smallsat",
            "cubesat",
            "low earth orbit",
            "geostationary",
            "launch vehicle",
            "in-space propulsion",
            "thruster",
            "space domain awareness",
            "orbital",
            "payload",
            "ground station",
            "lunar",
            "cislunar",
            "orbit",
            "on-orbit",
            "space-qualified",
        ),
        (
            "人工衛星",
            "衛星",
            "宇宙機",
            "小型衛星",
            "ロケット",
            "打ち上げ",
            "軌道",
            "宇宙用",
            "推進系",
            "スラスタ",
            "ペイロード",
            "地上局",
            "月面",
            "宇宙",
        ),
    ),
    AreaDefinition(
        "hypersonics",
        "Hypersonics",
        "Flight at Mach 5 and above: scramjet propulsion, hypersonic glide and cruise "
        "vehicles, thermal protection systems and high-temperature aerothermal testing. Work on "
        "vehicles, engines and materials that survive extreme heating in sustained hypersonic "
        "flight.",
        (
            "hypersonic",
            "scramjet",
            "ramjet",
            "mach 5",
            "glide body",
            "thermal protection",
            "aerothermal",
            "leading edge",
            "ablative",
            "arc jet",
            "shock tunnel",
            "boost-glide",
        ),
        (
            "極超音速",
            "スクラムジェット",
            "ラムジェット",
            "マッハ5",
            "熱防護",
            "空力加熱",
            "耐熱タイル",
            "アブレーション",
            "衝撃波風洞",
            "滑空体",
        ),
    ),
    AreaDefinition(
        "trusted-microelectronics",
        "Trusted microelectronics",
        "Secure and assured semiconductors: chip design, fabrication and packaging from trusted "
        "sources, radiation-hardened electronics, counterfeit detection and supply-chain "
        "assurance for integrated circuits. Covers foundries, design houses, test and packaging "
        "for defence electronics.",
        (
            "semiconductor",
            "integrated circuit",
            "asic",
            "fpga",
            "wafer",
            "foundry",
            "chiplet",
            "radiation-hardened",
            "rad-hard",
            "packaging",
            "counterfeit",
            "microelectronics",
            "gallium nitride",
            "silicon carbide",
            "heterogeneous integration",
        ),
        (
            "半導体",
            "集積回路",
            "ウエハ",
            "ウェハ",
            "ファウンドリ",
            "チップレット",
            "耐放射線",
            "パッケージング",
            "模倣品",
            "マイクロエレクトロニクス",
            "窒化ガリウム",
            "炭化ケイ素",
            "炭化珪素",
        ),
    ),
    AreaDefinition(
        "additive-manufacturing",
        "Additive manufacturing",
        "3D printing of metal, polymer and ceramic parts: powder bed fusion, directed energy "
        "deposition, binder jetting, process qualification and expeditionary production of "
        "spare parts. Covers printers, feedstock and the qualification of printed flight parts.",
        (
            "additive manufacturing",
            "3d printing",
            "3d-printed",
            "powder bed fusion",
            "laser powder bed",
            "directed energy deposition",
            "binder jet",
            "wire arc",
            "cold spray",
            "printed parts",
            "build plate",
            "metal powder",
        ),
        (
            "積層造形",
            "3Dプリンタ",
            "3Dプリント",
            "粉末床溶融結合",
            "指向性エネルギー堆積",
            "バインダジェット",
            "金属粉末",
            "造形",
        ),
    ),
    AreaDefinition(
        "artificial-intelligence",
        "Artificial intelligence",
        "Machine learning and autonomy software: computer vision, natural language processing, "
        "decision support, data fusion and trustworthy, explainable AI models deployed at the "
        "edge or in the enterprise. Software that learns from data to detect, predict or decide.",
        (
            "artificial intelligence",
            "machine learning",
            "deep learning",
            "neural network",
            "computer vision",
            "natural language processing",
            "reinforcement learning",
            "large language model",
            "inference",
            "training data",
            "object detection",
            "explainable",
            "ai",
            "autonomy software",
            "target recognition",
            "predictive analytics",
            "data fusion",
        ),
        (
            "人工知能",
            "機械学習",
            "深層学習",
            "ディープラーニング",
            "ニューラルネットワーク",
            "画像認識",
            "自然言語処理",
            "強化学習",
            "推論",
            "学習データ",
            "物体検出",
            "説明可能",
        ),
    ),
    AreaDefinition(
        "unmanned-systems",
        "Unmanned systems",
        "Uncrewed aerial, ground, surface and undersea vehicles: airframes, autonomy, "
        "swarming, launch and recovery, and counter-UAS. Drones operated remotely or "
        "autonomously.",
        (
            "unmanned",
            "uncrewed",
            "uas",
            "uav",
            "drone",
            "ugv",
            "usv",
            "uuv",
            "swarm",
            "counter-uas",
            "autonomous vehicle",
            "group 1",
            "vtol",
            "loitering",
        ),
        (
            "無人機",
            "無人航空機",
            "ドローン",
            "無人車両",
            "無人艇",
            "無人潜水機",
            "自律航行",
            "スウォーム",
            "群制御",
            "対ドローン",
        ),
    ),
    AreaDefinition(
        "5g-communications",
        "5G and communications",
        "Wireless and networked communications: 5G and Open RAN, tactical radios, mesh "
        "networks, satellite communications, antennas and spectrum sharing. Hardware and software "
        "that move data reliably between forces, platforms and sensors.",
        (
            "5g",
            "open ran",
            "o-ran",
            "radio access network",
            "millimeter wave",
            "mmwave",
            "antenna",
            "spectrum",
            "mesh network",
            "tactical radio",
            "satcom",
            "waveform",
            "base station",
            "communications",
            "datalink",
        ),
        (
            "通信",
            "無線",
            "アンテナ",
            "ミリ波",
            "基地局",
            "周波数",
            "メッシュネットワーク",
            "衛星通信",
            "データリンク",
            "電波",
        ),
    ),
    AreaDefinition(
        "robotics",
        "Robotics",
        "Robots and manipulation: industrial and field robots, exoskeletons, robotic arms, "
        "grippers, teleoperation and automated handling for logistics and maintenance. Machines "
        "that sense and physically act on the world.",
        (
            "robot",
            "robotic",
            "manipulator",
            "robotic arm",
            "gripper",
            "exoskeleton",
            "teleoperation",
            "end effector",
            "actuator",
            "legged",
            "collaborative robot",
            "automation",
        ),
        (
            "ロボット",
            "ロボットアーム",
            "マニピュレータ",
            "グリッパ",
            "把持",
            "パワーアシストスーツ",
            "外骨格",
            "遠隔操作",
            "エンドエフェクタ",
            "アクチュエータ",
            "自動化",
        ),
    ),
    AreaDefinition(
        "cyber",
        "Cyber",
        "Cybersecurity and cyber operations: network defense, zero trust, intrusion detection, "
        "vulnerability analysis, cryptography and secure software for weapons and enterprise "
        "systems. Protecting networks, platforms and data from attack.",
        (
            "cybersecurity",
            "cyber",
            "zero trust",
            "intrusion detection",
            "malware",
            "vulnerability",
            "encryption",
            "cryptography",
            "penetration testing",
            "network defense",
            "firmware",
            "authentication",
            "threat detection",
        ),
        (
            "サイバー",
            "セキュリティ",
            "ゼロトラスト",
            "侵入検知",
            "マルウェア",
            "脆弱性",
            "暗号",
            "認証",
            "ファームウェア",
            "脅威検知",
        ),
    ),
    AreaDefinition(
        "advanced-materials",
        "Advanced materials",
        "Engineered materials with superior properties: composites, ceramics, high-temperature "
        "alloys, coatings, metamaterials and nanomaterials, with their processing and "
        "characterisation. Materials that survive heat, wear or load beyond common metals.",
        (
            "composite",
            "ceramic",
            "alloy",
            "coating",
            "metamaterial",
            "nanomaterial",
            "carbon fiber",
            "polymer",
            "superalloy",
            "thin film",
            "refractory",
            "graphene",
            "matrix composite",
        ),
        (
            "複合材料",
            "セラミックス",
            "セラミック",
            "合金",
            "コーティング",
            "メタマテリアル",
            "ナノ材料",
            "炭素繊維",
            "樹脂",
            "超合金",
            "薄膜",
            "耐火",
            "グラフェン",
            "材料",
        ),
    ),
    AreaDefinition(
        "sensors",
        "Sensors",
        "Sensing and detection hardware: radar, electro-optical and infrared imaging, lidar, "
        "acoustic and magnetic sensors, inertial measurement and chemical or biological "
        "detectors. Devices that turn physical signals into data for targeting and awareness.",
        (
            "sensor",
            "radar",
            "lidar",
            "infrared",
            "electro-optical",
            "imaging",
            "detector",
            "magnetometer",
            "inertial measurement",
            "hyperspectral",
            "sonar",
            "focal plane array",
            "seeker",
            "gyroscope",
        ),
        (
            "センサ",
            "センサー",
            "レーダー",
            "ライダー",
            "赤外線",
            "撮像",
            "検出器",
            "磁気センサ",
            "慣性計測",
            "ハイパースペクトル",
            "ソナー",
            "ジャイロ",
            "光学",
        ),
    ),
    AreaDefinition(
        "energy",
        "Energy",
        "Power generation, storage and management: batteries, fuel cells, microgrids, solar, "
        "power electronics and operational energy for bases and expeditionary forces. "
        "Technologies that make forces less dependent on fuel convoys.",
        (
            "battery",
            "batteries",
            "lithium",
            "fuel cell",
            "microgrid",
            "solar",
            "power electronics",
            "energy storage",
            "generator",
            "hydrogen",
            "operational energy",
            "charging",
            "power management",
        ),
        (
            "電池",
            "蓄電池",
            "リチウム",
            "燃料電池",
            "マイクログリッド",
            "太陽電池",
            "太陽光",
            "パワーエレクトロニクス",
            "蓄電",
            "発電機",
            "水素",
            "充電",
            "電源",
        ),
    ),
    AreaDefinition(
        "biotechnology",
        "Biotechnology",
        "Biological science and engineering: synthetic biology, biomanufacturing, medical "
        "countermeasures, diagnostics, vaccines and combat casualty care. Living systems "
        "engineered for defence health and production.",
        (
            "biotechnology",
            "synthetic biology",
            "biomanufacturing",
            "vaccine",
            "diagnostic",
            "protein",
            "pathogen",
            "medical countermeasure",
            "cell culture",
            "genomic",
            "biosensor",
            "casualty care",
            "fermentation",
        ),
        (
            "バイオ",
            "合成生物学",
            "バイオ製造",
            "ワクチン",
            "診断",
            "タンパク質",
            "病原体",
            "細胞培養",
            "ゲノム",
            "バイオセンサ",
            "救命",
            "発酵",
            "医療",
        ),
    ),
    AreaDefinition(
        "quantum",
        "Quantum",
        "Quantum science and technology: quantum sensing, atomic clocks, quantum computing and "
        "quantum-secure communications, including cold-atom and photonic systems. Devices that "
        "exploit superposition and entanglement.",
        (
            "quantum",
            "qubit",
            "atomic clock",
            "cold atom",
            "entanglement",
            "quantum key distribution",
            "qkd",
            "atom interferometer",
            "post-quantum",
            "nv center",
            "superconducting",
            "optical clock",
        ),
        (
            "量子",
            "量子ビット",
            "原子時計",
            "冷却原子",
            "量子もつれ",
            "量子鍵配送",
            "原子干渉計",
            "耐量子",
            "超伝導",
            "光格子時計",
        ),
    ),
)


def _keyword_pattern(keywords: Sequence[str]) -> re.Pattern[str]:
    """One regex matching any keyword as whole words (plural -s allowed), ignoring case."""
    # Spaces and hyphens are interchangeable: "machine learning" also finds "machine-learning".
    escaped = (re.escape(k.replace("-", " ")).replace(r"\ ", r"[\s-]+") for k in keywords)
    parts = sorted(escaped, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?:e?s)?(?!\w)", re.IGNORECASE)


class AreaClassifier:
    """Assigns technology areas to a text from its embedding and area keywords."""

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        max_areas: int = 3,
        keyword_weight: float = 0.5,
    ) -> None:
        self.threshold = threshold
        self.max_areas = max_areas
        self.keyword_weight = keyword_weight

    def fit(
        self,
        areas: Sequence[AreaDefinition],
        encoder: Encoder,
        multilingual: MultilingualEncoder | None = None,
    ) -> AreaClassifier:
        """Encode each area's description once (with ``multilingual`` too, for Japanese
        texts) and compile its keywords."""
        self.areas_: tuple[AreaDefinition, ...] = tuple(areas)
        texts = [f"{a.label}. {a.description}" for a in self.areas_]
        self.vectors_: np.ndarray = encoder.encode(texts)
        self.patterns_: list[re.Pattern[str]] = [_keyword_pattern(a.keywords) for a in areas]
        # An area description is what a profile is searched for: e5's query side.
        self.multilingual_vectors_: np.ndarray | None = (
            multilingual.encode(texts, kind="query") if multilingual is not None else None
        )
        return self

    def _japanese_hits(self, text: str) -> np.ndarray:
        """Distinct keywords of each area found in a Japanese text: the Japanese terms as
        written, and the Latin-script keywords (GaN, LiDAR, FPGA) as words."""
        folded = text.lower()
        return np.array(
            [
                len({k for k in a.keywords_ja if k.lower() in folded})
                + len({m.group(0).lower() for m in p.finditer(text)})
                for a, p in zip(self.areas_, self.patterns_, strict=True)
            ],
            dtype=np.float32,
        )

    def scores(
        self,
        text: str,
        embedding: DocumentEmbedding,
        multilingual: DocumentEmbedding | None = None,
    ) -> np.ndarray:
        """Score in [0, 1] for every area. A Japanese text is scored by its multilingual
        vectors (``multilingual``, e5 passages) and the areas' Japanese keywords."""
        n = len(self.areas_)
        if not text.strip():
            return np.zeros(n, dtype=np.float32)
        if (
            detect_language(text) == "ja"
            and multilingual is not None
            and self.multilingual_vectors_ is not None
        ):
            semantic = self._semantic_multilingual(multilingual, self.multilingual_vectors_)
            hits = self._japanese_hits(text)
        else:
            semantic = self._semantic(embedding)
            hits = np.array(
                [len({m.group(0).lower() for m in p.finditer(text)}) for p in self.patterns_],
                dtype=np.float32,
            )
        # Distinct keywords found: 1 -> 0.5, 2 -> 0.75, 3 -> 0.875; saturating.
        keyword = 1.0 - 0.5**hits
        w = self.keyword_weight
        return ((1 - w) * semantic + w * keyword).astype(np.float32)

    def _semantic(self, embedding: DocumentEmbedding) -> np.ndarray:
        """Similarity to each area description, rescaled so the typical range spans [0, 1]."""
        pooled = embedding.pooled @ self.vectors_.T
        if len(embedding.units):
            # An area discussed in one passage of a long text still counts.
            units = np.asarray(embedding.units, dtype=np.float32) @ self.vectors_.T
            cos = 0.5 * (pooled + units.max(axis=0))
        else:
            cos = pooled
        return np.clip((cos - 0.1) / 0.4, 0.0, 1.0)

    @staticmethod
    def _semantic_multilingual(embedding: DocumentEmbedding, areas: np.ndarray) -> np.ndarray:
        """e5 similarity to each area description, on the same [0, 1] range as MiniLM's: e5's
        cosines are compressed (0.75 to 0.9 between any two texts), so they are rescaled from
        [E5_AREA_FLOOR, E5_AREA_FLOOR + E5_AREA_SPAN]."""
        pooled = embedding.pooled @ areas.T
        if len(embedding.units):
            units = np.asarray(embedding.units, dtype=np.float32) @ areas.T
            cos = 0.5 * (pooled + units.max(axis=0))
        else:
            cos = pooled
        return np.clip((cos - E5_AREA_FLOOR) / E5_AREA_SPAN, 0.0, 1.0)

    def predict(
        self,
        text: str,
        embedding: DocumentEmbedding,
        multilingual: DocumentEmbedding | None = None,
    ) -> list[tuple[str, float]]:
        """Top areas over the threshold, best first; at least the best one for non-empty text."""
        if not text.strip():
            return []
        scores = self.scores(text, embedding, multilingual)
        order = np.argsort(-scores, kind="stable")
        out = [
            (self.areas_[i].slug, float(scores[i]))
            for i in order[: self.max_areas]
            if scores[i] >= self.threshold
        ]
        if not out:
            best = int(order[0])
            out = [(self.areas_[best].slug, float(scores[best]))]
        return out

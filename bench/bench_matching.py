"""Matching benchmark on synthetic profiles of realistic length (150 to 300 words).

(a) encode throughput of Encoder.encode_documents (split, encode all windows, pool, cache
    write) against plain SentenceTransformer.encode of the same texts;
(b) match latency per solicitation (MatchIndex.rank, limit 20) with cached vectors;
(c) a nightly batch: rank_many of many solicitations against many profiles;
(d) peak resident memory of this process (psutil, sampled);
(e) texts re-encoded on a second run with the content-hash cache.

Profile vectors beyond the encoded sample are synthesised by perturbing real encoded vectors
(the output says so); lexical and structured features always come from generated text.

    .venv/bin/python bench/bench_matching.py [--sizes 1000,10000,100000] [--sample 300]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from matching.cache import EmbeddingCache, encode_documents_cached  # noqa: E402
from matching.encoder import DocumentEmbedding, Encoder  # noqa: E402
from matching.ranker import MatchIndex, Profile, Query  # noqa: E402

AREAS = {
    "space": (
        [
            "smallsat bus",
            "star tracker",
            "reaction wheel",
            "green monopropellant thruster",
            "deployable solar array",
            "X-band downlink",
            "ESPA ring adapter",
            "space domain awareness",
        ],
        ["336414", "336415", "541715"],
    ),
    "hypersonics": (
        [
            "scramjet combustor",
            "thermal protection system",
            "ceramic leading edge",
            "arc-jet test campaign",
            "boost-glide vehicle",
            "aerothermal model",
        ],
        ["336415", "541715"],
    ),
    "trusted-microelectronics": (
        [
            "radiation-hardened ASIC",
            "GaN MMIC",
            "trusted foundry flow",
            "wafer-level test",
            "counterfeit screening",
            "heterogeneous integration",
            "FPGA-to-ASIC conversion",
        ],
        ["334413", "334418"],
    ),
    "additive-manufacturing": (
        [
            "laser powder bed fusion",
            "directed energy deposition",
            "Inconel 718 brackets",
            "in-situ melt pool monitoring",
            "binder jetting",
            "cold spray repair",
        ],
        ["332710", "333248"],
    ),
    "artificial-intelligence": (
        [
            "computer vision model",
            "edge inference",
            "automatic target recognition",
            "predictive maintenance analytics",
            "multi-sensor data fusion",
            "explainable AI",
        ],
        ["541511", "541715"],
    ),
    "unmanned-systems": (
        [
            "Group 2 UAS",
            "VTOL airframe",
            "collaborative autonomy",
            "counter-UAS sensor suite",
            "unmanned surface vessel",
            "swarm mission planner",
        ],
        ["336411", "336992"],
    ),
    "5g-communications": (
        [
            "Open RAN radio unit",
            "millimeter-wave phased array",
            "tactical mesh network",
            "spectrum sharing",
            "SATCOM terminal",
            "low-probability-of-intercept waveform",
        ],
        ["334220", "517111"],
    ),
    "robotics": (
        [
            "collaborative robot arm",
            "force-controlled gripper",
            "teleoperated manipulator",
            "crawler inspection robot",
            "exoskeleton",
            "automated fastening cell",
        ],
        ["333998", "333922"],
    ),
    "cyber": (
        [
            "zero trust architecture",
            "firmware vulnerability analysis",
            "MIL-STD-1553 intrusion detection",
            "penetration testing",
            "post-quantum cryptography",
            "SBOM analysis",
        ],
        ["541512", "541519"],
    ),
    "advanced-materials": (
        [
            "ceramic matrix composite",
            "carbon-fibre prepreg",
            "refractory alloy coating",
            "metamaterial absorber",
            "thermoplastic composite structure",
            "nanocellulose film",
        ],
        ["325211", "327999"],
    ),
    "sensors": (
        [
            "synthetic aperture radar",
            "cooled infrared focal plane array",
            "lidar",
            "magnetic anomaly detector",
            "MEMS inertial measurement unit",
            "hyperspectral imager",
        ],
        ["334511", "334519"],
    ),
    "energy": (
        [
            "lithium-ion battery pack",
            "solid oxide fuel cell",
            "tactical microgrid controller",
            "silicon carbide power converter",
            "hydrogen storage",
            "silent watch power",
        ],
        ["335911", "335999"],
    ),
}
OPENINGS = [
    "{name} designs and manufactures {a} and {b} for defence and commercial customers.",
    "{name} is a {size}-person engineering company specialising in {a}.",
    "Founded in {year}, {name} develops {a}, {b} and related test services.",
]
MIDDLES = [
    "Its engineers have delivered {a} to {n} programmes, including work integrated with {b}.",
    "The company qualified its {a} to {spec} and operates a {facility} in {place}.",
    "Customers use its {a} together with {b} to shorten prototype schedules to months.",
    "A recent prototype combined {a} with {b} and reached TRL {trl} in {months} months.",
    "The team of {size} includes specialists in {a}, {b} and systems engineering.",
    "Production capacity is {n} units per year, with {a} built on an automated line.",
    "It holds patents on {a} and licenses {b} technology to partners in {place}.",
]
CLOSINGS = [
    "Quality management is certified to {spec}, and export control procedures cover EAR "
    "and ITAR items.",
    "{name} seeks OTA prototype work where {a} is a core need.",
]
FILL = {
    "spec": ["AS9100D", "ISO 9001:2015", "JIS Q 9100", "MIL-STD-810H", "GEVS", "DO-160G"],
    "facility": [
        "clean room",
        "vacuum test stand",
        "anechoic chamber",
        "machining centre",
        "thermal vacuum chamber",
        "EMI test lab",
    ],
    "place": ["Colorado", "Ibaraki", "Nagoya", "Huntsville", "Tsukuba", "San Diego", "Kyushu"],
}


def _fill(template: str, rng: random.Random, name: str, phrases: list[str]) -> str:
    a, b = rng.sample(phrases, 2)
    return template.format(
        name=name,
        a=a,
        b=b,
        size=rng.randint(12, 900),
        year=rng.randint(1950, 2022),
        n=rng.randint(3, 40),
        trl=rng.randint(4, 7),
        months=rng.randint(6, 30),
        **{k: rng.choice(v) for k, v in FILL.items()},
    )


def synthetic_profile(i: int, *, words: tuple[int, int] = (150, 300)) -> tuple[str, set, set]:
    """A generated company narrative with its areas and NAICS codes."""
    rng = random.Random(i)
    areas = rng.sample(sorted(AREAS), rng.choice([1, 2, 2, 3]))
    phrases = [p for a in areas for p in AREAS[a][0]]
    naics = {c for a in areas for c in AREAS[a][1][: rng.randint(1, 2)]}
    name = f"Company {i:06d} {rng.choice(['Ltd.', 'Inc.', 'Co., Ltd.', 'LLC'])}"
    target = rng.randint(*words)
    parts = [_fill(rng.choice(OPENINGS), rng, name, phrases)]
    while sum(len(p.split()) for p in parts) < target - 20:
        parts.append(_fill(rng.choice(MIDDLES), rng, name, phrases))
    parts.append(_fill(rng.choice(CLOSINGS), rng, name, phrases))
    return " ".join(parts), set(areas), naics


def synthetic_solicitation(i: int) -> tuple[str, set, set]:
    """A generated solicitation need of 150 to 250 words."""
    text, areas, naics = synthetic_profile(10_000_000 + i, words=(150, 250))
    text = text.replace("designs and manufactures", "seeks prototypes of").replace(
        "Company", "Program Office"
    )
    return text, areas, set(sorted(naics)[:1])


class PeakRSS:
    """Samples this process's resident memory in the background and keeps the peak."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)


def perturbed(
    base: np.ndarray, n: int, rng: np.random.Generator, scale: float = 0.05
) -> np.ndarray:
    """n unit vectors near the rows of ``base`` (cycled), for sizes beyond the encoded sample."""
    rows = base[np.arange(n) % len(base)]
    noisy = rows + rng.normal(0, scale, rows.shape).astype(np.float32)
    return (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)


def build_profiles(n: int, sample: list[DocumentEmbedding], rng: np.random.Generator) -> list:
    """n profiles: generated texts, real vectors for the sample, perturbed ones beyond it."""
    base = np.stack([e.pooled for e in sample])
    vectors = np.concatenate([base[:n], perturbed(base, max(0, n - len(base)), rng)])
    out = []
    for i in range(n):
        text, areas, naics = synthetic_profile(i)
        emb = (
            sample[i]
            if i < len(sample)
            else DocumentEmbedding(vectors[i], vectors[i : i + 1].astype(np.float16), [(0, 0)])
        )
        out.append(Profile(f"p{i}", text, frozenset(areas), frozenset(naics), emb))
    return out


def compare_encoding(
    encoder: Encoder, texts: list[str], cache: EmbeddingCache
) -> tuple[float, float, list[DocumentEmbedding]]:
    """Seconds for plain encode and for encode_documents through an empty cache."""
    # Interleaved in chunks of 50 texts with alternating order, so that load from other
    # processes on a shared CPU hits both alike.
    plain_s, docs_s = 0.0, 0.0
    embedded: list[DocumentEmbedding] = []
    for c, lo in enumerate(range(0, len(texts), 50)):
        chunk = texts[lo : lo + 50]
        for step in ("plain", "docs") if c % 2 == 0 else ("docs", "plain"):
            start = time.perf_counter()
            if step == "plain":
                encoder.model.encode(
                    chunk, batch_size=encoder.batch_size, normalize_embeddings=True
                )
                plain_s += time.perf_counter() - start
            else:
                got, _ = encode_documents_cached(encoder, chunk, cache)
                docs_s += time.perf_counter() - start
                embedded.extend(got)
    return plain_s, docs_s, embedded


def token_counts(
    encoder: Encoder, texts: list[str], embedded: list[DocumentEmbedding]
) -> tuple[int, int]:
    """Word pieces seen by plain encode (capped at 256) and by the windows, specials included."""
    tokenizer = encoder.model.tokenizer
    plain = sum(min(len(ids), 256) for ids in tokenizer(texts)["input_ids"])
    windows = [texts[i][s:e] for i, emb in enumerate(embedded) for s, e in emb.spans]
    return plain, sum(len(ids) for ids in tokenizer(windows)["input_ids"])


def main() -> None:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--sample", type=int, default=300, help="texts encoded for (a) and (e)")
    parser.add_argument("--queries", type=int, default=50, help="solicitations timed in (b)")
    parser.add_argument("--batch", default="1000x10000", help="solicitations x profiles in (c)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    n_batch_q, n_batch_p = (int(x) for x in args.batch.split("x"))
    rng = np.random.default_rng(0)
    rows: list[tuple[str, str, str]] = []

    with PeakRSS() as rss:
        encoder = Encoder()
        texts = [synthetic_profile(i)[0] for i in range(args.sample)]
        words = [len(t.split()) for t in texts]
        encoder.encode(texts[:16])  # warm-up
        with tempfile.TemporaryDirectory() as tmp:
            cache = EmbeddingCache(Path(tmp))
            plain_s, docs_s, sample = compare_encoding(encoder, texts, cache)
            first_new = len(texts)
            plain_tokens, window_tokens = token_counts(encoder, texts, sample)
            plain, docs = len(texts) / plain_s, len(texts) / docs_s
            per_token = (window_tokens / docs_s) / (plain_tokens / plain_s)
            rows.append(
                (
                    "(a) plain SentenceTransformer.encode",
                    f"{plain:.1f} texts/s",
                    f"{args.sample} texts of {min(words)}-{max(words)} words (mean "
                    f"{np.mean(words):.0f}); {plain_tokens / plain_s:.0f} tokens/s, truncated "
                    "at 256 tokens",
                )
            )
            rows.append(
                (
                    "(a) Encoder.encode_documents",
                    f"{docs:.1f} texts/s",
                    f"ratio {docs / plain:.2f} (target >= 0.9); "
                    f"{sum(len(e.spans) for e in sample)} windows, "
                    f"{window_tokens / docs_s:.0f} tokens/s, {window_tokens / plain_tokens:.2f}x "
                    f"the tokens because nothing is truncated; per-token ratio {per_token:.2f}",
                )
            )
            # Texts that fit the model whole: the same tokens both ways, so the ratio is the
            # cost of splitting, pooling and caching alone.
            short = [synthetic_profile(100_000 + i, words=(80, 170))[0] for i in range(100)]
            with tempfile.TemporaryDirectory() as tmp_short:
                s_plain, s_docs, s_emb = compare_encoding(
                    encoder, short, EmbeddingCache(Path(tmp_short))
                )
            rows.append(
                (
                    "(a) same, texts under 256 tokens",
                    f"ratio {s_plain / s_docs:.2f}",
                    f"100 texts of 80-170 words: plain {len(short) / s_plain:.1f} texts/s, "
                    f"encode_documents {len(short) / s_docs:.1f} texts/s, "
                    f"{sum(len(e.spans) for e in s_emb)} windows",
                )
            )
            # (e) second run: everything from the cache; third: 10 texts edited.
            before = encoder.texts_encoded
            _, second_new = encode_documents_cached(encoder, texts, cache)
            edited = [t + " Updated." if i < 10 else t for i, t in enumerate(texts)]
            _, third_new = encode_documents_cached(encoder, edited, cache)
            rows.append(
                (
                    "(e) texts re-encoded, second run",
                    str(second_new),
                    f"first run {first_new}; after editing 10 texts: {third_new} "
                    f"(windows encoded in both runs: {encoder.texts_encoded - before})",
                )
            )

        q_texts = [synthetic_solicitation(i) for i in range(args.queries)]
        q_emb = encoder.encode_documents([t for t, _, _ in q_texts])
        queries = [
            Query(f"s{i}", t, frozenset(a), frozenset(n), e)
            for i, ((t, a, n), e) in enumerate(zip(q_texts, q_emb, strict=True))
        ]

        # (b) latency per solicitation at each size.
        for n in sizes:
            profiles = build_profiles(n, sample, rng)
            start = time.perf_counter()
            index = MatchIndex().fit(profiles)
            fit = time.perf_counter() - start
            index.rank(queries[0], limit=20)
            times = []
            for q in queries:
                t0 = time.perf_counter()
                index.rank(q, limit=20)
                times.append(time.perf_counter() - t0)
            p50, p99 = np.percentile(np.array(times) * 1000, [50, 99])
            synth = "" if n <= len(sample) else f", {n - len(sample)} vectors perturbed"
            rows.append(
                (
                    f"(b) rank latency, {n:,} profiles",
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                    f"fit {fit:.1f} s{synth}",
                )
            )
            del index, profiles

        # (c) nightly batch: solicitations are perturbed copies of the encoded ones.
        profiles = build_profiles(n_batch_p, sample, rng)
        index = MatchIndex().fit(profiles)
        batch = []
        for i in range(n_batch_q):
            q = queries[i % len(queries)]
            units = perturbed(q.embedding.units.astype(np.float32), len(q.embedding.units), rng)
            pooled = units.mean(axis=0)
            emb = DocumentEmbedding(
                (pooled / np.linalg.norm(pooled)).astype(np.float32),
                units.astype(np.float16),
                q.embedding.spans,
            )
            batch.append(Query(f"b{i}", q.text, q.areas, q.naics, emb))
        start = time.perf_counter()
        results = index.rank_many(batch, limit=20)
        elapsed = time.perf_counter() - start
        assert len(results) == n_batch_q
        rows.append(
            (
                f"(c) rank_many {n_batch_q:,} x {n_batch_p:,}",
                f"{elapsed:.1f} s",
                "target <= 60 s; query vectors perturbed from encoded solicitations",
            )
        )

    rows.append(("(d) peak RSS", f"{rss.peak / 2**20:,.0f} MiB", "whole run, sampled by psutil"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'measure':<{widths[0]}}  {'result':<{widths[1]}}  notes")
    print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 5}")
    for a, b, c in rows:
        print(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}")


if __name__ == "__main__":
    main()

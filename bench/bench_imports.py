"""Import benchmark: a generated SAM.gov-style CSV (default 100,000 rows) imported into a fresh
SQLite database (or KAKEHASHI_DATABASE_URL); prints time, rows/s and peak memory, then imports
the same file again (everything unchanged) and interrupts and resumes a third run.

    .venv/bin/python bench/bench_imports.py [--rows 100000]
"""

import argparse
import os

from import_common import generated_extract, kakehashi, timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    workdir, csv_path = generated_extract(args.rows)
    env = {
        **os.environ,
        "COLUMNS": "200",
        "KAKEHASHI_DATABASE_URL": os.environ.get(
            "KAKEHASHI_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}"
        ),
    }
    kakehashi("db", "upgrade", env=env)
    kakehashi("orgs", "create", "bench", "--name", "Bench", "--side", "us", env=env)
    size = csv_path.stat().st_size / 2**20
    print(f"file: {args.rows} rows, {size:.1f} MiB (cp1252)")
    command = ["import", "solicitations", str(csv_path), "--org", "bench"]
    rows = []
    print("first import:")
    first = timed(command, env)
    rows.append(("first import (all created)", *first))
    print("second import:")
    second = timed(command, env)
    rows.append(("same file again (all unchanged)", *second))
    edited = workdir / "edited.csv"
    text = csv_path.read_bytes().replace(b"prototype", b"prototypes")
    edited.write_bytes(text)
    print("edited file, interrupted after 40% of the first run's time:")
    interrupted = timed(
        ["import", "solicitations", str(edited), "--org", "bench"], env, timeout=first[0] * 0.4
    )
    rows.append(("edited file, interrupted", *interrupted))
    print("edited file, run again to finish:")
    resumed = timed(["import", "solicitations", str(edited), "--org", "bench"], env)
    rows.append(("edited file, resumed", *resumed))
    print()
    print(f"{'run':34} {'seconds':>8} {'rows/s':>8} {'peak RSS MiB':>13} {'exit':>5}")
    for name, seconds, peak, code in rows:
        print(f"{name:34} {seconds:8.1f} {args.rows / seconds:8.0f} {peak:13.0f} {code:5d}")
    print(f"file size / peak RSS of the first import: {size / first[1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Screening through the product: a generated 30,000-entry list in the CSL's published format
loaded with `kakehashi screening load` into a database of 10,000 imported companies (every
company screened against the new snapshot), the same file again (nothing added or raised),
and companies imported with the lists loaded (each screened as it is created) beside the same
import without lists.

    .venv/bin/python bench/bench_screening_load.py [--entries 30000] [--companies 10000]

SQLite files in a temporary directory.
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
from pathlib import Path

from import_common import kakehashi, timed

HEADER = [
    "_id",
    "source",
    "entity_number",
    "type",
    "programs",
    "name",
    "title",
    "addresses",
    "federal_register_notice",
    "start_date",
    "end_date",
    "standard_order",
    "license_requirement",
    "license_policy",
    "call_sign",
    "vessel_type",
    "gross_tonnage",
    "gross_registered_tonnage",
    "vessel_flag",
    "vessel_owner",
    "remarks",
    "source_list_url",
    "alt_names",
    "citizenships",
    "dates_of_birth",
    "nationalities",
    "places_of_birth",
    "source_information_url",
    "ids",
]
SYLLABLES = [
    "ka",
    "ki",
    "ku",
    "ke",
    "ko",
    "sa",
    "shi",
    "su",
    "se",
    "so",
    "ta",
    "chi",
    "tsu",
    "te",
    "to",
    "na",
    "ni",
    "nu",
    "ne",
    "no",
    "ha",
    "hi",
    "fu",
    "he",
    "ho",
    "ma",
    "mi",
    "mu",
    "me",
    "mo",
    "ya",
    "yu",
    "yo",
    "ra",
    "ri",
    "ru",
    "re",
    "ro",
    "wa",
]
WORDS = [
    "Precision",
    "Optics",
    "Aerospace",
    "Machinery",
    "Trading",
    "Electronics",
    "Systems",
    "Materials",
    "Photonics",
    "Dynamics",
    "Instruments",
    "Technology",
    "Industrial",
    "Navigation",
    "Robotics",
    "Energy",
    "Semiconductor",
    "Devices",
]
FORMS = ["Co., Ltd.", "K.K.", "Inc.", "Corporation", "Limited", "JSC", "LLC"]
COUNTRIES = ["CN", "RU", "IR", "KP", "HK", "PK", "AE", "SY", "BY", "TR"]


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(4, 6))).capitalize()


def company_name(rng: random.Random) -> str:
    return f"{brand(rng)} {' '.join(rng.sample(WORDS, rng.randint(1, 2)))} {rng.choice(FORMS)}"


def companies_csv(path: Path, count: int, rng: random.Random) -> list[str]:
    names = [company_name(rng) for _ in range(count)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["role", "country", "name", "narrative", "external_id"])
        for i, name in enumerate(names):
            writer.writerow(["jp_partner", "JP", name, "Precision parts for aerospace.", f"c{i}"])
    return names


def csl_csv(path: Path, count: int, planted: list[str], rng: random.Random) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    writer.writeheader()
    for i in range(count):
        name = planted[i] if i < len(planted) else company_name(rng)
        country = rng.choice(COUNTRIES)
        writer.writerow(
            {
                **dict.fromkeys(HEADER, ""),
                "_id": f"{i:032x}",
                "source": "Entity List (EL) - Bureau of Industry and Security",
                "type": "Entity",
                "name": name,
                "addresses": f"{rng.randint(1, 99)} Main Road, City, {country}",
                "alt_names": f"{brand(rng)} {rng.choice(WORDS)}",
            }
        )
    path.write_text(out.getvalue(), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=30_000)
    parser.add_argument("--companies", type=int, default=10_000)
    options = parser.parse_args()
    rng = random.Random(20)
    workdir = Path(tempfile.mkdtemp(prefix="kakehashi-screening-"))
    env = {**os.environ, "KAKEHASHI_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}"}
    kakehashi("db", "upgrade", env=env)
    kakehashi("orgs", "create", "bench", "--name", "Bench", "--side", "us", "--platform", env=env)
    names = companies_csv(workdir / "companies.csv", options.companies, rng)
    # Ten listed parties are companies of the database (their names as a list would print them).
    planted = [n.upper() for n in rng.sample(names, 10)]
    csl_csv(workdir / "csl.csv", options.entries, planted, rng)
    companies_csv(workdir / "more.csv", 1000, random.Random(21))
    print(f"import {options.companies:,} companies (no list loaded):")
    imported = timed(["import", "companies", str(workdir / "companies.csv"), "--org", "bench"], env)
    print(f"load a {options.entries:,}-entry CSL and screen every company:")
    first = timed(["screening", "load", str(workdir / "csl.csv"), "--org", "bench"], env)
    print("load the same file again:")
    again = timed(["screening", "load", str(workdir / "csl.csv"), "--org", "bench"], env)
    print("screen every company again (`kakehashi screening run`):")
    rerun = timed(["screening", "run"], env)
    print("import 1,000 more companies, each screened as it is created:")
    screened = timed(["import", "companies", str(workdir / "more.csv"), "--org", "bench"], env)
    print()
    for label, (seconds, rss, code) in (
        (f"import {options.companies:,} companies, no list", imported),
        (f"load {options.entries:,} entries + screen all", first),
        ("load the same file again", again),
        ("screening run (all companies)", rerun),
        ("import 1,000 companies, lists loaded", screened),
    ):
        print(f"{label:45s} {seconds:7.1f} s  peak {rss:6.0f} MiB  exit {code}")
    if any(code for _s, _r, code in (imported, first, again, rerun, screened)):
        sys.exit(1)


if __name__ == "__main__":
    main()

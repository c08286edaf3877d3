"""Write a large SAM.gov-style contract-opportunities CSV for import benchmarks.

Usage: python bench/make_import_files.py OUT.csv [--rows 100000] [--seed 7] [--encoding cp1252]

Rows are written one at a time, so memory stays flat however many are asked for. The text is
built from DoD OTA phrasing with varied vocabulary, 100-300 words per description, mixing plain
text with the HTML, entities and "<name@host>" addresses real extracts carry.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HEADER = [
    "NoticeId", "Title", "Sol#", "Department/Ind.Agency", "CGAC", "Sub-Tier", "FPDS Code",
    "Office", "AAC Code", "PostedDate", "Type", "BaseType", "ArchiveType", "ArchiveDate",
    "SetASideCode", "SetASide", "ResponseDeadLine", "NaicsCode", "ClassificationCode",
    "PopStreetAddress", "PopCity", "PopState", "PopZip", "PopCountry", "Active", "AwardNumber",
    "AwardDate", "Award$", "Awardee", "PrimaryContactTitle", "PrimaryContactFullname",
    "PrimaryContactEmail", "PrimaryContactPhone", "PrimaryContactFax", "SecondaryContactTitle",
    "SecondaryContactFullname", "SecondaryContactEmail", "SecondaryContactPhone",
    "SecondaryContactFax", "OrganizationType", "State", "City", "ZipCode", "CountryCode",
    "AdditionalInfoLink", "Link", "Description",
]  # fmt: skip

# (sub-tier, office, AAC code, city, state, e-mail domain)
ARMY, AIR_FORCE, NAVY = "DEPT OF THE ARMY", "DEPT OF THE AIR FORCE", "DEPT OF THE NAVY"
OFFICES = [
    (ARMY, "W6QK ACC-APG", "W15QKN", "Aberdeen Proving Ground", "MD", "army.mil"),
    (ARMY, "W6QK ACC-RSA", "W31P4Q", "Redstone Arsenal", "AL", "army.mil"),
    (ARMY, "W6QK ACC-PICA", "W15QKN", "Picatinny Arsenal", "NJ", "army.mil"),
    (ARMY, "W075 ENDIST JAPAN", "W912HV", "Zama", "Kanagawa", "usace.army.mil"),
    (AIR_FORCE, "FA9453 AFRL RVKV", "FA9453", "Kirtland AFB", "NM", "us.af.mil"),
    (AIR_FORCE, "FA8650 AFRL RQK", "FA8650", "Wright-Patterson AFB", "OH", "us.af.mil"),
    (AIR_FORCE, "FA2394 AFRL AFWERX", "FA2394", "Colorado Springs", "CO", "us.af.mil"),
    (NAVY, "NAVAIR WARFARE CTR AIRCRAFT DIV", "N00421", "Patuxent River", "MD", "navy.mil"),
    (NAVY, "NSWC INDIAN HEAD", "N00174", "Indian Head", "MD", "navy.mil"),
    ("OFFICE OF THE SECRETARY OF DEFENSE", "DEFENSE INNOVATION UNIT", "HQ0845",
     "Mountain View", "CA", "diu.mil"),
    ("DEFENSE MICROELECTRONICS ACTIVITY (DMEA)", "DMEA", "HQ0727", "McClellan", "CA",
     "dmea.osd.mil"),
]  # fmt: skip

TECHNOLOGIES = [
    ("space", "resilient space domain awareness sensors", "AR12"),
    ("hypersonics", "hypersonic thermal protection systems", "AC13"),
    ("microelectronics", "trusted microelectronics packaging", "AC12"),
    ("additive", "additively manufactured propulsion components", "AC13"),
    ("ai", "edge artificial intelligence for contested logistics", "DA01"),
    ("unmanned", "autonomous unmanned surface vessels", "AC12"),
    ("5g", "private 5G networks for expeditionary bases", "DB10"),
    ("robotics", "dual-use robotics for installation logistics", "AC12"),
    ("cyber", "zero trust tactical edge networks", "DA01"),
    ("materials", "ultra-high-temperature ceramic composites", "AC13"),
    ("sensors", "quantum-enabled inertial navigation sensors", "AC12"),
    ("energy", "solid-state batteries for soldier-worn power", "AC12"),
]
NAICS = ["541715", "541715", "336414", "334511", "541330", "541512", "5417", "33641", "336", "54"]
TYPES = [
    "Combined Synopsis/Solicitation", "Sources Sought", "Special Notice", "Presolicitation",
    "Solicitation", "Award Notice", "Justification",
]  # fmt: skip
FIRST = ["John", "Maria", "Dana", "Keoni", "Priya", "Renée", "Alex", "Chen", "Jordan", "Sam"]
LAST = ["Doe", "Chen", "Brooks", "Kahale", "Natarajan", "Martín", "Rivera", "Lee", "Ito", "Ward"]
AWARDEES = [
    "Aegis Additive Systems, Inc.", "Cascade Autonomy Inc.", "Lanikai Quantum Sensing LLC",
    "Redstone Additive Labs LLC", "Brightline RF Systems Corp.", "Rivière Photonics LLC",
]  # fmt: skip
VERBS = ["develop", "demonstrate", "mature", "integrate", "prototype", "field", "qualify"]
QUALITIES = [
    "low size, weight and power", "open modular architecture", "rapid reconfiguration",
    "resilience to jamming", "manufacturability at scale", "reduced sustainment cost",
    "interoperability with allied systems", "operation in contested environments",
]  # fmt: skip
SENTENCES = [
    "The {office} is seeking prototype proposals to {verb} {tech} under the authority of "
    "10 U.S.C. 4022.",
    "Offerors shall describe how their approach achieves {quality} while meeting the "
    "Government’s schedule of {months} months.",
    "The prototype will be evaluated at {city}, {state} during a {weeks}-week field "
    "demonstration with operational users.",
    "Non-traditional defense contractors and small businesses are strongly encouraged to "
    "participate, either as prime performers or through meaningful teaming arrangements.",
    "Successful completion of the prototype project may result in a follow-on production "
    "award without the use of competitive procedures.",
    "Solution briefs shall not exceed {pages} pages and must address technical merit, "
    "transition potential and rough order of magnitude cost.",
    "The Government anticipates up to {awards} awards with a combined value of approximately "
    "${value} million over the period of performance.",
    "Key performance parameters include {quality}, {quality2}, and a threshold mean time "
    "between failures of {mtbf} hours.",
    "Technical questions must be submitted in writing; answers will be posted as an "
    "amendment to this notice.",
    "Proposed solutions should leverage commercial technology where possible and identify "
    "any intellectual property restrictions on deliverables.",
    "The effort supports the “{program}” line of effort and aligns with the Department’s "
    "modernization priorities.",
    "Phase 1 covers design and modeling; Phase 2 covers fabrication and laboratory testing "
    "– Phase 3 covers the operational demonstration.",
]
PROGRAMS = ["Replicator", "Project Convergence", "Orbital Prime", "Golden Dome", "JADC2"]
EXPORT_NOTES = [
    "This effort involves technical data subject to the International Traffic in Arms "
    "Regulations (ITAR). Foreign participation is not permitted.",
    "Some attachments contain Controlled Unclassified Information (CUI) and require an "
    "approved DD Form 2345.",
    "Deliverables are controlled under the Export Administration Regulations (EAR).",
    "Key personnel must be U.S. citizens only.",
]


def _sentence(rng: random.Random, office: str, tech: str, city: str, state: str) -> str:
    """Fill one sentence template."""
    qualities = rng.sample(QUALITIES, 2)
    return rng.choice(SENTENCES).format(
        office=office,
        verb=rng.choice(VERBS),
        tech=tech,
        quality=qualities[0],
        quality2=qualities[1],
        months=rng.choice([6, 9, 12, 18, 24]),
        city=city,
        state=state,
        weeks=rng.randint(2, 8),
        pages=rng.choice([5, 10, 15]),
        awards=rng.randint(1, 6),
        value=rng.choice(["2.5", "8", "15", "40", "120"]),
        mtbf=rng.choice([250, 500, 1000, 2000]),
        program=rng.choice(PROGRAMS),
    )


def _description(rng: random.Random, office: str, tech: str, city: str, state: str) -> str:
    """Build a 100-300 word description, as HTML for most rows and plain text for the rest."""
    target = rng.randint(100, 300)
    sentences: list[str] = []
    words = 0
    while words < target:
        sentence = _sentence(rng, office, tech, city, state)
        sentences.append(sentence)
        words += len(sentence.split())
    if rng.random() < 0.15:
        sentences.append(rng.choice(EXPORT_NOTES))
    contact = f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}@{rng.choice(OFFICES)[5]}"
    contact = contact.replace("é", "e").replace("í", "i")
    if rng.random() < 0.4:
        return "\n".join(sentences) + f"\nQuestions to <{contact}>."
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    html = "".join(f"<p>{p.replace('&', '&amp;')}</p>" for p in paragraphs)
    if rng.random() < 0.5:
        items = "".join(f"<li>{q}</li>" for q in rng.sample(QUALITIES, 3))
        html += f"<ul>{items}</ul>"
    return html + f"<p>Questions to <{contact}>&nbsp;by e-mail only.</p>"


def _deadline(rng: random.Random, posted_day: int) -> str:
    """Pick a deadline in one of the shapes SAM.gov extracts use."""
    day = posted_day + rng.randint(14, 60)
    month, dom = 11 + day // 28, day % 28 + 1
    year = 2026 + (month - 1) // 12
    month = (month - 1) % 12 + 1
    shape = rng.random()
    if shape < 0.5:
        return f"{year}-{month:02d}-{dom:02d}T14:00:00-05:00"
    if shape < 0.65:
        return f"{year}-{month:02d}-{dom:02d} 16:00:00.0-05"
    if shape < 0.75:
        return f"{month}/{dom}/{year}"
    if shape < 0.85:
        return f"{year}-{month:02d}-{dom:02d}T10:00:00+09:00"
    return ""


def sam_rows(count: int, seed: int) -> Iterator[list[str]]:
    """Yield count SAM.gov extract rows (without the header)."""
    rng = random.Random(seed)
    for _ in range(count):
        sub_tier, office, aac, city, state, _domain = rng.choice(OFFICES)
        slug, tech, psc = rng.choice(TECHNOLOGIES)
        notice_type = rng.choice(TYPES)
        notice_id = f"{rng.getrandbits(128):032x}"
        posted_day = rng.randint(0, 27)
        award = notice_type == "Award Notice"
        person = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        row = dict.fromkeys(HEADER, "")
        row.update(
            {
                "NoticeId": notice_id,
                "Title": f"{notice_type}: {tech[0].upper()}{tech[1:]} ({slug.upper()})",
                "Sol#": f"{aac}-26-9-{rng.randint(1, 9999):04d}",
                "Department/Ind.Agency": "DEPT OF DEFENSE",
                "CGAC": "097",
                "Sub-Tier": sub_tier,
                "Office": office,
                "AAC Code": aac,
                "PostedDate": f"2026-11-{posted_day + 1:02d} 10:15:22.123-05",
                "Type": notice_type,
                "BaseType": notice_type,
                "ResponseDeadLine": "" if award else _deadline(rng, posted_day),
                "NaicsCode": rng.choice(NAICS),
                "ClassificationCode": psc,
                "PopCity": city,
                "PopState": state,
                "PopCountry": "JPN" if state == "Kanagawa" else "USA",
                "Active": "No" if rng.random() < 0.15 else "Yes",
                "PrimaryContactFullname": person,
                "PrimaryContactTitle": "Contract Specialist",
                "Link": f"https://sam.gov/opp/{notice_id}/view",
                "Description": _description(rng, office, tech, city, state),
            }
        )
        if award:
            row["AwardNumber"] = row["Sol#"]
            row["AwardDate"] = f"2026-11-{posted_day + 1:02d}"
            row["Award$"] = f"{rng.randint(250, 50_000) * 1000}.00"
            row["Awardee"] = rng.choice(AWARDEES)
        yield [row[column] for column in HEADER]


def write_sam_csv(path: Path, rows: int = 100_000, seed: int = 7, encoding: str = "cp1252") -> int:
    """Write a SAM.gov-style CSV with rows data rows, streaming; return the file size in bytes."""
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for row in sam_rows(rows, seed):
            writer.writerow(row)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, write the file, print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="where to write the CSV")
    parser.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--encoding", default="cp1252", help="cp1252 (default), utf-8 or utf-8-sig")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    size = write_sam_csv(args.path, rows=args.rows, seed=args.seed, encoding=args.encoding)
    elapsed = time.perf_counter() - started
    print(f"wrote {args.rows} rows, {size / 1e6:.1f} MB, to {args.path} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

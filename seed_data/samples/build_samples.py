"""Write the sample import files in this folder (used by the README walkthrough).

Run `python seed_data/samples/build_samples.py` after editing a record. The output is the same
on every run, so the README's figures (rows, errors, likely duplicates) stay true.

- sam-extract.csv: a SAM.gov contract-opportunities extract of 7 notices; one row is bad (a
  seven-digit NAICS code) and one re-posts a demo solicitation under another notice id, so the
  import reports one row error and flags one likely duplicate.
- sam-extract-large.csv: 200 generated notices (3 of them bad) for the background import.
- companies.csv: four Japanese partners in the company template, the last in Japanese only.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent

SAM_HEADER = [
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

DOD = {"Department/Ind.Agency": "DEPT OF DEFENSE", "CGAC": "097", "OrganizationType": "OFFICE"}
ARMY = DOD | {"Sub-Tier": "DEPT OF THE ARMY", "FPDS Code": "2100"}
AIR_FORCE = DOD | {"Sub-Tier": "DEPT OF THE AIR FORCE", "FPDS Code": "5700"}
NAVY = DOD | {"Sub-Tier": "DEPT OF THE NAVY", "FPDS Code": "1700"}
DIU = DOD | {"Sub-Tier": "DEFENSE INNOVATION UNIT (DIU)", "FPDS Code": "97AE"}
SOLICITATION = {
    "Type": "Combined Synopsis/Solicitation",
    "BaseType": "Combined Synopsis/Solicitation",
    "ArchiveType": "autocustom",
    "Active": "Yes",
    "PopCountry": "USA",
    "PrimaryContactTitle": "Agreements Officer",
}


def notice_id(title: str) -> str:
    """A SAM.gov-like 32-hex notice id, stable for a title."""
    return hashlib.md5(title.encode("utf-8")).hexdigest()  # an id, not security


def notice(base: dict[str, str], **fields: str) -> dict[str, str]:
    row = SOLICITATION | base | fields
    row.setdefault("NoticeId", notice_id(row["Title"]))
    row.setdefault("Link", f"https://sam.gov/opp/{row['NoticeId']}/view")
    return row


SMALL: list[dict[str, str]] = [
    notice(
        AIR_FORCE,
        Title="Cislunar Optical Crosslink Terminal Prototype",
        **{"Sol#": "FA9453-27-9-0104"},
        Office="FA9453 AFRL RVKV",
        PostedDate="2026-11-24",
        ResponseDeadLine="2029-03-16T17:00:00-06:00",
        NaicsCode="334220",
        ClassificationCode="AC11",
        PopCity="Kirtland AFB",
        PopState="NM",
        PrimaryContactFullname="Dana Whitfield",
        PrimaryContactEmail="dana.whitfield@us.af.mil",
        Description="<p>AFRL Space Vehicles Directorate seeks prototypes of a 10 Gbps optical "
        "crosslink terminal for spacecraft in cislunar space, with a 10 cm aperture, fine "
        "pointing to 1 &micro;rad and a mass under 15 kg.</p><p>Foreign participation is allowed "
        "with an export authorization; the work falls under the EAR.</p>",
    ),
    notice(
        NAVY,
        Title="Biofouling-Resistant Hull Coatings for Unmanned Surface Vessels",
        **{"Sol#": "N00014-27-9-0219"},
        Office="N00014 OFFICE OF NAVAL RESEARCH",
        PostedDate="2026-11-25",
        ResponseDeadLine="2029-02-27T23:59:00Z",
        NaicsCode="325510",
        ClassificationCode="AC13",
        PopCity="Arlington",
        PopState="VA",
        PrimaryContactFullname="Marcus Lee",
        PrimaryContactEmail="marcus.lee@navy.mil",
        Description="ONR seeks non-toxic foul-release coatings that keep medium unmanned surface "
        "vessels clean for 24 months of Pacific deployment without dry-docking, with "
        "silicone-hydrogel or zwitterionic chemistries and field trials in Hawaii.",
    ),
    notice(
        ARMY,
        Title="Solid-State Lithium-Metal Batteries for Dismounted Soldier Power",
        **{"Sol#": "W909MY-27-9-0140"},
        Office="W909MY DEVCOM C5ISR",
        PostedDate="2026-11-24",
        ResponseDeadLine="2029-01-30T17:00:00-05:00",
        NaicsCode="335911",
        ClassificationCode="AC12",
        PopCity="Aberdeen Proving Ground",
        PopState="MD",
        PrimaryContactFullname="Priya Natarajan",
        PrimaryContactEmail="priya.natarajan.civ@army.mil",
        Description="DEVCOM C5ISR seeks conformal solid-state lithium-metal battery packs of at "
        "least 400 Wh/kg that pass nail penetration without fire and operate from -40 to 60 "
        "deg C, for a dismounted soldier's radios and night-vision devices.",
    ),
    notice(
        DIU,
        Title="Commercial Predictive Logistics for Contested Pacific Resupply",
        **{"Sol#": "HQ0845-27-9-0131"},
        Office="HQ0845 DIU",
        PostedDate="2026-11-26",
        ResponseDeadLine="2029-04-10T12:00:00-07:00",
        NaicsCode="541511",
        ClassificationCode="DA01",
        PopCity="Mountain View",
        PopState="CA",
        PrimaryContactFullname="Jordan Alvarez",
        PrimaryContactEmail="jalvarez@diu.mil",
        Description="DIU seeks commercial software that forecasts spare-part and fuel demand for "
        "dispersed Pacific bases from maintenance records and weather, and re-plans resupply "
        "when routes are denied. Cloud and on-premises deployments are both acceptable.",
    ),
    notice(
        AIR_FORCE,
        Title="Additively Manufactured Heat Exchangers for Directed-Energy Thermal Management",
        **{"Sol#": "FA8650-27-9-2231"},
        Office="FA8650 AFRL RQKM",
        PostedDate="2026-11-27",
        ResponseDeadLine="2029-03-02T17:00:00-05:00",
        NaicsCode="332410",
        ClassificationCode="AC12",
        PopCity="Wright-Patterson AFB",
        PopState="OH",
        PrimaryContactFullname="Erin Kowalski",
        PrimaryContactEmail="erin.kowalski@us.af.mil",
        Description="AFRL seeks laser powder-bed fusion heat exchangers in aluminium or copper "
        "alloys that reject 50 kW from a high-energy laser's diodes, with lattice cores and "
        "qualification data for airborne vibration.",
    ),
    # Bad on purpose: a seven-digit NAICS code (one row error).
    notice(
        ARMY,
        Title="Hyperspectral Mine Detection Payload for Group 2 UAS",
        **{"Sol#": "W15QKN-27-9-0388"},
        Office="W6QK ACC-APG",
        PostedDate="2026-11-25",
        ResponseDeadLine="2029-02-06T17:00:00-05:00",
        NaicsCode="3345110",
        PopCity="Fort Belvoir",
        PopState="VA",
        Description="Airborne hyperspectral imaging to find buried and surface-laid mines.",
    ),
    # The demo's DIU swarm solicitation re-posted under another notice id: a likely duplicate.
    notice(
        DIU,
        Title="Collaborative Autonomy for Heterogeneous Group 1-2 UAS Swarms",
        **{"Sol#": "HQ0845-27-9-0015A"},
        Office="HQ0845 DIU",
        PostedDate="2026-11-27",
        ResponseDeadLine="2029-01-15T12:00:00-08:00",
        NaicsCode="541715",
        ClassificationCode="AC12",
        PopCity="Mountain View",
        PopState="CA",
        PrimaryContactFullname="Jordan Alvarez",
        PrimaryContactEmail="jalvarez@diu.mil",
        Description="Amendment 01 re-posts this call under a new notice: commercial "
        "collaborative autonomy software that lets one operator command a swarm of at least "
        "50 heterogeneous Group 1 and Group 2 unmanned aircraft under GPS denial.",
    ),
]

CAPABILITIES = [
    ("GaN power amplifier modules", "334413", "radar and electronic warfare transmitters"),
    ("radiation-tolerant FPGA boards", "334413", "on-orbit data processing"),
    ("hermetic optoelectronic packages", "334413", "free-space optical links"),
    ("carbon-fibre thermoplastic structures", "336413", "rapid airframe assembly"),
    ("ceramic matrix composite panels", "327110", "hot structures above 1,500 deg C"),
    ("laser powder-bed fusion parts", "332710", "spare parts printed at the point of need"),
    ("cold spray repair cells", "333519", "restoring corroded aluminium components"),
    ("solid-state battery packs", "335911", "long-endurance unmanned platforms"),
    ("hydrogen fuel-cell power units", "335999", "silent watch and expeditionary power"),
    ("edge AI inference modules", "334111", "low-power target recognition"),
    ("private 5G radio units", "334220", "secure base and flight-line networks"),
    ("mmWave phased-array antennas", "334220", "high-rate tactical backhaul"),
    ("quantum inertial sensors", "334511", "navigation without GPS"),
    ("chip-scale atomic clocks", "334519", "timing in contested environments"),
    ("hyperspectral imagers", "333314", "wide-area surveillance"),
    ("fibre-optic acoustic sensing", "334511", "perimeter and pipeline monitoring"),
    ("collaborative autonomy software", "541715", "teams of uncrewed vehicles"),
    ("robotic surface-preparation cells", "333249", "aircraft depot maintenance"),
    ("biomanufacturing skids", "325414", "medical countermeasures made near the front"),
    ("operational-technology security sensors", "541512", "installation utility control"),
]
PLATFORMS = [
    ("Group 3 UAS", ARMY, "W909MY DEVCOM C5ISR", "Aberdeen Proving Ground", "MD"),
    ("medium USVs", NAVY, "N00024 NAVSEA", "Washington Navy Yard", "DC"),
    ("ESPA-class satellites", AIR_FORCE, "FA8819 SPACE SYSTEMS COMMAND", "El Segundo", "CA"),
    ("tactical wheeled vehicles", ARMY, "W56HZV DEVCOM GVSC", "Warren", "MI"),
    ("expeditionary airfields", AIR_FORCE, "FA8051 AFCEC", "Tyndall AFB", "FL"),
    ("forward operating bases", ARMY, "W912HQ USACE", "Huntsville", "AL"),
    ("submarine tenders", NAVY, "N00024 NAVSEA", "Washington Navy Yard", "DC"),
    ("hypersonic test vehicles", AIR_FORCE, "FA8650 AFRL", "Wright-Patterson AFB", "OH"),
    ("Marine littoral regiments", NAVY, "M67854 MARCORSYSCOM", "Quantico", "VA"),
    ("Pacific island installations", NAVY, "N62583 NAVFAC EXWC", "Port Hueneme", "CA"),
    ("airborne early-warning aircraft", AIR_FORCE, "FA8730 AFLCMC", "Hanscom AFB", "MA"),
    ("counter-UAS sites", ARMY, "W31P4Q ACC-RSA", "Redstone Arsenal", "AL"),
    ("aircraft carriers", NAVY, "N00019 NAVAIR", "Patuxent River", "MD"),
    ("special operations teams", DIU, "HQ0845 DIU", "Mountain View", "CA"),
    ("depot maintenance lines", AIR_FORCE, "FA8125 OC-ALC", "Tinker AFB", "OK"),
    ("field hospitals", ARMY, "W81XWH USAMRDC", "Fort Detrick", "MD"),
    ("logistics hubs", DIU, "HQ0845 DIU", "Mountain View", "CA"),
    ("missile-defense radars", ARMY, "W9113M SMDC", "Huntsville", "AL"),
    ("amphibious ships", NAVY, "N00024 NAVSEA", "Washington Navy Yard", "DC"),
    ("training ranges", ARMY, "W900KK PEO STRI", "Orlando", "FL"),
    ("space domain awareness sites", AIR_FORCE, "FA9451 AFRL RD", "Kirtland AFB", "NM"),
    ("tactical data centres", DIU, "HQ0845 DIU", "Mountain View", "CA"),
    ("riverine craft", NAVY, "N00174 NSWC IHD", "Indian Head", "MD"),
    ("rotary-wing fleets", ARMY, "W58RGZ ACC-RSA", "Redstone Arsenal", "AL"),
    ("air-base microgrids", AIR_FORCE, "FA8903 AFICC", "Joint Base San Antonio", "TX"),
]


def large_rows() -> list[dict[str, str]]:
    """200 distinct notices: eight capabilities for every platform, 3 of them made bad."""
    rows = []
    for i, (capability, naics, purpose) in enumerate(CAPABILITIES[:8]):
        for j, (platform, base, office, city, state) in enumerate(PLATFORMS):
            n = i * len(PLATFORMS) + j
            title = f"Prototype {capability} for {platform}"
            deadline_month = 1 + n % 12
            deadline_year = 2029 + n % 2
            rows.append(
                notice(
                    base,
                    Title=title,
                    **{"Sol#": f"{office.split()[0]}-27-9-{1000 + n}"},
                    Office=office,
                    PostedDate=f"2026-11-{1 + n % 28:02d}",
                    ResponseDeadLine=f"{deadline_year}-{deadline_month:02d}-15T17:00:00-05:00",
                    NaicsCode=naics,
                    ClassificationCode="AC12",
                    PopCity=city,
                    PopState=state,
                    Description=f"<p>The government seeks prototypes of {capability} for "
                    f"{purpose}, integrated on {platform}.</p><p>Offerors shall reach TRL 6 "
                    f"within {12 + n % 13} months and deliver {2 + n % 9} units for field "
                    "evaluation, with a plan for production at rate.</p>",
                )
            )
    rows[41]["NaicsCode"] = "54171"  # five digits are fine; seven are not:
    rows[42]["NaicsCode"] = "5417150"
    rows[120]["NoticeId"] = ""
    rows[177]["Title"] = ""
    return rows


def write_sam(path: Path, rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SAM_HEADER, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in SAM_HEADER})
    path.write_text(out.getvalue(), encoding="utf-8")


COMPANY_HEADER = [
    "role", "country", "name", "name_ja", "website", "narrative", "narrative_ja", "keywords",
    "technology_areas", "naics", "corporate_number", "certifications", "contact_name",
    "contact_email", "external_id",
]  # fmt: skip

COMPANIES = [
    {
        "role": "jp_partner",
        "country": "JP",
        "name": "Shiokaze Marine Coatings K.K.",
        "name_ja": "潮風マリンコーティング株式会社",
        "website": "https://shiokaze-coatings.example.jp",
        "narrative": "Silicone-hydrogel foul-release hull coatings proven on Pacific fishing "
        "fleets; 30-month service life without dry-docking.",
        "keywords": "foul-release coating; silicone hydrogel; hull maintenance",
        "technology_areas": "Advanced Materials",
        "naics": "325510",
        "corporate_number": "9010001076435",
        "certifications": "ISO 9001",
        "contact_name": "Ishikawa Ren",
        "contact_email": "ishikawa@shiokaze-coatings.example.jp",
        "external_id": "JETRO-2026-0101",
    },
    {
        "role": "jp_partner",
        "country": "JP",
        "name": "Kiriko Solid-State Energy Inc.",
        "name_ja": "切子ソリッドステートエナジー株式会社",
        "website": "https://kiriko-energy.example.jp",
        "narrative": "Sulfide solid-electrolyte lithium-metal cells at 420 Wh/kg; pouch and "
        "conformal packs that pass nail penetration without thermal runaway.",
        "keywords": "solid-state battery; lithium metal; sulfide electrolyte",
        "technology_areas": "Energy",
        "naics": "335911",
        "corporate_number": "9011101043218",
        "certifications": "IATF 16949",
        "contact_name": "Nakamura Yui",
        "contact_email": "yui.nakamura@kiriko-energy.example.jp",
        "external_id": "JETRO-2026-0102",
    },
    {
        "role": "jp_partner",
        "country": "JP",
        "name": "Hikarimichi Photonics Co., Ltd.",
        "name_ja": "光路フォトニクス株式会社",
        "website": "https://hikarimichi.example.jp",
        "narrative": "Space-qualified optical crosslink terminals with 8 cm apertures and "
        "fine-steering mirrors; 10 Gbps links demonstrated in orbit.",
        "keywords": "optical crosslink; laser communication; fine steering mirror",
        "technology_areas": "Space; 5G and communications",
        "naics": "334220; 541715",
        "corporate_number": "3120001093367",
        "certifications": "JIS Q 9100",
        "contact_name": "Fujita Sho",
        "contact_email": "fujita@hikarimichi.example.jp",
        "external_id": "JETRO-2026-0103",
    },
    {
        # Japanese only, as most small Japanese firms describe themselves: the narrative is
        # Japanese and narrative_ja stays empty.
        "role": "jp_partner",
        "country": "JP",
        "name": "Kitakaze Seiki K.K.",
        "name_ja": "北風精機株式会社",
        "website": "https://kitakaze-seiki.example.jp",
        "narrative": "埼玉県川口市で、極低温環境で使う小型のスターリング冷凍機と、赤外線センサ用の"
        "真空断熱容器を設計・製造しています。マイナス196℃まで冷却でき、連続運転1万時間の実績があります。",
        "keywords": "スターリング冷凍機; 極低温冷却; 赤外線センサ; 真空断熱",
        "technology_areas": "Sensors",
        "naics": "333415",
        "corporate_number": "8110001083521",
        "certifications": "ISO 9001",
        "contact_name": "Ogawa Haruto",
        "contact_email": "ogawa@kitakaze-seiki.example.jp",
        "external_id": "JETRO-2026-0104",
    },
]


def write_companies(path: Path) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COMPANY_HEADER, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(COMPANIES)
    path.write_text(out.getvalue(), encoding="utf-8")


def main() -> None:
    write_sam(HERE / "sam-extract.csv", SMALL)
    write_sam(HERE / "sam-extract-large.csv", large_rows())
    write_companies(HERE / "companies.csv")


if __name__ == "__main__":
    main()

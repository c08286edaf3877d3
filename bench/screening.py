"""Restricted-party screening benchmark: quality on labelled pairs and speed at list scale.

Builds a list of real-looking entries in the shape of the Consolidated Screening List (Chinese
companies with city, brand, trade words and "Co., Ltd."; Hong Kong and UAE trading fronts;
Russian joint-stock companies and institutes; Iranian industrial groups; a few Japanese
companies with a Japanese-script alias, as on METI's End User List), each with aliases and
address countries, and a population of Japanese partner companies (English names, some with a
Japanese-script name). Into the partners go:
- true pairs, each a partner that is a listed entry written differently: another legal form,
  reordered words, a typo (one edit in a word of 6+ letters), a transliteration variant
  (kh/h, ye/ieh, ou/o, k/c, v/w, i/ee, ...), a short or branch name, the Japanese or English
  form of a Japanese entry;
- hard false pairs: partners that look like an entry but are another company (the same city
  and trade words with another brand, the same brand root with other words, one of two names
  changed, a Japanese company sharing a place name and a trade word with a listed Japanese
  one), and a few whose brand is one letter from a listed one (Huaxin, Huaxing): these read
  as a typo and are expected to be hit, for a reviewer to clear.

Prints recall on the true pairs, the hard false pairs hit, and the potential hits per 1,000
partners at the chosen threshold and its neighbours, then the time to screen all partners
against the whole list. Deterministic (fixed seed).

    .venv/bin/python bench/screening.py [--entries 30000] [--companies 10000] [--seed 20]
        [--verbose]   (also print the missed true pairs, the hard false pairs hit and a
                       sample of the other potential hits)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.screening import (  # noqa: E402
    DEFAULT_THRESHOLD,
    ListedParty,
    Party,
    ScreeningIndex,
    normalise,
)


def _words(text: str, spaces: str = "") -> list[str]:
    """The words of a text (with `spaces` standing for spaces inside a word)."""
    return [word.replace(spaces, " ") if spaces else word for word in text.split()]


PINYIN = _words(
    "zhong hua xin tian yu long feng sheng kai da hai jin rui bo chuang heng tong an xing ke "
    "wei guang ming hong jia yuan shen lian tai fu de bao cheng hang li kang zhi yi run sen teng "
    "xun yao ying qi nan bei dong xi chang jiu wan sheng hui pu lan"
)
CITIES = _words(
    "Beijing Shanghai Shenzhen Guangzhou Hangzhou Wuhan Chengdu Xian Nanjing Tianjin Harbin "
    "Changsha Hefei Dalian Qingdao Suzhou Xiamen Zhuhai Dongguan Chongqing Shenyang Jinan "
    "Zhengzhou Kunming Ningbo Wuxi Changzhou Mianyang Guilin Taiyuan"
)
CN_TRADES = [
    "Technology",
    "Electronic Technology",
    "Precision Instruments",
    "Information Technology",
    "Intelligent Equipment",
    "Aerospace Materials",
    "Optoelectronics Technology",
    "Semiconductor",
    "Microelectronics",
    "Communication Equipment",
    "Trading",
    "Import and Export",
    "New Materials",
    "Science and Technology",
    "Digital Technology",
    "Photonics",
    "Machinery",
    "Industrial",
    "Electronics",
    "Navigation Technology",
]
CN_FORMS = [
    "Co., Ltd.",
    "Co., Ltd",
    "Company Limited",
    "Co. Ltd.",
    "Corporation",
    "Group Co., Ltd.",
]
RU_ROOTS = _words(
    "Almaz Zvezda Kometa Vektor Granit Rubin Sapfir Polyot Angstrem Mikron Elektron Pribor "
    "Signal Istok Svetlana Proton Kvant Radon Avangard Sokol Berkut Korund Orion Kristall "
    "Impuls Start Strela Molniya Tayfun Vympel Topaz Ametist Pulsar Kaskad Zenit Sirius "
    "Elektropribor Radiopribor Avtomatika Tekhnologiya Radiotekhnika Elektronmash Lazurit"
)
RU_KINDS = [
    "Scientific Research Institute",
    "Design Bureau",
    "Plant",
    "Concern",
    "Scientific Production Association",
    "Research and Production Enterprise",
    "Instrument Making Plant",
    "Radio Engineering Corporation",
]
RU_PLACES = _words(
    "Moscow Saint-Petersburg Novosibirsk Yekaterinburg Kazan Tula Nizhny Omsk Samara"
)
IR_WORDS = _words(
    "Sanaye Sahand Pars Kavoshgaran Shahid Behsazan Mehr Arya Farayand Tadbir Sepahan "
    "Noavaran Pishgam Rahbord Sabalan Alborz Zagros Kimia Fanavari Tavan Sazeh Hamgam Damavand "
    "Payam Kish Ofogh Setareh Parto Negin Rayan Azar"
)
IR_KINDS = [
    "Electronic Industries",
    "Engineering Company",
    "Trading Company",
    "Aviation Industries",
    "Industrial Group",
    "Research Center",
]
AE_WORDS = _words(
    "Al_Noor Gulf_Star Falcon_Eye Emirates_Sky Zenith Desert_Rose Blue_Ocean Golden_Sand "
    "Silver_Line Royal_Bridge Sea_Hawk Crescent Oasis Palm_Tree Pearl_Coast Sky_Link Global_Arc",
    spaces="_",
)
AE_KINDS = [
    "General Trading LLC",
    "FZE",
    "Electronics Trading LLC",
    "Logistics FZCO",
    "Trading LLC",
]
JP_PLACES = {
    "tanaka": "田中",
    "suzuki": "鈴木",
    "yamamoto": "山本",
    "tokai": "東海",
    "kanto": "関東",
    "kansai": "関西",
    "chubu": "中部",
    "sakura": "さくら",
    "fuji": "富士",
    "asahi": "旭",
    "hikari": "光",
    "yamato": "大和",
    "daiichi": "第一",
    "taisei": "大成",
    "sanwa": "三和",
    "kyowa": "協和",
    "toyo": "東洋",
    "hokuriku": "北陸",
    "kyushu": "九州",
    "shinwa": "新和",
    "meiwa": "明和",
    "hoshizora": "星空",
    "aoba": "青葉",
    "minato": "港",
    "takasago": "高砂",
    "izumi": "和泉",
    "okamoto": "岡本",
    "nakamura": "中村",
    "kobayashi": "小林",
    "matsumoto": "松本",
}
JP_WORDS = {
    "seimitsu": ("精密", "Precision"),
    "kogyo": ("工業", "Industries"),
    "denki": ("電機", "Electric"),
    "denshi": ("電子", "Electronics"),
    "kikai": ("機械", "Machinery"),
    "kagaku": ("化学", "Chemical"),
    "seisakusho": ("製作所", "Works"),
    "shoji": ("商事", "Trading"),
    "tsushin": ("通信", "Communications"),
    "koki": ("工機", "Machine Tools"),
    "giken": ("技研", "Engineering"),
    "keiki": ("計器", "Instruments"),
    "kogaku": ("光学", "Optical"),
    "sangyo": ("産業", "Industries"),
}
EN_WORDS = _words(
    "Precision Electronics Aerospace Systems Technologies Engineering Optics Materials Robotics "
    "Photonics Devices Sensors Components Dynamics Microwave Composites Instruments Laboratories"
)
JP_SYLLABLES = _words("ka ki ko sa shi su ta to na ni mi mo ra ri ro ya yu hi ha fu ma me se ke")
JP_FORMS = ["Co., Ltd.", "K.K.", "Corporation", "Inc.", "Kabushiki Kaisha", "Ltd."]


@dataclass(frozen=True)
class Labelled:
    """A partner planted beside an entry: a true pair of a kind, or a hard false pair."""

    party: Party
    entry_key: str
    kind: str
    true: bool


def brand(rng: random.Random) -> str:
    syllables = rng.choice((2, 2, 3))
    return "".join(rng.choice(PINYIN) for _ in range(syllables)).capitalize()


def jp_coined(rng: random.Random) -> str:
    return "".join(rng.choice(JP_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()


def make_entries(count: int, rng: random.Random) -> list[ListedParty]:
    """Real-looking list entries with aliases and address countries."""
    entries: list[ListedParty] = []
    for number in range(count):
        key = f"E{number:05d}"
        roll = rng.random()
        if roll < 0.45:
            city, name, trade = rng.choice(CITIES), brand(rng), rng.choice(CN_TRADES)
            primary = f"{city} {name} {trade} {rng.choice(CN_FORMS)}"
            aliases = [f"{name} {trade} Co., Ltd."]
            if rng.random() < 0.3:
                aliases.append(name)
            if rng.random() < 0.2:
                aliases.append(f"{name} International (HK) Limited")
            countries = ("CN",) + (("HK",) if rng.random() < 0.2 else ())
        elif roll < 0.55:
            name = brand(rng)
            trade = rng.choice(["International Trading", "Electronics", "Technology", "Trading"])
            primary = f"{name} {trade} Limited"
            aliases = [f"{name} (Hong Kong) Co., Ltd."] if rng.random() < 0.4 else []
            countries = ("HK",)
        elif roll < 0.75:
            root, kind = rng.choice(RU_ROOTS), rng.choice(RU_KINDS)
            second = rng.choice(RU_ROOTS) if rng.random() < 0.5 else rng.choice(RU_PLACES)
            primary = f'Joint Stock Company "{root} {second} {kind}"'
            aliases = [f'AO "{root} {second}"', f"{root} {second} JSC"]
            if rng.random() < 0.3:
                aliases.append(f'OOO "{root}-{second}"')
            countries = ("RU",) + (("BY",) if rng.random() < 0.1 else ())
        elif roll < 0.88:
            first, second = rng.sample(IR_WORDS, 2)
            primary = f"{first} {second} {rng.choice(IR_KINDS)}"
            aliases = [f"{first} {second} Co."] if rng.random() < 0.6 else []
            countries = ("IR",) + (("AE",) if rng.random() < 0.15 else ())
        elif roll < 0.995:
            name = (
                f"{rng.choice(AE_WORDS)} {brand(rng)}"
                if rng.random() < 0.5
                else rng.choice(AE_WORDS)
            )
            primary = f"{name} {rng.choice(AE_KINDS)}"
            aliases = []
            countries = (rng.choice(("AE", "TR", "SG", "MY", "PK")),)
        else:
            place = rng.choice(list(JP_PLACES))
            word, second = rng.sample(list(JP_WORDS), 2)
            coined = jp_coined(rng)
            primary = (
                f"{coined} {place.capitalize()} {word.capitalize()} {second.capitalize()} K.K."
            )
            script = f"{coined}{JP_PLACES[place]}{JP_WORDS[word][0]}{JP_WORDS[second][0]}株式会社"
            aliases = [script]
            countries = ("JP",)
        entries.append(ListedParty(key, (primary, *aliases), countries))
    return entries


def make_partners(count: int, rng: random.Random) -> list[Party]:
    """Japanese partner companies: English names, some with a Japanese-script name."""
    parties: list[Party] = []
    for number in range(count):
        roll = rng.random()
        form = rng.choice(JP_FORMS)
        if roll < 0.5:
            place = rng.choice(list(JP_PLACES))
            words = rng.sample(list(JP_WORDS), rng.choice((1, 2)))
            english = f"{place.capitalize()} {' '.join(w.capitalize() for w in words)}"
            script = JP_PLACES[place] + "".join(JP_WORDS[w][0] for w in words)
            names: tuple[str, ...] = (f"{english} {form}",)
            if rng.random() < 0.6:
                names += (f"株式会社{script}" if rng.random() < 0.5 else f"{script}株式会社",)
        elif roll < 0.85:
            coined = jp_coined(rng)
            names = (f"{coined} {' '.join(rng.sample(EN_WORDS, rng.choice((1, 2))))} {form}",)
        else:
            place = rng.choice(list(JP_PLACES))
            names = (f"{place.capitalize()} {rng.choice(EN_WORDS)} {form}",)
        parties.append(Party(f"P{number:05d}", names, "JP"))
    return parties


def typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    edit = rng.choice(("substitute", "delete", "swap"))
    if edit == "substitute":
        letter = rng.choice([c for c in "aeiourstnl" if c != word[position]])
        return word[:position] + letter + word[position + 1 :]
    if edit == "delete":
        return word[:position] + word[position + 1 :]
    return word[:position] + word[position + 1] + word[position] + word[position + 2 :]


TRANSLITERATIONS = [
    ("kh", "h"),
    ("dzh", "j"),
    ("ye", "ieh"),
    ("ei", "ey"),
    ("ya", "ia"),
    ("ts", "tz"),
    ("ou", "o"),
    ("yo", "yoh"),
    ("k", "c"),
    ("v", "w"),
    ("i", "ee"),
    ("ao", "au"),
]


def transliterate(word: str, rng: random.Random) -> str:
    """Another romanisation of the word."""
    rules = [(a, b) for a, b in TRANSLITERATIONS if a in word.lower()[1:]]
    if not rules:
        return word
    old, new = rng.choice(rules)
    return word[0] + word[1:].lower().replace(old, new, 1)


def bare_name(primary: str) -> str:
    """The entry's name without its legal form (the quoted name of a Russian company)."""
    if '"' in primary:
        return primary.split('"')[1]
    words = primary.split()
    while len(words) > 1 and normalise(" ".join(words[:-1])) == normalise(" ".join(words)):
        words.pop()
    return " ".join(words)


def long_word(words: list[str], rng: random.Random) -> int | None:
    """A word of 6+ letters to misspell (shorter words are not matched fuzzily)."""
    positions = [i for i, word in enumerate(words) if len(word) >= 6 and word.isalpha()]
    return rng.choice(positions) if positions else None


def plant_true(entry: ListedParty, kind: str, rng: random.Random, number: int) -> Labelled | None:
    """A partner that is `entry` written another way, or None when the kind does not apply."""
    primary = entry.names[0]
    bare = bare_name(primary)
    country = entry.countries[0]
    form = rng.choice(["Limited", "Corporation", "Inc.", "K.K.", "Co., Ltd.", "LLC"])
    names: tuple[str, ...]
    if kind == "legal form":
        names = (f"{bare} {form}",)
        if primary.startswith("Joint Stock Company"):
            names = (rng.choice([f"{bare} JSC", f'AO "{bare}"', f"{bare} OJSC"]),)
    elif kind == "reordered words":
        words = bare.split()
        if len(words) < 2:
            return None
        names = (" ".join(words[1:] + words[:1]) + f" {form}",)
    elif kind in ("typo", "transliteration"):
        words = bare.split()
        position = long_word(words, rng)
        if position is None:
            return None
        if kind == "typo":
            words[position] = typo(words[position], rng)
        else:
            varied = transliterate(words[position], rng)
            if varied == words[position]:
                return None
            words[position] = varied
        names = (f"{' '.join(words)} {form}",)
    elif kind == "short name":
        if len(entry.names) < 2 or country not in {"CN", "HK"}:
            return None
        alias = entry.names[-1]
        words = normalise(alias).split()
        if len(words) != 1 or len(words[0]) < 5:
            return None
        if rng.random() < 0.5:
            names = (f"{words[0].capitalize()} Japan K.K.",)
            country = "JP"
        else:
            names = (words[0].capitalize(),)
    elif kind == "Japanese and English forms":
        if country != "JP":
            return None
        words = bare.split()  # coined, place, two Japanese trade words
        if rng.random() < 0.5:
            english = " ".join(words[:2] + [JP_WORDS[w.lower()][1] for w in words[2:]])
            names = (f"{english} Co., Ltd.",)
        else:
            script = "株式会社" + entry.names[1].replace("株式会社", "")
            names = (f"Kabushiki Kaisha {' '.join(words)}", script)
    else:
        raise ValueError(kind)
    return Labelled(Party(f"T{number:05d}", names, country), entry.key, kind, True)


def plant_false(
    entry: ListedParty, rng: random.Random, number: int, taken: set[str]
) -> Labelled | None:
    """A partner that looks like `entry` but is another company."""
    primary = entry.names[0]
    country = entry.countries[0]
    if country in {"CN"}:
        words = bare_name(primary).split()
        city, name, trade = words[0], words[1], " ".join(words[2:])
        if rng.random() < 0.15 and name.endswith("n"):
            # Huaxin beside Huaxing: another company whose name reads as a typo of this one.
            names = (f"{city} {name}g {trade} Co., Ltd.",)
            kind = "brand one letter apart (reads as a typo)"
        else:
            other = brand(rng)
            while other.lower() == name.lower():
                other = brand(rng)
            names = (f"{city} {other} {trade} Co., Ltd.",)
            kind = "same city and trade, another brand"
    elif country == "RU":
        root = primary.split('"')[1].split()[0]
        names = (f"{root} {rng.choice(['Foods', 'Cosmetics', 'Tours', 'Restaurant'])} K.K.",)
        kind = "same root, other words"
    elif country == "JP":
        words = primary.split()
        place = words[1]
        names = (f"{place} {rng.choice(EN_WORDS)} Co., Ltd.",)
        country = "JP"
        kind = "Japanese place and trade word"
    elif country == "IR":
        first = primary.split()[0]
        other = rng.choice([w for w in IR_WORDS if w != first and w not in primary])
        names = (f"{other} {' '.join(primary.split()[1:])}",)
        kind = "one of two names changed"
    else:
        return None
    # Another company, truly: no listed name has the same words.
    if " ".join(sorted(normalise(names[0]).split())) in taken:
        return None
    return Labelled(Party(f"F{number:05d}", names, "JP"), entry.key, kind, False)


def main() -> None:
    """Build the data, screen it, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=30_000)
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--verbose", action="store_true", help="print misses and sample hits")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    entries = make_entries(args.entries, rng)
    kinds = [
        "legal form",
        "reordered words",
        "typo",
        "transliteration",
        "short name",
        "Japanese and English forms",
    ]
    by_country = defaultdict(list)
    for entry in entries:
        by_country[entry.countries[0]].append(entry)
    labelled: list[Labelled] = []
    for kind in kinds:
        pool = by_country["JP"] if kind == "Japanese and English forms" else entries
        planted = 0
        for entry in rng.sample(pool, len(pool)):
            found = plant_true(entry, kind, rng, len(labelled))
            if found is not None:
                labelled.append(found)
                planted += 1
            if planted == (20 if kind == "Japanese and English forms" else 40):
                break
    taken = {" ".join(sorted(normalise(name).split())) for entry in entries for name in entry.names}
    false_count = 0
    for entry in rng.sample(entries, len(entries)):
        found = plant_false(entry, rng, len(labelled), taken)
        if found is not None:
            labelled.append(found)
            false_count += 1
        if false_count == 200:
            break
    background = make_partners(args.companies - len(labelled), rng)
    parties = background + [item.party for item in labelled]
    rng.shuffle(parties)

    lowest = 0.70
    # Wall and CPU seconds: on a shared machine the CPU time is the fairer figure.
    started, started_cpu = time.perf_counter(), time.process_time()
    index = ScreeningIndex(entries)
    build_seconds = time.perf_counter() - started
    build_cpu = time.process_time() - started_cpu
    started, started_cpu = time.perf_counter(), time.process_time()
    hits_at_default = index.screen(parties)
    screen_seconds = time.perf_counter() - started
    screen_cpu = time.process_time() - started_cpu
    hits = index.screen(parties, threshold=lowest)

    scores: dict[tuple[str, str], float] = {
        (hit.party_key, hit.entry_key): hit.score for hit in hits
    }
    true_pairs = {(item.party.key, item.entry_key): item for item in labelled if item.true}
    false_pairs = {(item.party.key, item.entry_key): item for item in labelled if not item.true}
    true_parties = {party_key for party_key, _ in true_pairs}
    unlisted_count = len(parties) - len(true_parties)

    rows: list[tuple[str, str, str]] = []
    rows.append(
        (
            "entries x names",
            f"{len(entries):,} x {sum(len(e.names) for e in entries):,}",
            "list size, names incl. aliases",
        )
    )
    rows.append(
        (
            "partners x names",
            f"{len(parties):,} x {sum(len(p.names) for p in parties):,}",
            f"{len(true_pairs)} true pairs, {len(false_pairs)} hard false pairs planted",
        )
    )
    rows.append(("index build", f"{build_seconds:.2f} s", f"{build_cpu:.2f} s CPU"))
    rows.append(
        (
            "screen all partners",
            f"{screen_seconds:.2f} s",
            f"{screen_cpu:.2f} s CPU; {len(parties) / screen_seconds:,.0f} partners/s; "
            f"{len(hits_at_default)} potential hits at threshold {DEFAULT_THRESHOLD}",
        )
    )
    for threshold in (0.75, 0.80, 0.82, DEFAULT_THRESHOLD, 0.88, 0.90):
        recalled = [pair for pair in true_pairs if scores.get(pair, 0.0) >= threshold]
        hard = [pair for pair in false_pairs if scores.get(pair, 0.0) >= threshold]
        # Potential hits of partners that are not listed: background and hard false ones.
        unlisted = [
            hit for hit in hits if hit.score >= threshold and hit.party_key not in true_parties
        ]
        other = len(unlisted)
        held = len({hit.party_key for hit in unlisted})
        marker = " (default)" if threshold == DEFAULT_THRESHOLD else ""
        rows.append(
            (
                f"threshold {threshold:.2f}{marker}",
                f"recall {len(recalled) / len(true_pairs):.3f}",
                f"hard false pairs hit {len(hard)}/{len(false_pairs)}; "
                f"potential hits of unlisted partners {other * 1000 / unlisted_count:.1f} "
                f"per 1,000, partners held {held * 1000 / unlisted_count:.1f} per 1,000",
            )
        )
    missed = Counter(
        item.kind for pair, item in true_pairs.items() if scores.get(pair, 0.0) < DEFAULT_THRESHOLD
    )
    per_kind = Counter(item.kind for item in true_pairs.values())
    for kind in kinds:
        rows.append(
            (
                f"  {kind}",
                f"{per_kind[kind] - missed[kind]}/{per_kind[kind]}",
                "true pairs found at the default threshold",
            )
        )
    background_keys = {party.key for party in background}
    background_hits = [hit for hit in hits_at_default if hit.party_key in background_keys]
    rows.append(
        (
            "background partners",
            f"{len(background_hits) * 1000 / len(background):.1f} per 1,000",
            f"potential hits of the {len(background):,} partners not planted beside an entry "
            f"({len({hit.party_key for hit in background_hits})} partners held)",
        )
    )
    lowest_true = min(true_pairs, key=lambda pair: scores.get(pair, 0.0))
    highest_false = max(
        (pair for pair, item in false_pairs.items() if "typo" not in item.kind),
        key=lambda pair: scores.get(pair, 0.0),
    )
    rows.append(
        (
            "lowest true pair",
            f"{scores.get(lowest_true, 0.0):.4f}",
            f"{true_pairs[lowest_true].kind}: {true_pairs[lowest_true].party.names[0]}",
        )
    )
    rows.append(
        (
            "highest hard false pair",  # of those that do not read as a typo
            f"{scores[highest_false]:.4f}" if highest_false in scores else f"below {lowest:.2f}",
            f"{false_pairs[highest_false].kind}: {false_pairs[highest_false].party.names[0]}",
        )
    )
    false_kinds = Counter(item.kind for item in false_pairs.values())
    false_hit = Counter(
        item.kind
        for pair, item in false_pairs.items()
        if scores.get(pair, 0.0) >= DEFAULT_THRESHOLD
    )
    for kind, total in sorted(false_kinds.items()):
        rows.append(
            (
                f"  {kind}",
                f"{false_hit[kind]}/{total}",
                "hard false pairs hit at the default threshold",
            )
        )

    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    print(f"{'measure':<{widths[0]}}  {'result':<{widths[1]}}  notes")
    print(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * 5}")
    for a, b, c in rows:
        print(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}")
    if args.verbose:
        names = {entry.key: entry for entry in entries}
        party_by_key = {party.key: party for party in parties}
        for pair, item in true_pairs.items():
            if scores.get(pair, 0.0) < DEFAULT_THRESHOLD:
                print(
                    "MISS",
                    item.kind,
                    scores.get(pair),
                    item.party.names,
                    names[item.entry_key].names,
                )
        for pair, item in false_pairs.items():
            if scores.get(pair, 0.0) >= DEFAULT_THRESHOLD:
                print(
                    "FALSE",
                    item.kind,
                    scores.get(pair),
                    item.party.names,
                    names[item.entry_key].names,
                )
        other_hits = [hit for hit in hits_at_default if hit.party_key not in true_parties]
        for hit in rng.sample(other_hits, min(15, len(other_hits))):
            print("OTHER", hit.score, party_by_key[hit.party_key].names, hit.entry_name)


if __name__ == "__main__":
    main()

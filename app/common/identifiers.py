"""Validators for the identifiers the domain uses (UEI, CAGE, houjin bangou, NAICS, ISO country)."""

import re

UEI_PATTERN = re.compile(r"^[A-HJ-NP-Z1-9][A-HJ-NP-Z0-9]{11}$")
CAGE_PATTERN = re.compile(r"^[A-HJ-NP-Z0-9]{5}$")
NAICS_PATTERN = re.compile(r"^\d{2,6}$")
# NAICS 2022 sectors; a code outside them is a typo, not a new industry.
NAICS_SECTORS = frozenset(
    [
        "11",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "42",
        "44",
        "45",
        "48",
        "49",
        "51",
        "52",
        "53",
        "54",
        "55",
        "56",
        "61",
        "62",
        "71",
        "72",
        "81",
        "92",
    ]
)
ISO_COUNTRIES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a Japanese corporate number from its 12 base digits (NTA rule)."""
    total = 0
    for n, char in enumerate(reversed(base12), start=1):
        total += int(char) * (1 if n % 2 else 2)
    return 9 - total % 9


def check_corporate_number(value: str) -> str:
    """Return a valid 13-digit corporate number or raise ValueError with the reason."""
    value = value.strip().replace("-", "")
    if not re.fullmatch(r"\d{13}", value):
        raise ValueError("must be 13 digits")
    if int(value[0]) != corporate_number_check_digit(value[1:]):
        raise ValueError("check digit does not match (first digit)")
    return value


def check_uei(value: str) -> str:
    """Return a normalised SAM.gov UEI or raise ValueError."""
    value = value.strip().upper()
    if not UEI_PATTERN.fullmatch(value):
        raise ValueError("must be 12 letters or digits, without I or O, not starting with 0")
    return value


def check_cage(value: str) -> str:
    """Return a normalised CAGE code or raise ValueError."""
    value = value.strip().upper()
    if not CAGE_PATTERN.fullmatch(value):
        raise ValueError("must be 5 letters or digits, without I or O")
    return value


def check_naics(value: str) -> str:
    """Return a NAICS code (2-6 digits, real sector) or raise ValueError."""
    value = value.strip()
    if not NAICS_PATTERN.fullmatch(value):
        raise ValueError(f"{value!r} is not a NAICS code (2 to 6 digits)")
    if value[:2] not in NAICS_SECTORS:
        raise ValueError(f"{value!r} does not start with a NAICS sector")
    return value


def check_country(value: str) -> str:
    """Return an ISO 3166-1 alpha-2 code or raise ValueError."""
    value = value.strip().upper()
    if value not in ISO_COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value

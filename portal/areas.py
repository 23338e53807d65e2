"""The areas of the United Kingdom a child can be placed in, as data: `portal/data/areas.csv`.

England is listed authority by authority at its geography since the April 2023 reorganisation (Cumberland,
Westmorland and Furness, North Yorkshire and Somerset unitary), with Barnsley's and Sheffield's codes of April 2025:
counties (ONS codes E10…), unitary authorities (E06…), metropolitan boroughs (E08…), London boroughs and the City of
London (E09…) and non-metropolitan districts (E07…), each district with the code of its county. Wales, Scotland
and Northern Ireland are one area each. The codes and names are the ONS (GSS) register's; the file is loaded once
and never changes at run time.

An area *lies within* another when it is that area or a district of that county: `within(area, preferred)`.
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

COUNTY = "county"
UNITARY = "unitary"
METROPOLITAN_BOROUGH = "metropolitan_borough"
LONDON_BOROUGH = "london_borough"
DISTRICT = "district"
NATION = "nation"

KIND_LABELS = {
    COUNTY: "County",
    UNITARY: "Unitary authority",
    METROPOLITAN_BOROUGH: "Metropolitan borough",
    LONDON_BOROUGH: "London borough",
    DISTRICT: "District",
    NATION: "Nation",
}
# The kinds of area whose council is a children's services authority in England (an upper-tier authority). Wales,
# Scotland and Northern Ireland are places a child can live in, not authorities of the consortium.
UPPER_TIER_KINDS = (COUNTY, UNITARY, METROPOLITAN_BOROUGH, LONDON_BOROUGH)
# The kinds of area a home is in: the lowest tier, never a county (a home in Lancashire is in one of its districts).
LOWEST_TIER_KINDS = (UNITARY, METROPOLITAN_BOROUGH, LONDON_BOROUGH, DISTRICT, NATION)
COUNTY_MESSAGE = "Choose the district the home is in, not the county"
CODE_PATTERN = re.compile(r"^(E06|E07|E08|E09|E10)\d{6}$|^(W92|S92|N92)\d{6}$")
DATA_FILE = Path(__file__).parent / "data" / "areas.csv"


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    kind: str
    upper_tier_code: str  # a district's county; "" for every other area

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def is_upper_tier(self) -> bool:
        return self.kind in UPPER_TIER_KINDS

    @property
    def is_lowest_tier(self) -> bool:
        return self.kind in LOWEST_TIER_KINDS

    @property
    def label(self) -> str:
        """The name as a list shows it: a district with its county, so "Chorley (Lancashire)"."""
        if self.kind == DISTRICT:
            return f"{self.name} ({get(self.upper_tier_code).name})"
        return self.name


@cache
def _load() -> dict[str, Area]:
    with DATA_FILE.open(newline="", encoding="utf-8") as handle:
        areas = [Area(row["code"], row["name"], row["kind"], row["upper_tier_code"]) for row in csv.DictReader(handle)]
    return {area.code: area for area in sorted(areas, key=lambda area: area.name)}


def all_areas() -> list[Area]:
    """Every area, by name."""
    return list(_load().values())


def get(code: str | None) -> Area | None:
    """The area with this ONS code, or None."""
    return _load().get((code or "").strip().upper())


def name_of(code: str | None) -> str:
    area = get(code)
    return area.name if area else ""


# The councils whose names are not "<area> Council" (counties are "<county> County Council"): the City of London,
# Durham and the Isles of Scilly, the city councils and the royal boroughs. A suggestion only: the administrator who
# adds a member types the council's name when it differs (portal.services.members.add).
_COUNCIL_NAMES = {
    "E09000001": "City of London Corporation", "E06000047": "Durham County Council",
    "E06000053": "Council of the Isles of Scilly",
    "E08000025": "Birmingham City Council", "E08000032": "City of Bradford Metropolitan District Council",
    "E08000026": "Coventry City Council", "E08000035": "Leeds City Council", "E08000012": "Liverpool City Council",
    "E08000003": "Manchester City Council", "E08000021": "Newcastle City Council",
    "E08000006": "Salford City Council", "E08000039": "Sheffield City Council",
    "E08000024": "Sunderland City Council", "E08000031": "City of Wolverhampton Council",
    "E06000033": "Southend-on-Sea City Council", "E06000042": "Milton Keynes City Council",
    "E08000017": "City of Doncaster Council", "E06000057": "Northumberland County Council",
    "E06000017": "Rutland County Council", "E06000055": "Bedford Borough Council",
    "E06000043": "Brighton & Hove City Council", "E06000023": "Bristol City Council",
    "E06000015": "Derby City Council", "E06000010": "Hull City Council", "E06000016": "Leicester City Council",
    "E06000018": "Nottingham City Council", "E06000031": "Peterborough City Council",
    "E06000026": "Plymouth City Council", "E06000044": "Portsmouth City Council",
    "E06000045": "Southampton City Council", "E06000021": "Stoke-on-Trent City Council",
    "E06000014": "City of York Council", "E09000033": "Westminster City Council",
    "E09000011": "Royal Borough of Greenwich", "E09000020": "Royal Borough of Kensington and Chelsea",
    "E09000021": "Royal Borough of Kingston upon Thames", "E06000040": "Royal Borough of Windsor and Maidenhead",
}


def council_name(area: Area) -> str:
    """The name suggested for an upper-tier area's council when it is first made: "Kent County Council", "Sefton
    Council", "Manchester City Council"."""
    if area.code in _COUNCIL_NAMES:
        return _COUNCIL_NAMES[area.code]
    return f"{area.name} County Council" if area.kind == COUNTY else f"{area.name} Council"


def upper_tier() -> list[Area]:
    """The children's services authorities, by name: counties, unitaries, metropolitan and London boroughs (with
    the City of London). Wales, Scotland and Northern Ireland are not among them."""
    return [area for area in _load().values() if area.is_upper_tier]


def lowest_tier() -> list[Area]:
    """The areas a home can be in, by name: districts, unitaries, metropolitan and London boroughs, and Wales,
    Scotland and Northern Ireland; never a county."""
    return [area for area in _load().values() if area.is_lowest_tier]


def within(area: str | Area | None, preferred: str | Area | None) -> bool:
    """True when `area` is `preferred` or lies inside it (a district inside its county). A metropolitan borough is
    never inside another, and Wales is one area."""
    area = get(area) if isinstance(area, str) or area is None else area
    preferred = get(preferred) if isinstance(preferred, str) or preferred is None else preferred
    if area is None or preferred is None:
        return False
    return area.code == preferred.code or (area.kind == DISTRICT and area.upper_tier_code == preferred.code)


def stored_label(name: str, code: str | None) -> str:
    """A stored area by its name; one typed before areas were data and matching none (no code) is to be confirmed:
    "north of the county (area to be confirmed)"."""
    if code is None:
        return f"{name} (area to be confirmed)" if name else "To be confirmed"
    return name


FLAG_NOT_KNOWN = "Not known: an area is to be confirmed"


def flag_label(value: bool | None) -> str:
    """ "In the preferred location", "in the authority's own area" in words: Yes, No, or not known (None) while an
    area the rule needs is to be confirmed."""
    if value is None:
        return FLAG_NOT_KNOWN
    return "Yes" if value else "No"


def within_any(area: str | Area | None, preferred: list[str] | tuple[str, ...]) -> bool:
    return any(within(area, code) for code in preferred)


def choices(areas: list[Area] | None = None, *, blank: str = "Choose an area") -> list[tuple[str, str]]:
    """(code, label) pairs for a select, a blank first."""
    return [("", blank)] + [(area.code, area.label) for area in (all_areas() if areas is None else areas)]


def upper_tier_choices(blank: str = "Choose an authority") -> list[tuple[str, str]]:
    return choices(upper_tier(), blank=blank)


def lowest_tier_choices(blank: str = "Choose an area") -> list[tuple[str, str]]:
    return choices(lowest_tier(), blank=blank)



# Matching typed names to areas: a council's title and its kind words are dropped, and "&" is "and", so
# "Sefton MBC", "Sefton Metropolitan Borough Council" and "Sefton Council" are all Sefton.
_TITLES = (
    "metropolitan borough council", "metropolitan district council", "city and district council",
    "county borough council", "royal borough of", "london borough of", "borough council of", "city of", "council of",
    "county council", "borough council", "district council", "city council", "unitary authority", "council", "mbc",
    "mdc", "cc", "bc", "dc", "the",
)
_ALIASES = {
    "hull": "E06000010", "kingston upon hull city of": "E06000010", "durham": "E06000047",
    "bristol city of": "E06000023", "city of bristol": "E06000023", "herefordshire county of": "E06000019",
    "bcp": "E06000058", "kings lynn and west norfolk": "E07000146", "st helens": "E08000013",
    "newcastle": "E08000021", "westminster city of": "E09000033", "southend": "E06000033", "london": None,
}


def normalise(text: str) -> str:
    """A typed name reduced to the words that name the place: lower case, '&' as 'and', no punctuation, no
    council titles."""
    text = text.lower().replace("&", " and ").replace("'", "").replace("’", "")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    if text in ("city of london", "city of london corporation"):
        return "city of london"
    changed = True
    while changed:
        changed = False
        for title in _TITLES:
            for pattern in (rf"^{title} ", rf" {title}$"):
                stripped = re.sub(pattern, "", text).strip()
                if stripped != text and stripped:
                    text, changed = stripped, True
    return text


@cache
def _by_name() -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for area in _load().values():
        index.setdefault(normalise(area.name), []).append(area.code)
    return index


def match_name(text: str) -> Area | None:
    """The one area a typed name means, or None when it means none or could mean more than one (North Yorkshire
    before 2023 was a county and is now a unitary, so it names one area; a name shared by two areas names none)."""
    key = normalise(text)
    if not key:
        return None
    if key in _ALIASES:
        return get(_ALIASES[key])
    codes = _by_name().get(key, [])
    return get(codes[0]) if len(codes) == 1 else None


def match_list(text: str) -> tuple[list[str], str]:
    """Reads a typed list of places ("Tameside, Stockport or Oldham") as area codes, in order and once each, with
    whatever could not be matched given back as text (joined by ", "). Names with "and" inside them, like
    "Barking and Dagenham", are tried whole before they are split."""
    codes: list[str] = []
    unmatched: list[str] = []

    def add(code: str) -> None:
        if code not in codes:
            codes.append(code)

    whole = match_name(text or "")  # a name with a comma in it: "Bournemouth, Christchurch and Poole"
    if whole is not None:
        return [whole.code], ""
    for part in re.split(r",|;|/|\bor\b", text or "", flags=re.IGNORECASE):
        part = part.strip(" .")
        if not part:
            continue
        area = match_name(part)
        if area is not None:
            add(area.code)
            continue
        pieces = [piece.strip(" .") for piece in re.split(r"\band\b|&", part, flags=re.IGNORECASE)]
        matched = [match_name(piece) for piece in pieces if piece]
        if matched and all(matched):
            for area in matched:
                add(area.code)
        else:
            unmatched.append(part)
    return codes, ", ".join(unmatched)

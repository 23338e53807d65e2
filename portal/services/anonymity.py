"""The referral anonymity guard: before a referral is published to providers, its free text is checked for
anything that identifies the child, so that publishing can be refused until the officer has removed each finding.

Pure text work, no database and no Flask. `find_identifiers` returns the findings in reading order, without
overlaps; `highlight` splits the text into plain and flagged segments so each finding can be shown in place.

What is caught:

* the child's names from the private part (whole words, any case, possessives too);
* the child's date of birth in any common written form, and any other full date (day, month and year);
* full UK postcodes (a district alone, such as "M1" or "OL16", is allowed);
* UK telephone numbers, e-mail addresses, NHS numbers passing the modulus-11 check;
* the child's case number however it is spaced, and anything shaped like a case or reference id;
* the names of the referring authority's staff (the referral rules promise providers never see the officer's name):
  a full name as written, or its first and last words, in any case; a surname after a title ("Ms Ramsden"); and a
  surname alone when it is written with a capital letter, has at least 3 letters and is not an everyday English
  word (so "Ramsden will call" is caught, but a colleague called Young, Hope or Hill does not flag "young people",
  "Hope" or "Hill Top"). Short surnames ("Li", "Ng") are caught only in the full name or after a title. First
  names alone are not flagged: too many are everyday words ("Will", "Grace") and alone they say little. In a field
  that names a place (`staff_surnames=False`) only full names are flagged, so that a colleague called Preston
  does not stop a search in Preston.

Limits: names are matched as written (no nicknames, misspellings or initials), dates written in words
("the third of April") and partial dates ("April 2012", "3 April") are not flagged, and only UK numbers and
postcodes are recognised.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

NAME = "name"
DATE_OF_BIRTH = "date_of_birth"
DATE = "date"
POSTCODE = "postcode"
TELEPHONE = "telephone"
EMAIL = "email"
NHS_NUMBER = "nhs_number"
CASE_NUMBER = "case_number"
STAFF_NAME = "staff_name"

KINDS = (NAME, DATE_OF_BIRTH, DATE, POSTCODE, TELEPHONE, EMAIL, NHS_NUMBER, CASE_NUMBER, STAFF_NAME)


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    text: str  # the exact matched text as it appears
    start: int  # offsets into the checked text: text[start:end] == self.text
    end: int
    message: str  # what the officer reads


@dataclass(frozen=True)
class PrivateDetails:
    """From the referral's private part, never shown to providers."""

    names: tuple[str, ...] = ()  # first name(s), surname, known-as names
    date_of_birth: date | None = None
    case_number: str | None = None
    staff_names: tuple[str, ...] = ()  # full names of the referring authority's users, active or not
    staff_surnames: bool = True  # whether a staff surname alone is flagged (not in a field that names a place)


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    kind: str
    message: str
    priority: int  # lower wins when two candidates of the same length overlap


# When candidates overlap the longest wins; on equal length, the lowest priority number.
_PRIORITY = {
    "private_case_number": 0,
    DATE_OF_BIRTH: 1,
    NHS_NUMBER: 2,
    EMAIL: 3,
    TELEPHONE: 4,
    POSTCODE: 5,
    DATE: 6,
    "case_reference": 7,
    NAME: 8,
    STAFF_NAME: 9,
}


def find_identifiers(text: str, private: PrivateDetails) -> list[Finding]:
    """Everything in `text` that could identify the child, sorted by start, with no overlaps.

    The search runs on a normalised copy (compatibility forms such as fullwidth letters folded, invisible format
    characters such as soft hyphens and zero-width spaces dropped, both common in pasted text); each finding's
    offsets are mapped back to the text as written."""
    plain, origin = _normalised(text)
    candidates = [
        *_names(plain, private.names),
        *_dates(plain, private.date_of_birth),
        *_postcodes(plain),
        *_telephones(plain),
        *_emails(plain),
        *_nhs_numbers(plain),
        *_case_numbers(plain, private.case_number),
        *_staff_names(plain, private.staff_names, surnames=private.staff_surnames),
    ]
    chosen: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.start - c.end, c.priority, c.start)):
        if all(candidate.end <= other.start or candidate.start >= other.end for other in chosen):
            chosen.append(candidate)
    chosen.sort(key=lambda c: c.start)
    findings = []
    for c in chosen:
        start, end = origin[c.start], origin[c.end - 1] + 1
        findings.append(Finding(c.kind, text[start:end], start, end, c.message))
    return findings


def without_format_characters(text: str) -> str:
    """The text without invisible format characters (Unicode category Cf: soft hyphens, zero-width spaces and
    joiners, direction marks), which only hide what is written from a reader or a search."""
    return "".join(character for character in text if unicodedata.category(character) != "Cf")


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text with each character in NFKC form and format characters (category Cf) removed, and for each
    character of the result the offset of the character of `text` it came from."""
    pieces, origin = [], []
    for index, character in enumerate(text):
        if unicodedata.category(character) == "Cf":
            continue
        folded = unicodedata.normalize("NFKC", character)
        pieces.append(folded)
        origin.extend([index] * len(folded))
    return "".join(pieces), origin


def highlight(text: str, findings: list[Finding]) -> list[tuple[str, Finding | None]]:
    """`text` split into plain segments (paired with None) and flagged ones (paired with their finding).

    The segments join back into `text`. A finding overlapping an earlier one is left out; a finding that
    does not belong to `text` raises ValueError.
    """
    segments: list[tuple[str, Finding | None]] = []
    cursor = 0
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if not (0 <= finding.start < finding.end <= len(text)) or text[finding.start : finding.end] != finding.text:
            raise ValueError(f"Finding {finding.text!r} at {finding.start}-{finding.end} is not in the text")
        if finding.start < cursor:
            continue
        if finding.start > cursor:
            segments.append((text[cursor : finding.start], None))
        segments.append((finding.text, finding))
        cursor = finding.end
    if cursor < len(text):
        segments.append((text[cursor:], None))
    return segments


def _candidate(match_start: int, match_end: int, kind: str, message: str, rule: str | None = None) -> _Candidate:
    return _Candidate(match_start, match_end, kind, message, _PRIORITY[rule or kind])


# Names ----------------------------------------------------------------------------------------------------------

_APOSTROPHES = "'’"
# Possessives ("Jordan's", "Jordans", "James'") are part of the finding.
_POSSESSIVE = rf"(?:[{_APOSTROPHES}]s|s|(?<=[sS])[{_APOSTROPHES}])?"


def _letters(word: str) -> int:
    return sum(character.isalpha() for character in word)


def _name_variants(names: tuple[str, ...]) -> set[str]:
    variants: set[str] = set()
    for entry in names:
        entry = " ".join((entry or "").split())
        for variant in (entry, *re.split(r"[\s\-]+", entry)):
            variant = variant.strip(".,;:()\"'’-")
            if _letters(variant) >= 2:
                variants.add(variant)
    return variants


def _name_pattern(name: str) -> re.Pattern[str]:
    parts = []
    for character in name:
        if character in _APOSTROPHES:
            parts.append(f"[{_APOSTROPHES}]")
        elif character.isspace():
            parts.append(r"\s+")
        elif character == "-":
            parts.append(r"[-‐–]")
        else:
            parts.append(re.escape(character))
    return re.compile(rf"(?<!\w){''.join(parts)}{_POSSESSIVE}(?!\w)", re.IGNORECASE)


def _names(text: str, names: tuple[str, ...]) -> Iterator[_Candidate]:
    for name in _name_variants(names):
        for match in _name_pattern(name).finditer(text):
            yield _candidate(match.start(), match.end(), NAME, f"Remove the child's name “{match.group()}”")


# Staff names ----------------------------------------------------------------------------------------------------

_TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr")
_TITLE = rf"(?<!\w)(?:{'|'.join(_TITLES)})\.?\s+"
_MIN_SURNAME_LETTERS = 3
# Surnames that are also everyday words: alone they are left, as flagging them would stop ordinary sentences.
EVERYDAY_SURNAMES = frozenset('''
    able baker ball bank banks bell best bill bird bishop black bliss booth bright brook brooks brown bush
    care case chamber child church cook cross day dean dove east england english fair field fields fox free
    french friend frost gentle gold good gray green grey hall hardy hart hay heath hill holiday home hope
    house hunt key keys king knight lamb land lane law little long lord love major mark marsh march may mill
    mills miles moore more moss new noble north page park parks parish pool pope price rain read reading rice
    rich rose sage sharp short silver small smart snow south spring stone storm street strong summer sweet
    swift turner walker ward water waters well wells west white will winter wise wood woods young
'''.split())


def _staff_name_forms(full_name: str) -> tuple[list[str], str | None]:
    """The forms of a colleague's name to look for in full, and the surname to look for alone (or after a title)."""
    words = [word.strip(".,;:()\"") for word in full_name.split()]
    words = [word for word in words if word and word.lower().rstrip(".") not in _TITLES]
    if not words:
        return [], None
    surname = words[-1]
    forms = []
    if len(words) > 1:
        forms.append(" ".join(words))
        if len(words) > 2:
            forms.append(f"{words[0]} {surname}")
    return forms, surname if _letters(surname) >= 2 else None


def _staff_message(written: str) -> str:
    return f"Remove the name of a member of your authority's staff “{written}”"


def _staff_names(text: str, staff_names: tuple[str, ...], *, surnames: bool) -> Iterator[_Candidate]:
    for full_name in staff_names:
        forms, surname = _staff_name_forms(full_name or "")
        for form in forms:
            for match in _name_pattern(form).finditer(text):
                yield _candidate(match.start(), match.end(), STAFF_NAME, _staff_message(match.group()))
        if surname is None:
            continue
        surname_pattern = _name_pattern(surname).pattern
        for match in re.finditer(_TITLE + surname_pattern, text, re.IGNORECASE):
            yield _candidate(match.start(), match.end(), STAFF_NAME, _staff_message(match.group()))
        if (not surnames or _letters(surname) < _MIN_SURNAME_LETTERS
                or surname.lower().replace("’", "'") in EVERYDAY_SURNAMES):
            continue
        for match in _name_pattern(surname).finditer(text):
            if match.group()[0].isupper():
                yield _candidate(match.start(), match.end(), STAFF_NAME, _staff_message(match.group()))


# Dates ----------------------------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MONTH_NUMBERS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_ORDINAL = r"(?:st|nd|rd|th)?"
_WORDS_YEAR = rf"(?:(?P<year>\d{{4}})|[{_APOSTROPHES}](?P<yy>\d{{2}}))(?!\d)"
_NOT_AFTER_NUMBER = r"(?<![\w/.])(?<!\d-)"
_NOT_BEFORE_NUMBER = r"(?!\d|[/.\-]\d)"

# "3 April 2012", "3rd of April, 2012", "3 Apr '12"
_DAY_MONTH_YEAR = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<day>\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?(?P<month>{_MONTH})\b\.?,?\s+{_WORDS_YEAR}",
    re.IGNORECASE,
)
# "03-Apr-2012", "3/Apr/12"
_DAY_MONTH_YEAR_DASHED = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<day>\d{{1,2}})(?P<sep>[-/])(?P<month>{_MONTH})\b\.?(?P=sep)"
    rf"(?:(?P<year>\d{{4}})|(?P<yy>\d{{2}})){_NOT_BEFORE_NUMBER}",
    re.IGNORECASE,
)
# "April 3, 2012", "Apr 3rd 2012"
_MONTH_DAY_YEAR = re.compile(
    rf"\b(?P<month>{_MONTH})\b\.?\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+{_WORDS_YEAR}",
    re.IGNORECASE,
)
# "03/04/2012", "3/4/12", "3.4.2012", "3-4-2012" (day first, as written in England)
_NUMERIC = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<day>\d{{1,2}})(?P<sep>[/.\-])(?P<month>\d{{1,2}})(?P=sep)"
    rf"(?:(?P<year>\d{{4}})|(?P<yy>\d{{2}})){_NOT_BEFORE_NUMBER}"
)
# "2012-04-03", "2012/04/03"
_ISO = re.compile(
    rf"{_NOT_AFTER_NUMBER}(?P<year>\d{{4}})(?P<sep>[/.\-])(?P<month>\d{{1,2}})(?P=sep)(?P<day>\d{{1,2}})"
    rf"{_NOT_BEFORE_NUMBER}"
)


def _is_calendar_date(day: int, month: int, year: int | None) -> bool:
    try:
        date(year if year is not None else 2000, month, day)  # 2000: a leap year, so 29 February passes
    except ValueError:
        return False
    return True


def _same_day(day: int, month: int, year: int | None, yy: int | None, dob: date | None) -> bool:
    if dob is None or (day, month) != (dob.day, dob.month):
        return False
    return year == dob.year if year is not None else yy == dob.year % 100


def _dates(text: str, dob: date | None) -> Iterator[_Candidate]:
    for pattern in (_DAY_MONTH_YEAR, _DAY_MONTH_YEAR_DASHED, _MONTH_DAY_YEAR, _NUMERIC, _ISO):
        numeric = pattern in (_NUMERIC, _ISO)
        for match in pattern.finditer(text):
            day = int(match["day"])
            month = int(match["month"]) if numeric else _MONTH_NUMBERS[match["month"].lower()[:3]]
            groups = match.groupdict()
            year = int(groups["year"]) if groups["year"] else None
            yy = int(groups["yy"]) if groups.get("yy") else None
            readings = [(day, month)]
            if pattern is _NUMERIC:
                readings.append((month, day))  # also read month first, in case it was written the American way
            readings = [(d, m) for d, m in readings if _is_calendar_date(d, m, year)]
            if not readings:
                continue
            written = match.group()
            if any(_same_day(d, m, year, yy, dob) for d, m in readings):
                yield _candidate(
                    match.start(), match.end(), DATE_OF_BIRTH, f"Remove the child's date of birth “{written}”"
                )
            else:
                yield _candidate(
                    match.start(),
                    match.end(),
                    DATE,
                    f"Remove the date “{written}”: full dates could identify the child",
                )


# Postcodes ------------------------------------------------------------------------------------------------------

# Outward code (A9, A9A, A99, AA9, AA9A, AA99) then the inward code (9AA), with or without the space.
_POSTCODE = re.compile(
    r"(?<![A-Z0-9])"
    r"(?P<outward>[A-PR-UWYZ](?:\d[A-HJKPSTUW\d]?|[A-HK-Y]\d[ABEHMNPRVWXY\d]?))"
    r"[ \u00a0]?"
    r"(?P<inward>\d[ABD-HJLNP-UW-Z]{2})"
    r"(?![A-Z0-9])",
    re.IGNORECASE,
)
_ORDINAL_SUFFIXES = {"st", "nd", "rd", "th"}


def _postcodes(text: str) -> Iterator[_Candidate]:
    for match in _POSTCODE.finditer(text):
        if match["inward"][1:] in _ORDINAL_SUFFIXES:  # "Y9 2nd", not a postcode (though "M1 2ND" would be)
            continue
        yield _candidate(match.start(), match.end(), POSTCODE, f"Remove the full postcode “{match.group()}”")


# Telephone numbers ----------------------------------------------------------------------------------------------

# A run of digits after a UK prefix, the digits separated by spaces, dashes or brackets; the longest part of the
# run that is a valid UK number is the finding.
_PHONE_RUN = re.compile(r"(?<![\w+])(?:\+\s?44|0044|\(0|0)(?:[ \u00a0\-()]{0,3}\d)+")


def _is_uk_telephone(written: str) -> bool:
    digits = re.sub(r"\D", "", written)
    if written.startswith("+") or digits.startswith("0044"):
        digits = digits[4:] if digits.startswith("0044") else digits[2:]
        if not digits.startswith("0"):
            digits = "0" + digits
    if len(digits) == 11 and digits[1] in "123789":
        return True
    return len(digits) == 10 and digits[1] in "18"


def _telephones(text: str) -> Iterator[_Candidate]:
    position = 0
    while match := _PHONE_RUN.search(text, position):
        run = match.group()
        group_ends = [
            i + 1 for i, c in enumerate(run) if c.isdigit() and (i + 1 == len(run) or not run[i + 1].isdigit())
        ]
        for end in reversed(group_ends):
            if _is_uk_telephone(run[:end]):
                written = run[:end]
                yield _candidate(
                    match.start(), match.start() + end, TELEPHONE, f"Remove the telephone number “{written}”"
                )
                position = match.start() + end
                break
        else:
            position = match.start() + 1


# E-mail addresses -----------------------------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+\-])[\w%+\-][\w.%+'\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![\w\-])"
)


def _emails(text: str) -> Iterator[_Candidate]:
    for match in _EMAIL.finditer(text):
        yield _candidate(match.start(), match.end(), EMAIL, f"Remove the email address “{match.group()}”")


# NHS numbers ----------------------------------------------------------------------------------------------------

_TEN_DIGITS = re.compile(r"(?<![\d+])(\d{3})([ \-]?)(\d{3})\2(\d{4})(?!\d)")


def is_valid_nhs_number(digits: str) -> bool:
    """The NHS modulus-11 check: weights 10 down to 2 on the first nine digits give the tenth."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _nhs_numbers(text: str) -> Iterator[_Candidate]:
    for match in _TEN_DIGITS.finditer(text):
        if is_valid_nhs_number(match[1] + match[3] + match[4]):
            yield _candidate(match.start(), match.end(), NHS_NUMBER, f"Remove the NHS number “{match.group()}”")


# Case numbers ---------------------------------------------------------------------------------------------------

_CASE_REFERENCE = re.compile(
    r"\b(?:case|ref|reference|id|lcs|mosaic|eclipse|liquidlogic|carefirst)\b"
    r"(?:[\s.:#\-]*(?:no|number|num|nr|ref|reference|id|is)\b)*"
    r"[\s.:#\-]*"
    r"(?P<token>[A-Z0-9](?:[A-Z0-9]|[/\-](?=[A-Z0-9]))*)(?!\w)",
    re.IGNORECASE,
)
_MIN_REFERENCE_DIGITS = 3  # so "case 2" or "ref 14" is not taken for an id
_YEARS = re.compile(r"(?:19|20)\d\d(?:[/\-](?:19|20)?\d\d)?")  # "case 2019", "ref 2023-24": years, not ids
_CASE_SEPARATORS = r"[\s\-/_.]{0,3}"


def _private_case_patterns(case_number: str | None) -> list[re.Pattern[str]]:
    characters = [c for c in (case_number or "") if c.isalnum()]
    if len(characters) < 3:
        return []
    forms = [characters]
    digits = max(re.findall(r"\d+", "".join(characters)) or [""], key=len)
    if len(digits) >= 5 and len(digits) < len(characters):
        forms.append(list(digits))  # "LCS-123456" also written as plain "123456"
    return [
        re.compile(
            rf"(?<![A-Za-z0-9]){_CASE_SEPARATORS.join(re.escape(c) for c in form)}(?![A-Za-z0-9])", re.IGNORECASE
        )
        for form in forms
    ]


def _case_numbers(text: str, case_number: str | None) -> Iterator[_Candidate]:
    for pattern in _private_case_patterns(case_number):
        for match in pattern.finditer(text):
            yield _candidate(
                match.start(),
                match.end(),
                CASE_NUMBER,
                f"Remove the child's case number “{match.group()}”",
                "private_case_number",
            )
    for match in _CASE_REFERENCE.finditer(text):
        token = match["token"]
        if sum(c.isdigit() for c in token) >= _MIN_REFERENCE_DIGITS and not _YEARS.fullmatch(token):
            yield _candidate(
                match.start("token"),
                match.end("token"),
                CASE_NUMBER,
                f"Remove the case or reference number “{token}”",
                "case_reference",
            )

"""The referral anonymity guard: names, dates of birth and other full dates, postcodes, telephone numbers,
e-mail addresses, NHS numbers and case numbers are found with their offsets and messages, ordinary referral
text is left alone, and highlight() splits the text for showing each finding in place."""

from datetime import date

import pytest

from portal.services.anonymity import (
    NAME,
    Finding,
    PrivateDetails,
    find_identifiers,
    highlight,
    is_valid_nhs_number,
)

PRIVATE = PrivateDetails(names=("Jordan", "Lee", "Smith"), date_of_birth=date(2012, 4, 3), case_number="LCS-123456")
NOBODY = PrivateDetails()


def only(text: str, private: PrivateDetails = PRIVATE) -> Finding:
    findings = find_identifiers(text, private)
    assert len(findings) == 1, findings
    return findings[0]


def flagged(text: str, private: PrivateDetails = PRIVATE) -> list[tuple[str, str]]:
    return [(finding.kind, finding.text) for finding in find_identifiers(text, private)]


def assert_single(text: str, expected: str, kind: str, private: PrivateDetails = PRIVATE) -> Finding:
    finding = only(text, private)
    start = text.index(expected)
    assert (finding.kind, finding.text, finding.start, finding.end) == (kind, expected, start, start + len(expected))
    assert text[finding.start : finding.end] == finding.text
    return finding


class TestMessages:
    @pytest.mark.parametrize(
        "text, expected, kind, message",
        [
            ("Jordan enjoys football.", "Jordan", "name", "Remove the child's name “Jordan”"),
            ("Born 3 April 2012.", "3 April 2012", "date_of_birth", "Remove the child's date of birth “3 April 2012”"),
            (
                "Last seen by CAMHS on 14/05/2025.",
                "14/05/2025",
                "date",
                "Remove the date “14/05/2025”: full dates could identify the child",
            ),
            ("Lives near M1 2AB at present.", "M1 2AB", "postcode", "Remove the full postcode “M1 2AB”"),
            (
                "Call 07700 900123 for details.",
                "07700 900123",
                "telephone",
                "Remove the telephone number “07700 900123”",
            ),
            (
                "Write to sw@example.gov.uk.",
                "sw@example.gov.uk",
                "email",
                "Remove the email address “sw@example.gov.uk”",
            ),
            ("NHS 943 476 5919 on file.", "943 476 5919", "nhs_number", "Remove the NHS number “943 476 5919”"),
            ("Our LCS-123456 record.", "LCS-123456", "case_number", "Remove the child's case number “LCS-123456”"),
            ("Mosaic ID: 98765 holds it.", "98765", "case_number", "Remove the case or reference number “98765”"),
        ],
    )
    def test_each_kind_is_refused_with_its_message_and_offsets(self, text, expected, kind, message):
        assert assert_single(text, expected, kind).message == message


class TestNames:
    @pytest.mark.parametrize(
        "text, expected",
        [
            ("Jordan is settled at school.", "Jordan"),
            ("Support for jordan at night.", "jordan"),
            ("JORDAN REQUIRES 1:1 SUPPORT.", "JORDAN"),
            ("Jordan's mother visits weekly.", "Jordan's"),
            ("Jordan’s mother visits weekly.", "Jordan’s"),
            ("Jordans mother visits weekly.", "Jordans"),
            ("Known to the Smith family.", "Smith"),
            ("(Lee) prefers quiet homes.", "Lee"),
            ("Contact: Jordan-Marie's nan.", "Jordan"),
        ],
    )
    def test_names_are_whole_words_in_any_case_and_possessive(self, text, expected):
        assert_single(text, expected, "name")

    @pytest.mark.parametrize("text", ["Jordanna is a friend.", "Sleepless nights.", "Leeds United fan.", "Blacksmith"])
    def test_names_inside_other_words_are_not_found(self, text):
        assert find_identifiers(text, PRIVATE) == []

    def test_first_names_surname_and_known_as_names_are_each_found(self):
        private = PrivateDetails(names=("Mary Jane", "O'Neil", "MJ"))
        text = "Mary Jane O’Neil, known as MJ; Jane likes art."
        assert flagged(text, private) == [
            ("name", "Mary Jane"),
            ("name", "O’Neil"),
            ("name", "MJ"),
            ("name", "Jane"),
        ]

    def test_hyphenated_surnames_are_found_whole_and_in_part(self):
        private = PrivateDetails(names=("Smith-Jones",))
        assert flagged("Smith-Jones, or Jones for short.", private) == [("name", "Smith-Jones"), ("name", "Jones")]

    def test_names_shorter_than_two_letters_are_ignored(self):
        assert find_identifiers("J went to a new school; A is his key worker.", PrivateDetails(names=("J", "A."))) == []

    @pytest.mark.parametrize(
        "name, text, expected", [("Hope", "We hope for stability.", "hope"), ("Will", "He will cope.", "will")]
    )
    def test_names_that_are_common_words_are_still_found(self, name, text, expected):
        assert_single(text, expected, "name", PrivateDetails(names=(name,)))

    def test_every_occurrence_is_found(self):
        text = "Jordan likes art. Staff praise Jordan. jordan's room"
        assert [f.start for f in find_identifiers(text, PRIVATE)] == [0, 31, 39]


class TestDateOfBirth:
    @pytest.mark.parametrize(
        "written",
        [
            "03/04/2012",
            "3/4/2012",
            "3/4/12",
            "03/04/12",
            "3.4.2012",
            "03.04.12",
            "3-4-2012",
            "2012-04-03",
            "2012/04/03",
            "3 April 2012",
            "03 April 2012",
            "3rd April 2012",
            "3rd of April 2012",
            "3 april 2012",
            "3 APRIL 2012",
            "3 Apr 2012",
            "3 Apr. 2012",
            "3 April, 2012",
            "3 April '12",
            "03-Apr-2012",
            "3-Apr-12",
            "April 3, 2012",
            "April 3 2012",
            "April 3rd, 2012",
            "Apr 3, 2012",
            "04/03/2012",  # written month first
        ],
    )
    def test_the_date_of_birth_is_found_in_any_common_form(self, written):
        text = f"Date of birth: {written}. Needs a placement soon."
        assert assert_single(text, written, "date_of_birth").message == f"Remove the child's date of birth “{written}”"

    def test_the_weekday_before_a_date_is_left_in_place(self):
        assert_single("Born on Tuesday 3 April 2012 in Sefton.", "3 April 2012", "date_of_birth")

    def test_without_a_known_date_of_birth_it_is_still_a_date(self):
        assert_single("Born 3 April 2012.", "3 April 2012", "date", NOBODY)


class TestOtherDates:
    @pytest.mark.parametrize(
        "written",
        ["14/05/2025", "1/9/23", "2019-06-30", "1 January 2020", "21st March 2024", "March 5, 2019", "30.06.2019"],
    )
    def test_full_dates_are_flagged(self, written):
        text = f"Incident on {written} was reported."
        finding = assert_single(text, written, "date")
        assert finding.message == f"Remove the date “{written}”: full dates could identify the child"

    @pytest.mark.parametrize(
        "text",
        [
            "Exclusion in April 2025 led to a move.",
            "Aged 14, she moved in Sept 2023.",
            "He is 14 years old.",
            "Open 24/7, staffed 8am to 6pm.",
            "Scores 3.4 out of 5.",
            "Ratio 2:1 during the day.",
            "The 2023/24 school year.",
            "Invalid 32/13/2012 numbers.",
        ],
    )
    def test_months_years_ages_and_numbers_are_not_dates(self, text):
        assert find_identifiers(text, NOBODY) == []


class TestPostcodes:
    @pytest.mark.parametrize(
        "postcode",
        ["M1 2AB", "SW1A 1AA", "l20 3qa", "M12AB", "sw1a1aa", "OL16 3AB", "EC1A 1BB", "W1A 0AX", "B33 8TH", "DN55 1PT"],
    )
    def test_full_postcodes_are_found(self, postcode):
        text = f"Previously lived at {postcode}, with grandparents."
        assert assert_single(text, postcode, "postcode", NOBODY).message == f"Remove the full postcode “{postcode}”"

    @pytest.mark.parametrize(
        "text",
        [
            "A placement near M1 would suit.",
            "Within OL16 or nearby.",
            "Central London (SW1A) only.",
            "Liverpool L20 area.",
            "In Y9 2nd term now.",
            "Lot 2 (residential), KS3 pupil.",
        ],
    )
    def test_districts_and_lookalikes_are_allowed(self, text):
        assert find_identifiers(text, NOBODY) == []


class TestTelephones:
    @pytest.mark.parametrize(
        "number",
        [
            "07700 900123",
            "07700900123",
            "07700-900-123",
            "+44 7700 900123",
            "+447700900123",
            "+44 (0)7700 900123",
            "0044 7700 900123",
            "0161 496 0000",
            "0161-496-0000",
            "(0161) 496 0000",
            "020 7946 0000",
            "+44 (0)20 7946 0000",
            "01632 960123",
            "0113 496 0000",
            "0800 123 4567",
        ],
    )
    def test_uk_numbers_are_found(self, number):
        text = f"Contact mum on {number} after school."
        assert assert_single(text, number, "telephone", NOBODY).message == f"Remove the telephone number “{number}”"

    def test_two_numbers_side_by_side_are_found_separately(self):
        text = "Phones: 07700 900123 07700 900456"
        assert flagged(text, NOBODY) == [("telephone", "07700 900123"), ("telephone", "07700 900456")]

    @pytest.mark.parametrize(
        "text",
        ["Costs £1,450 per week.", "Ages 0-5 years.", "07700 90012 is too short.", "Room 0 to 3", "Ref 2010-2012 era"],
    )
    def test_other_numbers_are_not_telephones(self, text):
        assert find_identifiers(text, NOBODY) == []


class TestEmails:
    @pytest.mark.parametrize(
        "address", ["jo@example.com", "first.last+tag@sub.example.co.uk", "o'neil@example.org", "J_Smith99@Mail.COM"]
    )
    def test_addresses_are_found(self, address):
        text = f"Email '{address}'. Thanks."
        assert assert_single(text, address, "email", NOBODY).message == f"Remove the email address “{address}”"

    def test_a_name_inside_an_address_is_one_finding(self):
        assert flagged("Write to jordan.smith@example.com please.") == [("email", "jordan.smith@example.com")]

    @pytest.mark.parametrize("text", ["Use the @handle on the portal.", "Meet at 5pm @ the office."])
    def test_no_address_no_finding(self, text):
        assert find_identifiers(text, NOBODY) == []


class TestNhsNumbers:
    @pytest.mark.parametrize(
        "digits, valid",
        [
            ("9434765919", True),
            ("9434765918", False),
            ("4010232137", True),
            ("4010232138", False),
            ("0000000000", False),
            ("123456789", False),
        ],
    )
    def test_the_modulus_11_check(self, digits, valid):
        assert is_valid_nhs_number(digits) is valid

    @pytest.mark.parametrize("number", ["943 476 5919", "943-476-5919", "9434765919", "401 023 2137"])
    def test_numbers_with_a_valid_check_digit_are_found(self, number):
        assert_single(f"NHS no {number} on file.", number, "nhs_number", NOBODY)

    @pytest.mark.parametrize("number", ["943 476 5918", "943-476-5918", "9434765918", "94347659190", "943 476-5919"])
    def test_other_ten_digit_runs_are_not(self, number):
        assert find_identifiers(f"Number {number} on file.", NOBODY) == []

    @pytest.mark.parametrize("number", ["0123456789", "012 345 6789"])
    def test_a_valid_nhs_number_is_not_also_a_telephone(self, number):
        assert flagged(f"Call {number}.", NOBODY) == [("nhs_number", number)]


class TestCaseNumbers:
    @pytest.mark.parametrize(
        "written", ["LCS-123456", "LCS123456", "lcs 123 456", "LCS/123456", "LCS - 123-456", "123456", "123 456"]
    )
    def test_the_private_case_number_is_found_however_it_is_spaced(self, written):
        text = f"Held on {written} in the system."
        finding = assert_single(text, written, "case_number")
        assert finding.message == f"Remove the child's case number “{written}”"

    def test_a_private_case_number_within_a_longer_number_is_not_found(self):
        assert find_identifiers("Invoice 91234567 paid.", PRIVATE) == []

    @pytest.mark.parametrize(
        "text, token",
        [
            ("Case no. 123456 refers.", "123456"),
            ("Mosaic ID: 98765.", "98765"),
            ("See ref AB/12345 for history.", "AB/12345"),
            ("Reference number 4471-22 applies.", "4471-22"),
            ("LCS #556677 is open.", "556677"),
            ("Her case number is 778899.", "778899"),
            ("Eclipse ref: C0012345.", "C0012345"),
            ("ID A1B2C3 was issued.", "A1B2C3"),
        ],
    )
    def test_ids_introduced_by_case_words_are_found(self, text, token):
        finding = assert_single(text, token, "case_number", NOBODY)
        assert finding.message == f"Remove the case or reference number “{token}”"

    @pytest.mark.parametrize(
        "text",
        [
            "In case 2 staff are needed.",
            "Ref 14 applies.",
            "With reference to her 3 siblings.",
            "ID badge required.",
            "A case of neglect in 2019.",
            "Case 2019 review.",
            "Ref 2023-24 budget.",
        ],
    )
    def test_case_words_without_an_id_are_fine(self, text):
        assert find_identifiers(text, NOBODY) == []


CLEAN_REFERRAL = (
    "Referral for a young person aged 15 (14 years old at first contact) who needs a solo residential placement "
    "in the Sefton area or within 20 miles of Oldham, to start within 5 days. They have 2 siblings in foster care "
    "and see them weekly; contact is supervised for 2 hours per week. Needs: emotional and behavioural support, "
    "2:1 staffing in the community and 1:1 at home (38 hours per week), education in Year 10 at a school near L20. "
    "Risks: going missing, criminal exploitation (concerns first raised in April 2025), self-harm, and risk to "
    "younger children. Budget up to £1,500 per week (£1,450 per week considered). Lot 2: Residential. Responses "
    "by 5pm on the closing day, please, referencing the lot number; CAMHS involved since March 2024."
)


def test_a_clean_referral_has_no_findings():
    assert find_identifiers(CLEAN_REFERRAL, PRIVATE) == []


CANARY = (
    "Jordan Smith (DOB 03/04/2012, case LCS-123456) lives with his nan at M1 2AB. Contact her on 07700 900123 "
    "or nan@example.com. NHS number 943 476 5919. He is aged 13 and needs a placement in the Sefton area."
)


def test_a_canary_referral_yields_exactly_its_identifiers_in_order():
    findings = find_identifiers(CANARY, PRIVATE)
    assert [(f.kind, f.text) for f in findings] == [
        ("name", "Jordan"),
        ("name", "Smith"),
        ("date_of_birth", "03/04/2012"),
        ("case_number", "LCS-123456"),
        ("postcode", "M1 2AB"),
        ("telephone", "07700 900123"),
        ("email", "nan@example.com"),
        ("nhs_number", "943 476 5919"),
    ]
    for finding in findings:
        assert CANARY[finding.start : finding.end] == finding.text
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))


def test_overlapping_candidates_are_reported_once():
    # The DOB after "ref" is a date of birth, not a reference; the name inside the address is the address.
    text = "ref 03/04/2012, jordan@example.com, case no. LCS-123456"
    assert flagged(text) == [
        ("date_of_birth", "03/04/2012"),
        ("email", "jordan@example.com"),
        ("case_number", "LCS-123456"),
    ]


class TestHighlight:
    @pytest.mark.parametrize("text", [CANARY, CLEAN_REFERRAL, "Jordan", "Call 07700 900123", "", "ref 03/04/2012."])
    def test_segments_reassemble_the_text(self, text):
        findings = find_identifiers(text, PRIVATE)
        segments = highlight(text, findings)
        assert "".join(segment for segment, _ in segments) == text
        assert [finding for _, finding in segments if finding is not None] == findings
        assert all(segment for segment, _ in segments)

    def test_flagged_and_plain_segments_alternate_in_place(self):
        text = "Jordan lives at M1 2AB."
        name, postcode = find_identifiers(text, PRIVATE)
        assert highlight(text, [postcode, name]) == [
            ("Jordan", name),
            (" lives at ", None),
            ("M1 2AB", postcode),
            (".", None),
        ]

    def test_no_findings_is_one_plain_segment(self):
        assert highlight("All clear.", []) == [("All clear.", None)]

    def test_an_overlapping_finding_is_left_out(self):
        text = "Jordan Smith"
        whole = Finding("name", "Jordan Smith", 0, 12, "whole")
        part = Finding("name", "Smith", 7, 12, "part")
        assert highlight(text, [part, whole]) == [("Jordan Smith", whole)]

    def test_a_finding_from_another_text_is_refused(self):
        with pytest.raises(ValueError):
            highlight("Somebody else", [Finding("name", "Jordan", 0, 6, "Remove the child's name “Jordan”")])


@pytest.mark.parametrize("written", [
    "Kes\u00adtrel", "K\u200bestrel", "Kestrel\u2060", "\uff2b\uff45\uff53\uff54\uff52\uff45\uff4c"])
def test_a_name_hidden_by_invisible_or_fullwidth_characters_is_found_where_it_is_written(written):
    text = f"Lives with {written} on Tuesdays."
    [finding] = [f for f in find_identifiers(text, PrivateDetails(names=("Kestrel",))) if f.kind == NAME]
    assert finding.text == written.rstrip("\u2060") == text[finding.start:finding.end]


class TestStaffNames:
    """The names of the referring authority's staff: full names in any case, a title and surname, and a surname
    alone when capitalised, 3 letters or more and not an everyday word."""

    STAFF = PrivateDetails(staff_names=("Priya Ramsden", "Dr Sam Li", "Jo Young", "Anna Maria Preston"))

    @pytest.mark.parametrize("text, expected", [
        ("Call Priya Ramsden on Tuesdays", "Priya Ramsden"),
        ("call priya ramsden first", "priya ramsden"),
        ("Priya Ramsden's team will visit", "Priya Ramsden's"),
        ("Ramsden will call you", "Ramsden"),
        ("Speak to Ms Ramsden", "Ms Ramsden"),
        ("Ask Mr Young about the plan", "Mr Young"),
        ("Sam Li has the plan", "Sam Li"),
        ("Ask Dr. Li", "Dr. Li"),
        ("Anna Preston leads the team", "Anna Preston"),
    ])
    def test_staff_names_are_found(self, text, expected):
        finding = only(text, self.STAFF)
        assert (finding.kind, finding.text) == ("staff_name", expected)
        assert finding.message == f"Remove the name of a member of your authority's staff “{expected}”"

    @pytest.mark.parametrize("text", [
        "Young people need steady routines",  # a colleague called Young
        "She is young for her age",
        "Li is not a name here in lower case: ramsden",  # too short alone; surnames must be capitalised
        "Priya likes to draw",  # a first name alone
        "Ramsdenfield is far",  # inside another word
    ])
    def test_everyday_words_short_names_and_first_names_alone_are_left(self, text):
        assert flagged(text, self.STAFF) == []

    def test_in_a_place_field_only_full_names_are_found(self):
        place = PrivateDetails(staff_names=self.STAFF.staff_names, staff_surnames=False)
        assert flagged("Preston or Chorley", place) == []
        assert flagged("Near Anna Preston's office", place) == [("staff_name", "Anna Preston's")]
        assert flagged("Preston or Chorley", self.STAFF) == [("staff_name", "Preston")]

    def test_the_childs_name_wins_where_both_match(self):
        both = PrivateDetails(names=("Ramsden",), staff_names=("Priya Ramsden",))
        assert flagged("Ramsden is 15", both) == [(NAME, "Ramsden")]

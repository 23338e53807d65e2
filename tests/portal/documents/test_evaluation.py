"""The outcome letter and the evaluation report, read back from the PDF as text with poppler's pdftotext.

Two providers apply to lots 1 and 2 and are scored by two evaluators:
    Alpha Care: Q1 5/5, Q2 4/5 -> quality 100 x (2x5 + 1x4) / (2x5 + 1x5) = 14/15 = 93.3%; £1,250 on both lots.
    Beta Homes: Q1 3/5, Q2 3/5 -> quality 100 x (2x3 + 1x3) / 15 = 60.0%; £1,100 on lot 1, £1,300 on lot 2.
With 60% quality and 40% cost, lot 1 (lowest price £1,100):
    Alpha 93.3333 x 0.6 = 56.00 + 1100/1250 x 40 = 35.20 -> 91.20, rank 1, tier 1
    Beta  60 x 0.6 = 36.00 + 1100/1100 x 40 = 40.00 -> 76.00, rank 2, tier 2
and lot 2 (lowest price £1,250):
    Alpha 56.00 + 40.00 = 96.00, rank 1, tier 1
    Beta  36.00 + 1250/1300 x 40 = 38.46 -> 74.46, rank 2, tier 2
"""

import html
import re
import subprocess
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from portal.documents.evaluation import evaluation_report, outcome_letter
from portal.extensions import db
from portal.services import applications, outcomes
from portal.timezone import format_date
from tests.factories import complete_application, evaluate, second_evaluator

# The first line of each lot's name in a table cell (longer names wrap).
LOT_STARTS = ("Lot 1: Semi-independence", "Lot 2: Floating support with")


def pdf_text(pdf: bytes, tmp_path) -> str:
    assert pdf.startswith(b"%PDF")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8")


def pdf_info(pdf: bytes, tmp_path) -> dict[str, str]:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=60)
    pairs = (line.split(":", 1) for line in result.stdout.decode("utf-8").splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def flat(text: str) -> str:
    """The text with runs of white space made single spaces, for phrases that wrap or sit in columns."""
    return re.sub(r"\s+", " ", text)


def line_with(text: str, *parts: str) -> str:
    """The one line of the layout text that holds every part (a table row's first line)."""
    lines = [line for line in text.splitlines() if all(part in line for part in parts)]
    assert len(lines) == 1, (parts, lines)
    return lines[0]


def two_decimals(value: Fraction) -> str:
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP))


@pytest.fixture
def published(world, clock):
    """Alpha and Beta evaluated by two evaluators, outcomes published (see the module docstring)."""
    lot1, lot2 = world.lots[0], world.lots[1]
    alpha = complete_application(world.provider_a, world.window, clock, submit=True)
    beta = complete_application(world.provider_b, world.window, clock)
    applications.set_prices(world.provider_b, beta, {lot1.categories[0].id: "1100.00",
                                                     lot2.categories[0].id: "1300.00"}, clock.now())
    applications.submit(world.provider_b, beta, clock.now())
    clock.set(world.window.closes_at + timedelta(days=1))
    other = second_evaluator(world, clock)
    evaluate(alpha, [world.admin, other], clock, scores={1: 5, 2: 4})
    evaluate(beta, [world.admin, other], clock, scores={1: 3, 2: 3})
    outcomes.publish(world.admin, world.window, clock.now())
    return alpha, beta


def test_letter_shows_the_providers_outcome_scores_tiers_and_feedback(world, clock, published, tmp_path):
    alpha, _beta = published
    pdf = outcome_letter(alpha, issued_at=clock.now())
    text = pdf_text(pdf, tmp_path)
    words = flat(text)

    # Letterhead, date, addressee and the DPS.
    assert "Lead Council" in text and "Placements portal" in text
    assert "Date issued: 17 November 2026" in text  # the day after the window closed
    assert "Alpha Care" in text and "1 High Street" in text and "M1 1AA" in text
    assert "Test arrangement T-DPS (T-DPS)" in words and "Window 1" in text

    # The outcome on each lot, with the quality score, tier and rank.
    for lot_start in LOT_STARTS:
        row = line_with(text, lot_start, "£1,250.00")
        assert "Admitted" in row and "93.3%" in row and "Tier 1, ranked 1" in row
    assert world.lots[2].label not in text  # not applied for

    # Every figure of the provider's own workings: lot 1 (lowest £1,100) then lot 2 (its own price is lowest).
    quality = Fraction(14, 15) * 60
    assert two_decimals(quality) == "56.00"
    assert two_decimals(quality + Fraction(1100, 1250) * 40) == "91.20"
    assert len([line for line in text.splitlines() if "Quality component" in line and "56.00" in line]) == 2
    assert line_with(text, "Total", "91.20") and line_with(text, "Total", "96.00")
    assert "35.20" in text and "40.00" in text
    assert "You are in tier 1 and ranked 1 on this lot." in words

    # Every question's moderated score and feedback; pass/fail shown as Pass.
    assert line_with(text, "How do you keep young people", "5 out of 5", "Reason for question 1")
    assert line_with(text, "How do you build independence", "4 out of 5", "Reason for question 2")
    assert line_with(text, "Do you hold the insurance required?", "Pass", "Reason for question 3")

    assert "debrief" in words and "next entry window" in words

    # Nothing of the other provider: not its name, quality, components or totals.
    assert "Beta" not in text
    for figure in ("60.0%", "36.00", "76.00", "74.46", "38.46"):
        assert figure not in text

    info = pdf_info(pdf, tmp_path)
    assert info["Title"] == "Outcome letter: Alpha Care, T-DPS Window 1"
    assert info["Author"] == "Lead Council"


def test_report_shows_every_application_evaluator_gate_and_the_tier_tables(world, clock, published, tmp_path):
    pdf = evaluation_report(world.window, issued_at=clock.now())
    text = pdf_text(pdf, tmp_path)
    words = flat(text)

    assert "Evaluation report: Test arrangement T-DPS, Window 1" in words
    assert "60% quality, 40% cost" in words
    assert "Applications submitted" in text and line_with(text, "Applications submitted", "2")

    # Both providers, each evaluator's name and marks, and the moderated marks.
    assert "Alpha Care" in text and "Beta Homes" in text
    assert text.count("Ada Admin") == 6 and text.count("Sam Second") == 6  # 3 questions x 2 applications
    assert text.count("Moderated (agreed)") == 6
    assert len([line for line in text.splitlines() if "Sam Second" in line and "5 out of 5" in line]) == 1
    assert len([line for line in text.splitlines() if "Sam Second" in line and "3 out of 5" in line]) == 2
    assert len([line for line in text.splitlines() if "Ada Admin" in line and "Pass" in line]) == 2
    assert "Reason for question 2" in text

    # The gates and references of each application.
    for gate in ("Required documents present", "Ofsted rating not Inadequate", "Insurance in date"):
        assert len([line for line in text.splitlines() if gate in line and "Passed" in line]) == 2
    assert len([line for line in text.splitlines() if "Referee Council 1" in line and "Satisfactory" in line]) == 2

    # Outcomes and quality per lot.
    assert line_with(text, "Alpha Care", "Lot 1: Semi-independence", "£1,250.00", "Admitted", "93.3%")
    assert line_with(text, "Beta Homes", "Lot 2: Floating support with", "£1,300.00", "Admitted", "60.0%")

    # The tier tables: every figure, checked against sums done by hand from the inputs.
    tables = text[text.index("Tier tables"):]
    beta_lot2 = Fraction(60, 100) * 60 + Fraction(1250, 1300) * 40
    assert two_decimals(beta_lot2) == "74.46"
    alpha_lot1 = line_with(tables, "Alpha Care", "£1,100.00")
    assert re.search(r"^\s*1\s+1\s+Alpha Care\s+93\.3%\s+56\.00\s+£1,250\.00\s+£1,100\.00\s+35\.20\s+91\.20\s*$",
                     alpha_lot1), alpha_lot1
    beta_lot1 = line_with(tables, "Beta Homes", "£1,100.00")
    assert re.search(r"^\s*2\s+2\s+Beta Homes\s+60\.0%\s+36\.00\s+£1,100\.00\s+£1,100\.00\s+40\.00\s+76\.00\s*$",
                     beta_lot1), beta_lot1
    alpha_lot2 = line_with(tables, "Alpha Care", "96.00")
    assert re.search(r"^\s*1\s+1\s+Alpha Care\s+93\.3%\s+56\.00\s+£1,250\.00\s+£1,250\.00\s+40\.00\s+96\.00",
                     alpha_lot2), alpha_lot2
    beta_lot2_line = line_with(tables, "Beta Homes", "£1,300.00")
    assert re.search(r"^\s*2\s+2\s+Beta Homes\s+60\.0%\s+36\.00\s+£1,300\.00\s+£1,250\.00\s+38\.46\s+74\.46",
                     beta_lot2_line), beta_lot2_line
    assert "Weighting: 60% quality, 40% cost. Lowest weekly price on the lot: £1,100.00." in flat(tables)
    assert "Lot 3: Floating support (3 tiers)" in tables and "No provider is tiered on this lot yet." in tables

    info = pdf_info(pdf, tmp_path)
    assert info["Title"] == "Evaluation report: T-DPS Window 1"
    assert info["Author"] == "Lead Council"


def test_letter_gives_the_reasons_when_not_admitted(world, clock, tmp_path):
    lot2 = world.lots[1]
    alpha = complete_application(world.provider_a, world.window, clock, submit=True)
    beta = complete_application(world.provider_b, world.window, clock, submit=True)
    clock.set(world.window.closes_at + timedelta(days=1))
    lot2.categories[0].tiers = 0  # a lot without tiers: providers are ranked but not tiered
    db.session.commit()
    other = second_evaluator(world, clock)
    evaluate(alpha, [world.admin, other], clock, scores={1: 4, 2: 4})
    evaluate(beta, [world.admin, other], clock, scores={1: 1, 2: 3, 3: 0})
    outcomes.publish(world.admin, world.window, clock.now())

    text = pdf_text(outcome_letter(beta, issued_at=clock.now()), tmp_path)
    words = flat(text)
    for lot_start in LOT_STARTS:
        row = line_with(text, lot_start, "£1,250.00")
        assert "Not admitted" in row and "33.3%" in row and "Not applicable" in row
    assert words.count("You were not admitted to this lot because:") == 2
    assert "Question 1 scored 1, below the minimum of 2" in words
    assert "Question 3 was not passed" in words
    assert "The quality score of 33.3% is below the 50% needed" in words
    assert line_with(text, "How do you keep young people", "1 out of 5")
    assert line_with(text, "Do you hold the insurance required?", "Fail")
    assert "Alpha" not in text and "80.0%" not in text

    text = pdf_text(outcome_letter(alpha, issued_at=clock.now()), tmp_path)
    assert "Tier 1, ranked 1" in line_with(text, LOT_STARTS[0], "£1,250.00")
    assert "No tiers; ranked 1" in (line_with(text, LOT_STARTS[1], "£1,250.00"))
    assert "Beta" not in text

    report = pdf_text(evaluation_report(world.window, issued_at=clock.now()), tmp_path)
    tables = report[report.index("Tier tables"):]
    assert "Beta Homes" not in tables
    lot2_table = tables[tables.index("Lot 2: Floating support with accommodation (no tiers)"):tables.index("Lot 3")]
    assert re.search(r"^\s*1\s+None\s+Alpha Care\s+80\.0%\s+48\.00\s+£1,250\.00\s+£1,250\.00\s+40\.00\s+88\.00",
                     line_with(lot2_table, "Alpha Care", "88.00"))


def test_long_feedback_splits_across_pages_with_the_header_repeated(world, clock, published, tmp_path):
    alpha, _beta = published
    long_reason = " ".join(f"Point {number} of the feedback." for number in range(1, 700))
    alpha.moderated_scores[0].reason = long_reason
    db.session.commit()

    pdf = outcome_letter(alpha, issued_at=clock.now())
    text = pdf_text(pdf, tmp_path)
    assert int(pdf_info(pdf, tmp_path)["Pages"]) >= 3
    assert "Point 1 of the feedback." in flat(text) and "Point 699 of the feedback." in flat(text)
    header_pages = [page for page in text.split("\f") if re.search(r"No\.\s+Question\s+Weight", page)]
    assert len(header_pages) >= 2

    report = evaluation_report(world.window, issued_at=clock.now())
    assert "Point 699 of the feedback." in flat(pdf_text(report, tmp_path))


def test_the_letter_and_outcome_page_keep_the_tier_as_published_after_a_later_window_retiers(
        world, clock, published, tmp_path, sign_in):
    """Published: Alpha is tier 1, rank 1 on lot 1. A later window admits Gamma Lodge, cheaper and as good, and the
    lot is re-tiered: Alpha is now tier 2, rank 2. Alpha's first letter, downloaded again, still says tier 1."""
    from portal.services import windows
    from tests.evaluation.helpers import apply
    from tests.factories import provider_user

    alpha, _beta = published
    lot1 = world.lots[0]
    provider = sign_in(world.provider_a)
    letter = f"/provider/applications/{alpha.id}/letter.pdf"
    first_download = pdf_text(provider.get(letter).data, tmp_path)
    assert "Tier 1, ranked 1" in line_with(first_download, LOT_STARTS[0], "£1,250.00")

    later = windows.next_window(world.dps, clock.now()) or windows.schedule_window(
        world.dps, opens_at=clock.now() + timedelta(days=1), closes_at=clock.now() + timedelta(days=20),
        now=clock.now(), actor=world.admin)
    db.session.commit()
    clock.set(later.opens_at + timedelta(hours=1))
    gamma_user = provider_user("Gamma Lodge", "gamma@provider.example.org", clock, urn="SC777777")
    gamma = apply(gamma_user, later, clock, price="900.00", lots=[lot1])
    clock.set(later.closes_at + timedelta(days=1))
    evaluate(gamma, [world.admin, world.evaluator], clock, scores={1: 5, 2: 5})
    outcomes.publish(world.admin, later, clock.now())
    assert [(award.provider.name, award.tier, award.rank) for award in outcomes.tier_table(lot1.categories[0])] == [
        ("Gamma Lodge", 1, 1), ("Alpha Care", 2, 2), ("Beta Homes", 3, 3)]

    # The first letter again: the tier and rank as published, on both lots, not the current ones.
    provider = sign_in(world.provider_a)  # weeks later: a new session
    again = pdf_text(provider.get(letter).data, tmp_path)
    assert again == first_download
    for lot_start in LOT_STARTS:
        assert "Tier 1, ranked 1" in line_with(again, lot_start, "£1,250.00")
    assert "tier 2" not in again.lower() and "ranked 2" not in again

    # The outcome page shows the same published line, and the current one beside it where it changed.
    body = html.unescape(provider.get(f"/provider/applications/{alpha.id}/outcome").get_data(as_text=True))
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', body, re.S)
    lot1_row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", next(row for row in rows if lot1.label in row)))
    assert "Tier 1, rank 1" in lot1_row
    assert (f"Now tier 2, rank 2 : the lot was re-tiered on {format_date(clock.now())}, when the outcomes of "
            f"{later.label.lower()} were published.") in lot1_row
    lot2_row = next(row for row in rows if world.lots[1].label in row)
    assert "Tier 1, rank 1" in re.sub(r"<[^>]+>", "", lot2_row) and "Now tier" not in lot2_row  # not re-tiered

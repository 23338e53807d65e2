"""The individual placement agreement (IPA), read back from the PDF as text (pypdf, else poppler's pdftotext).

Alpha Care's bid: core £1,200.00, weekly therapy sessions £300.00 (first 12 weeks, review 1 February 2027) and a
school link worker £150.00 (autumn term, review 18 December 2026): £1,650.00 a week, negotiated to £1,600.00, so
the agreement's lines are the core fee, a negotiated adjustment of -£50.00 and the two additional costs, adding up
to the total weekly cost of £1,600.00.
"""

import io
import re
from datetime import date

import pytest
from flask import url_for
from pypdf import PdfReader

from portal.documents.placement_agreement import placement_agreement
from portal.services import awards
from portal.services.bids import AdditionalCost
from portal.timezone import format_datetime
from tests.buyer.test_award_routes import off_framework_placement
from tests.buyer.test_awards_service import SCORES_90, assess, bid_input, bid_of, competition, past_deadline
from tests.factories import admit, award_approved, published_referral


def pdf_text(pdf: bytes, tmp_path) -> str:
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def placement(world, clock):
    costs = [AdditionalCost("Weekly therapy sessions", "300.00", "First 12 weeks", date(2027, 2, 1)),
             AdditionalCost("School link worker", "150.00", "Autumn term", date(2026, 12, 18))]
    referral = competition(world, clock, bidders=[(world.provider_a, bid_input("1200.00", additional_costs=costs,
                                                                               home_area="E08000014"))])
    past_deadline(clock, referral)
    bid = bid_of(referral, world.provider_a)
    assess(world, referral, world.provider_a, SCORES_90, clock)
    awards.negotiate(world.member_officer, bid, price="1600.00", note="Agreed a lower core fee", now=clock.now())
    return award_approved(world, clock, referral, bid, reason="", now=clock.now())


def test_the_agreement_holds_the_parties_the_child_and_the_itemised_cost(world, clock, placement, tmp_path):
    referral = placement.referral
    text = flat(pdf_text(placement_agreement(placement, issued_at=clock.now()), tmp_path))

    assert "Individual placement agreement" in text
    assert f"Agreement reference IPA-{referral.reference}" in text
    assert "Placing authority Member Council" in text
    assert "Provider Alpha Care" in text and "Ofsted URN SC123456" in text
    assert "Test arrangement T-DPS (T-DPS)" in text and world.lots[0].label in text and "Tier 1" in text
    # The child: this is the authority's own document.
    assert "Kestrel Quennell-Abara" in text and "14 March 2010" in text and "CN-48213-Q" in text
    assert "Start date 30 November 2026" in text
    assert "In the authority's own area Yes" in text and "Placed on the framework Yes" in text

    # Each line: description, weekly amount, timescale, review date; then the total.
    assert "Core weekly fee £1,200.00 For the whole placement None" in text
    assert "Negotiated adjustment -£50.00 For the whole placement None" in text
    assert "Weekly therapy sessions £300.00 First 12 weeks 1 February 2027" in text
    assert "School link worker £150.00 Autumn term 18 December 2026" in text
    assert "Total weekly cost £1,600.00" in text
    assert text.index("Core weekly fee") < text.index("Negotiated adjustment") < text.index("Weekly therapy")

    assert f"Cost approved Approved by Bea Okonkwo-Lind (Budget holder), {format_datetime(clock.now())}" in text
    assert "Signed for Member Council (the placing authority)" in text
    assert "Signed for Alpha Care (the provider)" in text
    assert text.count("Signature") >= 2 and text.count("Position") >= 2


def test_the_total_weekly_cost_is_printed_once(world, clock, placement, tmp_path):
    text = flat(pdf_text(placement_agreement(placement, issued_at=clock.now()), tmp_path))
    assert text.count("Total weekly cost") == 1
    assert text.count("£1,600.00") == 1


def test_the_officer_downloads_the_agreement(world, clock, placement, sign_in, tmp_path):
    response = sign_in(world.member_officer).get(url_for("buyer.placement_agreement", placement_id=placement.id))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"IPA-{placement.referral.reference}" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Kestrel Quennell-Abara" in flat(pdf_text(response.data, tmp_path))


def test_an_off_framework_agreement_says_so(world, clock, tmp_path):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0])
    placement = off_framework_placement(world, clock, referral)
    text = flat(pdf_text(placement_agreement(placement, issued_at=clock.now()), tmp_path))
    assert "Provider Harbour Lights Care" in text and "Ofsted URN SC999001" in text
    assert "Off framework" in text and "Placed on the framework No" in text
    assert "Local support worker £250.00 First 8 weeks 26 January 2027" in text
    assert "Total weekly cost £1,850.00" in text
    assert "Signed for Harbour Lights Care (the provider)" in text

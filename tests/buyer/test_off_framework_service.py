"""The off-framework service: each authority's own provider list, the search and placement allowed only once the
framework is exhausted, and the QA visits that follow."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import AuditEvent, LotMembership, Placement
from portal.services import approvals, awards, bids, off_framework, referrals, uploads
from portal.services.bids import BidInput
from portal.services.off_framework import CostLine, ProviderDetails
from tests.factories import (
    PDF,
    admit,
    answer_as,
    approve_cost,
    approve_off_framework_placement,
    approve_search,
    deciders,
    provider_user,
    published_referral,
)


def details(**overrides) -> ProviderDetails:
    values = {"name": "Northern Homes Ltd", "local_authority_area": "E08000014", "contact_name": "Nia North",
              "email": "nia@northern.example.org", "services": "Solo residential homes for 11 to 17 year olds",
              "ofsted_urn": "SC765432", "ofsted_rating": "Good", "address": "2 Shore Road, Southport",
              "telephone": "0151 496 0000"}
    values.update(overrides)
    return ProviderDetails(**values)


def upload_evidence(officer, provider, clock, kinds=None):
    """The evidence asked of the provider (all of it, unless `kinds` says which), as PDFs."""
    for kind in off_framework.required_evidence(provider) if kinds is None else kinds:
        off_framework.upload_document(officer, provider, kind=kind, title="", filename=f"{kind}.pdf", data=PDF,
                                      now=clock.now())


def provider_with_references(officer, clock, *, outcomes=("satisfactory", "satisfactory"), evidence=True,
                             **overrides):
    """A provider with two references taken up (or the `outcomes` given) and, unless told not to, its evidence."""
    provider = off_framework.create(officer, details(**overrides), clock.now())
    if evidence:
        upload_evidence(officer, provider, clock)
    for number, outcome in enumerate(outcomes, start=1):
        referee = off_framework.add_referee(officer, provider, authority_name=f"Referee Council {number}",
                                            contact_name=f"Ref {number}", email=f"ref{number}@council.example.org",
                                            now=clock.now())
        if outcome:
            off_framework.record_reference(officer, referee, outcome=outcome, note=f"Reference {number} taken up",
                                           now=clock.now())
    return provider


def actions(entity_type: str) -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_type == entity_type)
                                   .order_by(AuditEvent.id)))


# The provider list -----------------------------------------------------------------------------

def test_officer_adds_a_provider_to_their_authoritys_list(world, clock):
    provider = off_framework.create(world.member_officer, details(ofsted_urn=" sc765432 "), clock.now())
    assert provider.authority_id == world.member.id
    assert provider.ofsted_urn == "SC765432"
    assert provider.email == "nia@northern.example.org"
    assert not provider.place_with_caution
    assert actions("off_framework_provider") == ["off_framework.provider_added"]


@pytest.mark.parametrize("overrides, field", [
    ({"name": " "}, "name"),
    ({"local_authority_area": ""}, "local_authority_area"),
    ({"local_authority_area": "E10000017"}, "local_authority_area"),  # Lancashire, a county
    ({"contact_name": ""}, "contact_name"),
    ({"email": ""}, "email"),
    ({"email": "not-an-address"}, "email"),
    ({"services": ""}, "services"),
    ({"ofsted_urn": "12AB"}, "ofsted_urn"),
    ({"ofsted_rating": "Brilliant"}, "ofsted_rating"),
    ({"ofsted_urn": "", "ofsted_rating": "Good"}, "ofsted_urn"),
    ({"place_with_caution": True, "caution_note": "  "}, "caution_note"),
])
def test_provider_details_are_checked(world, clock, overrides, field):
    with pytest.raises(DomainError) as refused:
        off_framework.create(world.member_officer, details(**overrides), clock.now())
    assert refused.value.field == field
    db.session.rollback()
    assert off_framework.list_for(world.member_officer).total == 0


def test_urn_is_optional_and_unique_on_one_list_only(world, clock):
    unregistered = off_framework.create(world.member_officer, details(ofsted_urn="", ofsted_rating=""), clock.now())
    assert unregistered.ofsted_urn is None
    off_framework.create(world.member_officer, details(name="First"), clock.now())
    with pytest.raises(DomainError, match="First is already on your list"):
        off_framework.create(world.member_officer, details(name="Second"), clock.now())
    db.session.rollback()
    # Another authority keeps its own list: the same provider may be on it too.
    assert off_framework.create(world.lead_officer, details(name="Second"), clock.now()).ofsted_urn == "SC765432"


def test_the_same_provider_is_not_listed_twice(world, clock):
    first = off_framework.create(world.member_officer, details(ofsted_urn="", ofsted_rating=""), clock.now())
    with pytest.raises(DomainError, match=r"Northern Homes Ltd \(Sefton\) is already on your list") as refused:
        off_framework.create(world.member_officer, details(name="northern homes LTD", ofsted_urn="",
                                                           ofsted_rating=""), clock.now())
    assert refused.value.field == "name"
    # The same name elsewhere is another provider; a provider may keep its own name when changed.
    off_framework.create(world.member_officer, details(local_authority_area="E08000015", ofsted_urn="",
                                                       ofsted_rating=""), clock.now())
    off_framework.update(world.member_officer, first, details(ofsted_urn="", ofsted_rating="",
                                                              telephone="0151 000 1111"), clock.now())
    assert first.telephone == "0151 000 1111"


def test_caution_needs_a_note_and_is_cleared_with_its_note(world, clock):
    provider = off_framework.create(world.member_officer, details(place_with_caution=True,
                                                                  caution_note="Staffing concerns"), clock.now())
    assert provider.place_with_caution and provider.caution_note == "Staffing concerns"
    off_framework.update(world.member_officer, provider, details(place_with_caution=False,
                                                                 caution_note="Staffing concerns"), clock.now())
    assert not provider.place_with_caution and provider.caution_note == ""
    assert actions("off_framework_provider") == ["off_framework.provider_added", "off_framework.provider_changed"]


def test_the_list_is_seen_only_by_its_authoritys_officers(world, clock):
    ours = off_framework.create(world.member_officer, details(name="Ours"), clock.now())
    off_framework.create(world.lead_officer, details(name="Theirs", ofsted_urn="", ofsted_rating=""), clock.now())
    assert [p.name for p in off_framework.list_for(world.member_officer).items] == ["Ours"]
    assert [p.name for p in off_framework.list_for(world.lead_officer).items] == ["Theirs"]
    assert off_framework.get_provider(world.member_officer, ours.id) is ours
    # Another authority of the same consortium, an evaluator or administrator, a provider: not found.
    for user in (world.lead_officer, world.outside_admin, world.admin, world.evaluator, world.provider_a):
        with pytest.raises(NotFound):
            off_framework.get_provider(user, ours.id)
    for user in (world.admin, world.evaluator, world.provider_a):
        with pytest.raises(NotFound):
            off_framework.list_for(user)
    with pytest.raises(NotFound):
        off_framework.update(world.lead_officer, ours, details(name="Renamed"), clock.now())
    assert ours.name == "Ours"


def test_list_is_searched_and_paginated(world, clock):
    for number in range(30):
        area = "E08000015" if number % 2 else "E08000014"  # Wirral or Sefton
        off_framework.create(world.member_officer, details(name=f"Provider {number:02d}", ofsted_urn="",
                                                           ofsted_rating="", local_authority_area=area),
                             clock.now())
    first = off_framework.list_for(world.member_officer, page=1)
    assert first.total == 30 and len(first.items) == off_framework.PER_PAGE
    assert [p.name for p in off_framework.list_for(world.member_officer, page=2).items][0] == "Provider 25"
    assert off_framework.list_for(world.member_officer, search="wirral").total == 15
    assert [p.name for p in off_framework.list_for(world.member_officer, search="provider 07").items] == [
        "Provider 07"]
    # LIKE wildcards typed by the officer match themselves only.
    assert off_framework.list_for(world.member_officer, search="%").total == 0


# Documents -------------------------------------------------------------------------------------

def test_document_is_checked_stored_outside_the_web_root_and_hashed(app, world, clock):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    document = off_framework.upload_document(world.member_officer, provider, title="Ofsted report",
                                             filename="ofsted.pdf", data=PDF, now=clock.now())
    assert document.file_type == "pdf" and document.size_bytes == len(PDF)
    assert document.sha256 == uploads.sha256(PDF)
    stored = uploads.path_of(document.stored_name)
    assert stored.read_bytes() == PDF
    assert app.static_folder not in str(stored)
    assert document.stored_name not in document.original_filename
    assert off_framework.get_document(world.member_officer, document.id) is document
    for user in (world.lead_officer, world.outside_admin, world.provider_a):
        with pytest.raises(NotFound):
            off_framework.get_document(user, document.id)
    assert "off_framework.document_uploaded" in actions("off_framework_provider")


@pytest.mark.parametrize("title, filename, data, message", [
    ("Notes", "notes.pdf", b"name,role\nNia,manager\n", "its name says PDF but its content is not"),
    ("Notes", "notes.pdf", b"plain text with no commas", "must be a PDF, DOCX, ODT, XLSX or CSV"),
    ("Empty", "empty.pdf", b"", "is empty"),
    ("Huge", "huge.pdf", PDF + b"0" * 2048, "must be 1 KB or smaller"),
    ("", "ofsted.pdf", PDF, "Enter a title"),
    ("No file", "", b"", "Select a file"),
])
def test_bad_documents_are_refused_and_nothing_kept(app, world, clock, title, filename, data, message):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    provider = off_framework.create(world.member_officer, details(), clock.now())
    with pytest.raises(DomainError, match=message):
        off_framework.upload_document(world.member_officer, provider, title=title, filename=filename, data=data,
                                      now=clock.now())
    db.session.rollback()
    assert provider.documents == []
    assert list(uploads.folder().iterdir()) == []


# Referees and references ----------------------------------------------------------------------

def test_referees_are_checked(world, clock):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    with pytest.raises(DomainError) as refused:
        off_framework.add_referee(world.member_officer, provider, authority_name="Wirral", contact_name="Wyn",
                                  email="wyn-at-wirral", now=clock.now())
    assert refused.value.field == "email"
    db.session.rollback()
    referee = off_framework.add_referee(world.member_officer, provider, authority_name="Wirral", contact_name="Wyn",
                                        email="Wyn@Wirral.example.org", now=clock.now())
    assert referee.outcome is None and off_framework.outcome_label(referee) == "Not yet taken up"
    with pytest.raises(DomainError) as refused:
        off_framework.record_reference(world.member_officer, referee, outcome="satisfactory", note="",
                                       now=clock.now())
    assert refused.value.field == "note"
    with pytest.raises(DomainError) as refused:
        off_framework.record_reference(world.member_officer, referee, outcome="glowing", note="Fine",
                                       now=clock.now())
    assert refused.value.field == "outcome"
    with pytest.raises(NotFound):
        off_framework.record_reference(world.lead_officer, referee, outcome="satisfactory", note="Fine",
                                       now=clock.now())
    db.session.rollback()
    assert referee.outcome is None


def test_an_unsatisfactory_reference_marks_the_provider_place_with_caution(world, clock):
    provider = provider_with_references(world.member_officer, clock, outcomes=("satisfactory", None))
    assert not provider.place_with_caution
    referee = provider.referees[1]
    off_framework.record_reference(world.member_officer, referee, outcome="unsatisfactory",
                                   note="Two unplanned endings last year", now=clock.now())
    assert provider.place_with_caution
    assert provider.caution_note == ("Unsatisfactory reference from Referee Council 2 (Ref 2) recorded on "
                                     "2 November 2026: Two unplanned endings last year")
    assert off_framework.references_taken_up(provider) == 2
    # Recording the same reference again does not repeat the note.
    off_framework.record_reference(world.member_officer, referee, outcome="unsatisfactory",
                                   note="Two unplanned endings last year", now=clock.now())
    assert provider.caution_note.count("Unsatisfactory reference") == 1
    summaries = list(db.session.scalars(db.select(AuditEvent.summary).where(
        AuditEvent.action == "off_framework.provider_changed")))
    assert summaries == ["Northern Homes Ltd marked place with caution after an unsatisfactory reference"]


def test_reference_notes_and_caution_notes_stay_out_of_the_audit_trail(world, clock):
    provider = provider_with_references(world.member_officer, clock, outcomes=("satisfactory", None),
                                        place_with_caution=True, caution_note="Kestrel stayed there in 2024")
    note = "Kestrel Quennell-Abara went missing from this home"
    off_framework.record_reference(world.member_officer, provider.referees[1], outcome="unsatisfactory", note=note,
                                   now=clock.now())
    assert provider.referees[1].note == note and note in provider.caution_note
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.entity_id == provider.id,
                                                             AuditEvent.action.like("off_framework.%"))).all()
    assert {event.action for event in events} >= {"off_framework.provider_added", "off_framework.reference_recorded",
                                                  "off_framework.provider_changed"}
    for event in events:
        recorded = f"{event.summary} {event.before} {event.after}"
        assert "Kestrel" not in recorded and "Quennell" not in recorded, event.action
    recorded = next(event for event in events if event.after and f'"note_length": {len(note)}' in event.after)
    assert recorded.action == "off_framework.reference_recorded"


def test_a_second_unsatisfactory_reference_adds_to_an_existing_caution_note(world, clock):
    provider = provider_with_references(world.member_officer, clock, outcomes=(None,),
                                        place_with_caution=True, caution_note="Ofsted monitoring visit due")
    off_framework.record_reference(world.member_officer, provider.referees[0], outcome="unsatisfactory",
                                   note="Late invoices", now=clock.now())
    assert provider.caution_note.startswith("Ofsted monitoring visit due\n\nUnsatisfactory reference from")




# The off-framework search and placement ---------------------------------------------------------

START_DAY = date(2026, 11, 10)


def exhausted_referral(world, clock, **overrides):
    """A referral of the member authority, sent to the framework and exhausted: provider_a alone is admitted (tier 1
    of lot 1; tiers 2 and 3 have nobody to invite), its round closes with no award and the officer marks the
    framework exhausted. The clock is left a minute after the deadline."""
    if not db.session.scalar(db.select(LotMembership.id).where(
            LotMembership.provider_id == world.provider_a.organisation_id, LotMembership.lot_id == world.lots[0].id)):
        admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2),
                                  **overrides)
    clock.set(referral.current_round.deadline + timedelta(minutes=1))
    referrals.run_due(clock.now())
    referrals.mark_exhausted(world.member_officer, referral, clock.now())
    return referral


def searched_referral(world, clock, **overrides):
    referral = exhausted_referral(world, clock, **overrides)
    approve_search(world, referral, clock, notes="Three providers called")
    return referral


def place_args(clock, **overrides) -> dict:
    values = {"cost_lines": [CostLine("Core weekly fee", "2400.00"),
                             CostLine("Waking night staff", "350.50", "First 8 weeks", date(2027, 1, 5))],
              "start_date": START_DAY, "location_area": "E08000014", "now": clock.now()}
    values.update(overrides)
    return values


def placement_count() -> int:
    return db.session.scalar(db.select(db.func.count(Placement.id)))


def search(world, referral, clock):
    approve_search(world, referral, clock)


def place(world, clock, referral, provider, **kwargs):
    """The placement by world.member_officer, once the head of service agreed and the cost (the lines' total) was
    approved, where they can be asked for: otherwise the placement's own refusal is what the test checks."""
    try:
        weekly = sum((Decimal(line.amount) for line in kwargs["cost_lines"]), Decimal("0"))
        approve_off_framework_placement(world, referral, provider, weekly, clock)
    except (DomainError, ArithmeticError, ValueError, TypeError):
        db.session.rollback()
    return off_framework.place(world.member_officer, referral, provider, **kwargs)


def test_search_and_placement_refused_while_the_referral_is_open(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=7))
    provider = provider_with_references(world.member_officer, clock)
    message = ("The framework has not been exhausted: the referral is still open for bids until "
               "9 November 2026 at 10:00am.")
    with pytest.raises(DomainError) as refused:
        search(world, referral, clock)
    assert refused.value.message == message
    with pytest.raises(DomainError) as refused:
        place(world, clock, referral, provider, **place_args(clock))
    assert refused.value.message == message
    db.session.rollback()
    assert off_framework.search_approval(referral) is None and placement_count() == 0


def test_refused_when_the_round_closed_but_tiers_are_left(world, clock):
    gamma = provider_user("Gamma Homes", "gamma@provider.example.org", clock)
    for tier, user in ((1, world.provider_a), (2, world.provider_b), (3, gamma)):
        admit(user, world.lots[0], tier=tier, clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2))
    clock.advance(days=3)
    expected = ("The framework has not been exhausted: Round 1 (tier 1) has closed but tiers 2 and 3 have not "
                "been approached.")
    assert off_framework.not_exhausted_reason(referral, clock.now()) == expected
    with pytest.raises(DomainError, match="tiers 2 and 3 have not been approached"):
        search(world, referral, clock)
    referrals.reopen_to_next_tier(world.member_officer, referral, deadline=clock.now() + timedelta(days=1),
                                  now=clock.now())
    clock.advance(days=2)
    assert off_framework.not_exhausted_reason(referral, clock.now()) == (
        "The framework has not been exhausted: Round 2 (tier 2) has closed but tier 3 has not been approached.")
    referrals.reopen_to_next_tier(world.member_officer, referral, deadline=clock.now() + timedelta(days=1),
                                  now=clock.now())
    clock.advance(days=2)
    assert "every tier has been approached" in off_framework.not_exhausted_reason(referral, clock.now())
    referrals.mark_exhausted(world.member_officer, referral, clock.now())
    assert off_framework.not_exhausted_reason(referral, clock.now()) is None
    search(world, referral, clock)
    assert off_framework.search_approval(referral).answered_role == "budget_holder"


def awarded_referral(world, clock):
    """A referral awarded on the framework to provider_a's bid (through the bids and awards services). The clock
    is left after the deadline."""
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2))
    invitation = referrals.invitation_for(world.provider_a, referral.id)
    bids.submit(world.provider_a, invitation, BidInput(
        core_weekly_fee="1500.00", proposed_start=START_DAY, home_area="E08000014", home_description="A flat",
        how_needs_met="A keyworker"), clock.now())
    clock.advance(days=3)
    bid = bids.own_bid(world.provider_a, referral)
    awards.assess(world.member_officer, bid, scores={"needs": 4, "location": 4, "stability": 4, "education": 4},
                  notes="", now=clock.now())
    approve_cost(world, referral, bid, clock)
    awards.award(world.member_officer, referral, bid, reason="", now=clock.now())
    return referral


def test_refused_once_awarded_on_the_framework(world, clock):
    referral = awarded_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    with pytest.raises(DomainError) as refused:
        search(world, referral, clock)
    assert refused.value.message == ("The framework has not been exhausted: the referral has been awarded on the "
                                     "framework.")
    with pytest.raises(DomainError, match="awarded on the framework"):
        place(world, clock, referral, provider, **place_args(clock))
    db.session.rollback()
    assert placement_count() == 1


def test_draft_and_withdrawn_referrals_are_refused(world, clock):
    from tests.factories import draft_referral

    referral = draft_referral(world, clock)
    assert "has not been sent to the framework" in off_framework.not_exhausted_reason(referral, clock.now())
    referrals.withdraw(world.member_officer, referral, "Family placement found", clock.now())
    with pytest.raises(DomainError, match="has been withdrawn"):
        search(world, referral, clock)


def test_search_needs_its_funding_approved_by_a_budget_holder(world, clock):
    referral = exhausted_referral(world, clock)
    people = deciders(world, clock)
    for typed, message in (("", "Enter the weekly cost you expect to pay"), ("0", "more than £0")):
        with pytest.raises(DomainError, match=message) as refused:
            off_framework.ask_search(world.member_officer, referral, expected_weekly=typed, notes="", now=clock.now())
        assert refused.value.field == "expected_weekly"
        db.session.rollback()
    asked = off_framework.ask_search(world.member_officer, referral, expected_weekly="2,800.00", notes="Called three",
                                     now=clock.now())
    assert asked.kind == "off_framework_search" and asked.annual_cost == Decimal("145600.00")
    assert referral.off_framework_search_notes == "Called three"
    assert off_framework.search_approval(referral) is None  # pending does not count
    answer_as(people.budget_holder, asked, clock, approve=False, reason="Try the in-house carers first")
    assert off_framework.search_approval(referral) is None  # nor refused
    search(world, referral, clock)
    assert off_framework.search_approval(referral).answered_by_id == people.budget_holder.id
    assert actions("approval")[-2:] == ["approval.requested", "approval.answered"]


def test_another_authority_cannot_search_or_place_for_the_referral(world, clock):
    referral = exhausted_referral(world, clock)
    with pytest.raises(NotFound):
        off_framework.ask_search(world.lead_officer, referral, expected_weekly="2800.00", notes="", now=clock.now())
    search(world, referral, clock)
    theirs = provider_with_references(world.lead_officer, clock)
    with pytest.raises(NotFound):
        off_framework.place(world.lead_officer, referral, theirs, **place_args(clock))
    # Nor may the member's officer place with a provider of another authority's list.
    with pytest.raises(NotFound):
        off_framework.place(world.member_officer, referral, theirs, **place_args(clock))
    assert placement_count() == 0


def test_placement_needs_the_search_recorded_first(world, clock):
    referral = exhausted_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    with pytest.raises(DomainError, match="Ask for approval of the off-framework search"):
        place(world, clock, referral, provider, **place_args(clock))
    assert placement_count() == 0


def test_placement_needs_two_references_taken_up(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, outcomes=("satisfactory", None))
    with pytest.raises(DomainError) as refused:
        place(world, clock, referral, provider, **place_args(clock))
    assert refused.value.message == ("Northern Homes Ltd has 1 reference taken up: record at least 2 before placing "
                                     "a child there.")
    assert refused.value.field == "provider_id"
    off_framework.record_reference(world.member_officer, provider.referees[1], outcome="satisfactory",
                                   note="Good", now=clock.now())
    assert place(world, clock, referral, provider, **place_args(clock)).id


def test_off_framework_placement_is_made_and_marked(world, clock):
    referral = searched_referral(world, clock, preferred_areas=["E08000014"])
    provider = provider_with_references(world.member_officer, clock)
    placement = place(world, clock, referral, provider, **place_args(clock))
    assert placement.on_framework is False and placement.framework_label == "Off framework"
    assert placement.off_framework_provider is provider and placement.provider_id is None
    assert placement.bid_id is None
    assert placement.weekly_cost == Decimal("2750.50")
    assert [(c.position, c.description, c.weekly_amount, c.timescale, c.review_date) for c in placement.costs] == [
        (1, "Core weekly fee", Decimal("2400.00"), "", None),
        (2, "Waking night staff", Decimal("350.50"), "First 8 weeks", date(2027, 1, 5))]
    assert placement.agreement_reference == f"IPA-{referral.reference}"
    assert placement.in_home_area is True and placement.location_was_preferred is True
    assert placement.cost_approval.answered_by_id == world.deciders.budget_holder.id
    assert placement.cost_approval.weekly_cost == Decimal("2750.50") == placement.weekly_cost
    assert placement.senior_approval.answered_role == "head_of_service"
    assert placement.authority_id == world.member.id and placement.created_by_id == world.member_officer.id
    # Not an emergency: the QA visit is due before the placement starts (00:00 UK time on the start day).
    assert placement.qa_visit_due_at == datetime(2026, 11, 10, 0, 0)
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "off_framework.placed")).one()
    assert event.summary.startswith("OFF FRAMEWORK:")
    assert '"on_framework": false' in event.after


def test_one_placement_per_referral(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    place(world, clock, referral, provider, **place_args(clock))
    with pytest.raises(DomainError, match="already been placed"):
        place(world, clock, referral, provider, **place_args(clock))
    with pytest.raises(DomainError, match="already been placed"):
        search(world, referral, clock)
    assert placement_count() == 1


def test_a_caution_provider_needs_the_officer_to_confirm_reading_the_note(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, place_with_caution=True,
                                        caution_note="Ofsted found weak supervision in May")
    with pytest.raises(DomainError) as refused:
        place(world, clock, referral, provider, **place_args(clock))
    assert refused.value.field == "caution_acknowledged"
    assert "Ofsted found weak supervision in May" in refused.value.message
    assert placement_count() == 0
    placement = place(world, clock, referral, provider, caution_acknowledged=True,
                                    **place_args(clock))
    assert placement.off_framework_provider.place_with_caution
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "off_framework.placed")).one()
    assert "place with caution (note read)" in event.summary


AMOUNT_FORMAT = "Enter the weekly amount in pounds and pence, like 1,450.00"


@pytest.mark.parametrize("overrides, field, message", [
    ({"cost_lines": []}, "costs-0-description", "Enter at least one line"),
    ({"cost_lines": [CostLine("", "", "", None), CostLine("", "")]}, "costs-0-description", "Enter at least one"),
    ({"cost_lines": [CostLine("Core", "lots")]}, "costs-0-amount", AMOUNT_FORMAT),
    ({"cost_lines": [CostLine("Core", "1e3")]}, "costs-0-amount", AMOUNT_FORMAT),
    ({"cost_lines": [CostLine("Core", "-5")]}, "costs-0-amount", "more than £0"),
    ({"cost_lines": [CostLine("Core", "100000.01")]}, "costs-0-amount", "£100,000 or less"),
    ({"cost_lines": [CostLine("Core", "10.001")]}, "costs-0-amount", "no more than 2 decimal places"),
    ({"cost_lines": [CostLine("Core", "60000"), CostLine("Extra", "40000.01")]}, "costs-0-amount",
     "total weekly cost must be £100,000 or less"),
    ({"cost_lines": [CostLine("Core", "100"), CostLine("", "20")]}, "costs-1-description", "Describe"),
    ({"cost_lines": [CostLine("Core", "100", "", date(2026, 11, 1))]}, "costs-0-review_date", "review date"),
    ({"cost_lines": [CostLine("Core", "100", "", date(9999, 12, 31))]}, "costs-0-review_date",
     "The review date must be within five years of the start"),
    ({"start_date": None}, "start_date", "Enter the date the placement starts"),
    ({"start_date": date(2026, 10, 1)}, "start_date", "cannot start before the referral was made"),
    ({"location_area": " "}, "location_area", "Choose the area of the home from the list"),
    ({"location_area": "Sefton"}, "location_area", "Choose the area of the home from the list"),
    ({"location_area": "E10000017"}, "location_area", "Choose the district the home is in, not the county"),
])
def test_bad_placement_details_are_refused_with_nothing_made(world, clock, overrides, field, message):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    with pytest.raises(DomainError) as refused:
        place(world, clock, referral, provider, **place_args(clock, **overrides))
    assert refused.value.field == field
    assert message in refused.value.message
    db.session.rollback()
    assert placement_count() == 0


def test_placement_needs_the_head_of_services_agreement_and_the_cost_approved_as_placed(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    other = provider_with_references(world.member_officer, clock, name="Southern Homes Ltd", ofsted_urn="SC777777")
    people = deciders(world, clock)
    with pytest.raises(DomainError, match="Ask the head of service to agree"):
        off_framework.place(world.member_officer, referral, provider, **place_args(clock))
    agreement, cost = off_framework.ask_placement_approvals(world.member_officer, referral, provider,
                                                            weekly_cost="2750.50", now=clock.now())
    assert (agreement.kind, cost.kind) == ("senior_agreement", "placement_cost")
    assert [person.id for person, _role in approvals.answerers(agreement)] == [people.head_of_service.id]
    with pytest.raises(DomainError, match="Ask the head of service to agree"):
        off_framework.place(world.member_officer, referral, provider, **place_args(clock))  # still pending
    answer_as(people.head_of_service, agreement, clock)
    with pytest.raises(DomainError, match="has not been approved by a budget holder") as refused:
        off_framework.place(world.member_officer, referral, provider, **place_args(clock))
    assert refused.value.field == "costs-0-amount"
    answer_as(people.budget_holder, cost, clock)
    # approved for this provider at £2,750.50: not for another provider, nor for a different cost
    with pytest.raises(DomainError, match="Ask the head of service to agree"):
        off_framework.place(world.member_officer, referral, other, **place_args(clock))
    with pytest.raises(DomainError, match="has not been approved"):
        off_framework.place(world.member_officer, referral, provider,
                            **place_args(clock, cost_lines=[CostLine("Core weekly fee", "2900.00")]))
    assert placement_count() == 0
    placement = off_framework.place(world.member_officer, referral, provider, **place_args(clock))
    assert (placement.cost_approval_id, placement.senior_approval_id) == (cost.id, agreement.id)


# Quality-assurance visits ------------------------------------------------------------------------

def emergency_placement(world, clock):
    referral = searched_referral(world, clock, needed_by="today", required_start=clock.now().date())
    provider = provider_with_references(world.member_officer, clock)
    return place(world, clock, referral, provider, **place_args(clock))


def test_an_emergency_placement_gets_a_qa_task_due_72_hours_after_it_starts(world, clock):
    placement = emergency_placement(world, clock)
    # Starts 10 November (00:00 UK time, which is UTC in November): due 72 hours later.
    assert placement.qa_visit_due_at == datetime(2026, 11, 13, 0, 0)
    tasks = off_framework.qa_tasks(world.member_officer, clock.now())
    assert [(task.placement.id, task.due_at, task.overdue) for task in tasks] == [
        (placement.id, datetime(2026, 11, 13, 0, 0), False)]
    assert off_framework.qa_task_count(world.member_officer) == 1
    assert off_framework.qa_tasks(world.lead_officer, clock.now()) == []
    clock.set(datetime(2026, 11, 12, 23, 59, 59))
    assert off_framework.qa_tasks(world.member_officer, clock.now())[0].overdue is False
    clock.set(datetime(2026, 11, 13, 0, 0, 1))
    assert off_framework.qa_tasks(world.member_officer, clock.now())[0].overdue is True
    off_framework.record_qa_visit(world.member_officer, placement, visited_at=clock.now(),
                                  notes="Home clean and warm; staff knew the plan", now=clock.now())
    assert off_framework.qa_tasks(world.member_officer, clock.now()) == []
    assert off_framework.qa_task_count(world.member_officer) == 0
    assert placement.qa_visit_by_id == world.member_officer.id
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "placement.qa_visit_recorded")).one()
    assert event.summary.endswith("(late)")


def test_emergency_started_before_it_was_recorded_counts_from_the_recording(world, clock):
    referral = searched_referral(world, clock, needed_by="today", required_start=clock.now().date())
    provider = provider_with_references(world.member_officer, clock)
    placement = place(world, clock, referral, provider,
                                    **place_args(clock, start_date=clock.now().date()))
    assert placement.qa_visit_due_at == clock.now() + timedelta(hours=72)


def test_qa_tasks_are_soonest_first(world, clock):
    emergency = emergency_placement(world, clock)
    second = searched_referral(world, clock, preferred_areas=["E08000014"])
    other = provider_with_references(world.member_officer, clock, name="Other", ofsted_urn="SC111111")
    planned = place(world, clock, second, other,
                                  **place_args(clock, start_date=date(2026, 11, 20)))
    tasks = off_framework.qa_tasks(world.member_officer, clock.now())
    assert [task.placement.id for task in tasks] == [emergency.id, planned.id]


def test_qa_visit_is_checked(world, clock):
    placement = emergency_placement(world, clock)
    for visited_at, notes, field in ((None, "Fine", "visited_on"), (clock.now() + timedelta(minutes=1), "Fine",
                                                                    "visited_on"), (clock.now(), " ", "notes"),
                                     (datetime(1, 1, 1, 12, 0), "Fine", "visited_on"),
                                     (placement.referral.created_at - timedelta(minutes=1), "Fine", "visited_on")):
        with pytest.raises(DomainError) as refused:
            off_framework.record_qa_visit(world.member_officer, placement, visited_at=visited_at, notes=notes,
                                          now=clock.now())
        assert refused.value.field == field
        if visited_at is not None and visited_at.year == 1:
            assert refused.value.message.startswith("The visit cannot be before the referral was made (")
        assert db.session.get(Placement, placement.id).qa_visit_at is None
    with pytest.raises(NotFound):
        off_framework.record_qa_visit(world.lead_officer, placement, visited_at=clock.now(), notes="Fine",
                                      now=clock.now())
    db.session.rollback()
    assert placement.qa_visit_at is None
    off_framework.record_qa_visit(world.member_officer, placement, visited_at=clock.now(), notes="Fine",
                                  now=clock.now())
    with pytest.raises(DomainError, match="already recorded"):
        off_framework.record_qa_visit(world.member_officer, placement, visited_at=clock.now(), notes="Again",
                                      now=clock.now())


# The authority's placements --------------------------------------------------------------------

def test_placements_for_lists_the_authoritys_placements_newest_first_with_a_filter(world, clock):
    first = emergency_placement(world, clock)
    clock.advance(hours=1)
    second = place(
        world, clock, searched_referral(world, clock),
        provider_with_references(world.member_officer, clock, name="Other", ofsted_urn="SC111111"), **place_args(clock))
    assert [p.id for p in off_framework.placements_for(world.member_officer).items] == [second.id, first.id]
    assert off_framework.placements_for(world.member_officer, framework="on").total == 0
    assert off_framework.placements_for(world.member_officer, framework="off").total == 2
    assert off_framework.placements_for(world.lead_officer).total == 0
    with pytest.raises(NotFound):
        off_framework.placements_for(world.provider_a)


def test_a_weekly_cost_of_exactly_100000_is_accepted_as_everywhere_else(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    placement = place(world, clock, referral, provider,
                                    **place_args(clock, cost_lines=[CostLine("Core weekly fee", "100000")]))
    assert placement.weekly_cost == Decimal("100000.00")


def test_an_emergency_placement_starting_years_ahead_is_refused_not_crashed(world, clock):
    referral = searched_referral(world, clock, needed_by="today", required_start=clock.now().date())
    provider = provider_with_references(world.member_officer, clock)
    args = {**place_args(clock), "start_date": date(9999, 12, 31)}
    with pytest.raises(DomainError, match="The placement must start within two years"):
        place(world, clock, referral, provider, **args)
    assert db.session.scalar(db.select(db.func.count()).select_from(Placement)) == 0


# The evidence asked of an off-framework provider -------------------------------------------------------------

def test_a_placement_waits_for_the_evidence_asked_of_the_provider(world, clock):
    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock, evidence=False)
    off_framework.upload_document(world.member_officer, provider, title="Insurance 2026", filename="cover.pdf",
                                  data=PDF, now=clock.now())  # another document is no evidence
    with pytest.raises(DomainError) as refused:
        place(world, clock, referral, provider, **place_args(clock))
    assert refused.value.message == (
        "Northern Homes Ltd has evidence missing: Current Ofsted report, Statement of purpose (or 16+ equivalent), "
        "Children's guide (or 16+ equivalent), Pricing schedule. Upload it before placing a child there.")
    assert refused.value.field == "provider_id"
    upload_evidence(world.member_officer, provider, clock, ["ofsted_report", "statement_of_purpose",
                                                            "childrens_guide"])
    with pytest.raises(DomainError, match="has evidence missing: Pricing schedule. Upload it"):
        place(world, clock, referral, provider, **place_args(clock))
    assert placement_count() == 0
    upload_evidence(world.member_officer, provider, clock, ["pricing_schedule"])
    assert place(world, clock, referral, provider, **place_args(clock)).id


def test_the_ofsted_report_is_asked_for_only_where_the_provider_is_registered(world, clock):
    unregistered = off_framework.create(world.member_officer, details(name="Quay Lodgings", ofsted_urn="",
                                                                      ofsted_rating=""), clock.now())
    assert off_framework.required_evidence(unregistered) == ["statement_of_purpose", "childrens_guide",
                                                             "pricing_schedule"]
    registered = off_framework.create(world.member_officer, details(ofsted_rating=""), clock.now())
    assert off_framework.required_evidence(registered)[0] == "ofsted_report"  # a URN without a rating yet


def test_evidence_is_named_by_its_kind(world, clock):
    provider = off_framework.create(world.member_officer, details(), clock.now())
    document = off_framework.upload_document(world.member_officer, provider, kind="statement_of_purpose", title="",
                                             filename="sop.pdf", data=PDF, now=clock.now())
    assert (document.kind, document.title) == ("statement_of_purpose", "Statement of purpose (or 16+ equivalent)")
    with pytest.raises(DomainError, match="Choose what the document is"):
        off_framework.upload_document(world.member_officer, provider, kind="passport", title="X", filename="x.pdf",
                                      data=PDF, now=clock.now())
    with pytest.raises(DomainError, match="Enter a title"):
        off_framework.upload_document(world.member_officer, provider, title="", filename="x.pdf", data=PDF,
                                      now=clock.now())
    db.session.rollback()
    assert [d.kind for d in provider.documents] == ["statement_of_purpose"]
    event = db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action == "off_framework.document_uploaded")).one()
    assert json.loads(event.after)["kind"] == "statement_of_purpose"

"""The compliance register's rules: the Ofsted import (mapping, preview, apply once), a fall at one setting, the
Inadequate restriction and the assistant director's decision, evidence and its expiry, the monthly review,
enforcement notices and continuing a placement at an Inadequate setting."""

from datetime import date, timedelta

import pytest

from portal.errors import DomainError, FormInvalid, NotFound
from portal.extensions import db
from portal.models import AuditEvent, Inspection, Notification, OfstedReview, ReviewRequest
from portal.models.approval import CONTINUE_AT_INADEQUATE
from portal.models.compliance import (
    APPEAL_UPHELD,
    CANCELLATION_EFFECTIVE,
    EXTEND,
    INADEQUATE,
    KEEP,
    LIFT,
    PUBLIC_LIABILITY,
    RESTRICTION_OF_ACCOMMODATION,
)
from portal.models.contract import GOOD, INSURANCE_EXPIRED, SUSPENDED, TERMINATED
from portal.services import approvals, compliance, contracts, ofsted_import, standing
from portal.timezone import uk_today
from tests.factories import (
    PDF,
    admit,
    authority_user,
    contract_manager,
    contract_of,
    lead_deciders,
    placed,
    setting_for,
)

HEADINGS = "Provider URN,Provision type,Inspection date,Event type,Overall experiences and progress"


def ofsted_csv(*rows) -> bytes:
    return ("\n".join([HEADINGS, *[",".join(row) for row in rows]]) + "\n").encode()


@pytest.fixture
def home(world, clock):
    admit(world.provider_a, world.lots[0], clock=clock)
    return setting_for(world.provider_a, clock, urn="SC100001", name="Alder House")


@pytest.fixture
def manager(world, clock, home):
    person = contract_manager(world, clock)
    contract = contract_of(world, world.provider_a)
    contract.contract_manager_id = person.id
    db.session.commit()
    return person


def run_import(world, clock, data):
    imported = ofsted_import.upload(world.admin, data=data, filename="ofsted.csv", now=clock.now())
    mapping = ofsted_import.mapping_for(imported)
    ofsted_import.save_mapping(world.admin, imported, mapping, clock.now())
    return imported, mapping


def test_the_mapping_is_guessed_then_remembered_and_checked(world, clock, home):
    imported, mapping = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-10-01",
                                                             "Full inspection", "2")))
    assert mapping == {"urn_column": "Provider URN", "provider_type_column": "Provision type",
                       "date_column": "Inspection date", "type_column": "Event type",
                       "judgement_column": "Overall experiences and progress"}
    renamed = b"Setting ref,Kind,When,What,Grade\nSC100001,Children's home,01/10/2026,Full,Good\n"
    other = ofsted_import.upload(world.admin, data=renamed, filename="next.csv", now=clock.now())
    with pytest.raises(FormInvalid) as refused:
        ofsted_import.save_mapping(world.admin, other, {"urn_column": "Setting ref", "provider_type_column": "Kind",
                                                        "date_column": "When", "type_column": "When",
                                                        "judgement_column": "Nope"}, clock.now())
    assert set(refused.value.errors) == {"type_column", "judgement_column"}
    chosen = {"urn_column": "Setting ref", "provider_type_column": "Kind", "date_column": "When",
              "type_column": "What", "judgement_column": "Grade"}
    ofsted_import.save_mapping(world.admin, other, chosen, clock.now())
    third = ofsted_import.upload(world.admin, data=renamed, filename="third.csv", now=clock.now())
    assert ofsted_import.mapping_for(third) == chosen
    preview = ofsted_import.preview(third, chosen)
    assert [(c.setting.id, c.inspected_on, c.judgement) for c in preview.changes] == [(home.id, date(2026, 10, 1), 2)]


def test_a_non_csv_file_or_another_leads_import_is_refused(world, clock, home):
    with pytest.raises(DomainError, match="CSV"):
        ofsted_import.upload(world.admin, data=PDF, filename="ofsted.pdf", now=clock.now())
    imported, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-10-01", "Full", "2")))
    with pytest.raises(NotFound):
        ofsted_import.get(world.outside_admin, imported.id)


def test_the_preview_shows_new_judgements_falls_and_rows_matching_no_setting(world, clock, home):
    other = setting_for(world.provider_a, clock, urn="SC100002", name="Birch House")
    first, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-03-01", "Full", "Good"),
                                                   ("SC100002", "Children's home", "2026-03-02", "Full", "1")))
    ofsted_import.apply(world.admin, first, clock.now())
    second, mapping = run_import(world, clock, ofsted_csv(
        ("SC100001", "Children's home", "2026-03-01", "Full", "Good"),  # already recorded
        ("SC100001", "Children's home", "2026-10-01", "Full", "Requires improvement to be good"),
        ("SC100002", "Children's home", "2026-10-02", "Full", "1"),
        ("SC999999", "Children's home", "2026-10-02", "Full", "2"),
        ("SC100002", "Children's home", "not a date", "Full", "2")))
    preview = ofsted_import.preview(second, mapping)
    assert [(c.setting.id, c.previous, c.judgement, c.fell) for c in preview.changes] == [
        (home.id, 2, 3, True), (other.id, 1, 1, False)]
    assert preview.already == 1 and preview.falls == 1
    assert preview.unmatched == [(5, "SC999999", "Children's home")]
    assert [line for line, _reason in preview.unreadable] == [6]
    assert db.session.scalar(db.select(db.func.count(Inspection.id))) == 2  # the preview records nothing


def test_a_fall_tells_the_manager_and_placing_authorities_and_requests_reviews(world, clock, home, manager):
    placement = placed(world, clock, admitted=False)
    placement.setting_id = home.id
    db.session.commit()
    first, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-03-01", "Full", "2")))
    ofsted_import.apply(world.admin, first, clock.now())
    assert db.session.scalar(db.select(db.func.count(ReviewRequest.id))) == 0  # a first judgement is no fall
    second, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-10-01", "Full", "3")))
    ofsted_import.apply(world.admin, second, clock.now())
    request = db.session.scalars(db.select(ReviewRequest)).one()
    assert request.placement_id == placement.id and "fell from Good to Requires improvement" in request.reason
    told = {n.user_id for n in db.session.scalars(db.select(Notification).where(
        Notification.subject.like("Ofsted judgement fell%")))}
    assert told == {manager.id, world.member_officer.id}
    assert standing.restricted_setting_ids(world.dps.id, world.provider_a.organisation_id) == set()
    with pytest.raises(DomainError, match="already applied"):
        ofsted_import.apply(world.admin, second, clock.now())
    assert db.session.scalar(db.select(db.func.count(Inspection.id))) == 2


def _inadequate(world, clock):
    imported, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-10-01", "Full", "4")))
    ofsted_import.apply(world.admin, imported, clock.now())
    return db.session.scalars(db.select(Inspection).where(Inspection.judgement == INADEQUATE)).one()


def test_inadequate_restricts_the_setting_until_the_assistant_director_lifts_it(world, clock, home):
    deciders = lead_deciders(world, clock)
    inspection = _inadequate(world, clock)
    provider_id = world.provider_a.organisation_id
    assert standing.restricted_setting_ids(world.dps.id, provider_id) == {home.id}
    assert standing.standing_of(world.dps.id, provider_id) == GOOD
    assert compliance.decisions_due(deciders.assistant_director) == [inspection]
    assert compliance.decisions_due(deciders.head_of_service) == []
    with pytest.raises(NotFound):
        compliance.decide(deciders.head_of_service, inspection, decision=LIFT, reason="x", now=clock.now())
    with pytest.raises(FormInvalid):
        compliance.decide(deciders.assistant_director, inspection, decision="maybe", reason="", now=clock.now())
    compliance.decide(deciders.assistant_director, inspection, decision=LIFT, now=clock.now(),
                      reason="Action plan agreed; monitoring visit next week")
    assert standing.restricted_setting_ids(world.dps.id, provider_id) == set()
    assert inspection.decided_by_id == deciders.assistant_director.id
    told = db.session.scalar(db.select(Notification).where(Notification.user_id == world.member_officer.id,
                                                           Notification.subject.like("Inadequate judgement of%")))
    assert told is not None and "Action plan agreed" in told.body
    assert compliance.decisions_due(deciders.assistant_director) == []
    with pytest.raises(DomainError, match="already been decided"):
        compliance.decide(deciders.assistant_director, inspection, decision=KEEP, reason="again", now=clock.now())
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "inspection.decided")) is not None


def test_extend_suspends_the_whole_provider_and_a_better_judgement_lifts_a_kept_one(world, clock, home):
    deciders = lead_deciders(world, clock)
    inspection = _inadequate(world, clock)
    compliance.decide(deciders.assistant_director, inspection, decision=EXTEND, reason="Second Inadequate home",
                      now=clock.now())
    provider_id = world.provider_a.organisation_id
    assert standing.standing_of(world.dps.id, provider_id) == SUSPENDED
    better, _ = run_import(world, clock, ofsted_csv(("SC100001", "Children's home", "2026-11-01", "Monitoring", "2")))
    ofsted_import.apply(world.admin, better, clock.now())
    assert standing.standing_of(world.dps.id, provider_id) == GOOD
    assert standing.restricted_setting_ids(world.dps.id, provider_id) == set()


def test_continuing_a_placement_at_an_inadequate_setting_needs_the_members_assistant_director(world, clock, home):
    placement = placed(world, clock, admitted=False)
    placement.setting_id = home.id
    db.session.commit()
    director = authority_user(world.member, "Dee Director", "dee.director@member.example.org", ["assistant_director"],
                              clock)
    assert compliance.placements_needing_continuation(world.member_officer, clock.now()) == []
    _inadequate(world, clock)
    assert compliance.placements_needing_continuation(world.member_officer, clock.now()) == [placement]
    approval = compliance.ask_to_continue(world.member_officer, placement, clock.now())
    assert approval.kind == CONTINUE_AT_INADEQUATE and approval.authority_id == world.member.id
    assert director.id in [person.id for person, _ in approvals.answerers(approval)]
    assert all(person.organisation_id == world.member.id for person, _ in approvals.answerers(approval))
    shown = approvals.get_for_authority(director, approval.id)  # the director reads what is decided, not a cost
    assert not approvals.shows_figures(shown)
    assert dict(approvals.decision_rows(shown))["Placement"].startswith(placement.agreement_reference)
    assert compliance.placements_needing_continuation(world.member_officer, clock.now()) == []
    with pytest.raises(NotFound):
        compliance.ask_to_continue(world.lead_officer, placement, clock.now())


# Evidence ---------------------------------------------------------------------------------------------------------

def _accepted(world, clock, manager, expires_on):
    evidence = compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY, expires_on=expires_on, data=PDF,
                                          filename="cover.pdf", now=clock.now())
    compliance.decide_evidence(manager, evidence, accept=True, reason="", now=clock.now())
    return evidence


def test_evidence_is_checked_and_rejected_only_with_a_reason(world, clock, home, manager):
    with pytest.raises(FormInvalid) as refused:
        compliance.submit_evidence(world.provider_a, kind="nonsense", expires_on=date(2020, 1, 1), data=b"",
                                   filename="", now=clock.now())
    assert set(refused.value.errors) == {"kind", "expires_on", "file"}
    evidence = compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY, expires_on=date(2027, 6, 30),
                                          data=PDF, filename="cover.pdf", now=clock.now())
    assert compliance.evidence_to_check(manager) == [evidence]
    assert compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY, expires_on=date(2027, 6, 30),
                                      data=PDF, filename="cover.pdf", now=clock.now()) == evidence  # sent twice
    with pytest.raises(NotFound):
        compliance.decide_evidence(world.member_officer, evidence, accept=True, reason="", now=clock.now())
    with pytest.raises(NotFound):
        compliance.evidence_for(world.provider_b, evidence.id)
    with pytest.raises(FormInvalid):
        compliance.decide_evidence(manager, evidence, accept=False, reason=" ", now=clock.now())
    compliance.decide_evidence(manager, evidence, accept=False, reason="The certificate names another company",
                               now=clock.now())
    with pytest.raises(DomainError, match="already been rejected"):
        compliance.decide_evidence(manager, evidence, accept=True, reason="", now=clock.now())
    # the administrator of the lead may decide too
    second = compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY, expires_on=date(2027, 6, 30),
                                        data=PDF, filename="cover.pdf", now=clock.now())
    compliance.decide_evidence(world.admin, second, accept=True, reason="", now=clock.now())
    assert compliance.evidence_in_force(world.provider_a.organisation_id) == [second]


def test_warnings_at_30_and_7_days_once_each_then_lapse_restricts_until_new_evidence(world, clock, home, manager):
    today = uk_today(clock.now())
    evidence = _accepted(world, clock, manager, today + timedelta(days=40))
    provider_id = world.provider_a.organisation_id
    assert compliance.expiry_due(clock.now()) == 0
    clock.advance(days=10)  # 30 days left
    assert compliance.expiry_due(clock.now()) == 1
    assert compliance.expiry_due(clock.now()) == 0  # once
    warned = db.session.scalars(db.select(Notification).where(Notification.subject.like("Expires on%"))).all()
    assert {n.user_id for n in warned} >= {world.provider_a.id, manager.id}
    clock.advance(days=23)  # 7 days left
    assert compliance.expiry_due(clock.now()) == 1
    assert compliance.expiry_due(clock.now()) == 0
    clock.advance(days=7)  # the expiry day: still in force
    assert compliance.expiry_due(clock.now()) == 0
    assert standing.standing_of(world.dps.id, provider_id) == GOOD
    clock.advance(days=1)
    assert compliance.expiry_due(clock.now()) == 1
    assert compliance.expiry_due(clock.now()) == 0
    [restriction] = standing.active_restrictions(world.dps.id, provider_id)
    assert restriction.cause == INSURANCE_EXPIRED and restriction.source_id == evidence.id
    assert standing.standing_of(world.dps.id, provider_id) == SUSPENDED
    _accepted(world, clock, manager, uk_today(clock.now()) + timedelta(days=365))
    assert standing.standing_of(world.dps.id, provider_id) == GOOD


def test_a_late_start_sends_only_the_nearer_warning(world, clock, home, manager):
    _accepted(world, clock, manager, uk_today(clock.now()) + timedelta(days=5))
    assert compliance.expiry_due(clock.now()) == 1
    assert db.session.scalar(db.select(db.func.count(Notification.id)).where(
        Notification.subject.like("Expires on%"), Notification.user_id == manager.id)) == 1
    assert compliance.expiry_due(clock.now()) == 0


# The monthly review ------------------------------------------------------------------------------------------------

def test_the_monthly_review_is_due_until_marked_done_and_reminded_once_a_month(world, clock, home, manager):
    contract = contract_of(world, world.provider_a)
    assert compliance.review_pending(manager, clock.now())
    assert [due.what for due in contracts.dues([contract.id], clock.now())[contract.id]] == [
        "Ofsted review of November 2026"]
    assert compliance.remind_reviews(clock.now()) == 1
    assert compliance.remind_reviews(clock.now()) == 0
    compliance.mark_review_done(manager, notes="All judgements checked", now=clock.now())
    assert not compliance.review_pending(manager, clock.now())
    assert contracts.dues([contract.id], clock.now())[contract.id] == []
    with pytest.raises(DomainError, match="already marked done"):
        compliance.mark_review_done(manager, notes="", now=clock.now())
    clock.advance(days=30)  # December
    assert compliance.review_pending(manager, clock.now())
    assert compliance.remind_reviews(clock.now()) == 1
    assert db.session.scalar(db.select(db.func.count(OfstedReview.id))) == 2


# Enforcement notices ------------------------------------------------------------------------------------------------

def test_a_notice_restricts_the_setting_and_requests_reviews_until_lifted(world, clock, home, manager):
    placement = placed(world, clock, admitted=False)
    placement.setting_id = home.id
    db.session.commit()
    provider_id = world.provider_a.organisation_id
    with pytest.raises(NotFound):
        compliance.record_notice(world.member_officer, home, kind=RESTRICTION_OF_ACCOMMODATION,
                                 issued_on=uk_today(clock.now()), notes="", data=PDF, filename="n.pdf",
                                 now=clock.now())
    compliance.record_notice(manager, home, kind=RESTRICTION_OF_ACCOMMODATION, issued_on=uk_today(clock.now()),
                             notes="No new admissions", data=PDF, filename="notice.pdf", now=clock.now())
    assert standing.restricted_setting_ids(world.dps.id, provider_id) == {home.id}
    assert [r.placement_id for r in db.session.scalars(db.select(ReviewRequest))] == [placement.id]
    with pytest.raises(DomainError, match="already recorded"):  # a double submit
        compliance.record_notice(manager, home, kind=RESTRICTION_OF_ACCOMMODATION, issued_on=uk_today(clock.now()),
                                 notes="No new admissions", data=PDF, filename="notice.pdf", now=clock.now())
    assert len(standing.active_restrictions(world.dps.id, provider_id)) == 1
    compliance.record_notice(manager, home, kind=APPEAL_UPHELD, issued_on=uk_today(clock.now()), notes="",
                             data=PDF, filename="tribunal.pdf", now=clock.now())
    assert standing.restricted_setting_ids(world.dps.id, provider_id) == set()


def test_a_cancellation_taking_effect_terminates_the_contract_and_ends_the_placements(world, clock, home, manager):
    placement = placed(world, clock, admitted=False)
    placement.setting_id = home.id
    db.session.commit()
    compliance.record_notice(manager, home, kind=CANCELLATION_EFFECTIVE, issued_on=uk_today(clock.now()), notes="",
                             data=PDF, filename="cancel.pdf", now=clock.now())
    assert standing.standing_of(world.dps.id, world.provider_a.organisation_id) == TERMINATED
    db.session.refresh(placement)
    assert placement.end_date == max(uk_today(clock.now()), placement.start_date)
    assert placement.ending_reason == "provider_closure" and placement.notice_given_by == "authority"
    told = db.session.scalars(db.select(Notification).where(Notification.subject.like("Registration cancelled%"))
                              ).all()
    assert {n.user_id for n in told} >= {world.provider_a.id} and placement.agreement_reference in told[0].body
    with pytest.raises(FormInvalid) as refused:
        compliance.record_notice(manager, home, kind="odd", issued_on=uk_today(clock.now()) + timedelta(days=1),
                                 notes="", data=b"", filename="", now=clock.now())
    assert set(refused.value.errors) == {"kind", "issued_on", "file"}


def test_the_leads_contract_managers_cover_evidence_and_notices_and_a_members_other_one_does_not(
        world, clock, home, manager):
    """As on the ladder: the allocated contract manager, or any contract manager of the lead, accepts evidence and
    records enforcement notices; a member's contract manager the provider is not allocated to does not."""
    cover = contract_manager(world, clock, name="Colin Cover", email="cover@lead.example.org")
    member_manager = contract_manager(world, clock, at=world.member, name="Mia Member",
                                      email="contracts@member.example.org")
    assert compliance.may_manage(manager, world.provider_a.organisation_id)
    assert compliance.may_manage(cover, world.provider_a.organisation_id)
    assert not compliance.may_manage(member_manager, world.provider_a.organisation_id)
    assert not compliance.may_manage(world.lead_officer, world.provider_a.organisation_id)
    expires_on = (clock.now() + timedelta(days=200)).date()
    evidence = compliance.submit_evidence(world.provider_a, kind=PUBLIC_LIABILITY, expires_on=expires_on, data=PDF,
                                          filename="cover.pdf", now=clock.now())
    compliance.decide_evidence(cover, evidence, accept=True, reason="", now=clock.now())
    assert evidence.status == "accepted"

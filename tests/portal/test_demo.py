import re
from decimal import Decimal

import pytest

from portal import demo, demo_life, demo_market, scheduler
from portal.documents import placement_agreement
from portal.errors import DomainError
from portal.extensions import db
from portal.models import (
    Application,
    AuditEvent,
    Bid,
    Child,
    Dps,
    EntryWindow,
    Lot,
    LotMembership,
    LotOutcome,
    Notification,
    OffFrameworkProvider,
    Organisation,
    OutboxMessage,
    Placement,
    Referral,
    TierAward,
    User,
)
from portal.models.application import DRAFT, SUBMITTED
from portal.models.evaluation import ADMITTED, ADMITTED_WITH_CAUTION, NOT_ADMITTED
from portal.models.referral import AWARDED, CLOSED, EXHAUSTED, OPEN
from portal.models.referral import DRAFT as REFERRAL_DRAFT
from portal.services import accounts, approvals, awards, bids, off_framework, outcomes, referrals

SEFTON_OFFICER = "rachel.hughes@sefton.example.org"
TAMESIDE_OFFICER = "chris.doyle@tameside.example.org"
DRAMA_NUMBER = re.compile(r"^(0161 496 0|0151 496 0|07700 900)\d{3}$")  # Ofcom's ranges for drama
# The children of the market's history of referrals (portal/demo_market.py): the tests here are of the others.
MARKET_CASES = {child[2] for _days, _officer, child, *_rest in demo_market.HISTORY}


def _sixteen_plus_windows():
    """The 16+ DPS's windows (the fostering framework's are tested on their own)."""
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS"))
    return db.session.scalars(db.select(EntryWindow).where(EntryWindow.dps_id == dps.id)
                              .order_by(EntryWindow.opens_at)).all()


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def _referrals_by_status(now) -> dict[str, list[Referral]]:
    """The 16+ DPS's referrals by status (the fostering framework's year of placements is tested on its own)."""
    found: dict[str, list[Referral]] = {}
    sixteen_plus = db.select(Dps.id).where(Dps.reference == "NW-16P-DPS").scalar_subquery()
    for referral in db.session.scalars(db.select(Referral).where(Referral.dps_id == sixteen_plus)
                                       .order_by(Referral.id)):
        if referral.child.case_number in MARKET_CASES:
            continue
        found.setdefault(referral.status(now), []).append(referral)
    return found


def test_demo_loads_a_consortium_with_an_open_window_and_applications(app, clock):
    assert demo.is_empty()
    sign_ins = demo.load()
    now = clock.now()

    windows = _sixteen_plus_windows()
    assert [w.status(now) for w in windows] == ["closed", "open", "scheduled"]
    first, current = windows[0], windows[1]
    statuses = [a.status for a in db.session.scalars(db.select(Application).where(Application.window_id == current.id))]
    assert statuses.count(SUBMITTED) == 2 and statuses.count(DRAFT) == 2
    earlier = db.session.scalars(db.select(Application).where(Application.window_id == first.id)).all()
    assert len(earlier) == 5 and all(a.status == SUBMITTED and a.moderated_at for a in earlier)
    # Places on lots 1 (four providers), 2 (three) and 3 (one), all from the first window.
    memberships = db.session.scalars(db.select(LotMembership).join(Lot).where(Lot.dps_id == first.dps_id)).all()
    assert len(memberships) == 8 and {m.window_id for m in memberships} == {first.id}
    providers = db.session.scalars(db.select(Organisation).where(Organisation.kind == "provider")).all()
    assert len(providers) == 6 + len(demo.FOSTERING_PROVIDERS)
    # Every provider user was told the window opened.
    assert db.session.scalar(db.select(db.func.count(Notification.id))) >= 6
    # Every printed sign-in works with the printed password.
    for _, email in sign_ins:
        assert accounts.authenticate(email, demo.PASSWORD, now).email == email
    assert not demo.is_empty()


def test_demo_first_window_was_evaluated_published_and_tiered(app, clock):
    demo.load()
    now = clock.now()
    first = _sixteen_plus_windows()[0]
    assert first.status(now) == "closed"
    assert first.closes_at < first.outcomes_published_at < now

    # Every application was scored by two evaluators, with reasons, before it was moderated.
    for application in db.session.scalars(db.select(Application).where(Application.window_id == first.id)):
        assert len(application.allocations) == 2
        assert all(a.submitted_at and len(a.scores) == 5 and all(s.reason for s in a.scores)
                   for a in application.allocations)
        assert len(application.gates) == 3 and all(r.reference_outcome for r in application.referees)
        assert all(m.reason for m in application.moderated_scores)

    outcome_of = {}
    for outcome in db.session.scalars(db.select(LotOutcome).join(Lot).where(Lot.dps_id == first.dps_id)):
        outcome_of.setdefault(outcome.application.provider.name, set()).add(outcome.outcome)
    assert outcome_of["Brightwater Transitions CIC"] == {ADMITTED_WITH_CAUTION}
    assert outcome_of["Pennine Steps Ltd"] == {NOT_ADMITTED}
    assert outcome_of["Mersey Horizons Housing"] == {ADMITTED}
    caution = db.session.scalar(db.select(Organisation).where(Organisation.name == "Brightwater Transitions CIC"))
    assert caution.provider_status == "place_with_caution"
    assert [m.status for m in db.session.scalars(db.select(LotMembership).where(
        LotMembership.provider_id == caution.id))] == ["place_with_caution"]
    not_admitted = db.session.scalar(db.select(Organisation).where(Organisation.name == "Pennine Steps Ltd"))
    assert not db.session.scalars(db.select(LotMembership).where(LotMembership.provider_id == not_admitted.id)).all()

    # Tier tables on lots 1 and 2, over every current member, tiered 1 upwards.
    lots = db.session.scalars(db.select(Lot).where(Lot.dps_id == first.dps_id).order_by(Lot.number)).all()
    for lot, size in ((lots[0], 4), (lots[1], 3)):
        table = outcomes.tier_table(lot.categories[0])
        assert len(table) == size and all(award.current and award.window_id == first.id for award in table)
        assert [award.rank for award in table] == list(range(1, size + 1))
        assert [award.tier for award in table] == sorted(award.tier for award in table)
        assert table[0].tier == 1 and table[-1].tier > 1
        members = set(db.session.scalars(db.select(LotMembership.provider_id).where(LotMembership.lot_id == lot.id)))
        assert {award.provider_id for award in table} == members
    first_table = outcomes.tier_table(lots[0].categories[0])
    assert "Brightwater Transitions CIC" in [award.provider.name for award in first_table]
    assert db.session.scalar(db.select(db.func.count(TierAward.id)).where(
        TierAward.current.is_(True), TierAward.window_id == first.id)) == 8


def test_demo_uses_fictional_contact_details(app, clock):
    demo.load()
    for organisation in db.session.scalars(db.select(Organisation)):
        for user in organisation.users:
            assert user.email.endswith(".example.org")
        if organisation.telephone:
            assert organisation.telephone.startswith("0161 496 0")  # Ofcom's range for drama
    for provider in db.session.scalars(db.select(OffFrameworkProvider)):
        assert provider.email.endswith(".example.org") and DRAMA_NUMBER.match(provider.telephone)
        assert all(referee.email.endswith(".example.org") for referee in provider.referees)


def test_demo_has_a_referral_in_every_state_made_by_the_officers(app, clock):
    demo.load()
    now = clock.now()
    found = _referrals_by_status(now)
    assert {status: len(items) for status, items in found.items()} == {
        REFERRAL_DRAFT: 2, OPEN: 1, CLOSED: 1, AWARDED: 1, EXHAUSTED: 1}
    sefton, tameside = _user(SEFTON_OFFICER), _user(TAMESIDE_OFFICER)
    assert found[CLOSED][0].created_by == tameside
    assert {found[status][0].created_by for status in (REFERRAL_DRAFT, OPEN, AWARDED, EXHAUSTED)} == {sefton}
    for referral in (referral for items in found.values() for referral in items):
        category = referrals.category_of(referral)  # a draft's: the one of the child's age
        assert category.tiers and outcomes.tier_table(category)  # the lots tiered in Window 1
        assert referrals.check(referral) == {}  # nothing in the free text identifies the child
        assert referral.created_at <= referral.updated_at <= now

    # Open: a bid in (still sealed) and a decline, the deadline ahead.
    open_ = found[OPEN][0]
    assert open_.current_round.deadline > now and bids.received_count(open_) == 1
    assert [i.has_declined for i in open_.invitations].count(True) == 1
    assert bids.is_sealed(open_.current_round, now)

    # Closed: its deadline passed, two bids, one assessed: the officer scores the other and may award.
    closed = found[CLOSED][0]
    assert closed.current_round.deadline < now and closed.current_round.closed_at is not None
    ranked = awards.ranking_for(tameside, closed, now)
    assert len(ranked) == 2 and [item.assessed for item in ranked].count(True) == 1
    assert awards.refusal_to_award(closed, ranked, now) == awards.SCORE_EVERY_BID

    # Exhausted: every tier approached in turn, no award.
    exhausted = found[EXHAUSTED][0]
    assert [round_.tier for round_ in exhausted.rounds] == [1, 2, 3]
    assert all(round_.closed_at for round_ in exhausted.rounds) and referrals.next_tier(exhausted) is None
    assert exhausted.awarded_at is None and exhausted.exhausted_at < now


def test_demo_award_made_a_placement_with_its_agreement(app, clock):
    demo.load()
    now = clock.now()
    referral = _referrals_by_status(now)[AWARDED][0]
    ranked = awards.ranking(referral, now)
    assert len(ranked) == 2 and awards.all_assessed(ranked)
    assert any(item.is_negotiated for item in ranked) and referral.award_reason
    placement = awards.placement_of(referral)
    assert placement.on_framework and placement.bid_id == referral.awarded_bid_id
    assert placement.weekly_cost == referral.awarded_bid.price_for_award
    assert sum(cost.weekly_amount for cost in placement.costs) == placement.weekly_cost
    assert placement.qa_visit_due_at is None  # a planned framework placement
    assert referral.published_at < referral.current_round.deadline < referral.awarded_at == placement.created_at < now
    pdf = placement_agreement.placement_agreement(placement, issued_at=now)
    assert pdf.startswith(b"%PDF") and len(pdf) > 1000


def test_demo_emergency_was_placed_off_the_framework_with_its_qa_visit_due(app, clock):
    demo.load()
    now = clock.now()
    referral = _referrals_by_status(now)[EXHAUSTED][0]
    assert referral.is_emergency and off_framework.search_approval(referral) is not None
    placement = awards.placement_of(referral)
    assert placement.cost_approval.is_approved and placement.senior_approval.answered_role == "head_of_service"
    assert not placement.on_framework and placement.off_framework_provider.authority_id == referral.authority_id
    assert off_framework.references_taken_up(placement.off_framework_provider) >= 2
    assert off_framework.missing_evidence(placement.off_framework_provider) == []
    assert [e.kind for e in off_framework.evidence_of(placement.off_framework_provider) if e.document] == [
        "ofsted_report", "statement_of_purpose", "childrens_guide", "pricing_schedule"]
    assert referral.exhausted_at < placement.created_at < now < placement.qa_visit_due_at
    assert placement_agreement.placement_agreement(placement, issued_at=now).startswith(b"%PDF")
    officer = _user(SEFTON_OFFICER)
    tasks = off_framework.qa_tasks(officer, now)
    assert [task.placement.id for task in tasks] == [placement.id] and not tasks[0].overdue
    assert off_framework.qa_task_count(officer) == 1
    assert db.session.scalar(db.select(db.func.count(Placement.id)).join(Referral).join(Dps).join(
        Child, Child.id == Referral.child_id).where(Dps.reference == "NW-16P-DPS",
                                                    Child.case_number.not_in(MARKET_CASES))) == 2


def test_demo_events_are_in_the_past_and_bids_before_their_deadlines(app, clock):
    demo.load()
    now = clock.now()
    assert db.session.scalar(db.select(db.func.max(AuditEvent.at))) <= now
    assert db.session.scalar(db.select(db.func.max(Notification.created_at))) <= now
    for bid in db.session.scalars(db.select(Bid)):
        assert bid.referral.published_at < bid.submitted_at < bid.round.deadline


def test_demo_never_tells_a_provider_who_the_child_is(app, clock):
    demo.load()
    children = db.session.scalars(db.select(Child)).all()
    assert len(children) == 6 + len(demo_life.CHILDREN) + len(MARKET_CASES)  # the children of demo.py's six referrals
    canaries = {name for child in children for name in child.names} | {c.case_number for c in children}
    pattern = re.compile("|".join(rf"\b{re.escape(name)}\b" for name in canaries), re.IGNORECASE)
    provider_users = db.session.scalars(db.select(User).join(Organisation).where(Organisation.kind == "provider")).all()
    ids, addresses = {user.id for user in provider_users}, {user.email for user in provider_users}
    notifications = db.session.scalars(db.select(Notification).where(Notification.user_id.in_(ids))).all()
    messages = db.session.scalars(db.select(OutboxMessage).where(
        db.or_(OutboxMessage.user_id.in_(ids), OutboxMessage.to_address.in_(addresses)))).all()
    assert any("Referral" in n.subject for n in notifications)  # they were told of the referrals
    for item in [*notifications, *messages]:
        assert not pattern.search(f"{item.subject}\n{item.body}"), item.subject


def test_scheduler_run_catches_up_once_and_is_idempotent(app, clock):
    demo.load()
    clock.advance(days=20)  # past the open window's close
    done = scheduler.run_time_events(app)
    assert any(line.startswith("closed NW-16P-DPS Window 2") for line in done)
    assert scheduler.run_time_events(app) == []


def test_demo_fostering_framework_tiers_each_age_category_on_its_own(app, clock):
    demo.load()
    fostering = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-FOS-DPS"))
    assert [lot.name for lot in fostering.lots] == ["Standard foster care", "Enhanced foster care"]
    for lot in fostering.lots:
        assert [(c.age_band, c.tiers) for c in lot.categories] == [("0 to 4", 3), ("5 to 10", 3), ("11 to 17", 3)]
        tables = outcomes.tier_tables(lot)
        # Two agencies do not offer every category: 3 in the youngest and the oldest, 4 in 5 to 10.
        assert [len(table) for _, table in tables] == [3, 4, 3]
        for category, table in tables:
            assert {award.category_id for award in table} == {category.id}
            assert table[0].tier == 1 and [award.rank for award in table] == sorted(award.rank for award in table)
    sixteen_plus = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS"))
    assert all(len(lot.categories) == 1 for lot in sixteen_plus.lots)


def test_demo_has_deciders_at_sefton_and_tameside_and_a_funding_approval_waiting(app, clock):
    demo.load()
    people = {email: db.session.scalar(db.select(User).where(User.email == email))
              for _key, _where, _name, email, _role, _limit in demo.DECIDERS}
    for organisation in ("Sefton", "Tameside"):
        roles = {role for person in people.values() if organisation in person.organisation.name
                 for role in person.roles}
        assert roles == {"budget_holder", "head_of_service", "assistant_director"}
    holder = people["siobhan.carr@sefton.example.org"]
    assert holder.approval_limit == Decimal("120000.00")
    waiting = approvals.tasks_for(holder)
    assert [(item.kind, item.subject.status(clock.now())) for item in waiting] == [("funding", "draft")]
    assert approvals.tasks_for(people["marcus.ellery@sefton.example.org"]) == []
    # a draft's funding above her limit (weekly x 52) waits for the assistant director instead
    above = approvals.tasks_for(people["priya.sandhu@sefton.example.org"])
    assert [(item.kind, item.annual_cost) for item in above] == [("funding", Decimal("128960.00"))]
    assert above[0].annual_cost > holder.approval_limit and above[0].subject.status(clock.now()) == "draft"


def test_demo_has_a_year_of_placements_with_their_endings(app, clock):
    from portal.models.placement import ENDED, ENDING, LIVE, STARTING
    from portal.services import endings

    demo.load()
    today = endings.uk_today(clock.now())
    fostering = db.session.scalars(db.select(Placement).join(Referral).join(Dps).where(
        Dps.reference == "NW-FOS-DPS").order_by(Placement.start_date)).all()
    assert (today - fostering[0].start_date).days > 330  # about a year of history
    assert {placement.status(today) for placement in fostering} == {STARTING, LIVE, ENDING, ENDED}
    assert {placement.authority.name for placement in fostering} == {
        "Sefton Council", "Tameside Metropolitan Borough Council"}
    ended = [placement for placement in fostering if placement.end_date is not None]
    assert {placement.ending_planned for placement in ended} >= {True, False}
    breach = [placement for placement in ended if placement.short_notice_breach]
    assert len(breach) == 1 and breach[0].notice_given_by == "provider" and breach[0].next_placement is not None
    assert any(p.ending_reason == "step_down" and p.next_placement for p in ended)
    # the moved child has two referrals; the second was agreed after the unplanned ending
    moved = breach[0].next_placement.referral
    assert moved.child_id == breach[0].referral.child_id
    assert all(approvals.granted(moved, kind) for kind in endings.NEW_SEARCH_KINDS)
    assert all(placement.created_at <= clock.now() for placement in fostering)


def test_demo_has_quarterly_returns_thresholds_and_an_overdue_return(app, clock):
    from portal.models import KpiThreshold, QuarterlyReturn, ReturnQuestion
    from portal.quarters import quarter_at
    from portal.services import kpis
    from portal.timezone import to_local

    demo.load()
    today = to_local(clock.now()).date()
    assert db.session.scalar(db.select(db.func.count(ReturnQuestion.id))) == 10  # five on each DPS
    assert db.session.scalar(db.select(db.func.count(KpiThreshold.id))) == 8
    items = db.session.scalars(db.select(QuarterlyReturn)).all()
    latest = quarter_at(clock.now()).previous
    # the last two quarters that ended, asked of the providers admitted by then (the fostering DPS is over a year old)
    assert {item.quarter for item in items} == {latest.previous.key, latest.key}
    assert sum(item.is_submitted for item in items) == len(items) - 1 >= 5
    [overdue] = [item for item in items if not item.is_submitted]
    assert overdue.is_overdue(today)
    told = db.session.scalars(db.select(User).join(Notification, Notification.user_id == User.id).where(
        Notification.subject.like("Quarterly returns overdue%"))).all()
    assert told and {user.organisation_id for user in told} == {overdue.dps.lead_authority_id}
    dps = db.session.scalar(db.select(Dps).where(Dps.reference == "NW-16P-DPS"))
    rows = kpis.ranking(kpis.default_quarter(today), kpis.Scope(dps.id), "unplanned", today)
    assert len(rows) >= 4


def test_demo_agreements_are_signed_a_price_changed_and_the_placements_life_recorded(app, clock):
    from portal.models import AgreementVersion, PlacementFeedback, PlacementIncident, PlacementReview, PriceChange
    from portal.services import agreements

    demo.load()
    versions = db.session.scalars(db.select(AgreementVersion).order_by(AgreementVersion.id)).all()
    states = {version.state for version in versions}
    assert "superseded" not in states or any(version.countersigned_at for version in versions)
    assert {"in_force", "awaiting_countersignature"} <= states
    change = db.session.scalars(db.select(PriceChange)).one()
    assert change.approval.status == "approved" and change.price is not None
    placement = change.placement
    assert [version.number for version in agreements.versions_of(placement)] == [2, 1]
    assert agreements.versions_of(placement)[0].reason == "price_change"
    assert placement.weekly_cost == agreements.price_in_force(placement, agreements.today_at(clock.now()))
    assert db.session.scalar(db.select(db.func.count(PlacementReview.id))) >= 1
    assert db.session.scalar(db.select(db.func.count(PlacementFeedback.id))) == 2
    assert "allegation" in set(db.session.scalars(db.select(PlacementIncident.category)))
    assert all(version.issued_at < clock.now() for version in versions)
    officer = _user("rachel.hughes@sefton.example.org")
    assert agreements.tasks_for(officer, clock.now())


def test_the_officer_can_award_the_demos_bids_to_weigh_to_a_bidder_in_good_standing(app, clock):
    """The suspensions in the demo fall on other providers, so the referral left to weigh can be awarded: to the
    bidder in good standing, while the one whose insurance lapsed is refused with the reason."""
    demo.load()
    now = clock.now()
    closed = _referrals_by_status(now)[CLOSED][0]
    officer = closed.created_by
    ranked = awards.ranking_for(officer, closed, now)
    unassessed = next(item for item in ranked if not item.assessed)
    suspended = next(item for item in ranked if item.assessed)
    assert suspended.provider_name == "Harbour Lane Homes"
    with pytest.raises(DomainError, match="Harbour Lane Homes is suspended"):
        awards.ask_cost_approval(officer, closed, suspended.bid, now)

    awards.assess(officer, unassessed.bid, scores={"needs": 4, "location": 4, "stability": 4, "education": 3},
                  notes="Settled staff team and a house near the college.", now=now)
    asked = awards.ask_cost_approval(officer, closed, unassessed.bid, now)
    answerer, _ = approvals.answerers(asked)[0]
    approvals.answer(answerer, asked, approve=True, now=now)
    placement = awards.award(officer, closed, unassessed.bid, reason="The only bid that can be awarded.", now=now)
    assert placement.provider.name == "Mersey Horizons Housing"

"""The jobs run a fixed number of SQL statements however many rows they touch: re-tiering a lot, publishing a
referral to a tier, the scheduler closing due rounds, numbering a draft referral. Each is counted with a few
rows and with many, and the counts must match (no statement per row)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import (
    Application,
    ApplicationLot,
    AuditEvent,
    Bid,
    BidInvitation,
    CategoryMembership,
    CategoryPrice,
    Dps,
    LotMembership,
    LotOutcome,
    Notification,
    Organisation,
    OutboxMessage,
    Referral,
    ReferralRound,
    TierAward,
    User,
    UserRole,
)
from portal.models.evaluation import ADMITTED
from portal.models.organisation import PROVIDER
from portal.models.user import PROVIDER_USER
from portal.services import outcomes, referrals, windows
from portal.services.referrals import rounds
from tests.factories import admit, approve_funding, build_dps, draft_referral, published_referral
from tests.portal.test_query_counts import counting, grown
from tests.portal.test_standing_effects import send, suspend

FEW, MANY = 3, 15


def assert_same_count(few: list[str], many: list[str], what: str) -> None:
    assert len(many) == len(few), (
        f"{what}: {len(few)} statements with {FEW} rows, {len(many)} with {MANY}. Repeated with more rows:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


def add_member(world, lot, index: int, *, quality: str, price: str, tier: int = 1, places=None) -> Organisation:
    """A provider admitted to every category of the lot through a moderated application of the world's window,
    with its outcome and prices: the rows publication leaves, inserted directly (no password hashing)."""
    now = world.window.opens_at
    provider = Organisation(name=f"Member {index:03d}", kind=PROVIDER, ofsted_urn=f"SC{800000 + index}",
                            provider_status="admitted", created_at=now)
    user = User(organisation=provider, name=f"Member user {index:03d}", email=f"member{index}@providers.example.org",
                password_hash=world.provider_a.password_hash, password_changed_at=now, created_at=now)
    user.role_rows = [UserRole(role=PROVIDER_USER)]
    application = Application(window_id=world.window.id, provider=provider, status="submitted",
                              created_by_id=world.provider_a.id, created_at=now, updated_at=now, submitted_at=now,
                              moderated_at=now)
    line = ApplicationLot(application=application, lot_id=lot.id,
                          prices=[CategoryPrice(category_id=category.id, weekly_price=Decimal(price))
                                  for category in lot.categories])
    outcome = LotOutcome(application=application, lot_id=lot.id, outcome=ADMITTED, quality_percent=Decimal(quality))
    membership = LotMembership(lot_id=lot.id, provider=provider, status="admitted", admitted_at=now,
                               window_id=world.window.id,
                               categories=[CategoryMembership(category_id=category.id,
                                                              tier=tier if category.tiers else None)
                                           for category in (lot.categories if places is None else places)])
    db.session.add_all([user, application, line, outcome, membership])
    return provider


def add_members(world, lot, start: int, stop: int, *, tier: int = 2, places=None) -> None:
    for index in range(start, stop):
        add_member(world, lot, index, quality=f"{60 + index % 40}.0000", price=f"{1000 + 10 * index}.00",
                   tier=tier, places=places)
    db.session.commit()


def invitations_of(round_) -> list[BidInvitation]:
    return db.session.scalars(db.select(BidInvitation).where(BidInvitation.round_id == round_.id)).all()


def e_mails_about(referral) -> list[OutboxMessage]:
    return db.session.scalars(db.select(OutboxMessage).where(
        OutboxMessage.subject.startswith(f"Referral {referral.reference}: invitation to bid"))).all()


# Re-tiering ----------------------------------------------------------------------------------------------------

def test_recalculating_a_lots_tiers_runs_the_same_statements_for_many_members(world, clock):
    lot = world.lots[0]

    def recalculate() -> list[str]:
        with counting() as statements:
            awards = outcomes.recalculate_tiers(lot, world.window, clock.now())
            db.session.flush()
        db.session.commit()
        return statements, awards

    # Tier 2 in the first category (before any re-tiering puts the best in tier 1), none in the second.
    add_members(world, lot, 0, FEW, places=lot.categories[:1])
    few, awards = recalculate()
    assert len({award.provider_id for award in awards}) == FEW
    add_members(world, lot, FEW, MANY, places=lot.categories[:1])
    many, awards = recalculate()
    assert len({award.provider_id for award in awards}) == MANY
    assert_same_count(few, many, "recalculate_tiers")
    current = db.session.scalars(db.select(TierAward).where(TierAward.lot_id == lot.id,
                                                            TierAward.current.is_(True))).all()
    assert len(current) == MANY * len(lot.categories)
    # Every member holds, in each category, the tier of its line in that category's table (the places of the
    # second category were new).
    places = db.session.scalars(db.select(CategoryMembership).join(LotMembership)
                                .where(LotMembership.lot_id == lot.id)).all()
    assert ({(place.membership.provider_id, place.category_id, place.tier) for place in places}
            == {(award.provider_id, award.category_id, award.tier) for award in current})
    first = lot.categories[0]
    assert {award.tier for award in current if award.category_id == first.id} == set(range(1, first.tiers + 1))


def test_retiering_a_category_runs_the_same_statements_for_many_members(world, clock):
    lot = world.lots[0]
    category = lot.categories[0]

    def retier(tiers: int) -> tuple[list[str], str]:
        outcomes.recalculate_tiers(lot, world.window, clock.now())
        db.session.commit()
        category.tiers = tiers
        with counting() as statements:
            message = outcomes.retier_category(world.admin, category, clock.now())
            db.session.flush()
        db.session.commit()
        return statements, message

    add_members(world, lot, 0, FEW)
    few, _ = retier(1)
    add_members(world, lot, FEW, MANY)
    many, message = retier(2)  # from the 1 tier the re-tiering at FEW left
    assert_same_count(few, many, "retier_category")
    assert "re-tiered into 2 tiers" in message
    places = db.session.scalars(db.select(CategoryMembership).where(CategoryMembership.category_id == category.id))
    assert sorted(place.tier for place in places) == [1] * 8 + [2] * 7  # as evenly as can be, tier 1 the extra


# Publishing and re-opening ---------------------------------------------------------------------------------------

def test_publishing_a_referral_runs_the_same_statements_for_many_providers(world, clock):
    lot = world.lots[0]

    def publish():
        referral = draft_referral(world, clock, lot=lot)
        approve_funding(world, referral, clock)
        with counting() as statements:
            round_ = referrals.publish(world.member_officer, referral, clock.now())
        return statements, referral, round_

    add_members(world, lot, 0, FEW, tier=1)
    few, referral, round_ = publish()
    assert len(invitations_of(round_)) == FEW
    assert len(e_mails_about(referral)) == FEW
    add_members(world, lot, FEW, MANY, tier=1)
    many, referral, round_ = publish()
    assert_same_count(few, many, "publish")
    invited = invitations_of(round_)
    assert sorted(invitation.provider.name for invitation in invited) == [f"Member {i:03d}" for i in range(MANY)]
    assert {invitation.tier for invitation in invited} == {1}
    assert sorted(message.to_address for message in e_mails_about(referral)) == sorted(
        f"member{i}@providers.example.org" for i in range(MANY))
    notices = db.session.scalars(db.select(Notification).where(
        Notification.subject.startswith(f"Referral {referral.reference}: invitation to bid"))).all()
    assert len(notices) == MANY


def test_reopening_to_the_next_tier_runs_the_same_statements_for_many_providers(world, clock):
    lot = world.lots[0]
    add_members(world, lot, 0, FEW, tier=1)
    first, second = (published_referral(world, clock, lot=lot, deadline=clock.now() + timedelta(hours=1))
                     for _ in range(2))
    add_members(world, lot, 100, 100 + FEW, tier=2)
    clock.advance(hours=2)

    def reopen(referral):
        with counting() as statements:
            round_ = referrals.reopen_to_next_tier(world.member_officer, referral,
                                                   deadline=clock.now() + timedelta(days=1), now=clock.now())
        return statements, round_

    few, round_ = reopen(first)
    assert len(invitations_of(round_)) == FEW
    add_members(world, lot, 100 + FEW, 100 + MANY, tier=2)
    many, round_ = reopen(second)
    assert_same_count(few, many, "reopen_to_next_tier")
    assert round_.tier == 2
    assert sorted(invitation.provider.name for invitation in invitations_of(round_)) == [
        f"Member {i:03d}" for i in range(100, 100 + MANY)]


# The scheduler's round close ----------------------------------------------------------------------------------

@pytest.fixture
def due_rounds(world, clock):
    """FEW referrals whose round closes in an hour and MANY in three hours, each with a bid from Alpha and Beta;
    Alpha suspended on the DPS after bidding, so its bids are set aside at each deadline."""
    admit(world.provider_a, world.lots[0], clock=clock)
    admit(world.provider_b, world.lots[0], clock=clock)
    start = clock.now()
    soon, later = [], []
    for hours, made in [(1, soon)] * FEW + [(3, later)] * MANY:
        referral = published_referral(world, clock, deadline=start + timedelta(hours=hours))
        send(world.provider_a, referral, clock)
        send(world.provider_b, referral, clock, "1000.00")
        made.append(referral)
    suspend(world, world.provider_a, clock)
    db.session.commit()
    return soon, later


def events(action: str) -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_closing_due_rounds_runs_the_same_statements_for_many_rounds(world, clock, due_rounds):
    soon, later = due_rounds
    start = clock.now()

    def close(hours: int) -> tuple[list[str], list[str]]:
        clock.set(start + timedelta(hours=hours))
        with counting() as statements:
            done = referrals.run_due(clock.now())
        return statements, done

    few, done = close(2)
    assert done == [f"closed referral {referral.reference} round 1 (tier 1), 1 bid set aside" for referral in soon]
    many, done = close(4)
    assert done == [f"closed referral {referral.reference} round 1 (tier 1), 1 bid set aside" for referral in later]
    assert_same_count(few, many, "run_due")
    assert len(events("referral.round_closed")) == FEW + MANY
    assert len(events("bid.set_aside")) == FEW + MANY
    set_aside = db.session.scalars(db.select(Bid).where(Bid.set_aside_at.is_not(None))).all()
    assert sorted(bid.referral_id for bid in set_aside) == sorted(referral.id for referral in soon + later)
    assert {bid.provider_id for bid in set_aside} == {world.provider_a.organisation_id}
    told = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.to_address == world.member_officer.email,
                                                             OutboxMessage.subject.endswith("can now be opened")))
    assert sorted(message.subject for message in told) == sorted(
        f"Referral {referral.reference}: bids can now be opened" for referral in soon + later)


def test_rounds_are_closed_in_batches_each_once(world, clock, due_rounds):
    soon, later = due_rounds
    clock.advance(hours=4)
    done = referrals.run_due(clock.now(), batch_size=4)
    assert len(done) == FEW + MANY
    assert referrals.run_due(clock.now(), batch_size=4) == []
    closed = db.session.scalars(db.select(ReferralRound)).all()
    assert all(round_.closed_at == clock.now() for round_ in closed)
    assert len(events("referral.round_closed")) == FEW + MANY


def test_a_round_closed_by_another_scheduler_meanwhile_is_not_closed_again(world, clock, due_rounds):
    """Two schedulers read the same due rounds; the one whose claim comes second closes none of them."""
    clock.advance(hours=4)
    due = [round_.id for round_ in db.session.scalars(db.select(ReferralRound).order_by(ReferralRound.id))]
    first = rounds._close_rounds(due, clock.now())
    db.session.commit()
    second = rounds._close_rounds(due, clock.now())
    db.session.commit()
    assert (len(first), second) == (FEW + MANY, [])
    assert len(events("referral.round_closed")) == FEW + MANY
    assert len(events("bid.set_aside")) == FEW + MANY


# Numbering draft referrals -------------------------------------------------------------------------------------

def test_drafting_a_referral_runs_the_same_statements_however_many_the_dps_has(world, clock):
    def draft():
        with counting() as statements:
            referral = draft_referral(world, clock)
        return statements, referral

    for _ in range(FEW):
        draft_referral(world, clock)
    few, referral = draft()
    assert referral.reference == f"T-DPS-R{FEW + 1:04d}"
    for _ in range(MANY):
        draft_referral(world, clock)
    many, referral = draft()
    assert referral.reference == f"T-DPS-R{FEW + MANY + 2:04d}"
    assert_same_count(few, many, "drafting.create")


def test_a_referral_loaded_without_the_counter_is_numbered_past(world, clock):
    """Referrals written straight into the database (an import, the benchmark's data) leave the DPS's counter
    behind: the next draft counts the references again rather than fail."""
    first = draft_referral(world, clock)
    db.session.execute(db.update(Referral).where(Referral.id == first.id).values(reference="T-DPS-R0002"))
    db.session.commit()
    assert draft_referral(world, clock).reference == "T-DPS-R0003"
    assert draft_referral(world, clock).reference == "T-DPS-R0004"
    assert db.session.get(Dps, world.dps.id).last_referral_number == 4


# The scheduler's tick ------------------------------------------------------------------------------------------

def test_the_scheduler_tick_runs_the_same_statements_for_many_due_rounds(app, world, clock, due_rounds):
    from portal.scheduler import run_time_events

    start = clock.now()
    clock.set(start + timedelta(hours=2))
    with counting() as few:
        run_time_events(app)
    clock.set(start + timedelta(hours=4))
    with counting() as many:
        done = run_time_events(app)
    assert_same_count(few, many, "run_time_events")
    assert sum(line.startswith("closed referral") for line in done) == MANY


def test_opening_a_window_runs_the_same_statements_for_many_providers(world, clock):
    """Every provider's users are told when a window opens: in one INSERT a table."""
    def open_window(reference: str) -> tuple[list[str], int]:
        dps = build_dps(world.admin, clock, reference=reference)
        windows.schedule_window(dps, opens_at=clock.now() + timedelta(hours=1),
                                closes_at=clock.now() + timedelta(days=14), now=clock.now(), actor=world.admin)
        db.session.commit()
        clock.advance(hours=1)
        window = windows.windows_of(dps)[0]
        with counting() as statements:  # the opening alone: the scheduler's tick also visits every DPS and window
            windows._announce_opening(window, clock.now(), actor=None)
            db.session.commit()
        told = db.session.scalar(db.select(db.func.count(OutboxMessage.id)).where(
            OutboxMessage.subject == f"Test arrangement {reference} is open for applications"))
        return statements, told

    providers_before = db.session.scalar(db.select(db.func.count(User.id)).join(Organisation)
                                         .where(Organisation.kind == PROVIDER))
    add_members(world, world.lots[0], 0, FEW)
    few, told = open_window("FEW")
    assert told == providers_before + FEW
    add_members(world, world.lots[0], FEW, MANY)
    many, told = open_window("MANY")
    assert told == providers_before + MANY
    assert_same_count(few, many, "windows.run_due")

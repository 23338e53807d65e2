"""The IPA agreed in the portal (services.agreements): the order of signing, who may sign, locking, the stored
PDF's SHA-256, changes of price through the budget holder's approval, and the tasks."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.errors import DomainError, InvalidTransition, NotFound
from portal.extensions import db
from portal.models import AgreementVersion, Approval, PlacementPrice, UserRole
from portal.models.agreement import AWAITING_COUNTERSIGNATURE, AWAITING_PROVIDER, IN_FORCE, SUPERSEDED
from portal.models.approval import PRICE_CHANGE
from portal.models.user import BUDGET_HOLDER, COMMISSIONING_OFFICER, SIGNATORY
from portal.services import agreements, approvals
from tests.factories import answer_as, authority_user, deciders, placed


@pytest.fixture
def placement(world, clock):
    return placed(world, clock)


def issued(world, clock, placement):
    return agreements.issue(world.member_officer, placement, now=clock.now())


def signed_by_provider(world, clock, version):
    agreements.sign_as_provider(world.provider_a, version, name="Alex Alpha", position="Registered manager",
                                sha256=version.sha256, now=clock.now())


def countersigned(world, clock, version):
    agreements.countersign(deciders(world, clock).budget_holder, version, sha256=version.sha256, now=clock.now())


def test_version_1_is_issued_with_its_pdf_and_sha256_and_waits_for_the_provider(world, clock, placement):
    version = issued(world, clock, placement)
    assert version.number == 1 and version.reason == "award" and version.state == AWAITING_PROVIDER
    assert version.pdf.startswith(b"%PDF-")
    assert version.sha256 == hashlib.sha256(version.pdf).hexdigest() and version.size_bytes == len(version.pdf)
    assert version.weekly_cost == placement.weekly_cost and version.price_from == placement.start_date
    assert not agreements.summary(placement).fully_signed


def test_the_signed_pdf_leaves_out_the_childs_identity(world, clock, placement, tmp_path):
    from tests.portal.documents.test_evaluation import pdf_text

    version = issued(world, clock, placement)
    child = placement.referral.child
    text = pdf_text(version.pdf, tmp_path)
    assert placement.agreement_reference in text and "version 1" in text.lower()
    for secret in (child.first_names, child.surname, child.case_number):
        assert secret not in text


def test_the_provider_signs_first_then_a_budget_holder_countersigns_and_it_is_locked(world, clock, placement):
    version = issued(world, clock, placement)
    with pytest.raises(DomainError, match="already been signed|signed by your side"):
        countersigned(world, clock, version)  # the provider has not signed yet
    clock.advance(hours=1)
    signed_by_provider(world, clock, version)
    assert version.state == AWAITING_COUNTERSIGNATURE
    assert version.provider_signed_name == "Alex Alpha" and version.provider_signed_sha256 == version.sha256
    clock.advance(hours=1)
    countersigned(world, clock, version)
    assert version.state == IN_FORCE and version.locked
    assert version.countersigned_sha256 == hashlib.sha256(version.pdf).hexdigest()
    assert agreements.summary(placement).fully_signed


def test_only_a_signatory_of_the_placements_provider_signs(world, clock, placement):
    version = issued(world, clock, placement)
    colleague = world.colleague_a
    colleague.role_rows = [row for row in colleague.role_rows if row.role != SIGNATORY]
    db.session.commit()
    with pytest.raises(DomainError, match="Only a signatory"):
        agreements.sign_as_provider(colleague, version, name="Cal", position="Carer", sha256=version.sha256,
                                    now=clock.now())
    with pytest.raises(NotFound):
        agreements.sign_as_provider(world.provider_b, version, name="Bo", position="Manager", sha256=version.sha256,
                                    now=clock.now())
    with pytest.raises(NotFound):
        agreements.sign_as_provider(world.member_officer, version, name="Mo", position="Officer",
                                    sha256=version.sha256, now=clock.now())
    assert db.session.get(AgreementVersion, version.id).provider_signed_at is None


def test_the_signature_needs_a_name_a_position_and_the_sha256_of_the_stored_pdf(world, clock, placement):
    version = issued(world, clock, placement)
    for name, position, sha, field in (("", "Manager", version.sha256, "name"), ("Alex", " ", version.sha256,
                                                                                 "position"),
                                       ("Alex", "Manager", "0" * 64, None)):
        with pytest.raises(DomainError) as error:
            agreements.sign_as_provider(world.provider_a, version, name=name, position=position, sha256=sha,
                                        now=clock.now())
        assert error.value.field == field
    db.session.rollback()
    assert db.session.get(AgreementVersion, version.id).state == AWAITING_PROVIDER


def test_the_budget_holder_who_issued_it_may_not_countersign_nor_may_an_officer(world, clock, placement):
    officer_and_holder = authority_user(world.member, "Ivy Both", "both@member.example.org",
                                        [COMMISSIONING_OFFICER, BUDGET_HOLDER], clock)
    version = agreements.issue(officer_and_holder, placement, now=clock.now())
    signed_by_provider(world, clock, version)
    with pytest.raises(DomainError, match="You issued this version"):
        agreements.countersign(officer_and_holder, version, sha256=version.sha256, now=clock.now())
    with pytest.raises(DomainError, match="Only a budget holder"):
        agreements.countersign(world.member_officer, version, sha256=version.sha256, now=clock.now())
    elsewhere = authority_user(world.outsider, "Uma Elsewhere", "bh@outside.example.org", [BUDGET_HOLDER], clock)
    with pytest.raises(NotFound):
        agreements.countersign(elsewhere, version, sha256=version.sha256, now=clock.now())
    countersigned(world, clock, version)  # another budget holder may
    assert version.state == IN_FORCE


def test_nobody_signs_twice(world, clock, placement):
    version = issued(world, clock, placement)
    signed_by_provider(world, clock, version)
    with pytest.raises(DomainError, match="already been signed"):
        signed_by_provider(world, clock, version)
    countersigned(world, clock, version)
    with pytest.raises(DomainError, match="already been signed"):
        countersigned(world, clock, version)


def test_a_locked_version_cannot_change(world, clock, placement):
    version = issued(world, clock, placement)
    signed_by_provider(world, clock, version)
    countersigned(world, clock, version)
    version.weekly_cost = Decimal("1.00")
    with pytest.raises(InvalidTransition, match="locked"):
        db.session.flush()
    db.session.rollback()
    version = db.session.get(AgreementVersion, version.id)
    version.provider_signed_name = "Someone else"
    with pytest.raises(InvalidTransition):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AgreementVersion, version.id).provider_signed_name == "Alex Alpha"


def test_an_amendment_needs_its_text_and_replaces_an_unsigned_version(world, clock, placement):
    first = issued(world, clock, placement)
    with pytest.raises(DomainError, match="Describe what the amendment changes"):
        agreements.issue(world.member_officer, placement, now=clock.now())
    second = agreements.issue(world.member_officer, placement, amendment="Education transport added",
                              now=clock.now())
    assert second.number == 2 and second.reason == "amendment" and first.state == SUPERSEDED
    with pytest.raises(DomainError, match="replaced by a later one"):
        signed_by_provider(world, clock, first)


def test_a_signed_amendment_supersedes_the_version_in_force_which_stays_downloadable(world, clock, placement):
    first = issued(world, clock, placement)
    signed_by_provider(world, clock, first)
    countersigned(world, clock, first)
    second = agreements.issue(world.member_officer, placement, amendment="Keyworker hours", now=clock.now())
    assert first.state == IN_FORCE  # until the amendment is signed by both
    signed_by_provider(world, clock, second)
    countersigned(world, clock, second)
    assert first.state == SUPERSEDED and second.state == IN_FORCE
    assert agreements.pdf_of(first).startswith(b"%PDF-")


def off_framework_placement(world, clock):
    from portal.services import off_framework
    from tests.buyer.test_off_framework_service import place_args, provider_with_references, searched_referral

    referral = searched_referral(world, clock)
    provider = provider_with_references(world.member_officer, clock)
    people = deciders(world, clock)
    agreement, cost = off_framework.ask_placement_approvals(world.member_officer, referral, provider,
                                                            weekly_cost="2750.50", now=clock.now())
    answer_as(people.head_of_service, agreement, clock)
    answer_as(people.budget_holder, cost, clock)
    return off_framework.place(world.member_officer, referral, provider, **place_args(clock))


def test_an_off_framework_placement_is_not_signed_in_the_portal(world, clock):
    placement = off_framework_placement(world, clock)
    with pytest.raises(DomainError, match="not on the portal"):
        agreements.issue(world.member_officer, placement, now=clock.now())


def test_another_authoritys_officer_cannot_issue(world, clock, placement):
    with pytest.raises(NotFound):
        agreements.issue(world.outside_admin, placement, now=clock.now())


# Changes of price -----------------------------------------------------------------------------------------------

def ask_price(world, clock, placement, weekly="1650.00", days=1, reason="Extra staffing agreed at the review"):
    today = agreements.today_at(clock.now())
    return agreements.request_price_change(world.member_officer, placement, weekly_cost=weekly,
                                           effective_from=max(today, placement.start_date) + timedelta(days=days),
                                           reason=reason, now=clock.now())


def test_an_approved_price_change_adds_a_price_and_issues_a_new_version(world, clock, placement):
    first = issued(world, clock, placement)
    signed_by_provider(world, clock, first)
    countersigned(world, clock, first)
    clock.set(clock.now() + timedelta(days=10))  # the placement has started
    change = ask_price(world, clock, placement, days=0)
    approval = db.session.get(Approval, change.approval_id)
    assert approval.kind == PRICE_CHANGE and approval.weekly_cost == Decimal("1650.00")
    assert [person for person, _role in approvals.answerers(approval)] == [deciders(world, clock).budget_holder]
    answer_as(deciders(world, clock).budget_holder, approval, clock)
    prices = db.session.scalars(db.select(PlacementPrice).where(PlacementPrice.placement_id == placement.id)
                                .order_by(PlacementPrice.effective_from)).all()
    assert [price.weekly_cost for price in prices] == [Decimal("1500.00"), Decimal("1650.00")]
    assert prices[-1].approval_id == approval.id and change.price_id == prices[-1].id
    assert placement.weekly_cost == Decimal("1650.00")  # in force today
    versions = agreements.versions_of(placement)
    assert versions[0].number == 2 and versions[0].reason == "price_change"
    assert versions[0].weekly_cost == Decimal("1650.00") and versions[0].issued_by_id == world.member_officer.id
    assert versions[1].state == IN_FORCE and versions[0].state == AWAITING_PROVIDER


def test_a_price_change_taking_effect_later_keeps_todays_price_until_then(world, clock, placement):
    clock.set(clock.now() + timedelta(days=10))
    change = ask_price(world, clock, placement, weekly="1700.00", days=14)
    answer_as(deciders(world, clock).budget_holder, db.session.get(Approval, change.approval_id), clock)
    assert placement.weekly_cost == Decimal("1500.00")
    today = agreements.today_at(clock.now())
    assert agreements.price_in_force(placement, today) == Decimal("1500.00")
    assert agreements.price_in_force(placement, today + timedelta(days=14)) == Decimal("1700.00")
    clock.set(clock.now() + timedelta(days=14))
    assert agreements.sync_weekly_costs(clock.now()) == ["1 placements' weekly price changed"]
    assert placement.weekly_cost == Decimal("1700.00")
    assert agreements.sync_weekly_costs(clock.now()) == []


def test_a_refused_price_change_changes_nothing(world, clock, placement):
    change = ask_price(world, clock, placement)
    answer_as(deciders(world, clock).budget_holder, db.session.get(Approval, change.approval_id), clock,
              approve=False, reason="Not within budget")
    assert len(placement.prices) == 1 and placement.weekly_cost == Decimal("1500.00")
    assert agreements.versions_of(placement) == []


@pytest.mark.parametrize("weekly, days, reason, field", [
    ("", 1, "Why", "weekly_cost"), ("abc", 1, "Why", "weekly_cost"), ("0", 1, "Why", "weekly_cost"),
    ("12.345", 1, "Why", "weekly_cost"), ("1500.00", 1, "Why", "weekly_cost"), ("1600", 1, " ", "reason"),
])
def test_a_price_change_is_checked(world, clock, placement, weekly, days, reason, field):
    with pytest.raises(DomainError) as error:
        ask_price(world, clock, placement, weekly=weekly, days=days, reason=reason)
    assert error.value.field == field
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count(Approval.id)).where(Approval.kind == PRICE_CHANGE)) == 0


def test_a_price_change_must_start_after_the_latest_price_and_only_one_waits(world, clock, placement):
    with pytest.raises(DomainError) as error:
        agreements.request_price_change(world.member_officer, placement, weekly_cost="1600",
                                        effective_from=placement.start_date, reason="Why", now=clock.now())
    assert error.value.field == "effective_from"
    db.session.rollback()
    ask_price(world, clock, placement, days=1)
    with pytest.raises(DomainError, match="already waiting for approval"):
        ask_price(world, clock, placement, weekly="1700", days=2)


def test_a_price_change_nobody_can_approve_is_refused_and_nothing_stored(world, clock, placement):
    holder = deciders(world, clock).budget_holder
    holder.role_rows = [UserRole(role="commissioning_officer")]
    db.session.commit()
    db.session.execute(db.delete(UserRole).where(UserRole.role == "assistant_director"))
    db.session.commit()
    with pytest.raises(DomainError, match="Nobody at"):
        ask_price(world, clock, placement, days=1)
    db.session.rollback()
    assert agreements.pending_change(placement) is None


# Tasks ----------------------------------------------------------------------------------------------------------

def test_tasks_follow_the_signatures(world, clock, placement):
    holder = deciders(world, clock).budget_holder
    tasks = agreements.tasks_for(world.member_officer, clock.now())
    assert tasks.to_issue == [placement] and not tasks.unsigned
    version = issued(world, clock, placement)
    tasks = agreements.tasks_for(world.member_officer, clock.now())
    assert tasks.to_issue == [] and tasks.unsigned == [version]
    assert agreements.tasks_for(holder, clock.now()).to_countersign == []
    assert agreements.to_sign_count(world.provider_a) == 1 and agreements.to_sign_count(world.provider_b) == 0
    signed_by_provider(world, clock, version)
    assert agreements.tasks_for(holder, clock.now()).to_countersign == [version]
    assert agreements.to_sign_count(world.provider_a) == 0
    countersigned(world, clock, version)
    assert not agreements.tasks_for(world.member_officer, clock.now())
    assert not agreements.tasks_for(holder, clock.now())


def test_an_ended_placement_needs_no_agreement(world, clock, placement):
    placement.end_date = date(2026, 1, 2)
    db.session.commit()
    assert agreements.tasks_for(world.member_officer, clock.now()).to_issue == []
    with pytest.raises(DomainError, match="has ended"):
        issued(world, clock, placement)


def test_the_same_amendment_sent_twice_is_issued_once(world, clock, placement):
    issued(world, clock, placement)
    second = agreements.issue(world.member_officer, placement, amendment="Keyworker hours", now=clock.now())
    assert agreements.issue(world.member_officer, placement, amendment="Keyworker hours", now=clock.now()) == second
    assert [version.number for version in agreements.versions_of(placement)] == [2, 1]

"""List pages run a fixed number of SQL statements, however many rows they show: each page is
counted with a few rows and with many, and the counts must match (no query per row)."""

import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from portal import areas
from portal.extensions import db
from portal.models import (
    BidInvitation,
    CategoryMembership,
    CautionEvidence,
    LotMembership,
    Notification,
    Organisation,
    OutboxMessage,
    Referee,
    TierAward,
    User,
    UserRole,
)
from portal.models.organisation import AUTHORITY, PROVIDER
from portal.models.user import ADMINISTRATOR, COMMISSIONING_OFFICER, PROVIDER_USER
from portal.services import applications, audit, dps_setup, members, windows
from tests.factories import admit, build_dps, complete_application, evaluate, published_referral

FEW, MANY = 3, 15


@contextmanager
def counting():
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def statements_for(client, url: str) -> list[str]:
    with counting() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements


def assert_constant(client, url: str, add_rows, *, shows=None) -> None:
    """Count the page with FEW rows, add more to MANY, count again."""
    add_rows(0, FEW)
    few = statements_for(client, url)
    add_rows(FEW, MANY)
    page = client.get(url).get_data(as_text=True)
    if shows:
        for index in range(MANY):
            assert shows(index) in page, shows(index)
    many = statements_for(client, url)
    assert len(many) == len(few), (
        f"{url}: {len(few)} statements with {FEW} rows, {len(many)} with {MANY}. Repeated with more rows:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


def _shape(statement: str) -> str:
    """The statement with its IN lists collapsed, so the same query over more ids compares equal."""
    return " ".join(re.sub(r"\((?:\?|%\(\w+\)s|\$\d+)(?:, (?:\?|%\(\w+\)s|\$\d+))*\)", "(...)", statement).split())


def grown(few: list[str], many: list[str]) -> list[tuple[str, int]]:
    before, after = Counter(map(_shape, few)), Counter(map(_shape, many))
    return [(statement[:300], count) for statement, count in after.items() if count > before.get(statement, 0)]


# Row builders: plain inserts, quick (no password hashing), shaped as the services would make them.

def add_provider(world, index: int, *, prefix="Provider") -> User:
    now = world.window.opens_at
    organisation = Organisation(name=f"{prefix} {index:02d}", kind=PROVIDER, ofsted_urn=f"SC{900000 + index}",
                                registered_office="1 Road", postcode="M1 1AA", local_authority_area=f"Area {index}",
                                telephone="0161 000 0000", provider_status="applicant", created_at=now)
    user = User(organisation=organisation, name=f"{prefix} user {index:02d}",
                email=f"{prefix.lower()}{index}@providers.example.org", password_hash=world.provider_a.password_hash,
                password_changed_at=now, created_at=now)
    user.role_rows = [UserRole(role=PROVIDER_USER)]
    db.session.add(user)
    db.session.commit()
    return user


def add_authority(world, index: int) -> User:
    now = world.window.opens_at
    authority = Organisation(name=f"Council {index:02d}", kind=AUTHORITY, local_authority_area=f"Council {index}",
                             created_at=now)
    admin = User(organisation=authority, name=f"Admin {index:02d}", email=f"admin{index}@council.example.org",
                 password_hash=world.admin.password_hash, password_changed_at=now, created_at=now)
    admin.role_rows = [UserRole(role=ADMINISTRATOR)]
    db.session.add(admin)
    db.session.commit()
    return admin


def _divide(world, lot, clock) -> None:
    """Divide the lot into two age categories, so the pages show a tier per category."""
    dps_setup.update_lot(world.admin, lot, name=lot.name, description="", categories=[(16, 16, 2), (17, 18, 3)],
                         now=clock.now())


def _places(lot, tier: int) -> list:
    """A place with the tier in every age category of the lot."""
    return [CategoryMembership(category=category, tier=min(tier, category.tiers) or None)
            for category in lot.categories]


# The pages ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["", "?q=provider&sort=area&order=desc&status=applicant", "?sort=ofsted"])
def test_admin_provider_register(world, sign_in, clock, query):
    other_dps = build_dps(world.admin, clock, reference="SECOND")
    _divide(world, world.lots[0], clock)

    def add(start, stop):
        for index in range(start, stop):
            provider = add_provider(world, index).organisation
            for lot in (world.lots[index % 3], other_dps.lots[index % 3]):
                db.session.add(LotMembership(lot=lot, provider=provider, status="admitted", admitted_at=clock.now(),
                                             categories=_places(lot, 1 + index % 3)))
            provider.ofsted_rating, provider.ofsted_rating_date = "Good", clock.now().date()
        db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/providers{query}", add, shows=lambda i: f"Provider {i:02d}")


def test_admin_users(world, sign_in, clock):
    authorities = [world.lead, world.member]

    def add(start, stop):
        for index in range(start, stop):
            user = User(organisation=authorities[index % 2], name=f"Officer {index:02d}",
                        email=f"officer{index}@council.example.org", password_hash=world.admin.password_hash,
                        password_changed_at=clock.now(), created_at=clock.now(), last_sign_in_at=clock.now())
            user.role_rows = [UserRole(role=COMMISSIONING_OFFICER)]
            db.session.add(user)
        db.session.commit()

    assert_constant(sign_in(world.admin), "/admin/users", add, shows=lambda i: f"Officer {i:02d}")


@pytest.mark.parametrize("query", ["", "&q=change number&sort=who&order=asc", "&sort=what"])
def test_admin_audit_log(world, sign_in, clock, query):
    def add(start, stop):
        for index in range(start, stop):
            audit.record(at=clock.now(), actor=world.admin if index % 2 else None, action="dps.updated",
                         entity=world.dps, summary=f"Change number {index:02d}", before={"n": index},
                         after={"n": index + 1})
        db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/audit?action=dps.updated{query}", add,
                    shows=lambda i: f"Change number {i:02d}")


def test_admin_audit_log_of_providers_and_the_system(world, sign_in, clock):
    """Events the trail must place in a DPS (by the application or provider they concern), in one query."""
    def add(start, stop):
        for index in range(start, stop):
            provider = add_provider(world, index)
            application = applications.start(provider, world.window, clock.now())
            audit.record(at=clock.now(), actor=None, action="application.changed", entity=application,
                         summary=f"System change number {index:02d}")
            audit.record(at=clock.now(), actor=provider, action="application.changed", entity=provider,
                         summary=f"Provider change number {index:02d}")
        db.session.commit()

    assert_constant(sign_in(world.admin), "/admin/audit?action=application.changed", add,
                    shows=lambda i: f"System change number {i:02d}")


def test_evaluation_window(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            user = add_provider(world, index)
            complete_application(user, world.window, clock, lots=[world.lots[index % 3], world.lots[(index + 1) % 3]],
                                 submit=True)

    assert_constant(sign_in(world.evaluator), f"/evaluation/windows/{world.window.id}", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_evaluation_tier_tables(world, sign_in, clock):
    _divide(world, world.lots[0], clock)

    def add(start, stop):
        for index in range(start, stop):
            provider = add_provider(world, index).organisation
            for category in [category for lot in world.lots for category in lot.categories]:
                db.session.add(TierAward(lot=category.lot, category=category, provider=provider,
                                         window_id=world.window.id,
                                         calculated_at=clock.now(), quality_weight=60, cost_weight=40,
                                         quality_percent=Decimal(80), quality_component=Decimal(48),
                                         weekly_price=Decimal(1000 + index), lowest_price=Decimal(1000),
                                         cost_component=Decimal(40), total=Decimal(88) - index, rank=index + 1,
                                         tier=1 + index % 3))
        db.session.commit()

    assert_constant(sign_in(world.evaluator), f"/evaluation/windows/{world.window.id}/tiers", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_evaluation_report(world, sign_in, clock):
    """The PDF report of a window whose applications were all scored, checked, referenced and moderated."""
    def add(start, stop):
        for index in range(start, stop):
            user = add_provider(world, index)
            application = complete_application(user, world.window, clock,
                                               lots=[world.lots[index % 3], world.lots[(index + 1) % 3]],
                                               submit=True)
            evaluate(application, [world.admin, world.evaluator], clock)

    client, url = sign_in(world.admin), f"/evaluation/windows/{world.window.id}/report.pdf"
    add(0, FEW)
    few = statements_for(client, url)
    add(FEW, MANY)
    many = statements_for(client, url)
    assert len(many) == len(few), (
        f"{url}: {len(few)} statements with {FEW} applications, {len(many)} with {MANY}. Repeated with more:\n"
        + "\n".join(f"{count}x {statement}" for statement, count in grown(few, many)))


def test_evaluation_dashboard(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            dps = build_dps(world.admin, clock, reference=f"EVAL-{index:02d}")
            windows.schedule_window(dps, opens_at=clock.now() - timedelta(days=1),
                                    closes_at=clock.now() + timedelta(days=10), now=clock.now(), actor=world.admin)
            db.session.commit()

    assert_constant(sign_in(world.evaluator), "/evaluation/", add, shows=lambda i: f"EVAL-{i:02d}")


def test_provider_dashboard(world, sign_in, clock):
    """DPSs of many consortia, each with an open window, and an application to each."""

    def add(start, stop):
        for index in range(start, stop):
            lead_admin = add_authority(world, index)
            dps = build_dps(lead_admin, clock, reference=f"DPS-{index:02d}")
            window = windows.schedule_window(dps, opens_at=clock.now() - timedelta(days=1),
                                             closes_at=clock.now() + timedelta(days=10), now=clock.now(),
                                             actor=lead_admin)
            if index % 3 == 0:  # and a scheduled next one
                windows.schedule_window(dps, opens_at=clock.now() + timedelta(days=60),
                                        closes_at=clock.now() + timedelta(days=80), now=clock.now(), actor=lead_admin)
            db.session.commit()
            application = applications.start(world.provider_a, window, clock.now())
            applications.set_lots(world.provider_a, application, [lot.id for lot in dps.lots[:2]], clock.now())

    assert_constant(sign_in(world.provider_a), "/provider/", add, shows=lambda i: f"Council {i:02d}")


def test_notifications(world, sign_in, clock):
    def add(start, stop):
        for index in range(start, stop):
            db.session.add(Notification(user_id=world.provider_a.id, subject=f"Message {index:02d}", body="Body",
                                        link="/provider/" if index % 2 else None,
                                        created_at=clock.now() + timedelta(minutes=index),
                                        read_at=clock.now() if index % 3 == 0 else None))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), "/notifications", add, shows=lambda i: f"Message {i:02d}")


def test_authority_dps_providers(world, sign_in, clock):
    _divide(world, world.lots[0], clock)

    def add(start, stop):
        for index in range(start, stop):
            provider = add_provider(world, index).organisation
            provider.ofsted_rating = "Outstanding"
            for lot in world.lots[: 1 + index % 3]:
                db.session.add(LotMembership(lot=lot, provider=provider, window=world.window,
                                             categories=_places(lot, 1 + index % 3),
                                             status="place_with_caution" if index % 4 == 0 else "admitted",
                                             admitted_at=clock.now()))
        db.session.commit()

    assert_constant(sign_in(world.member_officer), f"/authority/dps/{world.dps.id}", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_authority_dashboard(world, sign_in, clock):
    """A member authority in many consortia's DPSs, each led by another authority."""

    def add(start, stop):
        for index in range(start, stop):
            lead_admin = add_authority(world, index)
            dps = build_dps(lead_admin, clock, reference=f"MEMBER-{index:02d}")
            members.add(lead_admin, dps, area_code=world.member.area_code, now=clock.now())

    assert_constant(sign_in(world.member_officer), "/authority/", add, shows=lambda i: f"MEMBER-{i:02d}")


LONDON_BOROUGHS = [area for area in areas.upper_tier() if area.kind == areas.LONDON_BOROUGH]


def test_admin_dps_detail_with_many_members(world, sign_in, clock):
    """Members chosen by area, some of them former members, and authorities whose area is to be confirmed."""

    def add(start, stop):
        for index in range(start, stop):
            member = members.add(world.admin, world.dps, area_code=LONDON_BOROUGHS[index].code, now=clock.now())
            if index % 3 == 0:
                members.leave(world.admin, member, left_on=clock.now().date(), reason="Left the consortium",
                              now=clock.now())
            members.add(world.admin, world.dps, area_code=LONDON_BOROUGHS[-1 - index].code, now=clock.now())
            unconfirmed = LONDON_BOROUGHS[-1 - index].code
            db.session.scalar(db.select(Organisation).where(Organisation.area_code == unconfirmed)).area_code = None
            db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/dps/{world.dps.id}", add,
                    shows=lambda i: areas.council_name(LONDON_BOROUGHS[i]))


@pytest.mark.parametrize("query", ["", "?q=notice&sort=subject-asc", "?sort=recipient-asc"])
def test_admin_outbox(world, sign_in, clock, query):
    applications.start(world.provider_a, world.window, clock.now())  # a provider of the lead's DPS

    def add(start, stop):
        for index in range(start, stop):
            user = (world.provider_a, world.member_officer)[index % 2]
            db.session.add(OutboxMessage(to_address=user.email, user_id=user.id, subject=f"Notice {index:02d}",
                                         body="Body", created_at=clock.now() + timedelta(minutes=index)))
        db.session.commit()

    assert_constant(sign_in(world.admin), f"/admin/outbox{query}", add, shows=lambda i: f"Notice {i:02d}")


@pytest.mark.parametrize("query", ["?q=T-DPS&sort=reference&order=asc", "?sort=deadline", "?sort=child&status=draft",
                                   "?sort=needed_by&q=semi"])
def test_authority_referrals_searched_and_sorted(world, sign_in, clock, query):
    from tests.factories import draft_referral

    def add(start, stop):
        for _ in range(start, stop):
            draft_referral(world, clock)

    assert_constant(sign_in(world.member_officer), f"/authority/referrals{query}", add,
                    shows=lambda i: f"T-DPS-R{i + 1:04d}")


@pytest.mark.parametrize("query", ["?q=IPA-QC&sort=provider&order=desc", "?sort=cost&framework=on",
                                   "?sort=qa_visit&q=listed"])
def test_authority_placements_searched_and_sorted(world, sign_in, clock, query):
    from tests.buyer.test_off_framework_routes import add_off_framework_providers, add_placements
    from tests.buyer.test_off_framework_service import exhausted_referral

    template = exhausted_referral(world, clock)
    add_off_framework_providers(world, clock, 0, 1)
    shown = {"?sort=cost&framework=on": lambda i: f"IPA-QC-{min(i | 1, MANY - 2):03d}",
             "?sort=qa_visit&q=listed": lambda i: f"IPA-QC-{i - i % 2:03d}"}.get(query, lambda i: f"IPA-QC-{i:03d}")
    assert_constant(sign_in(world.member_officer), f"/authority/placements{query}",
                    lambda start, stop: add_placements(world, clock, template, start, stop), shows=shown)


@pytest.mark.parametrize("after_deadline", [False, True])
def test_authority_referral_page_with_many_invited_providers(world, sign_in, clock, after_deadline):
    """The invited-providers table: sealed counts before the deadline, each response after it."""
    admit(world.provider_a, world.lots[0], clock=clock)
    referral = published_referral(world, clock, lot=world.lots[0], deadline=clock.now() + timedelta(days=2))
    round_ = referral.rounds[0]

    def add(start, stop):
        for index in range(start, stop):
            user = add_provider(world, index)
            declined = index % 2 == 0
            db.session.add(BidInvitation(
                referral_id=referral.id, round_id=round_.id, provider_id=user.organisation_id, tier=1,
                invited_at=clock.now(), declined_at=clock.now() if declined else None,
                declined_by_id=user.id if declined else None, decline_reason="no_vacancy" if declined else None))
        db.session.commit()

    if after_deadline:
        clock.advance(days=3)
    assert_constant(sign_in(world.member_officer), f"/authority/referrals/{referral.id}", add,
                    shows=lambda i: f"Provider {i:02d}")


def test_provider_caution_page_with_much_evidence(world, sign_in, clock):
    admit(world.provider_a, world.lots[0], caution=True, clock=clock)

    def add(start, stop):
        for index in range(start, stop):
            db.session.add(CautionEvidence(
                provider_id=world.provider_a.organisation_id, note=f"Evidence {index:02d}",
                original_filename=f"evidence-{index:02d}.pdf", stored_name=f"stored-{index:02d}", file_type="pdf",
                size_bytes=100, sha256="0" * 64, sent_by_id=world.provider_a.id,
                sent_at=clock.now() + timedelta(minutes=index)))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), "/provider/caution", add, shows=lambda i: f"Evidence {i:02d}")


def test_provider_check_your_answers_with_many_referees(world, sign_in, clock):
    application = complete_application(world.provider_a, world.window, clock)

    def add(start, stop):
        for index in range(start, stop):
            db.session.add(Referee(application_id=application.id, authority_name=f"Council {index:02d}",
                                   contact_name=f"Referee {index:02d}", job_title="Manager",
                                   email=f"referee{index}@council.example.org"))
        db.session.commit()

    assert_constant(sign_in(world.provider_a), f"/provider/applications/{application.id}/submit", add,
                    shows=lambda i: f"Referee {i:02d}")

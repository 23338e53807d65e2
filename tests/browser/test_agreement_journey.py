"""The individual placement agreement agreed in the portal: the member authority's officer issues version 1 from
the placement page, the provider's signatory reads it and signs with their name and position, the budget holder
countersigns it from their Tasks, and the placement shows the version in force. Every page is checked with axe,
and no provider page shows who the child is."""

from types import SimpleNamespace

from playwright.sync_api import Page, expect

from portal.extensions import db
from portal.models import Dps, Organisation, User
from tests.browser.test_placement_journey import ALPHA, OFFICER, Journey, success
from tests.factories import member_deciders, placed


def placement_of_alpha(live_portal, clock) -> tuple[int, str, str]:
    """Alpha Care's placement with the member authority, awarded through the real journey; its id, agreement
    reference and the budget holder's e-mail."""

    def work():
        world = SimpleNamespace(
            member=db.session.scalar(db.select(Organisation).where(Organisation.name == "Member Council")),
            member_officer=db.session.scalar(db.select(User).where(User.email == OFFICER)),
            provider_a=db.session.scalar(db.select(User).where(User.email == ALPHA)),
            lots=list(db.session.get(Dps, live_portal.world.dps_id).lots), deciders=member_deciders(clock))
        placement = placed(world, clock)
        return placement.id, placement.agreement_reference, world.deciders.budget_holder.email

    return live_portal.run(work)


def test_the_agreement_is_issued_signed_by_the_provider_and_countersigned(page: Page, live_portal, accessible,
                                                                         clock, screenshot):
    placement_id, reference, holder = placement_of_alpha(live_portal, clock)
    journey = Journey(page, accessible)

    # 1. The officer issues version 1 from the placement page.
    journey.sign_in(OFFICER, "Arrangements Member Council can place through")
    page.goto(f"/authority/placements/{placement_id}")
    journey.check("placement")
    expect(page.get_by_text("Agreement not yet signed")).to_be_visible()
    page.get_by_role("link", name="Issue the agreement to the provider").click()
    expect(page.get_by_role("heading", level=1, name="Issue the agreement")).to_be_visible()
    journey.check("issue the agreement")
    page.get_by_role("button", name="Issue the agreement").click()
    success(page, "Version 1 of the agreement issued")
    journey.check("placement, agreement issued")
    expect(page.get_by_role("row").filter(has_text="Version 1")).to_contain_text("Waiting for the provider")
    journey.sign_out()

    # 2. The provider's signatory finds it on the dashboard, reads it and signs.
    clock.advance(hours=2)
    journey.sign_in(ALPHA, "Applications")
    expect(page.get_by_text("1 agreement waiting for your signature")).to_be_visible()
    page.get_by_role("link", name="See your placement agreements").click()
    expect(page.get_by_role("heading", level=1, name="Placement agreements")).to_be_visible()
    journey.check("provider's agreements")
    page.get_by_role("link", name=f"{reference}, version 1").click()
    expect(page.get_by_role("heading", level=1, name="Individual placement agreement, version 1")).to_be_visible()
    journey.check("agreement to sign")
    page.get_by_role("button", name="Sign this version").click()  # nothing typed
    expect(page.get_by_role("alert")).to_contain_text("Type your full name to sign")
    journey.check("signing refused")
    page.get_by_label("Your full name").fill("Alex Alpha")
    page.get_by_label("Your position").fill("Registered manager")
    page.get_by_role("button", name="Sign this version").click()
    success(page, "Version 1 signed")
    journey.check("agreement signed by the provider")
    screenshot("agreement-signed-by-provider")
    journey.sign_out()

    # 3. The budget holder countersigns it from their Tasks.
    clock.advance(hours=2)
    journey.sign_in(holder, "Tasks")
    page.get_by_role("link", name=f"{reference}, version 1").click()
    expect(page.get_by_role("heading", level=1, name="Countersign version 1")).to_be_visible()
    journey.check("countersign")
    expect(page.get_by_text("Alex Alpha, Registered manager")).to_be_visible()
    page.get_by_role("button", name="Countersign this version").click()
    success(page, "countersigned: it is in force")
    journey.check("tasks after countersigning")
    journey.sign_out()

    # 4. The officer sees the version in force.
    journey.sign_in(OFFICER, "Arrangements Member Council can place through")
    page.goto(f"/authority/placements/{placement_id}")
    journey.check("placement, agreement in force")
    expect(page.get_by_text("Version 1 is in force")).to_be_visible()
    expect(page.get_by_text("Agreement not yet signed")).to_have_count(0)

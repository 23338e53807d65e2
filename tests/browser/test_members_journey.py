"""The administrator adds a member authority by choosing it from the list, is refused the same authority twice,
records that a member left, and records an extension of the term; every page is checked with axe."""

from playwright.sync_api import Page, expect


def test_admin_adds_a_member_from_the_list_and_records_leaving_and_an_extension(page: Page, live_portal,
                                                                                 accessible):
    world = live_portal.world
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(world.admin_email)
    page.get_by_label("Password", exact=True).fill(world.password)
    page.get_by_role("button", name="Sign in").click()
    accessible("DPS set-up")
    page.get_by_role("link", name=world.dps_name).click()
    expect(page.get_by_role("heading", level=1, name=world.dps_name)).to_be_visible()
    accessible("the DPS page")

    members = page.get_by_role("region", name="Member authorities")
    page.get_by_label("Authority", exact=True).select_option(label="Oldham")
    page.get_by_role("button", name="Add member authority").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("Oldham Council added as a member authority")
    expect(members.get_by_role("row", name="Oldham Council")).to_contain_text("Oldham")
    accessible("the DPS page with a new member")

    # The same authority again, under whatever name it was typed before, is refused.
    page.get_by_label("Authority", exact=True).select_option(label="Sefton")
    page.get_by_role("button", name="Add member authority").click()
    expect(page.get_by_role("alert")).to_contain_text("Member Council is already a member")
    accessible("the DPS page refusing a member twice")

    members.get_by_role("row", name="Oldham Council").get_by_role("link", name="Record leaving").click()
    expect(page.get_by_role("heading", level=1, name="Oldham Council is leaving")).to_be_visible()
    accessible("a member leaving")
    page.get_by_role("button", name="Record that the authority left").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the date the authority left as a real date")
    accessible("a member leaving, with errors")
    left = page.get_by_role("group", name="Date the authority left")
    for part, value in zip(("Day", "Month", "Year"), ("2", "11", "2026"), strict=True):
        left.get_by_label(part).fill(value)
    page.get_by_label("Reason").fill("Joined another regional framework")
    page.get_by_role("button", name="Record that the authority left").click()
    expect(page.get_by_text("Oldham Council: left on 2 November 2026 (Joined another regional framework)")) \
        .to_be_visible()
    accessible("the DPS page with a former member")

    page.get_by_role("link", name="Record an extension of the term").click()
    expect(page.get_by_role("heading", level=1, name="Record an extension of the term")).to_be_visible()
    accessible("recording an extension")
    taken = page.get_by_role("group", name="Date the extension was taken up")
    for part, value in zip(("Day", "Month", "Year"), ("2", "11", "2026"), strict=True):
        taken.get_by_label(part).fill(value)
    page.get_by_role("button", name="Record the extension").click()
    expect(page.get_by_role("alert", name="Success")).to_contain_text("the term now ends on 1 January 2029")
    accessible("the DPS page after an extension")

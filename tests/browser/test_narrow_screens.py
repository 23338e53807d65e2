"""On a phone's 375 px screen, no page of the portal scrolls sideways: a wide table scrolls inside its own box.

The portal is loaded with the demo (referrals in every state, placements, tiered lots, an audit trail, applications
at every stage), and each demo role follows every link of its area from its landing page, one page of each kind,
checking the page's width and its accessibility (axe) on the way."""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

from portal import demo
from portal.extensions import db
from tests.conftest import _empty_tables

PHONE = {"width": 375, "height": 812}
PAGES_PER_ROLE = 45
AREAS = ("/admin/", "/evaluation/", "/authority/", "/provider/", "/notifications")
# Downloads (PDFs, CSVs, evidence files) are not pages.
DOWNLOAD = re.compile(r"\.(pdf|csv)$|documents/\d+$|/(file|document|pdf)$")
# The demo's people (portal/demo.py), each with the pages their area must show narrow.
ROLES = {
    "helen.marsh@tameside.example.org": ("/admin/", "/admin/dps/N", "/admin/providers", "/admin/audit",
                                         "/admin/outbox", "/admin/users", "/evaluation/windows/N",
                                         "/evaluation/windows/N/tiers", "/evaluation/applications/N"),
    "chris.doyle@tameside.example.org": ("/authority/", "/authority/dps/N", "/authority/referrals",
                                         "/authority/referrals/N", "/authority/referrals/N/bids",
                                         "/authority/placements"),
    "rachel.hughes@sefton.example.org": ("/authority/referrals", "/authority/placements", "/authority/placements/N",
                                         "/authority/tasks", "/authority/off-framework-providers"),
    "tom.ashworth@mersey-horizons.example.org": ("/provider/", "/provider/referrals", "/provider/referrals/N",
                                                 "/provider/applications/N", "/provider/team", "/provider/team/N"),
    "joanne.pritchard@sefton.example.org": ("/authority/staff", "/authority/staff/N"),
    "owen.price@harbour-lane.example.org": ("/provider/", "/provider/applications/N/outcome"),
}


@pytest.fixture
def demo_portal(live_portal):
    """The live portal with the demo's data in place of the browser tests' small world."""

    def load():
        db.session.remove()
        _empty_tables()
        demo.load()

    live_portal.run(load)
    return live_portal


def shape(path: str) -> str:
    """A page's kind: its path with record ids replaced by N."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def portal_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    paths = []
    for href in hrefs:
        parts = urlsplit(href)
        if parts.netloc or not parts.path.startswith(AREAS) or DOWNLOAD.search(parts.path):
            continue
        paths.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return paths


def sign_in(page: Page, email: str, password: str, accessible) -> str:
    page.goto("/sign-in")
    accessible("sign in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    accessible(f"{email} signed in")
    return urlsplit(page.url).path


def page_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_no_page_scrolls_sideways_on_a_phone(page: Page, demo_portal, accessible):
    page.set_viewport_size(PHONE)
    too_wide: list[str] = []
    for email, must_visit in ROLES.items():
        landing = sign_in(page, email, demo.PASSWORD, accessible)
        seen: set[str] = set()
        queue = deque([landing])
        while queue and len(seen) < PAGES_PER_ROLE:
            path = queue.popleft()
            kind = shape(urlsplit(path).path)
            if kind in seen:
                continue
            seen.add(kind)
            page.goto(path)
            accessible(f"{path} as {email}")
            width = page_width(page)
            if width > PHONE["width"]:
                too_wide.append(f"{path} as {email}: {width} px")
            queue.extend(portal_links(page))
        missed = [kind for kind in must_visit if kind not in seen]
        assert not missed, f"{email} never reached {missed} (reached {sorted(seen)})"
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_load_state("load")
        accessible("signed out")
    assert not too_wide, "Pages wider than a 375 px phone screen:\n" + "\n".join(too_wide)

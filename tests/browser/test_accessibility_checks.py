"""The accessibility check every browser journey runs: it fails a page on a moderate axe finding as well as on a
serious or critical one, and lets through only GOV.UK Frontend's deliberate aria-expanded on a radio that reveals a
question."""

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import PageChecks

HEAD = '<!DOCTYPE html><html lang="en"><head><title>Check</title></head><body><main>'


def test_a_moderate_finding_fails_the_page(page: Page):
    # Skipping from a level 1 heading to a level 4 one is axe's "heading-order", a moderate finding.
    page.set_content(HEAD + "<h1>Referrals</h1><h4>Open for bids</h4><p>None</p></main></body></html>")
    with pytest.raises(AssertionError, match=r"heading-order \(moderate\)"):
        PageChecks(page)("a page with a skipped heading level")


def test_a_govuk_conditional_reveal_passes_but_other_misused_aria_fails(page: Page):
    reveal = ('<div class="govuk-radios"><div class="govuk-radios__item"><input class="govuk-radios__input" id="a" '
              'name="a" type="radio" value="yes" aria-controls="more" aria-expanded="true"><label for="a" '
              'class="govuk-label govuk-radios__label">Yes</label></div><div id="more">More</div></div>')
    page.set_content(f"{HEAD}<h1>Choose</h1><fieldset><legend>Pick</legend>{reveal}</fieldset></main></body></html>")
    PageChecks(page)("a GOV.UK conditional reveal")

    misused = '<input id="b" name="b" type="radio" aria-expanded="true"><label for="b">Other</label>'
    page.set_content(f"{HEAD}<h1>Choose</h1><fieldset><legend>Pick</legend>{misused}</fieldset></main></body></html>")
    with pytest.raises(AssertionError, match="aria-allowed-attr"):
        PageChecks(page)("a radio that is not GOV.UK's reveal")

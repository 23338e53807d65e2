"""Every table of the portal sits in a box that scrolls sideways on a narrow screen (macros/lists.html's
table_region), so no page is wider than a phone; the browser test tests/browser/test_narrow_screens.py checks
the pages themselves."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_table_in_the_templates_is_in_a_scrolling_region():
    unwrapped = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        text = path.read_text()
        for match in re.finditer(r"<table\b", text):
            before = text[:match.start()].rstrip().splitlines()[-1] if text[:match.start()].strip() else ""
            if not re.fullmatch(r"\s*\{% call table_region\(.+\) %\}", before):
                unwrapped.append(f"{path.relative_to(TEMPLATES)} line {text.count(chr(10), 0, match.start()) + 1}")
    assert not unwrapped, f"tables outside a table_region: {unwrapped}"


def test_the_region_can_be_scrolled_from_the_keyboard_and_is_named(app):
    from flask import render_template_string

    html = render_template_string('{% from "macros/lists.html" import table_region %}'
                                  '{% call table_region("Placements") %}<table></table>{% endcall %}')
    assert '<div class="portal-table-container" tabindex="0" role="region" aria-label="Placements">' in html
    css = (Path(__file__).resolve().parents[2] / "portal" / "static" / "portal.css").read_text()
    assert ".portal-table-container{position:relative;overflow-x:auto}" in css

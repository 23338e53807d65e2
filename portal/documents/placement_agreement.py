"""The individual placement agreement (IPA) as a PDF, in the style of the evaluation documents.

It is the referring authority's own document: it names the child (name, date of birth, case number) and so is
served only on the authority's pages, never on a provider's. It holds the agreement reference, the parties, the
arrangement (DPS, lot and tier, or off framework), the start, where the child will live, the itemised weekly
cost with each line's timescale and review date and the total, the budget holder's approval, and a signature
block for each party.

A version issued in the portal (`agreement_version`) is the copy both parties sign: it leaves the child's
identity out (the provider reads it, and the provider never sees who the child is: the referral reference
links it to the authority's records), and adds the version, why it was made, the price in force and how the
signatures are recorded. The signatures themselves cannot be drawn on it, since each signer records the SHA-256
of this very document: they are kept with the version in the portal and shown beside it.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from portal import areas
from portal.documents import common
from portal.documents.common import MARGIN, PORTAL_NAME
from portal.formatting import money
from portal.models import Placement
from portal.services import placements
from portal.services.approvals import answered_line
from portal.timezone import format_date, format_datetime


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _provider_lines(placement: Placement) -> list[tuple[str, str]]:
    if placement.on_framework:
        provider = placement.provider
        lot = placement.lot
        return [
            ("Provider", provider.name),
            ("Ofsted URN", provider.ofsted_urn or "None recorded"),
            ("Arrangement", f"On framework: {lot.dps.name} ({lot.dps.reference})"),
            ("Lot", placement.category.full_label if placement.category else lot.label),
            ("Tier", "No tiers" if placement.tier is None else f"Tier {placement.tier}"),
        ]
    provider = placement.off_framework_provider
    return [
        ("Provider", provider.name),
        ("Ofsted URN", provider.ofsted_urn or "None recorded"),
        ("Arrangement", "Off framework: a provider on no framework, placed once the framework was exhausted"),
    ]


def _cost_table(placement: Placement, styles, width, version=None) -> Table:
    rows = [["Cost", "Weekly amount", "Timescale", "Review date"]]
    for cost in placement.costs:
        rows.append([cost.description, money(cost.weekly_amount), cost.timescale or "For the whole placement",
                     format_date(cost.review_date) or "None"])
    if version is not None and version.prices:
        rows.append(["Total weekly cost at the award", money(version.prices[0][1]), "", ""])
    else:
        rows.append(["Total weekly cost", money(placement.weekly_cost), "", ""])
    return common.table(rows, [w * width for w in (0.44, 0.18, 0.22, 0.16)], styles, right_columns=(1,),
                  bold_rows=(len(rows) - 1,))


def _signature_block(party: str, name: str, styles, width) -> Table:
    rows = [[common.para(f"Signed for {name} ({party})", styles["small_bold"]), ""]]
    rows += [[common.para(label, styles["small"]), ""] for label in ("Name", "Position", "Signature", "Date")]
    table = Table(rows, colWidths=[width * 0.25, width * 0.55], rowHeights=[None, 9 * mm, 9 * mm, 12 * mm, 9 * mm],
                  hAlign="LEFT")
    table.setStyle(TableStyle([
        ("SPAN", (0, 0), (1, 0)),
        ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
        ("LINEBELOW", (1, 1), (1, -1), 0.5, styles["small"].textColor),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ]))
    return table


def placement_agreement(placement: Placement, *, issued_at: datetime) -> bytes:
    """The authority's copy of the individual placement agreement, as PDF bytes."""
    return _agreement(placement, issued_at=issued_at, version=None)


@dataclass(frozen=True)
class VersionTerms:
    """What a version of the agreement says beyond the placement itself."""

    number: int
    reason: str  # in words
    amendment: str
    weekly_cost: Decimal
    price_from: date
    prices: list  # (from, weekly cost, reason) of every price up to this version
    issued_by: str


def agreement_version(placement: Placement, terms: VersionTerms, *, issued_at: datetime) -> bytes:
    """A version of the agreement as issued for both parties to sign: without the child's identity."""
    return _agreement(placement, issued_at=issued_at, version=terms)


def _child_section(placement: Placement, width, styles) -> list:
    child = placement.referral.child
    return [
        common.para("The child", styles["h2"]),
        common.para("This section identifies the child. It is for the placing authority and the provider's registered "
              "manager only: do not share it further.", styles["body"]),
        common.details([
            ("Name", child.full_name + (f" (known as {child.known_as})" if child.known_as else "")),
            ("Date of birth", format_date(child.date_of_birth)),
            ("Case number", child.case_number),
        ], width, styles),
    ]


def _version_section(terms: VersionTerms, width, styles) -> list:
    rows = [("Version", str(terms.number)), ("Why this version", terms.reason)]
    if terms.amendment:
        rows.append(("What it changes", terms.amendment))
    rows += [("Weekly price in force", f"{money(terms.weekly_cost)} from {format_date(terms.price_from)}"),
             ("Issued by", terms.issued_by)]
    history = [["From", "Weekly price", "Why"]] + [[format_date(start), money(cost), why]
                                                  for start, cost, why in terms.prices]
    return [common.para("This version", styles["h2"]), common.details(rows, width, styles),
            common.para("The weekly price over time. The price in force on a day is the latest that started on or "
                        "before it.", styles["body"]),
            common.table(history, [w * width for w in (0.2, 0.2, 0.6)], styles, right_columns=(1,))]


def _signatures(authority: str, provider_name: str, version: VersionTerms | None, width, styles) -> list:
    if version is None:
        return [_signature_block("the placing authority", authority, styles, width), Spacer(1, 6 * mm),
                _signature_block("the provider", provider_name, styles, width)]
    return [common.para(
        f"This version is signed in the portal: first for {provider_name} by a person it has named as a signatory, "
        f"then countersigned for {authority} by a budget holder other than the person who issued it. Each signature "
        "(name, position, time) is recorded with the SHA-256 fingerprint of this document, so the signed document "
        "is this one, unchanged. Once both have signed, this version is in force and any earlier version is "
        "superseded.", styles["body"])]


def _agreement(placement: Placement, *, issued_at: datetime, version: VersionTerms | None) -> bytes:
    styles = common.styles()
    width = A4[0] - 2 * MARGIN
    referral = placement.referral
    authority = placement.authority.name
    provider_name = placement.provider_name
    title = "Individual placement agreement" + (f", version {version.number}" if version else "")

    story = [
        common.para(authority, styles["letterhead"]),
        common.para(PORTAL_NAME, styles["letterhead_sub"]),
        Spacer(1, 2 * mm),
        common.para(title, styles["title"]),
        common.details([
            ("Agreement reference", placement.agreement_reference),
            ("Referral", referral.reference),
            ("Issued", format_date(issued_at)),
            ("Placing authority", authority),
            *_provider_lines(placement),
        ], width, styles),
        *(_version_section(version, width, styles) if version else _child_section(placement, width, styles)),
        common.para("The placement", styles["h2"]),
        common.details([
            ("Start date", format_date(placement.start_date)),
            ("Where the child will live", placement.location_area),
            *zip(("In the authority's own area", "In the preferred location"),
                 map(areas.flag_label, placements.place_flags(placement)), strict=True),
            ("Placed on the framework", _yes_no(placement.on_framework)),
            ("Quality-assurance visit due", format_datetime(placement.qa_visit_due_at) or "Not required"),
        ], width, styles),
        common.para("Placement cost", styles["h2"]),
        common.para("The weekly cost of the placement, line by line, as agreed at the award. Each additional cost is "
                    "paid for its timescale and reviewed on its review date."
                    + (" A later change of price is in the table of prices above." if version else ""),
                    styles["body"]),
        _cost_table(placement, styles, width, version),
        Spacer(1, 3 * mm),
        common.details(_approvals(placement), width, styles),
        KeepTogether([
            common.para("Signatures", styles["h2"]),
            common.para(f"{authority} and {provider_name} agree to the placement on the terms above.", styles["body"]),
            *_signatures(authority, provider_name, version, width, styles)]),
    ]
    footer = (f"{placement.agreement_reference}: individual placement agreement, version {version.number}. "
              "Signed in the portal." if version else
              f"{placement.agreement_reference}: individual placement agreement. Contains the child's personal "
              "details.")
    return common.build(story, pagesize=A4, title=f"{title} {placement.agreement_reference}",
                  author=authority, subject=f"Placement with {provider_name}", footer=footer)


def _approvals(placement: Placement) -> list[tuple[str, str]]:
    """Who approved the cost (and agreed to an off-framework placement), in which role, and when."""
    rows = [("Cost approved", answered_line(placement.cost_approval) or "Not recorded")]
    if placement.senior_approval is not None:
        rows.append(("Off-framework placement agreed", answered_line(placement.senior_approval)))
    return rows

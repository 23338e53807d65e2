"""The letter to a provider for one step of the escalation ladder: a written notice to improve (its actions and
due dates), a suspension (its review date) or a termination, with the grounds, who approved it, how to appeal
and, once known, how the step ended (met, lifted, escalated, overturned or reduced on appeal)."""

from datetime import datetime

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from portal.documents import common
from portal.documents.common import MARGIN, PORTAL_NAME
from portal.models.ladder import IN_FORCE, NOTICE, SUSPENSION, TERMINATION, Sanction
from portal.services.approvals import answered_line, latest
from portal.timezone import format_date

WHAT_IT_MEANS = {
    NOTICE: "You must complete each action below by its due date. If the notice is not met, the next step is "
            "suspension from new placements on this arrangement.",
    SUSPENSION: "While suspended you will not be invited to bid for, or awarded, new placements on this "
                "arrangement. Children already placed with you stay; their placements continue. The suspension is "
                "reviewed on the date below, when it is lifted, extended or escalated to termination.",
    TERMINATION: "Your contract on this arrangement is terminated: you will receive no new placements under it. "
                 "Placements already made continue under their own agreements unless the placing authority tells "
                 "you otherwise.",
}


def letter(sanction: Sanction, *, issued_at: datetime) -> bytes:
    from portal.services.ladder import KIND_FOR

    styles = common.styles()
    width = A4[0] - 2 * MARGIN
    contract = sanction.contract
    dps = contract.dps
    lead = dps.lead_authority.name
    title = sanction.kind_label
    approval = latest(sanction, KIND_FOR[sanction.kind])
    rows = [("Provider", contract.provider.name), ("Arrangement", f"{dps.name} ({dps.reference})"),
            ("In force from", format_date(sanction.in_force_at) or "Not yet in force"),
            ("Status", sanction.status_label)]
    if sanction.kind == SUSPENSION:
        rows.append(("Review date", format_date(sanction.review_on)))
    if sanction.previous is not None:
        rows.append(("Follows", f"{sanction.previous.kind_label} ({sanction.previous.status_label.lower()})"))
    rows.append(("Decided", answered_line(approval) if approval is not None else "On appeal"))
    story = [
        common.para(lead, styles["letterhead"]),
        common.para(PORTAL_NAME, styles["letterhead_sub"]),
        Spacer(1, 2 * mm),
        common.para(f"{title}: {contract.provider.name}", styles["title"]),
        common.details(rows, width, styles),
        common.para("Grounds", styles["h2"]),
        common.para(sanction.grounds, styles["body"]),
        common.para("What this means", styles["h2"]),
        common.para(WHAT_IT_MEANS[sanction.kind], styles["body"]),
    ]
    if sanction.actions:
        story += [common.para("Actions", styles["h2"]),
                  common.table([["Action", "Due on", "Done"]] + [
                      [common.para(action.description, styles["small"]), format_date(action.due_on),
                       format_date(action.done_at) or "Not yet"] for action in sanction.actions],
                      [width * 0.6, width * 0.2, width * 0.2], styles)]
    story += [common.para("Your right to appeal", styles["h2"]),
              common.para(f"You may appeal in the portal until {format_date(sanction.appeal_by)}, giving your "
                          f"grounds. Someone at {lead} who took no part in this decision will decide your appeal.",
                          styles["body"])]
    if sanction.status != IN_FORCE and sanction.ended_at is not None:
        story += [common.para("How it ended", styles["h2"]),
                  common.para(f"{sanction.status_label} on {format_date(sanction.ended_at)}: {sanction.end_reason}",
                              styles["body"])]
    if sanction.appeal is not None:
        appeal = sanction.appeal
        story += [common.para("Appeal", styles["h2"]),
                  common.para(f"Lodged {format_date(appeal.submitted_at)}. Outcome: {appeal.outcome_label}"
                              + (f" ({format_date(appeal.decided_at)}): {appeal.reason}" if appeal.is_decided else ""),
                              styles["body"])]
    return common.build(story, pagesize=A4, title=f"{title} for {contract.provider.name}", author=lead,
                        subject=f"{title} on {dps.reference}",
                        footer=f"{dps.reference}: {title.lower()} for {contract.provider.name}, issued "
                               f"{format_date(issued_at)}")


def filename(sanction: Sanction) -> str:
    return f"{sanction.contract.dps.reference}-{sanction.kind}-{sanction.id}.pdf"

"""The annual contract review's outcome as a PDF: the moderated rating with its risk factors, the provider's
comment, the meeting, and the action plan (actions, owners, timescales). It goes to the provider, so it names no
child: placements' costs are reviewed on the authority's pages only."""

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from portal.documents import common
from portal.documents.common import MARGIN, PORTAL_NAME
from portal.models import AnnualReview
from portal.timezone import format_date


def action_plan(review: AnnualReview) -> bytes:
    styles = common.styles()
    width = A4[0] - 2 * MARGIN
    contract = review.contract
    lead = contract.dps.lead_authority.name
    manager = contract.contract_manager
    story = [
        common.para(lead, styles["letterhead"]),
        common.para(PORTAL_NAME, styles["letterhead_sub"]),
        Spacer(1, 2 * mm),
        common.para("Annual contract review: rating and action plan", styles["title"]),
        common.details([
            ("Provider", contract.provider.name),
            ("DPS", f"{contract.dps.name} ({contract.dps.reference})"),
            ("Contract manager", manager.name if manager else "Not allocated"),
            ("Self-assessment", f"Questionnaire version {review.questionnaire.version}, sent "
                                f"{format_date(review.sent_at)}"),
            ("Meeting", format_date(review.meeting_on) if review.meeting_on else "Not recorded"),
            ("Issued", format_date(review.issued_at) if review.issued_at else "Not yet issued"),
        ], width, styles),
        common.para("Overall rating", styles["h2"]),
        common.details([
            ("Rating", review.rating_label),
            ("Risk factors", "; ".join(review.risk_factor_labels) or "None identified"),
        ], width, styles),
        common.para(review.rating_notes, styles["body"]),
    ]
    if review.best_practice:
        story += [common.para("Best practice to share", styles["h3"]), common.para(review.best_practice,
                                                                                   styles["body"])]
    if review.provider_comment:
        story += [common.para("The provider's comment on the rating", styles["h3"]),
                  common.para(review.provider_comment, styles["body"])]
    story += [common.para("The meeting", styles["h2"]),
              common.details([("Attended", review.meeting_attendees or "Not recorded")], width, styles),
              common.para(review.meeting_notes, styles["body"]),
              common.para("Action plan", styles["h2"])]
    if review.actions:
        rows = [["Action", "Owner", "Due by", "Done"]]
        rows += [[action.text, action.owner, format_date(action.due_on),
                  format_date(action.done_at) if action.done_at else ""] for action in review.actions]
        story.append(common.table(rows, [width * 0.52, width * 0.2, width * 0.14, width * 0.14], styles))
    else:
        story.append(common.para("No actions are required.", styles["body"]))
    story.append(Spacer(1, 3 * mm))
    story.append(common.para("Complete each action by its date and mark it done in the portal. Overdue actions are "
                             "followed up by the contract manager.", styles["body"]))
    return common.build(story, pagesize=A4, title=f"Annual contract review {contract.provider.name}",
                        author=lead, subject=f"Annual contract review on {contract.dps.reference}",
                        footer=f"{contract.dps.reference}: annual contract review of {contract.provider.name}")

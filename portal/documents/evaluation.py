"""PDF documents of an evaluation, made with reportlab's platypus and returned as bytes.

outcome_letter
    The provider's letter for one application once the window's outcomes are published: the outcome
    on each lot applied for, the quality score, the tier and rank as they were at publication (the
    same letter, however often it is downloaded), the moderated score and feedback
    for every question, and the reasons where the provider was not admitted. It names no other
    provider and shows no other provider's score.

evaluation_report
    The lead authority's record of a window's evaluation, for its administrators: every submitted
    application with each evaluator's submitted marks (never a draft), the moderated marks, gates,
    references and outcomes; then each lot's current tier table with every figure of the workings and
    the weighting used.

Money is shown as £1,234.56, percentages to 1 decimal place, components and totals to 2 (rounded
half up, for display only: ranks come from the exact totals).
"""

from datetime import datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer

from portal.documents import common
from portal.documents.common import MARGIN, PORTAL_NAME, mark, reference_label
from portal.formatting import money, percent, score
from portal.models.evaluation import GATES
from portal.services import evaluations, outcomes
from portal.timezone import format_date, format_datetime


def _questions(application) -> list:
    return list(application.window.question_set.questions)


# The provider's outcome letter -----------------------------------------------------------------------

def outcome_letter(application, *, issued_at: datetime) -> bytes:
    """The provider's outcome letter for one application, as PDF bytes."""
    styles = common.styles()
    window = application.window
    dps = window.dps
    lead = dps.lead_authority.name
    provider = application.provider
    width = A4[0] - 2 * MARGIN
    outcomes_by_lot = {outcome.lot_id: outcome for outcome in application.outcomes}
    tier_lines = outcomes.published_tier_lines(application)  # as published: later re-tiering changes no letter

    address = [provider.name, provider.registered_office or "", provider.postcode or ""]
    story = [
        common.para(lead, styles["letterhead"]),
        common.para(PORTAL_NAME, styles["letterhead_sub"]),
        Spacer(1, 4 * mm),
        common.para("<br/>".join(common.text(line) for line in address if line), styles["body"], markup=True),
        common.para(f"Date issued: {format_date(issued_at)}", styles["body"]),
        Spacer(1, 2 * mm),
        common.para("The outcome of your application", styles["title"]),
        common.details([
            ("Dynamic purchasing system", f"{dps.name} ({dps.reference})"),
            ("Entry window", window.label),
            ("Applicant", provider.name),
            ("Lead authority", lead),
        ], width, styles),
        Spacer(1, 3 * mm),
        common.para(f"Dear {provider.name},", styles["body"]),
        common.para(f"Thank you for applying to join {dps.name} in {window.label.lower()}. {lead} has evaluated and "
              "moderated your application. This letter gives the outcome for each lot you applied for, your "
              "quality score and, where you were admitted to a tiered lot, your tier and rank. Admission is "
              "decided on quality alone; your weekly price is used only to rank admitted providers into tiers.",
              styles["body"]),
        common.para("Your outcome on each lot", styles["h2"]),
    ]
    lot_rows = [["Lot", "Your weekly price", "Outcome", "Quality score", "Tier and rank"]]
    for application_lot in sorted(application.lots, key=lambda al: al.lot.number):
        outcome = outcomes_by_lot.get(application_lot.lot_id)
        lines = tier_lines.get(application_lot.lot_id, {})
        for category, price in _offered(application_lot):
            lot_rows.append([
                category.full_label if category else application_lot.lot.label,
                money(price, missing="Not given"),
                outcome.label if outcome else "Not decided",
                percent(outcome.quality_percent) if outcome else "",
                _tier_summary(outcome, lines.get(category.id) if category else None),
            ])
    story.append(common.table(lot_rows, [w * width for w in (0.30, 0.15, 0.20, 0.13, 0.22)], styles,
                        right_columns=(1, 3)))

    for application_lot in sorted(application.lots, key=lambda al: al.lot.number):
        story.extend(_letter_lot_detail(application_lot, outcomes_by_lot.get(application_lot.lot_id),
                                        tier_lines.get(application_lot.lot_id, {}), styles, width))

    question_set = window.question_set
    story.append(common.para("Your scores and feedback", styles["h2"]))
    story.append(common.para(
        f"Your quality score is the weighted total of your moderated scores on the scored questions, as a share "
        f"of the most available. Applicants need at least {question_set.quality_threshold_percent}% overall, must "
        "reach each question's minimum score and must pass every pass/fail question.", styles["body"]))
    moderated = {score.question_id: score for score in application.moderated_scores}
    rows = [["No.", "Question", "Weight", "Minimum score", "Your score", "Feedback"]]
    for question in _questions(application):
        agreed = moderated.get(question.id)
        rows.append([
            str(question.number),
            question.text,
            "Pass/fail" if question.is_pass_fail else str(question.weight),
            "Pass" if question.is_pass_fail else str(question.min_score),
            mark(question, agreed.score if agreed else None),
            agreed.reason if agreed else "",
        ])
    story.append(common.table(rows, [w * width for w in (0.05, 0.33, 0.09, 0.10, 0.11, 0.32)], styles))

    story.append(common.para("What happens next", styles["h2"]))
    if any(outcome.is_admitted for outcome in application.outcomes):
        story.append(common.para(
            f"Where you have been admitted, commissioners of the member authorities may now approach you for "
            f"placements on that lot through the {PORTAL_NAME}, in tier order.", styles["body"]))
    story.append(common.para(
        f"If you would like a debrief on your evaluation, please ask {lead} by sending a message through "
        f"the {PORTAL_NAME}, quoting {dps.reference} and {window.label.lower()}. An evaluator will go "
        "through your scores and feedback with you.", styles["body"]))
    story.append(common.para(
        f"{dps.name} re-opens to applications at its next entry window ({dps.cadence_label.lower()}). You may "
        "apply then for any lot you were not admitted to, or to improve your score, using this feedback.",
        styles["body"]))
    story.append(Spacer(1, 4 * mm))
    story.append(common.para("Yours faithfully,", styles["body"]))
    story.append(common.para(f"{common.text(lead)}<br/>{common.text(PORTAL_NAME)}", styles["body"], markup=True))

    return common.build(story, pagesize=A4, title=f"Outcome letter: {provider.name}, {dps.reference} {window.label}",
                  author=lead, subject=f"{dps.name}: the outcome of your application",
                  footer=f"{dps.reference} {window.label}: outcome letter for {provider.name}")


def _offered(application_lot) -> list:
    """(category, weekly price) for each category the provider priced, youngest first; on a lot that is not
    divided, its one category even without a price; (None, None) when nothing was priced at all."""
    lot = application_lot.lot
    pairs = [(category, price) for category, price in application_lot.priced_categories
             if price is not None or not lot.is_divided]
    return pairs or [(None, None)]


def _prices_text(application_lot) -> str:
    """The weekly prices given for a lot: one amount, or each category's ("ages 0 to 4: £950.00; …")."""
    if not application_lot.lot.is_divided:
        return money(application_lot.price_for(application_lot.lot.categories[0].id), missing="Not given")
    priced = [f"ages {category.age_band}: {money(price)}" for category, price in application_lot.priced_categories
              if price is not None]
    return "; ".join(priced) or "Not given"


def _tier_summary(outcome, award) -> str:
    if outcome is None or not outcome.is_admitted:
        return "Not applicable"
    if award is None:
        return "Not yet tiered"
    if award.tier is None:
        return f"No tiers; ranked {award.rank}"
    return f"Tier {award.tier}, ranked {award.rank}"


def _letter_lot_detail(application_lot, outcome, awards: dict, styles, width) -> list:
    """The workings behind one lot's outcome: the reasons, and the provider's own tier line in each age category
    it priced."""
    lot = application_lot.lot
    if outcome is None:
        return []
    flowables = [common.para(lot.label, styles["h3"])]
    body = (f"Outcome: <b>{common.text(outcome.label)}</b>. "
            f"Your quality score: <b>{percent(outcome.quality_percent)}</b>.")
    flowables.append(common.para(body, styles["body"], markup=True))
    reasons = [line.strip() for line in (outcome.reasons or "").splitlines() if line.strip()]
    if reasons:
        heading = "You were not admitted to this lot because:" if not outcome.is_admitted else "Please note:"
        flowables.append(common.para(heading, styles["body"]))
        flowables.append(common.para("<br/>".join(f"•&nbsp;{common.text(reason)}" for reason in reasons),
                                     styles["body"], markup=True))
    if not outcome.is_admitted:
        return flowables
    if lot.is_divided and awards:
        flowables.append(common.para("This lot is divided into age categories: you are tiered in each category you "
                                     "priced, on your price for it.", styles["body"]))
    for category in lot.categories:
        award = awards.get(category.id)
        if award is not None:
            flowables.extend(_award_workings(award, category, styles, width))
    return flowables


def _award_workings(award, category, styles, width) -> list:
    divided = category.lot.is_divided
    where = f"in ages {category.age_band}" if divided else "on this lot"
    if award.tier is None:
        position = (f"{'This category' if divided else 'This lot'} has no tiers: every admitted provider is "
                    f"approached at once. You are ranked <b>{award.rank}</b> {where}.")
    else:
        position = f"You are in <b>tier {award.tier}</b> and ranked <b>{award.rank}</b> {where}."
    if award.tied_with:
        position += " Your total is equal to another admitted provider's, so you share this rank."
    flowables = [common.para(category.label, styles["h3"])] if divided else []
    flowables.append(common.para(position, styles["body"], markup=True))
    rows = [
        ["Figure", "How it is worked out", "Value"],
        ["Quality component", f"Your quality score × {award.quality_weight}% quality weight",
         score(award.quality_component)],
        ["Cost component", f"Lowest weekly price {'in the category' if divided else 'on the lot'} "
                           f"({money(award.lowest_price)}) ÷ your weekly price ({money(award.weekly_price)}) × "
                           f"{award.cost_weight}% cost weight",
         score(award.cost_component)],
        ["Total", "Quality component + cost component (out of 100)", score(award.total)],
    ]
    flowables.append(KeepTogether([common.table(rows, [w * width for w in (0.22, 0.62, 0.16)], styles,
                                                right_columns=(2,), bold_rows=(3,))]))
    return flowables


# The lead authority's evaluation report ----------------------------------------------------------

def evaluation_report(window, *, issued_at: datetime) -> bytes:
    """The lead authority's evaluation report for one window, as PDF bytes."""
    styles = common.styles()
    dps = window.dps
    lead = dps.lead_authority.name
    question_set = window.question_set
    questions = list(question_set.questions)
    applications = evaluations.window_applications(window)
    pagesize = landscape(A4)
    width = pagesize[0] - 2 * MARGIN

    admitted = sum(1 for application in applications if any(o.is_admitted for o in application.outcomes))
    story = [
        common.para(lead, styles["letterhead"]),
        common.para(PORTAL_NAME, styles["letterhead_sub"]),
        Spacer(1, 2 * mm),
        common.para(f"Evaluation report: {dps.name}, {window.label}", styles["title"]),
        common.details([
            ("Dynamic purchasing system", f"{dps.name} ({dps.reference})"),
            ("Lead authority", lead),
            ("Entry window", f"{window.label}: opened {format_datetime(window.opens_at)}, "
                             + (f"closed {format_datetime(window.closes_at)}" if window.closes_at
                                else "continuously open")),
            ("Outcomes published", format_datetime(window.outcomes_published_at) or "Not yet published"),
            ("Report issued", format_date(issued_at)),
            ("Applications submitted", str(len(applications))),
            ("Providers admitted to at least one lot", str(admitted)),
            ("Weighting", f"{question_set.quality_weight}% quality, {question_set.cost_weight}% cost "
                          f"(question set version {question_set.version})"),
            ("Quality threshold", f"{question_set.quality_threshold_percent}%"),
        ], width * 0.7, styles),
        common.para("Questions", styles["h2"]),
    ]
    rows = [["No.", "Question", "Scoring", "Weight", "Maximum", "Minimum"]]
    for question in questions:
        rows.append([str(question.number), question.text, "Pass/fail" if question.is_pass_fail else "Scored",
                     "" if question.is_pass_fail else str(question.weight),
                     "" if question.is_pass_fail else str(question.max_score),
                     "Pass" if question.is_pass_fail else str(question.min_score)])
    story.append(common.table(rows, [w * width for w in (0.05, 0.55, 0.1, 0.1, 0.1, 0.1)], styles))

    story.append(common.para("Summary of outcomes", styles["h2"]))
    rows = [["Provider", "Lot", "Weekly price", "Outcome", "Quality score"]]
    for application in applications:
        by_lot = {o.lot_id: o for o in application.outcomes}
        for application_lot in sorted(application.lots, key=lambda al: al.lot.number):
            outcome = by_lot.get(application_lot.lot_id)
            rows.append([application.provider.name, application_lot.lot.label, _prices_text(application_lot),
                         outcome.label if outcome else "Not decided",
                         percent(outcome.quality_percent) if outcome else ""])
    if len(rows) == 1:
        rows.append(["No application was submitted in this window.", "", "", "", ""])
    story.append(common.table(rows, [w * width for w in (0.25, 0.33, 0.12, 0.18, 0.12)], styles,
                        right_columns=(2, 4)))

    for application in applications:
        story.extend(_report_application(application, questions, styles, width))

    story.append(common.para("Tier tables", styles["h2"]))
    story.append(common.para(
        "The current tier table of each lot, or of each age category of a divided lot, over all its current "
        "members who priced it. Quality component = quality score ÷ 100 × quality weight; cost component = "
        "lowest weekly price in the table ÷ the provider's weekly price × cost "
        "weight; total = quality component + cost component. Figures are rounded for display; ranks and ties "
        "are worked out on the exact totals.", styles["body"]))
    for lot in dps.lots:
        for category, awards in outcomes.tier_tables(lot):
            story.extend(_report_tier_table(category, awards, styles, width))

    return common.build(story, pagesize=pagesize, title=f"Evaluation report: {dps.reference} {window.label}",
                  author=lead, subject=f"{dps.name}: evaluation of {window.label}",
                  footer=f"{dps.reference} {window.label}: evaluation report, issued {format_date(issued_at)}")


def _report_application(application, questions, styles, width) -> list:
    provider = application.provider
    flowables = [
        common.para(provider.name, styles["h2"]),
        common.details([
            ("Submitted", format_datetime(application.submitted_at)),
            ("Lots applied for", "; ".join(f"{al.lot.label} at {_prices_text(al)} a week"
                                          for al in sorted(application.lots, key=lambda al: al.lot.number))),
            ("Moderated", format_datetime(application.moderated_at) or "Not yet moderated"),
        ], width * 0.7, styles),
    ]

    flowables.append(common.para("Scores", styles["h3"]))
    allocations = [allocation for allocation in application.allocations if allocation.is_submitted]  # never drafts
    marks = {(allocation.id, score.question_id): score for allocation in allocations for score in allocation.scores}
    moderated = {score.question_id: score for score in application.moderated_scores}
    rows = [["Question", "Marked by", "Score", "Reason"]]
    bold = []
    for question in questions:
        first = True
        for allocation in allocations:
            score = marks.get((allocation.id, question.id))
            rows.append([f"{question.number}. {question.text}" if first else "", allocation.evaluator.name,
                         mark(question, score.score if score else None), score.reason if score else ""])
            first = False
        agreed = moderated.get(question.id)
        bold.append(len(rows))
        rows.append([f"{question.number}. {question.text}" if first else "", "Moderated (agreed)",
                     mark(question, agreed.score if agreed else None), agreed.reason if agreed else ""])
    flowables.append(common.table(rows, [w * width for w in (0.28, 0.16, 0.1, 0.46)], styles, bold_rows=tuple(bold)))

    flowables.append(common.para("Gates", styles["h3"]))
    rows = [["Gate", "Result", "Evidence"]]
    order = list(GATES)
    rows += [[gate.label, "Passed" if gate.passed else "Failed", gate.evidence]
             for gate in sorted(application.gates, key=lambda gate: order.index(gate.gate))]
    if len(rows) == 1:
        rows.append(["No gate recorded", "", ""])
    flowables.append(common.table(rows, [w * width for w in (0.28, 0.1, 0.62)], styles))

    flowables.append(common.para("References", styles["h3"]))
    rows = [["Referee", "Outcome", "Note"]]
    rows += [[referee.authority_name, reference_label(referee.reference_outcome), referee.reference_note or ""]
             for referee in application.referees]
    if len(rows) == 1:
        rows.append(["No referee given", "", ""])
    flowables.append(common.table(rows, [w * width for w in (0.28, 0.14, 0.58)], styles))

    flowables.append(common.para("Outcome", styles["h3"]))
    rows = [["Lot", "Outcome", "Quality score", "Reasons"]]
    by_lot = {o.lot_id: o for o in application.outcomes}
    for application_lot in sorted(application.lots, key=lambda al: al.lot.number):
        outcome = by_lot.get(application_lot.lot_id)
        rows.append([application_lot.lot.label, outcome.label if outcome else "Not decided",
                     percent(outcome.quality_percent) if outcome else "",
                     (outcome.reasons or "None") if outcome else ""])
    flowables.append(common.table(rows, [w * width for w in (0.28, 0.18, 0.1, 0.44)], styles, right_columns=(2,)))
    return flowables


def _report_tier_table(category, awards, styles, width) -> list:
    flowables = [common.para(f"{category.full_label} ({category.tiers_label.lower()})", styles["h3"])]
    if not awards:
        where = "in this age category" if category.lot.is_divided else "on this lot"
        flowables.append(common.para(f"No provider is tiered {where} yet.", styles["body"]))
        return flowables
    first = awards[0]
    flowables.append(common.para(
        f"Weighting: {first.quality_weight}% quality, {first.cost_weight}% cost. Lowest weekly price "
        f"{'in the category' if category.lot.is_divided else 'on the lot'}: "
        f"{money(first.lowest_price)}. Calculated {format_datetime(first.calculated_at)}.", styles["body"]))
    rows = [["Rank", "Tier", "Provider", "Quality score", "Quality component", "Weekly price", "Lowest price",
             "Cost component", "Total", "Tied with"]]
    for award in awards:
        rows.append([str(award.rank), "None" if award.tier is None else str(award.tier), award.provider.name,
                     percent(award.quality_percent), score(award.quality_component), money(award.weekly_price),
                     money(award.lowest_price), score(award.cost_component), score(award.total),
                     award.tied_with or ""])
    flowables.append(common.table(rows, [w * width for w in (0.05, 0.05, 0.2, 0.09, 0.1, 0.1, 0.1, 0.1, 0.07, 0.14)],
                            styles, right_columns=(3, 4, 5, 6, 7, 8)))
    return flowables

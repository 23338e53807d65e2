"""The officer's pages for weighing a referral's bids once the deadline has passed: the bids side by side with
every figure of the ranking, each bid's assessment and any negotiated price, the award, the placement it makes
and its individual placement agreement (PDF). The rules are in services.awards; the sealing rule in
services.bids."""

import csv
import io

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from buyer.award_forms import AssessForm, AwardForm, NegotiateForm
from buyer.views import blueprint
from portal import areas
from portal.clock import now
from portal.documents.placement_agreement import placement_agreement as agreement_pdf
from portal.errors import DomainError, NotFound
from portal.formatting import money, pounds, score
from portal.forms import add_domain_error, record_id
from portal.models.bid import CRITERIA, CRITERION_MAX
from portal.models.referral import CLOSED, OPEN
from portal.services import awards, bids, referrals


def _referral(referral_id: int):
    try:
        return referrals.get_for_authority(current_user, referral_id)
    except NotFound:
        abort(404)


def _ranking(referral, moment):
    """The ranking, or None while the bids are sealed (NotFound is never expected here: the referral is the
    officer's own)."""
    try:
        return awards.ranking_for(current_user, referral, moment)
    except NotFound:
        abort(404)
    except DomainError:
        return None


# The bids, side by side ---------------------------------------------------------------------------------------

@blueprint.route("/referrals/<int:referral_id>/bids")
def referral_bids(referral_id):
    referral = _referral(referral_id)
    moment = now()
    ranked = _ranking(referral, moment)
    if ranked is None:
        return render_template("buyer/awards/sealed.html", referral=referral, count=bids.received_count(referral),
                               deadline=referral.rounds[0].deadline if referral.rounds else None,
                               withdrawn_unopened=referral.withdrawn_at is not None and bool(referral.rounds))
    quality_weight, cost_weight = awards.weighting(referral)
    return render_template("buyer/awards/bids.html", referral=referral, ranked=ranked, moment=moment,
                           quality_weight=quality_weight, cost_weight=cost_weight, criteria=CRITERIA,
                           criterion_max=CRITERION_MAX, refusal=awards.refusal_to_award(referral, ranked, moment),
                           placement=awards.placement_of(referral),
                           open_to_change=referral.status(moment) in (OPEN, CLOSED))


CSV_HEADINGS = ["Rank", "Tied with", "Provider", "Tier", "Place with caution", "Core weekly fee (£)",
                "Additional costs", "Weekly price bid (£)", "Negotiated weekly price (£)", "Price for award (£)",
                "Indicative weekly price (£)", "Proposed start", "Home area", "In the preferred location",
                "In the authority's own area", *CRITERIA.values(), "Quality (%)",
                "Quality weight (%)", "Quality component", "Lowest price (£)", "Cost weight (%)", "Cost component",
                "Total", "Assessed"]


def _cell(value) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(item: awards.RankedBid, quality_weight: int, cost_weight: int) -> list:
    bid = item.bid
    scores = awards.scores_of(bid.assessment)
    costs = "; ".join(f"{cost.description}: {pounds(cost.weekly_amount)} a week, {cost.timescale}, review "
                      f"{cost.review_date.isoformat()}" for cost in bid.costs)
    quality = score(item.quality_percent, 4)
    rank = item.rank or ("Set aside" if item.is_set_aside else "Not ranked")
    return [rank, ", ".join(item.tied_with), item.provider_name,
            "None" if item.tier is None else item.tier, "Yes" if item.place_with_caution else "No",
            pounds(bid.core_weekly_fee), costs, pounds(bid.weekly_price), pounds(bid.negotiated_weekly_price),
            pounds(item.price), pounds(item.indicative_price), bid.proposed_start.isoformat(), bid.home_area_label,
            areas.flag_label(item.in_preferred_location), areas.flag_label(item.in_home_area),
            *(scores.get(criterion, "") for criterion in CRITERIA), quality, quality_weight,
            score(item.quality_component, 4), pounds(item.lowest_price), cost_weight, score(item.cost_component, 4),
            score(item.display_total, 4), "Yes" if item.assessed else "No"]


@blueprint.route("/referrals/<int:referral_id>/bids.csv")
def referral_bids_csv(referral_id):
    referral = _referral(referral_id)
    ranked = _ranking(referral, now())
    if ranked is None:
        abort(404)  # sealed: not even the headings
    quality_weight, cost_weight = awards.weighting(referral)
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(CSV_HEADINGS)
    for item in ranked:
        writer.writerow([_cell(value) for value in _csv_row(item, quality_weight, cost_weight)])
    return Response(output.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{referral.reference}-bids.csv"'})


# Assessing and negotiating one bid ----------------------------------------------------------------------------

NEGOTIATE = "negotiate"  # the negotiation form's prefix: it shares the page with the scores form


def _bid(bid_id: int):
    try:
        return awards.bid_of_authority(current_user, bid_id)
    except NotFound:
        abort(404)


def _sealed_or_withdrawn(bid):
    """None when the officer may read the bid; otherwise a redirect to the referral's bids page, saying why."""
    try:
        awards.readable_bid(current_user, bid, now())
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("buyer.referral_bids", referral_id=bid.referral_id))
    return None


def _render_bid(bid, *, assess_form=None, negotiate_form=None, status=200):
    moment = now()
    referral = bid.referral
    ranked = awards.ranking_for(current_user, referral, moment)
    item = next(entry for entry in ranked if entry.bid.id == bid.id)
    if assess_form is None:
        assess_form = AssessForm(formdata=None, data={**{key: str(value) for key, value in
                                                         awards.scores_of(bid.assessment).items()},
                                                      "notes": bid.assessment.notes if bid.assessment else ""})
    if negotiate_form is None:
        negotiate_form = NegotiateForm(formdata=None, prefix=NEGOTIATE, data={
            "price": pounds(bid.negotiated_weekly_price),
            "note": bid.negotiation_note})
    return render_template("buyer/awards/assess.html", bid=bid, item=item, referral=referral,
                           assess_form=assess_form, negotiate_form=negotiate_form, moment=moment,
                           open_to_change=referral.status(moment) in (OPEN, CLOSED) and referral.awarded_at is None,
                           count=len(ranked)), status


@blueprint.route("/bids/<int:bid_id>/assess", methods=["GET", "POST"])
def assess_bid(bid_id):
    bid = _bid(bid_id)
    refused = _sealed_or_withdrawn(bid)
    if refused:
        return refused
    if request.method == "GET":
        return _render_bid(bid)
    form = AssessForm()
    if form.validate():  # the form only carries the scores: the service reads and checks them
        try:
            awards.assess(current_user, bid, scores=form.scores(), notes=form.notes.data or "", now=now())
        except NotFound:
            abort(404)
        except awards.InvalidScores as error:
            for criterion, message in error.problems.items():
                form[criterion].errors = [message]
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Scores saved for {bid.provider.name}'s bid", "success")
            return redirect(url_for("buyer.referral_bids", referral_id=bid.referral_id))
    return _render_bid(bid, assess_form=form, status=400)


@blueprint.route("/bids/<int:bid_id>/negotiate", methods=["POST"])
def negotiate_bid(bid_id):
    bid = _bid(bid_id)
    refused = _sealed_or_withdrawn(bid)
    if refused:
        return refused
    form = NegotiateForm(prefix=NEGOTIATE)
    if form.validate():
        try:
            awards.negotiate(current_user, bid, price=form.price.data or "", note=form.note.data or "", now=now())
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Weekly price of {money(bid.negotiated_weekly_price)} agreed with {bid.provider.name} recorded",
                  "success")
            return redirect(url_for("buyer.referral_bids", referral_id=bid.referral_id))
    return _render_bid(bid, negotiate_form=form, status=400)


# The award ----------------------------------------------------------------------------------------------------

def _bid_label(item: awards.RankedBid) -> str:
    if item.rank is None:
        return f"{item.provider_name}: not yet assessed"
    tied = " (tied)" if item.tied_with else ""
    caution = " (place with caution)" if item.place_with_caution else ""
    return (f"{item.provider_name}{caution}: ranked {item.rank}{tied}, total {score(item.display_total, 4)}, "
            f"{money(item.price)} a week; {_home_label(item)}")


def _home_label(item: awards.RankedBid) -> str:
    """Where the home is, and whether that is in the preferred location."""
    if item.in_preferred_location is None:
        return f"home in {item.bid.home_area_label}, whether in the preferred location is not known yet"
    return (f"home in {item.bid.home_area_label}, "
            f"{'in' if item.in_preferred_location else 'not in'} the preferred location")


def _award_form(referral, ranked, formdata=None) -> AwardForm:
    """The award form; a new one chooses the bid whose cost was last put for approval."""
    if formdata is None:
        _asked, item, _stale = awards.asked_cost(referral, ranked)
        form = AwardForm(formdata=None, data={"bid_id": str(item.bid.id) if item is not None else None})
    else:
        form = AwardForm(formdata=formdata)
    form.bid_id.choices = [(str(item.bid.id), _bid_label(item)) for item in ranked if not item.is_set_aside]
    return form


@blueprint.route("/referrals/<int:referral_id>/award", methods=["GET", "POST"])
def referral_award(referral_id):
    referral = _referral(referral_id)
    moment = now()
    placement = awards.placement_of(referral)
    if placement is not None and placement.on_framework:
        return redirect(url_for("buyer.placement", placement_id=placement.id))
    ranked = _ranking(referral, moment) or []
    refusal = awards.refusal_to_award(referral, ranked, moment)
    top = [item for item in ranked if item.is_top]
    cautioned = [item for item in ranked if item.place_with_caution]
    if request.method == "GET" or refusal:
        form = _award_form(referral, ranked)
        return _render_award(referral, form, ranked, top, cautioned, refusal), 400 if request.method == "POST" else 200
    form = _award_form(referral, ranked, request.form)
    if form.validate():
        try:
            if form.ask.data:
                asked = _ask_cost_approval(referral, form)
                if asked.already_asked:
                    flash("The weekly cost of this bid was already " + (
                        "approved" if asked.is_approved else "asked for: it is waiting for an answer"), "success")
                else:
                    flash("Approval of the weekly cost asked for: the budget holders who may approve it are told",
                          "success")
                return redirect(url_for("buyer.referral_award", referral_id=referral.id))
            placement = _award(referral, form)
        except NotFound:
            abort(404)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash(f"Referral {referral.reference} awarded to {placement.provider_name}. Send the agreement to the "
                  "provider to sign.", "success")
            return redirect(url_for("buyer.placement", placement_id=placement.id))
    return _render_award(referral, form, ranked, top, cautioned, None), 400


def _render_award(referral, form, ranked, top, cautioned, refusal):
    asked, asked_bid, stale = awards.asked_cost(referral, ranked)
    return render_template("buyer/awards/award.html", referral=referral, form=form, ranked=ranked, top=top,
                           cautioned=cautioned, refusal=refusal, cost_approval=asked, cost_bid=asked_bid,
                           cost_stale=stale)


def _chosen_bid(form: AwardForm):
    bid_id = record_id(form.bid_id.data)
    if bid_id is None:
        raise DomainError("Choose the bid you award", field="bid_id")
    return awards.bid_of_authority(current_user, bid_id)


def _ask_cost_approval(referral, form: AwardForm):
    return awards.ask_cost_approval(current_user, referral, _chosen_bid(form), now())


def _award(referral, form: AwardForm):
    return awards.award(current_user, referral, _chosen_bid(form), reason=form.reason.data or "", now=now(),
                        caution_acknowledged=bool(form.caution_acknowledged.data))


# The placement and its agreement ------------------------------------------------------------------------------

def _placement(placement_id: int):
    try:
        return awards.placement_for_authority(current_user, placement_id)
    except NotFound:
        abort(404)


@blueprint.route("/placements/<int:placement_id>/agreement.pdf")
def placement_agreement(placement_id):
    placement = _placement(placement_id)
    pdf = agreement_pdf(placement, issued_at=now())
    name = f"{placement.agreement_reference}-individual-placement-agreement.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


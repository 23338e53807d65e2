"""The provider's referrals: those it was invited to bid for, each seen anonymised, and its bid, receipt,
withdrawal or decline. Pages get the anonymised referral (referrals.anonymised), never the Referral record."""

from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.clock import now
from portal.errors import DomainError, NotFound
from portal.forms import add_domain_error
from portal.models.bid import SUBMITTED
from portal.models.referral import AWARDED
from portal.services import bids, referrals
from portal.services import settings as setting_service
from supplier.bid_forms import BidForm, DeclineForm
from supplier.views import blueprint

PER_PAGE = 20
OUTCOME_ENDPOINT = "supplier.referral_outcome"  # the provider's outcome page, once the referral is awarded


@dataclass(frozen=True)
class InvitedReferral:
    """A row of the provider's list of referrals."""

    referral_id: int
    reference: str
    lot_label: str
    age_years: int
    needed_by: str
    deadline: datetime
    is_open: bool
    response: str


@dataclass(frozen=True)
class Standing:
    """Where the provider stands on one referral, for its page."""

    deadline: datetime
    is_open: bool
    declined_at: datetime | None
    decline_reason: str
    decline_detail: str
    can_bid: bool
    can_withdraw: bool
    can_decline: bool
    response: str
    outcome_url: str | None


def _invitation(referral_id: int):
    try:
        return referrals.invitation_for(current_user, referral_id)
    except NotFound:
        abort(404)


def _standing(invitation, bid, moment: datetime) -> Standing:
    is_open = bids.is_open_for(invitation, moment)
    sent = bid is not None and bid.status == SUBMITTED
    outcome_url = None
    if (invitation.referral.status(moment) == AWARDED and bid is not None
            and OUTCOME_ENDPOINT in current_app.view_functions):
        outcome_url = url_for(OUTCOME_ENDPOINT, referral_id=invitation.referral_id)
    return Standing(
        deadline=invitation.round.deadline, is_open=is_open, declined_at=invitation.declined_at,
        decline_reason=invitation.decline_label, decline_detail=invitation.decline_detail,
        can_bid=is_open and not invitation.has_declined, can_withdraw=is_open and sent,
        can_decline=is_open and not invitation.has_declined and not sent,
        response=bids.response_label(invitation, bid), outcome_url=outcome_url)


@blueprint.route("/referrals")
def referral_list():
    moment = now()
    page = bids.invitations_of(current_user, request.args.get("page", 1, type=int), PER_PAGE)
    own = bids.own_bids_for(current_user, [invitation.referral_id for invitation in page.items])
    rows = [InvitedReferral(
        referral_id=invitation.referral_id, reference=invitation.referral.reference,
        lot_label=invitation.referral.lot_label, age_years=invitation.referral.age_years,
        needed_by=invitation.referral.needed_by_label, deadline=invitation.round.deadline,
        is_open=bids.is_open_for(invitation, moment),
        response=bids.response_label(invitation, own.get(invitation.referral_id)),
    ) for invitation in page.items]
    return render_template("supplier/referrals/list.html", page=page, rows=rows)


@blueprint.route("/referrals/<int:referral_id>")
def referral(referral_id):
    invitation = _invitation(referral_id)
    moment = now()
    bid = bids.own_bid(current_user, invitation.referral)
    return render_template("supplier/referrals/referral.html", summary=referrals.anonymised(invitation.referral),
                           referral_id=referral_id, standing=_standing(invitation, bid, moment), bid=bid,
                           receipts=list(reversed(bid.receipts)) if bid else [])


@blueprint.route("/referrals/<int:referral_id>/bid", methods=["GET", "POST"])
def bid(referral_id):
    invitation = _invitation(referral_id)
    moment = now()
    existing = bids.own_bid(current_user, invitation.referral)
    form = BidForm()
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)
    form.offer_settings(setting_service.open_settings(current_user.organisation_id),
                        prefill=request.method == "GET" and existing is None)
    if request.method == "POST":
        form.validate()  # reads the dates; the rules are the service's
        try:
            if form.errors:
                bids.check(current_user, invitation, form.bid_input(), moment)
            else:
                bids.submit(current_user, invitation, form.bid_input(), moment)
                flash("Your bid has been sent", "success")
                return redirect(url_for("supplier.bid_receipt", referral_id=referral_id))
        except NotFound:
            abort(404)
        except bids.InvalidBid as error:
            form.show_problems(error.problems)
        except DomainError as error:
            add_domain_error(form, error)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("supplier/referrals/bid.html", form=form, summary=referrals.anonymised(invitation.referral),
                           referral_id=referral_id, standing=_standing(invitation, existing, moment),
                           revising=existing is not None and existing.status == SUBMITTED), status


@blueprint.route("/referrals/<int:referral_id>/receipt")
def bid_receipt(referral_id):
    invitation = _invitation(referral_id)
    bid = bids.own_bid(current_user, invitation.referral)
    receipt = bids.latest_receipt(bid) if bid else None
    if receipt is None:
        return redirect(url_for("supplier.referral", referral_id=referral_id))
    return render_template("supplier/referrals/receipt.html", summary=referrals.anonymised(invitation.referral),
                           referral_id=referral_id, bid=bid, receipt=receipt,
                           standing=_standing(invitation, bid, now()))


@blueprint.route("/referrals/<int:referral_id>/withdraw", methods=["POST"])
def withdraw_bid(referral_id):
    invitation = _invitation(referral_id)
    bid = bids.own_bid(current_user, invitation.referral)
    if bid is None:
        flash("You have not sent a bid for this referral", "error")
        return redirect(url_for("supplier.referral", referral_id=referral_id))
    try:
        bids.withdraw(current_user, bid, now())
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("supplier.referral", referral_id=referral_id))
    flash("Your bid has been withdrawn. You can send a new one until the deadline.", "success")
    return redirect(url_for("supplier.bid_receipt", referral_id=referral_id))


@blueprint.route("/referrals/<int:referral_id>/decline", methods=["GET", "POST"])
def decline_referral(referral_id):
    invitation = _invitation(referral_id)
    moment = now()
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            bids.decline(current_user, invitation, reason=form.reason.data or "", detail=form.detail.data or "",
                         now=moment)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            flash("You have declined this referral", "success")
            return redirect(url_for("supplier.referral", referral_id=referral_id))
    status = 400 if form.errors or form.form_errors else 200
    bid = bids.own_bid(current_user, invitation.referral)
    return render_template("supplier/referrals/decline.html", form=form,
                           summary=referrals.anonymised(invitation.referral), referral_id=referral_id,
                           standing=_standing(invitation, bid, moment)), status

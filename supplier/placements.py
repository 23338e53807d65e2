"""The provider's outcome of a referral it bid for, once the referral is awarded: the award itself for the
winner (weekly cost, itemised, start date, agreement reference), and for every bidder its own scores on each
criterion, the officer's notes, its total and rank of N. Nothing of the child's identity, of the officer, or of
another provider's bid (services.awards)."""

from flask import abort, render_template
from flask_login import current_user

from portal.clock import now
from portal.errors import NotFound
from portal.models.bid import CRITERION_MAX
from portal.services import awards
from supplier.views import blueprint


@blueprint.route("/referrals/<int:referral_id>/outcome")
def referral_outcome(referral_id):
    try:
        outcome = awards.outcome_for_provider(current_user, referral_id, now())
    except NotFound:
        abort(404)
    return render_template("supplier/placements/outcome.html", outcome=outcome, summary=outcome.referral,
                           criterion_max=CRITERION_MAX)

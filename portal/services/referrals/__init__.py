"""Referrals: a member authority's request for a child's placement, checked for anything that identifies the
child, published to the providers of a lot tier by tier, and closed, re-opened, exhausted or withdrawn.

The package, one module a concept: `drafting` (the fields, drafts, funding and the anonymity guard), `access`
(who may see which referral, the authority's lists), `invitations` (the tier cascade's next tier and the opening
of a round to its providers), `publishing` (publishing and withdrawing), `rounds` (closing rounds at their
deadlines, re-opening to the next tier, exhaustion), `responses` (what the authority may know of the invited
providers' responses: counts only until the deadline) and `anonymised` (what providers see). Other modules use
the names below, from the package.

The API, for the other modules (every `now` is naive UTC; every change commits, with its audit event):

    create(officer, *, lot, fields: dict, child: dict, now) -> Referral          # a draft, complete or not
    update(officer, referral, *, fields: dict, child: dict, now) -> Referral     # drafts only
    ask_funding(officer, referral, *, expected_weekly, now) -> Approval   # a budget holder answers (approvals)
    funding_approval(referral) -> Approval | None; funding_problem(referral) -> str | None
    check(referral) -> dict[field, list[anonymity.Finding]]                     # empty: nothing identifies the child
    default_deadline(needed_by: str, now) -> datetime
    publish(officer, referral, now, *, deadline: datetime | None = None) -> ReferralRound
    reopen_to_next_tier(officer, referral, *, deadline, now) -> ReferralRound
    mark_exhausted(officer, referral, now); withdraw(officer, referral, reason, now)
    run_due(now) -> list[str]                                                    # closes rounds; idempotent
    get_for_authority(user, referral_id) -> Referral          # NotFound unless an officer of its authority
    get_for_reader(user, referral_id) -> Referral             # also its budget holders and other deciders (read only)
    invitation_for(user, referral_id) -> BidInvitation        # NotFound unless the user's provider was invited
    anonymised(referral) -> AnonymisedReferral                # all a provider may see
    for_authority(user, *, now, status=None, search="", sorting=None, page=1, per_page=25) -> Pagination of Referral
                                                              # NotFound unless one of READERS (reads_referrals)
    may_create(user) -> bool                                  # a commissioning officer: "New referral"
    REFERRAL_SORTS: the keys the list sorts by (REFERRAL_SORTS.choose(key, order) -> listing.Sorting)
    received_counts(referral_ids) -> dict[int, int]; status_counts(user, now) -> {"draft"|"open"|"closed": int}
    category_of(referral) -> AgeCategory | None      # the lot's age category of the child's age
    next_tier(referral) -> int | None; skipped_tiers(referral, round) -> list[int]
    eligible_memberships(referral, tier) -> list[CategoryMembership]   # places in the referral's age category
    invitees_preview(referral) -> (tier, memberships)
    invitations_of(referral) -> list[BidInvitation]; publication_problems(referral, now) -> list[str]
    responses_for_officer(referral, now) -> Responses   # counts always; each provider's response once its round closed
    problems(lot, fields, child, now) -> dict[field, message]; dpss_for(user); lot_for(user, lot_id) -> Lot
    still_to_do(referral) -> dict[field, message]   # what a draft lacks before publishing (drafts may be partial)

`fields` holds the referral's own columns by name (see FIELD_NAMES), already typed: ints, `date`, `Decimal`,
bools, option codes, and lists of codes for the multiple-choice fields. `child` holds first_names, surname,
known_as, date_of_birth and case_number. Validation problems come back all at once as `ReferralInvalid`
(a DomainError whose `errors` maps each field to its message): only values that cannot be right (an age of 200, a
start date in the past) are refused; a field left empty is saved as such (None, or "" for text), and what is still
to do is checked at publishing (`still_to_do`).

`anonymised(referral, now=None)`: the AnonymisedReferral's `sections` gives its fields as (heading, [(label, text)])
in the Placements Data Standard's groups, for pages and documents; `status` is set only when `now` is given.

tests/factories.py: admit(provider_user, lot, *, tier=1, caution=False, clock) -> LotMembership;
referral_fields(**overrides) -> dict; child_details(**overrides) -> dict (the canary identity: CHILD_FIRST_NAMES
"Kestrel", CHILD_SURNAME "Quennell-Abara", CHILD_DATE_OF_BIRTH 2010-03-14, CHILD_CASE_NUMBER "CN-48213-Q");
draft_referral(world, clock, *, lot=None, child=None, **field_overrides) (by world.member_officer; `child` is a dict
of overrides of the private part); published_referral(world, clock, *, lot=None, deadline=None, child=None,
**field_overrides) (admit providers first; funding approved; deadline None: the default for the urgency).
"""

from portal.services.referrals.access import (
    REFERRAL_SORTS,
    dpss_for,
    for_authority,
    get_for_authority,
    get_for_reader,
    invitation_for,
    invitations_of,
    is_officer_of,
    lot_for,
    may_create,
    reads_referrals,
    received_counts,
    status_counts,
)
from portal.services.referrals.anonymised import (
    AnonymisedReferral,
    anonymised,
)
from portal.services.referrals.drafting import (
    BOOLEANS,
    CHILD_FIELDS,
    FIELD_NAMES,
    FREE_TEXT_FIELDS,
    MAX_INDICATIVE_PRICE,
    ReferralInvalid,
    ask_funding,
    check,
    create,
    funding_approval,
    funding_problem,
    london_today,
    private_details,
    problems,
    still_to_do,
    update,
)
from portal.services.referrals.invitations import (
    category_of,
    eligible_memberships,
    invitees_preview,
    next_tier,
    skipped_tiers,
)
from portal.services.referrals.publishing import (
    default_deadline,
    publication_problems,
    publish,
    withdraw,
)
from portal.services.referrals.responses import (
    InvitedProvider,
    Responses,
    responses_for_officer,
)
from portal.services.referrals.rounds import (
    mark_exhausted,
    reopen_to_next_tier,
    run_due,
)

__all__ = [
    "anonymised",
    "AnonymisedReferral",
    "BOOLEANS",
    "check",
    "CHILD_FIELDS",
    "create",
    "default_deadline",
    "dpss_for",
    "category_of",
    "eligible_memberships",
    "FIELD_NAMES",
    "for_authority",
    "may_create",
    "reads_referrals",
    "REFERRAL_SORTS",
    "FREE_TEXT_FIELDS",
    "get_for_authority",
    "get_for_reader",
    "invitation_for",
    "invitations_of",
    "invitees_preview",
    "is_officer_of",
    "london_today",
    "lot_for",
    "mark_exhausted",
    "MAX_INDICATIVE_PRICE",
    "next_tier",
    "private_details",
    "problems",
    "publication_problems",
    "publish",
    "received_counts",
    "ask_funding",
    "funding_approval",
    "funding_problem",
    "ReferralInvalid",
    "reopen_to_next_tier",
    "InvitedProvider",
    "Responses",
    "responses_for_officer",
    "run_due",
    "skipped_tiers",
    "status_counts",
    "still_to_do",
    "update",
    "withdraw",
]

"""Bids: a provider's sealed, itemised offer for a referral it was invited to.

The rules, in one place:

* A provider's users may send, revise or withdraw its one bid for a referral, or decline the referral, until the
  deadline of the round it was invited in. Exactly at the deadline is late. A late, ineligible or invalid bid is
  refused with a message and nothing is stored.
* The deadline is checked and the bid written in one transaction, with the invitation and its round locked
  (SELECT ... FOR UPDATE on PostgreSQL), so a bid and the round's close cannot interleave: a bid is either wholly
  stored before the deadline or not at all.
* Sealing: a bid's content is read by the referring authority's commissioning officers only once its round's
  deadline has passed (`visible_bids`, the only way the authority reads bids), and never by another provider.
  Before that the authority may know how many bids arrived (`received_count`), not who sent them or when.
* The audit trail and every e-mail record a bid's revision and SHA-256 only, never its price or text: both are
  read by people (administrators, the outbox) who must not see bid contents before the deadline.
"""

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import pounds
from portal.models import (
    Bid,
    BidCost,
    BidInvitation,
    BidReceipt,
    Lot,
    LotMembership,
    Referral,
    ReferralRound,
    User,
)
from portal.models.bid import SUBMITTED, WITHDRAWN
from portal.models.referral import DECLINE_REASONS, OPEN
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.money import WEEKLY_LIMIT, parse_money
from portal.services import audit, mail, standing, standing_effects
from portal.services import settings as setting_service
from portal.timezone import format_datetime, to_local

MAX_WEEKLY_AMOUNT = WEEKLY_LIMIT
MAX_ADDITIONAL_COSTS = 5
MAX_START_DAYS = 730  # a proposed start further off than two years is a mistake
MAX_REVIEW_DAYS = 5 * 365  # likewise a cost's review date more than five years after the start
MEMBERSHIP_STATUSES = ("admitted", "place_with_caution")
CHANGED_AT_ONCE = "Your bid was changed at the same time by someone else; check it and send again"

# Receipt actions
SENT = "submitted"
REVISED = "revised"
RECEIPT_WITHDRAWN = "withdrawn"
RECEIPT_LABELS = {SENT: "Bid sent", REVISED: "Bid revised", RECEIPT_WITHDRAWN: "Bid withdrawn"}
_VERBS = {SENT: "sent", REVISED: "revised", RECEIPT_WITHDRAWN: "withdrew"}


class AdditionalCost(NamedTuple):
    """A line of the bid as typed: the amount as text (or a Decimal), the review date as a date or None."""

    description: str
    weekly_amount: Decimal | str | None
    timescale: str
    review_date: date | None


@dataclass
class BidInput:
    """What the bid form holds. Money may be text as typed; the service reads and checks it."""

    core_weekly_fee: Decimal | str | None
    additional_costs: list[AdditionalCost] = field(default_factory=list)
    proposed_start: date | None = None
    home_area: str = ""  # the ONS code of the area, chosen from the list (portal/areas.py)
    home_description: str = ""
    how_needs_met: str = ""
    setting_id: int | None = None  # the setting offered (portal.services.settings); its area and description
    # fill the home's where left empty


class InvalidBid(DomainError):
    """The bid has mistakes: every one of them, by form field (costs-0-description and so on)."""

    def __init__(self, problems: dict[str, str]):
        field_name, message = next(iter(problems.items()))
        super().__init__(message, field=field_name)
        self.problems = problems


# Reading what was typed --------------------------------------------------------------------------------------

def _blank(cost: AdditionalCost) -> bool:
    return (not (cost.description or "").strip() and not str(cost.weekly_amount or "").strip()
            and not (cost.timescale or "").strip() and cost.review_date is None)


@dataclass
class _Clean:
    core_weekly_fee: Decimal
    costs: list[tuple[str, Decimal, str, date]]
    proposed_start: date
    home_area: areas.Area
    home_description: str
    how_needs_met: str
    setting_id: int | None = None

    @property
    def weekly_price(self) -> Decimal:
        return self.core_weekly_fee + sum((cost[1] for cost in self.costs), Decimal("0.00"))


def _text(problems: dict, name: str, value: str, message: str, limit: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        problems[name] = message
    elif limit and len(text) > limit:
        problems[name] = f"Use {limit} characters or fewer (you have {len(text)})"
    return text


def _offered_setting(data: BidInput, invitation: BidInvitation, problems: dict):
    """The setting the bid offers, and the bid with the home's area and description filled from it where left
    empty. Required where the provider has open settings (its only one is offered unless it chose another); a
    closed or another provider's setting, or one restricted on the DPS, is refused."""
    open_settings = setting_service.open_settings(invitation.provider_id)
    if not open_settings:
        if data.setting_id:
            problems["setting"] = "Choose one of your open settings"
        return None, data
    chosen = next((setting for setting in open_settings if setting.id == data.setting_id), None)
    if data.setting_id and chosen is None:
        problems["setting"] = "Choose one of your open settings"
        return None, data
    if chosen is None and len(open_settings) > 1:
        problems["setting"] = "Choose the setting you are offering"
        return None, data
    if chosen is None:
        return open_settings[0], data
    restricted = standing.restricted_setting_ids(invitation.referral.lot.dps_id, invitation.provider_id)
    if chosen.id in restricted:
        problems["setting"] = (f"New placements at {chosen.name} are restricted on this arrangement, so it cannot "
                               "be offered. Offer another setting.")
        return None, data
    return chosen, replace(data, home_area=data.home_area or chosen.area_code or "",
                           home_description=data.home_description or chosen.description)


def _validated(data: BidInput, now: datetime, invitation: BidInvitation | None = None) -> _Clean:
    """The bid read and checked; raises InvalidBid listing every mistake."""
    problems: dict[str, str] = {}
    setting = None
    if invitation is not None:
        setting, data = _offered_setting(data, invitation, problems)
    core = None
    try:
        core = parse_money(data.core_weekly_fee, label="the core weekly fee", maximum=MAX_WEEKLY_AMOUNT)
    except DomainError as error:
        problems["core_weekly_fee"] = error.message
    today = to_local(now).date()
    start = data.proposed_start
    if start is None:
        problems["proposed_start"] = "Enter the date the placement could start"
    elif start < today:
        problems["proposed_start"] = "The proposed start date must be today or in the future"
    elif start > today + timedelta(days=MAX_START_DAYS):
        problems["proposed_start"] = "The proposed start date must be within two years"
    home_area = areas.get(data.home_area)
    if home_area is None:
        problems["home_area"] = "Choose the area of the home or carers from the list"
    elif not home_area.is_lowest_tier:
        problems["home_area"] = areas.COUNTY_MESSAGE
    home_description = _text(problems, "home_description", data.home_description,
                             "Describe the home or the carers")
    how_needs_met = _text(problems, "how_needs_met", data.how_needs_met, "Say how you will meet the child's needs")
    costs = _validated_costs(data.additional_costs, start, problems)
    if problems:
        raise InvalidBid(problems)
    clean = _Clean(core, costs, start, home_area, home_description, how_needs_met,
                   setting.id if setting is not None else None)
    if clean.weekly_price > MAX_WEEKLY_AMOUNT:
        raise InvalidBid({"core_weekly_fee": "The total weekly price (core fee plus additional costs) must be "
                                             "£100,000 or less"})
    return clean


def _validated_costs(lines: list[AdditionalCost], start: date | None, problems: dict) -> list:
    costs = []
    filled = [(index, line) for index, line in enumerate(lines) if not _blank(line)]
    if len(filled) > MAX_ADDITIONAL_COSTS:
        problems["costs"] = f"List up to {MAX_ADDITIONAL_COSTS} additional costs"
        return []
    for index, line in filled:
        prefix, number = f"costs-{index}-", index + 1
        description = _text(problems, prefix + "description", line.description,
                            f"Enter what additional cost {number} pays for", 200)
        amount = None
        try:
            amount = parse_money(line.weekly_amount, label=f"the weekly amount of additional cost {number}",
                                 maximum=MAX_WEEKLY_AMOUNT)
        except DomainError as error:
            problems[prefix + "weekly_amount"] = error.message
        timescale = _text(problems, prefix + "timescale", line.timescale,
                          f"Enter the timescale of additional cost {number}, like First 12 weeks", 100)
        if line.review_date is None:
            problems[prefix + "review_date"] = f"Enter the review date of additional cost {number}"
        elif start is not None and line.review_date <= start:
            problems[prefix + "review_date"] = (f"The review date of additional cost {number} must be after "
                                                "the proposed start date")
        elif line.review_date > (start or line.review_date) + timedelta(days=MAX_REVIEW_DAYS):
            problems[prefix + "review_date"] = (f"The review date of additional cost {number} must be within five "
                                                "years of the proposed start date")
        costs.append((description, amount, timescale, line.review_date))
    return costs


# The bid's fingerprint ---------------------------------------------------------------------------------------

def content_of(bid: Bid) -> dict:
    """The bid's content as the canonical, plain structure its SHA-256 is taken of (prices as strings)."""
    return {
        "core_weekly_fee": pounds(bid.core_weekly_fee),
        "additional_costs": [
            {"description": cost.description, "weekly_amount": pounds(cost.weekly_amount),
             "timescale": cost.timescale, "review_date": cost.review_date.isoformat()}
            for cost in sorted(bid.costs, key=lambda c: c.position)
        ],
        "weekly_price": pounds(bid.weekly_price),
        "proposed_start": bid.proposed_start.isoformat(),
        "home_area": bid.home_area,
        "home_description": bid.home_description,
        "how_needs_met": bid.how_needs_met,
    } | ({"setting_id": bid.setting_id} if bid.setting_id is not None else {})  # bids before settings unchanged


def fingerprint(bid: Bid) -> str:
    canonical = json.dumps(content_of(bid), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Who may do what ---------------------------------------------------------------------------------------------

def _require_own(user: User, invitation: BidInvitation) -> None:
    if not user.has_role(PROVIDER_USER) or user.organisation_id != invitation.provider_id:
        raise NotFound()


def _locked(invitation_id: int) -> tuple[BidInvitation, ReferralRound]:
    """The invitation and its round, re-read and locked until the transaction ends (PostgreSQL; SQLite takes
    the database's write lock when the bid is written), so the deadline is checked against the latest state.

    The round is locked FOR UPDATE, the strongest row lock: the scheduler's closing of the round (an UPDATE of
    its closed_at, referrals.run_due) waits for a bid being taken, or the bid waits for the close and then sees
    closed_at set. The callers check the deadline and closed_at only after this returns."""
    invitation = db.session.scalars(
        db.select(BidInvitation).where(BidInvitation.id == invitation_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)).one()
    round_ = db.session.scalars(
        db.select(ReferralRound).where(ReferralRound.id == invitation.round_id).with_for_update()
        .execution_options(populate_existing=True)).one()
    db.session.scalars(db.select(Referral).where(Referral.id == invitation.referral_id)
                       .execution_options(populate_existing=True)).one()
    return invitation, round_


def _late(round_: ReferralRound, now: datetime) -> bool:
    # Once the close has been processed no bid is taken, so the bids the officer is told about are all there are.
    return now >= round_.deadline or round_.closed_at is not None


def is_open_for(invitation: BidInvitation, now: datetime) -> bool:
    """Whether the invited provider may still bid, revise, withdraw or decline."""
    return not _late(invitation.round, now) and invitation.referral.status(now) == OPEN


def _require_in_time(round_: ReferralRound, now: datetime, what: str) -> None:
    if _late(round_, now):
        raise DomainError(f"The deadline for bids was {format_datetime(round_.deadline)}; {what}")


def _own_bid_of(invitation: BidInvitation) -> Bid | None:
    return db.session.scalars(db.select(Bid).where(Bid.invitation_id == invitation.id)
                              .execution_options(populate_existing=True)).one_or_none()


def _require_eligible(invitation: BidInvitation, round_: ReferralRound, now: datetime) -> None:
    _require_in_time(round_, now, "your bid was not sent")
    referral = invitation.referral
    referral.require_status(now, OPEN, action="send a bid")
    if invitation.has_declined:
        raise DomainError(f"You declined this referral on {format_datetime(invitation.declined_at)}, so you "
                          "cannot bid for it")
    provider = invitation.provider
    barred = standing_effects.why_barred(referral.dps_id, provider.id)
    if barred:
        raise DomainError(f"Your organisation is {barred}. It cannot bid until that is resolved")
    membership = db.session.scalar(db.select(LotMembership).where(
        LotMembership.lot_id == referral.lot_id, LotMembership.provider_id == provider.id,
        LotMembership.status.in_(MEMBERSHIP_STATUSES)))
    if membership is None:
        raise DomainError(f"Your organisation no longer holds a place on {referral.lot.label}, so it cannot bid")


# Bidding -----------------------------------------------------------------------------------------------------

def check(user: User, invitation: BidInvitation, data: BidInput, now: datetime) -> None:
    """Everything submit() would refuse, without storing anything: for a form that has mistakes of its own."""
    _require_own(user, invitation)
    _require_eligible(invitation, invitation.round, now)
    _validated(data, now, invitation)


def submit(user: User, invitation: BidInvitation, data: BidInput, now: datetime) -> BidReceipt:
    """Send the provider's bid, or revise the one it sent. Returns the receipt."""
    _require_own(user, invitation)
    invitation_id = invitation.id
    for attempt in (1, 2):
        try:
            return _submit_once(user, invitation_id, data, now)
        except IntegrityError:
            # A colleague's first bid was stored in the same instant: send this one again as a revision of it.
            db.session.rollback()
            if attempt == 2:
                raise DomainError(CHANGED_AT_ONCE) from None
        except StaleDataError:
            db.session.rollback()
            raise DomainError(CHANGED_AT_ONCE) from None
        except DomainError:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def _submit_once(user: User, invitation_id: int, data: BidInput, now: datetime) -> BidReceipt:
    invitation, round_ = _locked(invitation_id)
    _require_eligible(invitation, round_, now)
    clean = _validated(data, now, invitation)
    bid = _own_bid_of(invitation)
    action = REVISED if bid is not None and bid.status == SUBMITTED else SENT
    if bid is None:
        bid = Bid(referral_id=invitation.referral_id, invitation_id=invitation.id, provider_id=invitation.provider_id,
                  revision=0)
        db.session.add(bid)
    bid.round_id = round_.id
    bid.status, bid.withdrawn_at = SUBMITTED, None
    bid.core_weekly_fee, bid.weekly_price = clean.core_weekly_fee, clean.weekly_price
    bid.proposed_start, bid.setting_id = clean.proposed_start, clean.setting_id
    bid.home_area, bid.home_area_code = clean.home_area.name, clean.home_area.code
    bid.home_description, bid.how_needs_met = clean.home_description, clean.how_needs_met
    bid.costs = [BidCost(position=position, description=description, weekly_amount=amount, timescale=timescale,
                         review_date=review_date)
                 for position, (description, amount, timescale, review_date) in enumerate(clean.costs, start=1)]
    bid.revision += 1
    bid.submitted_at, bid.submitted_by_id = now, user.id
    bid.content_sha256 = fingerprint(bid)
    db.session.flush()
    receipt = _receipt(user, bid, action, now)
    _tell_provider(user, bid, receipt, invitation.referral)
    db.session.commit()
    return receipt


def _receipt(user: User, bid: Bid, action: str, now: datetime) -> BidReceipt:
    receipt = BidReceipt(bid=bid, revision=bid.revision, action=action, at=now, by_id=user.id,
                         content_sha256=bid.content_sha256)
    db.session.add(receipt)
    # Revision and fingerprint only; and the event itself stays out of the administrators' trail until the
    # deadline, since even who bid and when is part of what the seal hides.
    audit.record(at=now, actor=user, action=f"bid.{action}", entity=bid,
                 summary=f"{RECEIPT_LABELS[action]}: revision {bid.revision}",
                 after={"revision": bid.revision, "content_sha256": bid.content_sha256},
                 sealed_until=_deadline_of(bid.round_id))
    return receipt


def _deadline_of(round_id: int) -> datetime:
    return db.session.get(ReferralRound, round_id).deadline


def _tell_provider(user: User, bid: Bid, receipt: BidReceipt, referral: Referral) -> None:
    """E-mail the provider's users the receipt: the time and fingerprint, never the price (the outbox is read by
    the consortium's administrators)."""
    subject = f"{RECEIPT_LABELS[receipt.action]} for referral {referral.reference}"
    body = (f"{user.name} {_VERBS[receipt.action]} your bid for referral {referral.reference} "
            f"on {format_datetime(receipt.at)} (revision {receipt.revision}).\n"
            f"SHA-256 of the bid: {receipt.content_sha256}\n"
            "Keep this receipt: it proves what was sent and when.")
    link = url_for("supplier.bid_receipt", referral_id=referral.id)
    for colleague in bid.provider.users:
        if colleague.is_active and colleague.has_role(PROVIDER_USER):
            mail.notify(colleague, subject=subject, body=body, at=receipt.at, link=link,
                        sealed_until=_deadline_of(bid.round_id))


def withdraw(user: User, bid: Bid, now: datetime) -> BidReceipt:
    """Withdraw the provider's bid, until the deadline. It may be sent again before the deadline."""
    if not user.has_role(PROVIDER_USER) or user.organisation_id != bid.provider_id:
        raise NotFound()
    try:
        invitation, round_ = _locked(bid.invitation_id)
        _require_in_time(round_, now, "your bid can no longer be withdrawn")
        invitation.referral.require_status(now, OPEN, action="withdraw a bid")
        bid = _own_bid_of(invitation)
        if bid.status == WITHDRAWN:
            raise DomainError("This bid has already been withdrawn")
        bid.withdraw(now)
        receipt = _receipt(user, bid, RECEIPT_WITHDRAWN, now)
        _tell_provider(user, bid, receipt, invitation.referral)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError(CHANGED_AT_ONCE) from None
    except DomainError:
        db.session.rollback()
        raise
    return receipt


def decline(user: User, invitation: BidInvitation, *, reason: str, detail: str, now: datetime) -> None:
    """Say the provider will not bid, with a reason. Not once it has a bid in: it withdraws that first."""
    _require_own(user, invitation)
    detail = (detail or "").strip()
    if reason not in DECLINE_REASONS:
        raise DomainError("Choose why you cannot bid", field="reason")
    if reason == "other" and not detail:
        raise DomainError("Say why you cannot bid", field="detail")
    try:
        invitation, round_ = _locked(invitation.id)
        _require_in_time(round_, now, "you can no longer decline this referral")
        invitation.referral.require_status(now, OPEN, action="decline the referral")
        bid = _own_bid_of(invitation)
        if bid is not None and bid.status == SUBMITTED:
            raise DomainError("You have sent a bid for this referral: withdraw it first if you cannot go ahead")
        invitation.decline(reason=reason, detail=detail, by=user, at=now)
        audit.record(at=now, actor=user, action="bid.declined", entity=invitation,
                     summary=f"Referral declined: {DECLINE_REASONS[reason]}", after={"reason": reason},
                     sealed_until=round_.deadline)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise


# Reading bids ------------------------------------------------------------------------------------------------

def own_bid(user: User, referral: Referral) -> Bid | None:
    """The user's provider's bid for the referral, with its costs and receipts."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    return db.session.scalars(
        db.select(Bid).where(Bid.referral_id == referral.id, Bid.provider_id == user.organisation_id)
        .options(selectinload(Bid.costs), selectinload(Bid.receipts))).one_or_none()


def own_bids_for(user: User, referral_ids: list[int]) -> dict[int, Bid]:
    """The provider's bids for these referrals, by referral id: one query for a list page."""
    if not referral_ids:
        return {}
    bids = db.session.scalars(db.select(Bid).where(Bid.referral_id.in_(referral_ids),
                                                   Bid.provider_id == user.organisation_id)
                              .options(load_only(Bid.id, Bid.referral_id, Bid.status, Bid.set_aside_at,
                                                 raiseload=True)))
    return {bid.referral_id: bid for bid in bids}


def latest_receipt(bid: Bid) -> BidReceipt | None:
    return bid.receipts[-1] if bid.receipts else None


# What the provider's list shows of each referral it was invited to (its status comes from the dates and rounds).
INVITED_REFERRAL_COLUMNS = (Referral.id, Referral.reference, Referral.lot_id, Referral.category_id, Referral.age_years,
                            Referral.needed_by, Referral.published_at, Referral.awarded_at, Referral.awarded_bid_id,
                            Referral.exhausted_at, Referral.withdrawn_at)


def invitations_of(user: User, page: int, per_page: int):
    """The referrals the user's provider was invited to, newest first, a page at a time."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    return db.paginate(
        db.select(BidInvitation).where(BidInvitation.provider_id == user.organisation_id)
        .options(selectinload(BidInvitation.round),
                 selectinload(BidInvitation.referral).load_only(*INVITED_REFERRAL_COLUMNS, raiseload=True),
                 selectinload(BidInvitation.referral).selectinload(Referral.lot).selectinload(Lot.categories),
                 selectinload(BidInvitation.referral).selectinload(Referral.rounds))
        .order_by(BidInvitation.invited_at.desc(), BidInvitation.id.desc()),
        page=page, per_page=per_page, error_out=False)


def open_invitation_count(user: User, now: datetime) -> int:
    """How many referrals the user's provider may still bid for (or decline): for its dashboard."""
    return db.session.scalar(open_invitation_counter(user, now))


def open_invitation_counter(user: User, now: datetime):
    """The COUNT statement of open_invitation_count, for the dashboard to run with its other counts."""
    # From the open rounds (few, whatever the history) to the provider's invitation in each, by the unique
    # (referral, provider) index: a provider's invitations of every past round are never read.
    return (
        db.select(db.func.count(BidInvitation.id)).select_from(ReferralRound)
        .join(BidInvitation, db.and_(BidInvitation.referral_id == ReferralRound.referral_id,
                                     BidInvitation.round_id == ReferralRound.id))
        .join(Referral, Referral.id == BidInvitation.referral_id)
        .where(BidInvitation.provider_id == user.organisation_id, BidInvitation.declined_at.is_(None),
               ReferralRound.deadline > now, ReferralRound.closed_at.is_(None),
               Referral.withdrawn_at.is_(None), Referral.awarded_at.is_(None), Referral.exhausted_at.is_(None)))


def response_label(invitation: BidInvitation, bid: Bid | None) -> str:
    """What the provider did about the referral, in its own words."""
    referral = invitation.referral
    if invitation.has_declined:
        return "Declined"
    if referral.awarded_at is not None and bid is not None and bid.status == SUBMITTED:
        return "Awarded to you" if referral.awarded_bid_id == bid.id else "Not awarded"
    if bid is None:
        return "Not responded"
    if bid.is_set_aside:
        return "Set aside at the deadline"
    return "Withdrawn" if bid.status == WITHDRAWN else "Bid sent"


def received_count(referral: Referral) -> int:
    """How many bids are in (sent and not withdrawn): known to the authority before the deadline."""
    return db.session.scalar(db.select(db.func.count(Bid.id)).where(Bid.referral_id == referral.id,
                                                                    Bid.status == SUBMITTED))


def is_sealed(bid_or_round: Bid | ReferralRound, now: datetime) -> bool:
    """A bid is sealed until its round's deadline; for ever if the referral was withdrawn before that deadline
    (else an authority could withdraw a referral only to read the market's prices)."""
    round_ = bid_or_round.round if isinstance(bid_or_round, Bid) else bid_or_round
    withdrawn_early = round_.referral.withdrawn_at is not None and round_.referral.withdrawn_at < round_.deadline
    return now < round_.deadline or withdrawn_early


def visible_bids(user: User, referral: Referral, now: datetime) -> list[Bid]:
    """The bids the referring authority's officers may read: those of every round whose deadline has passed.
    Before the first deadline every bid is sealed. Nobody else reads bids here, providers included."""
    if not (user.has_role(COMMISSIONING_OFFICER) and user.organisation_id == referral.authority_id):
        raise NotFound()
    opened = [round_.id for round_ in referral.rounds if not is_sealed(round_, now)]
    if not opened and referral.withdrawn_at is not None and referral.rounds:
        raise DomainError("This referral was withdrawn before its deadline, so its bids stay sealed")
    if not opened:
        first = referral.rounds[0].deadline if referral.rounds else None
        raise DomainError(f"Bids are sealed until {format_datetime(first)}" if first
                          else "This referral has not been sent to providers")
    return list(db.session.scalars(
        db.select(Bid).where(Bid.referral_id == referral.id, Bid.round_id.in_(opened), Bid.status == SUBMITTED)
        .options(selectinload(Bid.costs), selectinload(Bid.provider), selectinload(Bid.assessment),
                 selectinload(Bid.invitation))
        .order_by(Bid.submitted_at, Bid.id)))

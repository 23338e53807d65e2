"""Awarding a referral: the officer's assessment of each bid once the deadline has passed, the ranking on
quality and cost, negotiation, the award itself (a placement with its itemised cost) and each bidder's outcome.

The rules, in one place:

* Only the referring authority's commissioning officers assess, negotiate, rank and award, and only bids of
  rounds whose deadline has passed: they read bids through `bids.visible_bids` (the sealing rule), nothing else.
* Each bid is scored 0 to CRITERION_MAX, in whole numbers, on every criterion of CRITERIA. Its quality is the
  sum of its scores as a percentage of the most available (4 criteria x 5).
* The ranking is `portal.scoring.award_tiers` with no tiers, on the referral's weighting fixed when it was
  published: quality component = quality % / 100 x quality weight; cost component = the lowest price among the
  assessed bids / the bid's price x cost weight; the price is the negotiated price where one was agreed. Exact
  arithmetic: equal totals share a rank and are never broken. A bid not yet assessed is listed, unranked.
* An award needs the referral closed (no round open, not awarded, exhausted or withdrawn), every bid assessed,
  a written reason when the bid chosen is not ranked first (every bid tied at rank 1 counts as first) and the
  approval of that bid's weekly cost as it stands, by a budget holder (portal.services.approvals). It makes
  the placement, once.
* A provider learns only its own outcome: awarded or not, its own scores on each criterion and the officer's notes
  on its bid, its quality, total and rank of N, and, where a bid ranked below its own was awarded, that the
  authority recorded a reason (never the reason itself: it may speak of the child). Nothing is said to any
  provider of the child, of the officer, or of another provider's bid.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NoReturn

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import areas
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.formatting import money
from portal.models import Bid, BidAssessment, LotMembership, Placement, PlacementCost, PlacementPrice, Referral, User
from portal.models.approval import PLACEMENT_COST
from portal.models.bid import CRITERIA, CRITERION_MAX, SUBMITTED
from portal.models.placement import QA_VISIT_HOURS
from portal.models.referral import AWARDED, CLOSED, OPEN
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER
from portal.money import WEEKLY_LIMIT, parse_money
from portal.scoring import TierEntry, award_tiers, quality_percent, round_for_display
from portal.services import anonymity, approvals, audit, bids, mail, referrals, standing_effects
from portal.timezone import format_date, format_datetime, local_datetime, to_local

MAX_WEEKLY_PRICE = WEEKLY_LIMIT
PLACE_WITH_CAUTION = "place_with_caution"  # a provider's standing, and a lot membership's status
MAX_NOTES = 5000

WHOLE_NUMBER = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²" and "٣" are digits to Python, not to us
NEGOTIATED_ADJUSTMENT = "Negotiated adjustment"
CORE_FEE = "Core weekly fee"
ALREADY_AWARDED = "This referral has already been awarded"
SCORE_EVERY_BID = "Score every bid before you award"
REASON_NEEDED = "Give the reason for choosing a bid that is not ranked first"
CHANGED_AT_ONCE = "A colleague changed this bid at the same moment. Check it and try again."


class InvalidScores(DomainError):
    """The scores have mistakes: every one of them, by criterion (the form field of the same name)."""

    def __init__(self, problems: dict[str, str]):
        field_name, message = next(iter(problems.items()))
        super().__init__(message, field=field_name)
        self.problems = problems


@dataclass(frozen=True)
class RankedBid:
    """A bid in the ranking with every figure of its workings. Unassessed: quality, components, total and rank
    are None."""

    bid: Bid
    provider_name: str
    tier: int | None  # of the invitation: the round the provider was approached in
    place_with_caution: bool
    indicative_price: Decimal | None
    price: Decimal  # what the placement would cost a week: the negotiated price where one was agreed
    assessed: bool
    quality_percent: Decimal | None
    quality_component: Decimal | None
    lowest_price: Decimal | None
    cost_component: Decimal | None
    total: Decimal | None  # exact; show with round_for_display
    rank: int | None
    tied_with: tuple[str, ...]
    set_aside_reason: str = ""  # set aside at the deadline (portal.services.standing_effects): never ranked

    @property
    def is_set_aside(self) -> bool:
        return bool(self.set_aside_reason)

    @property
    def is_top(self) -> bool:
        return self.rank == 1

    @property
    def display_total(self) -> Decimal | None:
        return round_for_display(self.total) if self.total is not None else None

    @property
    def is_negotiated(self) -> bool:
        return self.bid.negotiated_weekly_price is not None

    @property
    def in_home_area(self) -> bool | None:
        """Whether the home lies within the referring authority's area (the rule of the placement it would make);
        None while the home's or the authority's area is to be confirmed."""
        return place_flags(self.bid.home_area_code, self.bid.referral)[0]

    @property
    def in_preferred_location(self) -> bool | None:
        """Whether the home is in a preferred area or lies within one; None while the home's area or the
        referral's preferred areas are to be confirmed."""
        return place_flags(self.bid.home_area_code, self.bid.referral)[1]


@dataclass(frozen=True)
class CostLine:
    description: str
    weekly_amount: Decimal
    timescale: str
    review_date: date | None


@dataclass(frozen=True)
class AwardTerms:
    """What the winning provider is told of the placement: the agreed cost and start, nothing of the child."""

    agreement_reference: str
    weekly_cost: Decimal
    start_date: date
    costs: tuple[CostLine, ...]


@dataclass(frozen=True)
class ProviderOutcome:
    """A bidder's own outcome once the referral is awarded. Never another provider's name, price or score."""

    referral: referrals.AnonymisedReferral  # what a provider may see of the referral, nothing more
    awarded: bool
    price: Decimal  # the provider's own weekly price, as weighed (negotiated where agreed)
    quality_percent: Decimal | None
    total: Decimal | None
    rank: int | None
    tied: bool  # another bid has the same total (never which)
    bids_count: int
    terms: AwardTerms | None  # the winner's only
    scores: tuple[tuple[str, int], ...] = ()  # (criterion label, score out of CRITERION_MAX), in CRITERIA's order
    notes: str = ""  # the officer's notes on this bid, anything that could identify the child removed
    lower_ranked_bid_won: bool = False  # with a reason recorded by the authority (never shown)


# Who may do what ---------------------------------------------------------------------------------------------

def _is_officer_of(user: User, referral: Referral) -> bool:
    return user.has_role(COMMISSIONING_OFFICER) and user.organisation_id == referral.authority_id


def _require_officer_of(user: User, referral: Referral) -> None:
    if not _is_officer_of(user, referral):
        raise NotFound()


def bid_of_authority(user: User, bid_id: int) -> Bid:
    """A bid for one of the officer's authority's referrals, sealed or not: for finding it, not reading it."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or not _is_officer_of(user, bid.referral):
        raise NotFound()
    return bid


def readable_bid(user: User, bid: Bid, now: datetime) -> Bid:
    """The bid if the officer may read it: sent, its round's deadline passed. Before the deadline: DomainError
    "Bids are sealed until ..."; withdrawn: DomainError saying so; of another authority: NotFound."""
    _require_officer_of(user, bid.referral)
    return _visible(user, bid, now)


def _visible(user: User, bid: Bid, now: datetime) -> Bid:
    for visible in bids.visible_bids(user, bid.referral, now):
        if visible.id == bid.id:
            return visible
    _refuse_unseen(bid, now)


def _refuse_unseen(bid: Bid, now: datetime) -> NoReturn:
    """A bid the officer cannot read: withdrawn before a deadline that has passed (said so), or sealed or of
    another authority (not found)."""
    if bid.is_withdrawn and not bids.is_sealed(bid, now):
        raise DomainError("This bid was withdrawn by the provider before the deadline", field="bid_id")
    raise NotFound()


def _require_bid_open_to_change(user: User, bid: Bid, now: datetime, action: str) -> Bid:
    """The bid as the officer may read it, on a referral not yet decided. `action`: "assess a bid"."""
    _require_officer_of(user, bid.referral)
    referral = bid.referral
    if referral.awarded_at is not None:
        raise DomainError(f"{ALREADY_AWARDED}: you can no longer {action}")
    referral.require_status(now, OPEN, CLOSED, action=action)
    return _visible(user, bid, now)


def placement_for_authority(user: User, placement_id: int) -> Placement:
    """A placement, on or off the framework, for the referring authority's officers only."""
    placement = db.session.scalars(
        db.select(Placement).where(Placement.id == placement_id)
        .options(selectinload(Placement.costs), selectinload(Placement.provider),
                 selectinload(Placement.off_framework_provider), selectinload(Placement.lot),
                 selectinload(Placement.referral).selectinload(Referral.child))).one_or_none()
    if placement is None or not (user.has_role(COMMISSIONING_OFFICER)
                                 and user.organisation_id == placement.authority_id):
        raise NotFound()
    return placement


def placement_of(referral: Referral) -> Placement | None:
    return db.session.scalar(db.select(Placement).where(Placement.referral_id == referral.id))


# Assessing ---------------------------------------------------------------------------------------------------

def _score(value, label: str) -> int:
    whole = f"Score \u201c{label}\u201d as a whole number from 0 to {CRITERION_MAX}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(f"Choose a score for \u201c{label}\u201d")
    if isinstance(value, bool):
        raise DomainError(whole)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise DomainError(whole)
    if not 0 <= number <= CRITERION_MAX:
        raise DomainError(whole)
    return number


def parse_scores(scores: dict) -> dict[str, int]:
    """Every criterion's score read and checked; raises InvalidScores listing every mistake."""
    problems, clean = {}, {}
    for criterion, label in CRITERIA.items():
        try:
            clean[criterion] = _score(scores.get(criterion), label)
        except DomainError as error:
            problems[criterion] = error.message
    if problems:
        raise InvalidScores(problems)
    return clean


def scores_of(assessment: BidAssessment | None) -> dict[str, int]:
    if assessment is None:
        return {}
    return {criterion: assessment.score_of(criterion) for criterion in CRITERIA}


def assess(officer: User, bid: Bid, *, scores: dict, notes: str, now: datetime) -> BidAssessment:
    """Score the bid on each criterion, or change its scores, until the referral is awarded."""
    try:
        bid = _require_bid_open_to_change(officer, bid, now, "assess the bids")
        clean = parse_scores(scores)
        notes = (notes or "").strip()
        if len(notes) > MAX_NOTES:
            raise DomainError(f"Write the notes in {MAX_NOTES} characters or fewer (you have {len(notes)})",
                              field="notes")
        assessment = bid.assessment
        before = scores_of(assessment) or None
        if assessment is None:
            assessment = BidAssessment(bid=bid)
            db.session.add(assessment)
        for criterion, score in clean.items():
            setattr(assessment, criterion, score)
        assessment.notes, assessment.assessed_by_id, assessment.assessed_at = notes, officer.id, now
        db.session.flush()
        percent = quality_percent([(score, CRITERION_MAX, 1) for score in clean.values()])
        audit.record(at=now, actor=officer, action="bid.assessed", entity=bid,
                     summary=f"Bid of {bid.provider.name} for {bid.referral.reference} "
                             f"{'re-assessed' if before else 'assessed'}: quality {round_for_display(percent)}%",
                     before=before, after=clean)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DomainError("A colleague assessed this bid at the same moment. Check the scores and try again.") \
            from None
    except DomainError:
        db.session.rollback()
        raise
    return assessment


# Negotiating -------------------------------------------------------------------------------------------------

def negotiate(officer: User, bid: Bid, *, price, note: str, now: datetime) -> Bid:
    """Record a weekly price agreed with the provider after the deadline; it replaces the bid's price in the
    ranking and the award."""
    try:
        bid = _require_bid_open_to_change(officer, bid, now, "negotiate a price")
        agreed = parse_money(price, label="the weekly price agreed", maximum=MAX_WEEKLY_PRICE, field="price")
        note = (note or "").strip()
        if not note:
            raise DomainError("Say what was agreed with the provider, and why", field="note")
        if len(note) > MAX_NOTES:
            raise DomainError(f"Write the note in {MAX_NOTES} characters or fewer (you have {len(note)})",
                              field="note")
        before = {"weekly_price": bid.weekly_price, "negotiated_weekly_price": bid.negotiated_weekly_price}
        bid.negotiated_weekly_price, bid.negotiation_note = agreed, note
        db.session.flush()
        # The note stays on the bid: free text may name the child, and the trail is read by the lead's admins.
        audit.record(at=now, actor=officer, action="bid.negotiated", entity=bid,
                     summary=f"Weekly price of {bid.provider.name}'s bid for {bid.referral.reference} negotiated "
                             f"to {money(agreed)}",
                     before=before, after={"negotiated_weekly_price": agreed, "note_length": len(note)})
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError(CHANGED_AT_ONCE) from None
    except DomainError:
        db.session.rollback()
        raise
    return bid


# Ranking -----------------------------------------------------------------------------------------------------

def weighting(referral: Referral) -> tuple[int, int]:
    """The referral's quality and cost weights, fixed when it was published; the DPS's current ones if it has
    none of its own."""
    if referral.quality_weight is not None and referral.cost_weight is not None:
        return referral.quality_weight, referral.cost_weight
    question_set = referral.dps.current_question_set
    return question_set.quality_weight, question_set.cost_weight


def quality_of(assessment: BidAssessment) -> Decimal:
    return quality_percent([(assessment.score_of(criterion), CRITERION_MAX, 1) for criterion in CRITERIA])


def _opened_bids(referral: Referral, now: datetime) -> list[Bid]:
    """The referral's sent bids of every round whose deadline has passed (the sealing rule of services.bids), for
    pages that are not the officer's: the award and a provider's own outcome."""
    opened = [round_.id for round_ in referral.rounds if not bids.is_sealed(round_, now)]
    if not opened:
        raise DomainError(f"Bids are sealed until {format_datetime(referral.rounds[0].deadline)}"
                          if referral.rounds else "This referral has not been sent to providers")
    return list(db.session.scalars(
        db.select(Bid).where(Bid.referral_id == referral.id, Bid.round_id.in_(opened), Bid.status == SUBMITTED)
        .options(selectinload(Bid.costs), selectinload(Bid.provider), selectinload(Bid.assessment),
                 selectinload(Bid.invitation))
        .order_by(Bid.submitted_at, Bid.id)))


def ranking(referral: Referral, now: datetime) -> list[RankedBid]:
    """Every sent bid of every round whose deadline has passed, ranked best first; unassessed bids last, unranked.
    Raises DomainError while every bid is sealed."""
    return rank(referral, _opened_bids(referral, now))


def ranking_for(officer: User, referral: Referral, now: datetime) -> list[RankedBid]:
    """The ranking as the referring authority's officer reads it, through bids.visible_bids."""
    return rank(referral, bids.visible_bids(officer, referral, now))


def rank(referral: Referral, bid_list: list[Bid]) -> list[RankedBid]:
    """The bids ranked; a bid set aside at the deadline is listed last with its reason, never ranked."""
    quality_weight, cost_weight = weighting(referral)
    set_aside = standing_effects.set_aside_reasons(bid_list)
    assessed = [bid for bid in bid_list if bid.assessment is not None and bid.id not in set_aside]
    entries = [TierEntry(provider_id=bid.provider_id, provider_name=bid.provider.name,
                         quality_percent=quality_of(bid.assessment), weekly_price=bid.price_for_award)
               for bid in assessed]
    rows = {row.provider_id: row for row in award_tiers(entries, quality_weight=quality_weight,
                                                        cost_weight=cost_weight, tiers=0)}
    cautioned = _cautioned_providers(referral, bid_list)
    ranked = []
    for bid in bid_list:
        row = None if bid.id in set_aside else rows.get(bid.provider_id)
        ranked.append(RankedBid(
            bid=bid, provider_name=bid.provider.name, tier=bid.invitation.tier,
            place_with_caution=bid.invitation.place_with_caution or bid.provider_id in cautioned,
            indicative_price=referral.indicative_weekly_price, price=bid.price_for_award,
            assessed=row is not None,
            quality_percent=row.quality_percent if row else None,
            quality_component=row.quality_component if row else None,
            lowest_price=row.lowest_price if row else None,
            cost_component=row.cost_component if row else None,
            total=row.total if row else None,
            rank=row.rank if row else None,
            tied_with=row.tied_with if row else (),
            set_aside_reason=set_aside.get(bid.id, ""),
        ))
    ranked.sort(key=lambda item: (item.is_set_aside, item.rank is None, item.rank or 0, item.provider_name,
                                  item.bid.id))
    return ranked


def _cautioned_providers(referral: Referral, bid_list: list[Bid]) -> set[int]:
    """The bidders to place with caution now, by their standing or their membership of the referral's lot: either
    may have changed since the invitation (whose flag was taken at publishing) was sent."""
    provider_ids = {bid.provider_id for bid in bid_list}
    if not provider_ids:
        return set()
    cautioned = {bid.provider_id for bid in bid_list if bid.provider.provider_status == PLACE_WITH_CAUTION}
    cautioned.update(db.session.scalars(db.select(LotMembership.provider_id).where(
        LotMembership.lot_id == referral.lot_id, LotMembership.provider_id.in_(provider_ids),
        LotMembership.status == PLACE_WITH_CAUTION)))
    return cautioned


def all_assessed(ranked: list[RankedBid]) -> bool:
    """Every bid to weigh is scored: those set aside at the deadline are not weighed."""
    return all(item.assessed or item.is_set_aside for item in ranked)


def _require_not_barred(referral: Referral, chosen: RankedBid) -> None:
    """A bid set aside at the deadline, a provider suspended or terminated on the referral's DPS now, or a setting
    restricted there now: no award, with the reason."""
    if chosen.is_set_aside:
        raise DomainError(f"This bid was set aside at the deadline, so it cannot be awarded. {chosen.set_aside_reason}",
                          field="bid_id")
    provider = chosen.bid.provider
    barred = standing_effects.why_barred(referral.dps_id, provider.id)
    if barred:
        raise DomainError(f"{provider.name} is {barred}. No new placement can be made with it", field="bid_id")
    restricted = standing_effects.why_setting_restricted(referral.dps_id, chosen.bid.setting_id)
    if restricted:
        raise DomainError(f"New placements at {chosen.bid.setting.label}, the setting this bid offers, are restricted "
                          f"on {referral.dps.reference}: {restricted}", field="bid_id")


# Awarding ----------------------------------------------------------------------------------------------------

def _locked_referral(referral_id: int) -> Referral:
    """The referral re-read and locked until the transaction ends (PostgreSQL), so two awards, or an award and a
    re-opening, cannot interleave."""
    return db.session.scalars(db.select(Referral).where(Referral.id == referral_id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _require_awardable(referral: Referral, now: datetime) -> None:
    if referral.awarded_at is not None:
        raise DomainError(ALREADY_AWARDED)
    if referral.status(now) == OPEN:
        raise DomainError(f"Bids are open until {format_datetime(referral.current_round.deadline)}: "
                          "you can award once the deadline has passed")
    referral.require_status(now, CLOSED, action="award it")


def refusal_to_award(referral: Referral, ranked: list[RankedBid], now: datetime) -> str | None:
    """The first thing stopping any award of the referral, for the award page; None when it can be awarded."""
    try:
        _require_awardable(referral, now)
    except DomainError as error:
        return error.message
    if not ranked:
        return "No bid was received in time, so there is nothing to award"
    if all(item.is_set_aside for item in ranked):
        return "Every bid was set aside at the deadline, so there is nothing to award"
    if not all_assessed(ranked):
        return SCORE_EVERY_BID
    return None


def cost_basis(bid: Bid) -> str:
    return f"bid {bid.id}"


def ask_cost_approval(officer: User, referral: Referral, bid: Bid, now: datetime):
    """Ask a budget holder to approve the weekly cost of the chosen bid (its core fee and additional costs, or the
    price negotiated), before awarding it. Asking again (another bid, a new price) replaces the earlier request."""
    _require_officer_of(officer, referral)
    if bid.referral_id != referral.id:
        raise NotFound()
    _require_awardable(referral, now)
    ranked = ranking_for(officer, referral, now)
    chosen = next((item for item in ranked if item.bid.id == bid.id), None)
    if chosen is None:
        _refuse_unseen(bid, now)
    _require_not_barred(referral, chosen)
    extras = len(bid.costs)
    summary = (f"The weekly cost of placing the child of referral {referral.reference} with {chosen.provider_name} "
               f"(bid ranked {chosen.rank or 'unranked'}): core fee {money(bid.core_weekly_fee)}"
               + (f" plus {extras} additional cost{'s' if extras != 1 else ''}" if extras else "")
               + (f", negotiated to {money(bid.negotiated_weekly_price)}" if bid.negotiated_weekly_price is not None
                  else ""))
    return approvals.request(officer, referral, kind=PLACEMENT_COST, weekly_cost=bid.price_for_award,
                             basis=cost_basis(bid), summary=summary, now=now)


def cost_approval(referral: Referral, bid: Bid):
    """The approval of this bid's weekly cost as it stands, or None (none, pending, refused, or for other figures)."""
    return approvals.granted(referral, PLACEMENT_COST, basis=cost_basis(bid), weekly_cost=bid.price_for_award)


def asked_cost(referral: Referral, ranked: list) -> tuple:
    """The latest request to approve a bid's weekly cost, the ranked bid it was for (None when that bid is not among
    them), and whether that bid's price has changed since it was asked (the request no longer counts)."""
    asked = approvals.latest(referral, PLACEMENT_COST)
    if asked is None:
        return None, None, False
    item = next((item for item in ranked if cost_basis(item.bid) == asked.basis), None)
    stale = item is not None and not asked.matches(basis=asked.basis, weekly_cost=item.bid.price_for_award)
    return asked, item, stale


def _require_cost_approval(referral: Referral, bid: Bid):
    approval = cost_approval(referral, bid)
    if approval is None:
        asked = approvals.latest(referral, PLACEMENT_COST)
        if asked is not None and asked.is_pending and asked.basis == cost_basis(bid):
            raise DomainError("The approval of this bid's weekly cost is waiting for an answer", field="bid_id")
        raise DomainError("Ask a budget holder to approve this bid's weekly cost before awarding it", field="bid_id")
    return approval


def place_flags(area_code: str | None, referral: Referral) -> tuple[bool | None, bool | None]:
    """Whether a home in this area is in the child's home authority's area, and in the preferred location: the
    home's area is that area (or a preferred one), or lies inside it (a district inside a county). Either is None
    (not known) while an area it needs is to be confirmed: the home's, the authority's, or the preferred areas."""
    if area_code is None:
        return None, None
    authority_area, preferred = referral.authority.area_code, referral.preferred_area_codes
    return (areas.within(area_code, authority_area) if authority_area else None,
            areas.within_any(area_code, preferred) if preferred else None)


def recorded_flags(area_code: str | None, referral: Referral) -> tuple[bool, bool]:
    """The flags a new placement records: a flag not known yet is recorded as No (and shown as not known while it
    is, see placements.place_flags)."""
    in_home_area, preferred = place_flags(area_code, referral)
    return bool(in_home_area), bool(preferred)


def qa_visit_due(referral: Referral, start_date: date, now: datetime, *,
                 placed_with_caution: bool = False) -> datetime | None:
    """The quality-assurance visit of an emergency placement, or of a placement with a provider marked place with
    caution, is due within 72 hours of its start: from 00:00 UK time on the start date, or from the award if that
    is later. Any other framework placement needs none."""
    if not (referral.is_emergency or placed_with_caution):
        return None
    start = max(local_datetime(start_date, time(0, 0)), now)
    if start_date > to_local(now).date() + timedelta(days=bids.MAX_START_DAYS):  # and the sum below overflows
        raise DomainError(f"The placement would start on {format_date(start_date)}, more than two years ahead: "
                          "no placement can be made with that start", field="bid_id")
    return start + timedelta(hours=QA_VISIT_HOURS)


def _cost_lines(bid: Bid) -> list[PlacementCost]:
    """The core fee, the negotiated adjustment (so the lines add up to the price agreed), then each additional
    cost with its timescale and review date."""
    lines = [PlacementCost(description=CORE_FEE, weekly_amount=bid.core_weekly_fee, timescale="", review_date=None)]
    adjustment = bid.price_for_award - bid.weekly_price
    if adjustment:
        lines.append(PlacementCost(description=NEGOTIATED_ADJUSTMENT, weekly_amount=adjustment, timescale="",
                                   review_date=None))
    lines += [PlacementCost(description=cost.description, weekly_amount=cost.weekly_amount, timescale=cost.timescale,
                            review_date=cost.review_date) for cost in bid.costs]
    for position, line in enumerate(lines, start=1):
        line.position = position
    return lines


def award(officer: User, referral: Referral, bid: Bid, *, reason: str, now: datetime,
          caution_acknowledged: bool = False) -> Placement:
    """Award the referral to a bid and make the placement, with its itemised weekly cost. A bid of a provider to
    place with caution needs the officer's word (`caution_acknowledged`) that the caution was read."""
    _require_officer_of(officer, referral)
    if bid.referral_id != referral.id:
        raise NotFound()
    try:
        referral = _locked_referral(referral.id)
        _require_awardable(referral, now)
        ranked = ranking_for(officer, referral, now)
        chosen = next((item for item in ranked if item.bid.id == bid.id), None)
        if chosen is None:
            _refuse_unseen(bid, now)
        if not all_assessed(ranked):
            raise DomainError(SCORE_EVERY_BID)
        reason = (reason or "").strip()
        if not chosen.is_top and not reason:
            raise DomainError(REASON_NEEDED, field="reason")
        _require_not_barred(referral, chosen)
        approval = _require_cost_approval(referral, chosen.bid)
        provider = chosen.bid.provider
        if chosen.place_with_caution and not caution_acknowledged:
            raise DomainError(f"{provider.name} is marked place with caution: confirm that you have read the caution "
                              "and still wish to award", field="caution_acknowledged")
        placement = _make_placement(officer, referral, chosen, approval, now)
        referral.awarded_at, referral.awarded_bid_id, referral.award_reason = now, chosen.bid.id, reason
        db.session.flush()
        _record_award(officer, referral, chosen, placement, reason, now)
        _tell_bidders(referral, ranked, chosen, placement, now)
        approvals.close_pending(officer, referral, now, why=f"referral {referral.reference} awarded")
        db.session.commit()
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        raise DomainError(ALREADY_AWARDED) from None
    except DomainError:
        db.session.rollback()
        raise
    return placement


def first_price(weekly_cost, start_date, approval, officer: User, now: datetime) -> PlacementPrice:
    """The price agreed at the award, in force from the start: the first of the placement's prices."""
    return PlacementPrice(effective_from=start_date, weekly_cost=weekly_cost, reason="Agreed at the award",
                          approval_id=approval.id if approval is not None else None, recorded_by_id=officer.id,
                          recorded_at=now)


def _make_placement(officer: User, referral: Referral, chosen: RankedBid, approval, now: datetime) -> Placement:
    bid = chosen.bid
    in_home_area, location_was_preferred = recorded_flags(bid.home_area_code, referral)
    placement = Placement(
        agreement_reference=f"IPA-{referral.reference}", referral_id=referral.id, authority_id=referral.authority_id,
        on_framework=True, provider_id=bid.provider_id, off_framework_provider_id=None, bid_id=bid.id,
        setting_id=bid.setting_id,  # where the child will live: the setting the bid offered
        lot_id=referral.lot_id, category_id=referral.category_id, tier=chosen.tier,
        weekly_cost=bid.price_for_award, start_date=bid.proposed_start,
        location_area=bid.home_area, location_area_code=bid.home_area_code,
        in_home_area=in_home_area, location_was_preferred=location_was_preferred,
        cost_approval_id=approval.id, created_by_id=officer.id,
        created_at=now, qa_visit_notes="", costs=_cost_lines(bid), placed_with_caution=chosen.place_with_caution,
        qa_visit_due_at=qa_visit_due(referral, bid.proposed_start, now, placed_with_caution=chosen.place_with_caution),
        prices=[first_price(bid.price_for_award, bid.proposed_start, approval, officer, now)])
    db.session.add(placement)
    db.session.flush()
    return placement


def _record_award(officer: User, referral: Referral, chosen: RankedBid, placement: Placement, reason: str,
                  now: datetime) -> None:
    audit.record(at=now, actor=officer, action="referral.awarded", entity=referral,
                 summary=f"{referral.reference} awarded to {chosen.provider_name} ({placement.agreement_reference}), "
                         f"ranked {chosen.rank}" + ("" if chosen.is_top else " with a reason given"),
                 after={"bid_id": chosen.bid.id, "provider": chosen.provider_name, "rank": chosen.rank,
                        "total": chosen.display_total, "weekly_cost": placement.weekly_cost,
                        "start_date": placement.start_date,
                        # the reason itself stays on the referral: free text may name the child
                        "reason_given": bool(reason), "reason_length": len(reason),
                        "cost_approval_id": placement.cost_approval_id,
                        "placement_id": placement.id, "qa_visit_due_at": placement.qa_visit_due_at,
                        "place_with_caution": chosen.place_with_caution})


def _provider_users(bid: Bid) -> list[User]:
    return [user for user in bid.provider.users if user.is_active and user.has_role(PROVIDER_USER)]


def _tell_bidders(referral: Referral, ranked: list[RankedBid], chosen: RankedBid, placement: Placement,
                  now: datetime) -> None:
    """The winner hears the award, every other bidder that it was not successful; none hears of the child or the
    officer, nor of another provider."""
    link = url_for("supplier.referral_outcome", referral_id=referral.id)
    authority = referral.authority.name
    for item in ranked:
        if item is chosen:
            subject = f"Referral {referral.reference}: your bid has been awarded"
            body = (f"{authority} has awarded referral {referral.reference} to your bid.\n"
                    f"Weekly cost: {money(placement.weekly_cost)}\n"
                    f"Start date: {format_date(placement.start_date)}\n"
                    f"Agreement reference: {placement.agreement_reference}\n"
                    "The authority will send the agreement to sign.")
        else:
            subject = f"Referral {referral.reference}: your bid was not successful"
            body = (f"{authority} has awarded referral {referral.reference} to another provider. Your bid was not "
                    "successful. Your own score and rank are in the portal.")
        for user in _provider_users(item.bid):
            mail.notify(user, subject=subject, body=body, at=now, link=link)


# A provider's own outcome ------------------------------------------------------------------------------------

def outcome_for_provider(user: User, referral_id: int, now: datetime) -> ProviderOutcome:
    """The outcome for the user's provider, once the referral is awarded; NotFound for a provider that did not bid,
    and for everyone before the award."""
    referral = db.session.get(Referral, referral_id)
    if referral is None or not user.has_role(PROVIDER_USER) or referral.status(now) != AWARDED:
        raise NotFound()
    ranked = ranking(referral, now)
    own = next((item for item in ranked if item.bid.provider_id == user.organisation_id), None)
    if own is None:
        raise NotFound()
    awarded = referral.awarded_bid_id == own.bid.id
    winner = next((item for item in ranked if item.bid.id == referral.awarded_bid_id), None)
    assessment = own.bid.assessment
    return ProviderOutcome(
        referral=referrals.anonymised(referral), awarded=awarded, price=own.price,
        quality_percent=own.quality_percent, total=own.display_total, rank=own.rank, tied=bool(own.tied_with),
        bids_count=len([item for item in ranked if not item.is_set_aside]),
        terms=_terms(placement_of(referral)) if awarded else None,
        scores=tuple((label, assessment.score_of(criterion)) for criterion, label in CRITERIA.items())
        if assessment else (),
        notes=_without_identifiers(assessment.notes if assessment else "", referral),
        lower_ranked_bid_won=(winner is not None and not awarded and None not in (winner.rank, own.rank)
                              and winner.rank > own.rank))


def _without_identifiers(text: str, referral: Referral) -> str:
    """The text with whatever the anonymity guard finds of the child (names, dates, case numbers) replaced."""
    for finding in reversed(anonymity.find_identifiers(text, referrals.private_details(referral))):
        text = f"{text[:finding.start]}[removed]{text[finding.end:]}"
    return text


def _terms(placement: Placement) -> AwardTerms:
    return AwardTerms(
        agreement_reference=placement.agreement_reference, weekly_cost=placement.weekly_cost,
        start_date=placement.start_date,
        costs=tuple(CostLine(cost.description, cost.weekly_amount, cost.timescale, cost.review_date)
                    for cost in placement.costs))


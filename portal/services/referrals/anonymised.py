"""What providers see of a referral: the AnonymisedReferral, never the ORM object or the child's identity."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from portal.models import (
    Referral,
)
from portal.models.referral import (
    CULTURAL_NEEDS,
    LIVE_ALONGSIDE,
    PETS,
    SUITABILITY,
    YES_NO_NOT_SPECIFIED,
)
from portal.timezone import format_date

NOT_GIVEN = "Not given yet"


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def _listed(items: list[str], empty: str) -> str:
    return ", ".join(items) if items else empty


@dataclass(frozen=True)
class AnonymisedReferral:
    """Everything a provider may see of a referral, and nothing else: never the child's identity, nor the
    officer's name. Provider pages, e-mails and documents get this, never the Referral record."""

    id: int
    reference: str
    dps_name: str
    lot_label: str
    authority_name: str
    status: str | None  # the referral's status at the `now` given to anonymised(), None if none was given
    needed_by: str
    is_emergency: bool
    siblings_to_place_with: int
    preferred_location: str  # the preferred areas by name, then the officer's note (checked by the anonymity guard)
    communication_needs: str
    communication_which: tuple[str, ...]
    adaptations_needed: bool
    adaptations_detail: str
    cultural_needs: str
    cultural_detail: str
    live_alongside: str
    pets: str
    additional_support: tuple[str, ...]
    deprivation_of_liberty: bool
    suitability_foster: str
    suitability_residential: str
    suitability_supported: str
    risks_to_child: tuple[str, ...]
    risks_to_others: tuple[str, ...]
    age_years: int | None  # None only in a draft (providers see published referrals, which are complete)
    required_start: date | None
    expected_duration: str
    education_needs: str
    needs_summary: str
    indicative_weekly_price: Decimal | None
    deadline: datetime | None  # of the latest round
    published_at: datetime | None
    withdrawn: bool

    @property
    def sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The referral's fields as (heading, [(label, text)]) in the Placements Data Standard's groups."""
        return [
            ("The placement", [
                ("Age", NOT_GIVEN if self.age_years is None else f"{self.age_years}"),
                ("Start", format_date(self.required_start) or NOT_GIVEN),
                ("Expected duration", self.expected_duration or NOT_GIVEN),
                ("Summary of needs", self.needs_summary or NOT_GIVEN),
                ("Education needs", self.education_needs or "None given"),
            ]),
            ("Availability", [
                ("Needed by", self.needed_by),
                ("Siblings to place with", f"{self.siblings_to_place_with}"),
                ("Preferred location", self.preferred_location or NOT_GIVEN),
            ]),
            ("Requirements", [
                ("Communication, language and learning needs", self.communication_needs),
                ("Which needs", _listed(list(self.communication_which), "None listed")),
                ("Adaptation to the home", _yes_no(self.adaptations_needed)
                 + (f": {self.adaptations_detail}" if self.adaptations_detail else "")),
                ("Cultural needs", self.cultural_needs + (f": {self.cultural_detail}" if self.cultural_detail else "")),
                ("Can be cared for alongside", self.live_alongside),
                ("Can live with pets", self.pets),
                ("Additional support", _listed(list(self.additional_support), "None")),
                ("Deprivation of Liberty order", _yes_no(self.deprivation_of_liberty)),
            ]),
            ("Recommendation", [
                ("Foster care", self.suitability_foster),
                ("Residential care", self.suitability_residential),
                ("Supported accommodation", self.suitability_supported),
            ]),
            ("Risks", [
                ("Risks to the child", _listed(list(self.risks_to_child), "No known risk")),
                ("Risks to others or property", _listed(list(self.risks_to_others), "No known risk")),
            ]),
        ]


def anonymised(referral: Referral, now: datetime | None = None) -> AnonymisedReferral:
    """The provider's view of a referral; with `now`, its status at that moment too."""
    current = referral.current_round
    deadline = current.deadline if current else None
    return AnonymisedReferral(
        id=referral.id,
        reference=referral.reference,
        dps_name=referral.dps.name,
        lot_label=referral.category.full_label if referral.category else referral.lot.label,
        authority_name=referral.authority.name,
        status=referral.status(now) if now is not None else None,
        needed_by=referral.needed_by_label,
        is_emergency=referral.is_emergency,
        siblings_to_place_with=referral.siblings_to_place_with,
        preferred_location=referral.preferred_location_label,
        communication_needs=YES_NO_NOT_SPECIFIED.get(referral.communication_needs, NOT_GIVEN),
        communication_which=tuple(referral.communication_list),
        adaptations_needed=referral.adaptations_needed,
        adaptations_detail=referral.adaptations_detail,
        cultural_needs=CULTURAL_NEEDS.get(referral.cultural_needs, NOT_GIVEN),
        cultural_detail=referral.cultural_detail,
        live_alongside=LIVE_ALONGSIDE.get(referral.live_alongside, NOT_GIVEN),
        pets=PETS.get(referral.pets, NOT_GIVEN),
        additional_support=tuple(referral.additional_support_list),
        deprivation_of_liberty=referral.deprivation_of_liberty,
        suitability_foster=SUITABILITY.get(referral.suitability_foster, NOT_GIVEN),
        suitability_residential=SUITABILITY.get(referral.suitability_residential, NOT_GIVEN),
        suitability_supported=SUITABILITY.get(referral.suitability_supported, NOT_GIVEN),
        risks_to_child=tuple(referral.risks_to_child_list),
        risks_to_others=tuple(referral.risks_to_others_list),
        age_years=referral.age_years,
        required_start=referral.required_start,
        expected_duration=referral.expected_duration,
        education_needs=referral.education_needs,
        needs_summary=referral.needs_summary,
        indicative_weekly_price=referral.indicative_weekly_price,
        deadline=deadline,
        published_at=referral.published_at,
        withdrawn=referral.withdrawn_at is not None,
    )

"""Setting up a DPS: its terms, members, lots, quality questions and weighting.

Questions and weighting are versioned: a version is locked once a window has opened under it,
and changes then go into a new version that later windows use.
"""

from dataclasses import dataclass
from datetime import date, datetime

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    AgeCategory,
    Application,
    CategoryMembership,
    CategoryPrice,
    Dps,
    EntryWindow,
    Lot,
    QualityQuestion,
    QuestionSet,
    Referral,
    TierAward,
    User,
)
from portal.models.application import SUBMITTED
from portal.models.dps import EVIDENCE_KINDS, SERVICE_TYPES
from portal.models.user import ADMINISTRATOR, EVALUATOR
from portal.services import audit, outcomes

START_YEARS = (2000, 2100)


def dps_for_lead(user: User, dps_id: int) -> Dps:
    """The DPS, if the user's organisation leads it and the user administers or evaluates for it."""
    dps = db.session.get(Dps, dps_id)
    if dps is None or dps.lead_authority_id != user.organisation_id or not user.has_role(ADMINISTRATOR, EVALUATOR):
        raise NotFound()
    return dps


def dpss_led_by(organisation_id: int) -> list[Dps]:
    return db.session.scalars(db.select(Dps).where(Dps.lead_authority_id == organisation_id).order_by(Dps.name)).all()


def _check_terms(*, reference, service_type, initial_years, extension_years, cadence_months,
                 window_length_days, required_evidence):
    if service_type not in SERVICE_TYPES:
        raise DomainError("Select the service type", field="service_type")
    if not 1 <= initial_years <= 10:
        raise DomainError("The initial term must be between 1 and 10 years", field="initial_years")
    parts = [part.strip() for part in extension_years.split("+") if part.strip()]
    if not all(part.isdecimal() and 1 <= int(part) <= 5 for part in parts):
        raise DomainError("Enter extensions as whole years joined by +, like 1+1", field="extension_years")
    if cadence_months is not None and not 1 <= cadence_months <= 24:
        raise DomainError("Windows must open between every 1 and every 24 months", field="cadence_months")
    if not 1 <= window_length_days <= 366:
        raise DomainError("A window must last between 1 and 366 days", field="window_length_days")
    if cadence_months is not None and window_length_days > cadence_months * 28:
        raise DomainError("A window must close before the next one opens: shorten the window",
                          field="window_length_days")
    if not set(required_evidence) <= set(EVIDENCE_KINDS) or not required_evidence:
        raise DomainError("Select the evidence providers must send", field="required_evidence")
    if not reference.strip():
        raise DomainError("Enter a reference", field="reference")


def create_dps(admin: User, *, reference: str, name: str, service_type: str, description: str,
               start_date: date, initial_years: int, extension_years: str, cadence_months: int | None,
               window_length_days: int, required_evidence: list[str], quality_weight: int,
               quality_threshold_percent: int, now: datetime) -> Dps:
    _check_terms(reference=reference, service_type=service_type, initial_years=initial_years,
                 extension_years=extension_years, cadence_months=cadence_months,
                 window_length_days=window_length_days, required_evidence=required_evidence)
    first, last = START_YEARS
    if not first <= start_date.year <= last:
        raise DomainError(f"The start date must be in the years {first} to {last}", field="start_date")
    if db.session.scalar(db.select(Dps.id).where(Dps.reference == reference.strip())):
        raise DomainError("Another DPS already has this reference", field="reference")
    _check_weighting(quality_weight, quality_threshold_percent)
    dps = Dps(reference=reference.strip(), name=name.strip(), lead_authority_id=admin.organisation_id,
              service_type=service_type, description=description.strip(), start_date=start_date,
              initial_years=initial_years, extension_years="+".join(
                  p.strip() for p in extension_years.split("+") if p.strip()),
              cadence_months=cadence_months, window_length_days=window_length_days,
              required_evidence=",".join(required_evidence), created_at=now)
    db.session.add(dps)
    db.session.add(QuestionSet(dps=dps, version=1, quality_weight=quality_weight, cost_weight=100 - quality_weight,
                               quality_threshold_percent=quality_threshold_percent, created_at=now))
    db.session.flush()
    audit.record(at=now, actor=admin, action="dps.created", entity=dps, summary=f"{dps.reference} {dps.name} created",
                 after={"reference": dps.reference, "name": dps.name, "cadence_months": cadence_months,
                        "quality_weight": quality_weight})
    db.session.commit()
    return dps


def update_terms(admin: User, dps: Dps, *, name: str, description: str, cadence_months: int | None,
                 window_length_days: int, reminder_days: int, decision_working_days: int,
                 required_evidence: list[str], now: datetime, moderation_gap: int | None = None) -> None:
    _check_terms(reference=dps.reference, service_type=dps.service_type, initial_years=dps.initial_years,
                 extension_years=dps.extension_years, cadence_months=cadence_months,
                 window_length_days=window_length_days, required_evidence=required_evidence)
    if not 0 <= reminder_days <= 30:
        raise DomainError("Send the closing reminder between 0 and 30 days before the close", field="reminder_days")
    if not 1 <= decision_working_days <= 60:
        raise DomainError("The decision deadline must be between 1 and 60 working days",
                          field="decision_working_days")
    if moderation_gap is not None and not 0 <= moderation_gap <= 100:
        raise DomainError("The gap that highlights differing scores must be between 0 and 100", field="moderation_gap")
    if set(required_evidence) != set(dps.required_evidence.split(",")):
        _check_evidence_may_change(dps, now)
    fields = ("name", "description", "cadence_months", "window_length_days", "reminder_days",
              "decision_working_days", "required_evidence", "moderation_gap")
    before = {field: getattr(dps, field) for field in fields}
    dps.name = name.strip()
    dps.description = description.strip()
    dps.cadence_months = cadence_months
    dps.window_length_days = window_length_days
    dps.reminder_days = reminder_days
    dps.decision_working_days = decision_working_days
    dps.required_evidence = ",".join(required_evidence)
    if moderation_gap is not None:
        dps.moderation_gap = moderation_gap
    after = {field: getattr(dps, field) for field in fields}
    if before != after:
        audit.record(at=now, actor=admin, action="dps.updated", entity=dps, summary=f"{dps.reference} terms changed",
                     before=before, after=after)
    db.session.commit()


def _check_evidence_may_change(dps: Dps, now: datetime) -> None:
    """Providers of a window are asked for, and judged on, the same evidence from its opening to its outcomes."""
    for window in db.session.scalars(db.select(EntryWindow).where(EntryWindow.dps_id == dps.id,
                                                                  EntryWindow.opens_at <= now)):
        if window.is_open(now):
            raise DomainError(f"The evidence providers must send cannot change while {window.label} is open: "
                              "change it after the window has closed and its outcomes are published",
                              field="required_evidence")
        if window.outcomes_published_at is None and db.session.scalar(
                db.select(Application.id).where(Application.window_id == window.id,
                                                Application.status == SUBMITTED).limit(1)) is not None:
            raise DomainError(f"The evidence providers must send cannot change while the applications of "
                              f"{window.label} are being evaluated: change it after their outcomes are published",
                              field="required_evidence")


MAX_AGE = 25
MAX_CATEGORIES = 6
MAX_TIERS = 5


@dataclass(frozen=True)
class CategorySpec:
    """An age category as the administrator gives it: the ages it covers and its number of tiers."""

    age_from: int
    age_to: int
    tiers: int

    @property
    def age_band(self) -> str:
        return f"{self.age_from} to {self.age_to}"


def parse_categories(rows: list[tuple[str, str, str]]) -> list[CategorySpec]:
    """The categories typed in the lot form's rows (from-age, to-age, tiers), skipping empty rows; each figure must
    be a whole number. The error names the row and the field (category-N-age_from, …-age_to, …-tiers)."""
    labels = {"age_from": "the youngest age", "age_to": "the oldest age", "tiers": "the number of tiers"}
    categories = []
    for number, row in enumerate(rows, start=1):
        texts = [text.strip() for text in row]
        if not any(texts):
            continue
        values = {}
        for name, text in zip(("age_from", "age_to", "tiers"), texts, strict=True):
            if not text:
                raise DomainError(f"Enter {labels[name]} of age category {number}", field=f"category-{number}-{name}")
            if not text.isdecimal() or len(text) > 3:
                raise DomainError(f"Enter {labels[name]} of age category {number} as a whole number, like 5",
                                  field=f"category-{number}-{name}")
            values[name] = int(text)
        categories.append(CategorySpec(**values))
    return categories


def check_categories(categories: list) -> list[CategorySpec]:
    """The lot's categories, youngest first, once they cover its ages without a gap or an overlap; else a clear
    error. Accepts CategorySpec or (age_from, age_to, tiers)."""
    specs = [c if isinstance(c, CategorySpec) else CategorySpec(*c) for c in categories]
    if not specs:
        raise DomainError("Enter at least one age category: its ages and its number of tiers",
                          field="category-1-age_from")
    if len(specs) > MAX_CATEGORIES:
        raise DomainError(f"A lot has at most {MAX_CATEGORIES} age categories: you gave {len(specs)}. Join some "
                          "ages into one category", field=f"category-{MAX_CATEGORIES + 1}-age_from")
    for number, spec in enumerate(specs, start=1):
        if not 0 <= spec.age_from <= spec.age_to <= MAX_AGE:
            raise DomainError(f"Age category {number}: enter ages from 0 to {MAX_AGE}, the youngest first "
                              f"(not {spec.age_band})", field=f"category-{number}-age_from")
        if not 0 <= spec.tiers <= MAX_TIERS:
            raise DomainError(f"Age category {number} ({spec.age_band}): enter a number of tiers from 0 (no tiers) "
                              f"to {MAX_TIERS}", field=f"category-{number}-tiers")
    ordered = sorted(specs, key=lambda spec: (spec.age_from, spec.age_to))
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.age_from <= earlier.age_to:
            raise DomainError(f"Ages {earlier.age_band} and {later.age_band} overlap: each age belongs to one "
                              "category", field=f"category-{specs.index(later) + 1}-age_from")
        if later.age_from > earlier.age_to + 1:
            missing = (f"age {earlier.age_to + 1}" if later.age_from == earlier.age_to + 2
                       else f"ages {earlier.age_to + 1} to {later.age_from - 1}")
            raise DomainError(f"No category covers {missing}: the categories must follow on without a gap",
                              field=f"category-{specs.index(later) + 1}-age_from")
    return ordered


def _check_name(name: str) -> None:
    if not name.strip():
        raise DomainError("Enter the lot's name", field="name")


def _categories_audit(lot: Lot) -> list[dict]:
    return [{"ages": category.age_band, "tiers": category.tiers} for category in lot.categories]


def add_lot(admin: User, dps: Dps, *, name: str, description: str, categories: list, now: datetime) -> Lot:
    """A new lot divided into the given age categories (one category spanning its ages if it is not divided)."""
    _check_name(name)
    specs = check_categories(categories)
    number = max((lot.number for lot in dps.lots), default=0) + 1
    lot = Lot(dps=dps, number=number, name=name.strip(), description=description.strip(),
              age_from=specs[0].age_from, age_to=specs[-1].age_to)
    lot.categories = [AgeCategory(age_from=s.age_from, age_to=s.age_to, tiers=s.tiers) for s in specs]
    db.session.add(lot)
    db.session.flush()
    audit.record(at=now, actor=admin, action="lot.created", entity=lot, summary=f"{dps.reference} {lot.label} created",
                 after={"name": lot.name, "age_from": lot.age_from, "age_to": lot.age_to,
                        "categories": _categories_audit(lot)})
    db.session.commit()
    return lot


def _category_in_use(category: AgeCategory) -> str | None:
    """What keeps a category's ages from changing: providers' prices, tier tables or referrals; None if nothing."""
    checks = (
        (CategoryPrice, CategoryPrice.category_id, "providers have priced it"),
        (TierAward, TierAward.category_id, "providers are tiered in it"),
        (CategoryMembership, CategoryMembership.category_id, "providers hold places in it"),
        (Referral, Referral.category_id, "referrals have been made in it"),
    )
    for model, column, reason in checks:
        if db.session.scalar(db.select(db.func.count()).select_from(model).where(column == category.id)):
            return reason
    return None


def update_lot(admin: User, lot: Lot, *, name: str, description: str, categories: list,
               now: datetime) -> list[str]:
    """Change the lot's name, description and categories. A category keeps its prices, tier tables and referrals
    while its ages stay the same; its number of tiers may change, and a category whose providers hold places in it
    is then re-tiered at once on its stored scores, in the same transaction (so no provider is left in a tier that
    no longer exists). A category whose ages would change or that would go is refused once anything uses it.
    Returns what each re-tiering did, for the administrator."""
    _check_name(name)
    specs = check_categories(categories)
    before = {"name": lot.name, "description": lot.description, "categories": _categories_audit(lot)}
    kept = {(spec.age_from, spec.age_to) for spec in specs}
    going = [category for category in lot.categories if (category.age_from, category.age_to) not in kept]
    for category in going:
        reason = _category_in_use(category)
        if reason is not None:
            raise DomainError(f"Ages {category.age_band} cannot be changed or removed because {reason}. You can "
                              "still change its number of tiers, or add categories for ages the lot does not cover "
                              "yet", field="category-1-age_from")
    for category in going:
        lot.categories.remove(category)
    db.session.flush()  # the removed categories go before new ones may take their youngest age
    existing = {(category.age_from, category.age_to): category for category in lot.categories}
    retier = []
    for spec in specs:
        category = existing.get((spec.age_from, spec.age_to))
        if category is None:
            lot.categories.append(AgeCategory(age_from=spec.age_from, age_to=spec.age_to, tiers=spec.tiers))
        elif category.tiers != spec.tiers:
            category.tiers = spec.tiers
            retier.append(category)
    lot.name, lot.description = name.strip(), description.strip()
    lot.age_from, lot.age_to = specs[0].age_from, specs[-1].age_to
    db.session.flush()
    retiered = [message for message in (outcomes.retier_category(admin, category, now) for category in retier)
                if message]
    db.session.flush()
    db.session.expire(lot, ["categories"])
    audit.record(at=now, actor=admin, action="lot.updated", entity=lot, summary=f"{lot.label} changed",
                 before=before, after={"name": lot.name, "description": lot.description,
                                       "categories": _categories_audit(lot)})
    db.session.commit()
    return retiered


# Whether the set-up is complete ----------------------------------------------------------------

def setup_problems(dps: Dps, question_set: QuestionSet | None = None) -> list[str]:
    """What is missing before a window of the DPS may be scheduled or opened: its lots, the quality questions
    and weighting of the version the window uses (the current one unless given), and the evidence providers
    must send. Empty when the set-up is complete."""
    question_set = question_set or dps.current_question_set
    problems = []
    if not dps.lots:
        problems.append("add at least one lot")
    if question_set is None or not question_set.questions:
        problems.append("add at least one quality question")
    elif question_set.quality_weight + question_set.cost_weight != 100:
        problems.append("set the quality and cost weighting so that they add up to 100%")
    if not dps.evidence_kinds:
        problems.append("choose the evidence providers must send")
    return problems


def setup_incomplete_message(dps: Dps, problems: list[str]) -> str:
    return f"The set-up of {dps.reference} is not complete: {'; '.join(problems)}."


# Questions and weighting -----------------------------------------------------------------------

def _window_using(question_set: QuestionSet, now: datetime) -> EntryWindow | None:
    """The first window that has opened under this version, whether or not the scheduler has announced it (a window
    held back because the set-up was incomplete has not opened)."""
    return db.session.scalar(
        db.select(EntryWindow).where(EntryWindow.question_set_id == question_set.id, EntryWindow.opens_at <= now,
                                     db.or_(EntryWindow.setup_held_at.is_(None), EntryWindow.opened_at.is_not(None)))
        .order_by(EntryWindow.opens_at).limit(1)
    )


def is_locked(question_set: QuestionSet, now: datetime) -> bool:
    return question_set.is_locked or _window_using(question_set, now) is not None


def locked_reason(question_set: QuestionSet, now: datetime) -> str | None:
    """Why this version of the questions can no longer change, or None while it can."""
    window = _window_using(question_set, now)
    if not question_set.is_locked and window is None:
        return None
    used_by = f" by {window.label}, which has opened" if window else ""
    return (f"Version {question_set.version} of the questions and weighting is in use{used_by}, so it cannot "
            "change. Create a new version: later windows will use it.")


def ensure_editable(question_set: QuestionSet, now: datetime) -> None:
    reason = locked_reason(question_set, now)
    if reason:
        raise DomainError(reason)


def _check_weighting(quality_weight: int, threshold: int) -> None:
    if not 0 <= quality_weight <= 100:
        raise DomainError("The quality weight must be between 0 and 100 per cent", field="quality_weight")
    if not 0 <= threshold <= 100:
        raise DomainError("The quality threshold must be between 0 and 100 per cent",
                          field="quality_threshold_percent")


def set_weighting(admin: User, question_set: QuestionSet, *, quality_weight: int, quality_threshold_percent: int,
                  now: datetime) -> None:
    ensure_editable(question_set, now)
    _check_weighting(quality_weight, quality_threshold_percent)
    before = {"quality_weight": question_set.quality_weight, "cost_weight": question_set.cost_weight,
              "quality_threshold_percent": question_set.quality_threshold_percent}
    question_set.quality_weight = quality_weight
    question_set.cost_weight = 100 - quality_weight
    question_set.quality_threshold_percent = quality_threshold_percent
    audit.record(at=now, actor=admin, action="questions.changed", entity=question_set,
                 summary=f"Weighting of version {question_set.version} set to {question_set.weighting_label}",
                 before=before, after={"quality_weight": quality_weight, "cost_weight": 100 - quality_weight,
                                       "quality_threshold_percent": quality_threshold_percent})
    db.session.commit()


def _check_question(text: str, scoring: str, weight: int, max_score: int, min_score: int, word_limit: int) -> None:
    if not text.strip():
        raise DomainError("Enter the question", field="text")
    if scoring not in ("scored", "pass_fail"):
        raise DomainError("Select how the question is marked", field="scoring")
    if scoring == "scored":
        if not 1 <= max_score <= 100:
            raise DomainError("The maximum score must be between 1 and 100", field="max_score")
        if not 0 <= min_score <= max_score:
            raise DomainError("The minimum acceptable score must be between 0 and the maximum", field="min_score")
        if not 1 <= weight <= 100:
            raise DomainError("The weight must be between 1 and 100", field="weight")
    if not 50 <= word_limit <= 5000:
        raise DomainError("The word limit must be between 50 and 5,000", field="word_limit")


def _question_state(question: QualityQuestion) -> dict:
    return {"text": question.text, "guidance": question.guidance, "scoring": question.scoring,
            "weight": question.weight, "max_score": question.max_score, "min_score": question.min_score,
            "word_limit": question.word_limit}


def add_question(admin: User, question_set: QuestionSet, *, text: str, guidance: str, scoring: str, weight: int,
                 max_score: int, min_score: int, word_limit: int, now: datetime) -> QualityQuestion:
    ensure_editable(question_set, now)
    _check_question(text, scoring, weight, max_score, min_score, word_limit)
    if scoring == "pass_fail":
        weight, max_score, min_score = 0, 1, 1
    number = max((q.number for q in question_set.questions), default=0) + 1
    question = QualityQuestion(question_set=question_set, number=number, text=text.strip(), guidance=guidance.strip(),
                               scoring=scoring, weight=weight, max_score=max_score, min_score=min_score,
                               word_limit=word_limit)
    db.session.add(question)
    db.session.flush()
    audit.record(at=now, actor=admin, action="questions.changed", entity=question,
                 summary=f"Question {number} added to version {question_set.version}", after=_question_state(question))
    db.session.commit()
    return question


def update_question(admin: User, question: QualityQuestion, *, text: str, guidance: str, scoring: str, weight: int,
                    max_score: int, min_score: int, word_limit: int, now: datetime) -> None:
    ensure_editable(question.question_set, now)
    _check_question(text, scoring, weight, max_score, min_score, word_limit)
    if scoring == "pass_fail":
        weight, max_score, min_score = 0, 1, 1
    before = _question_state(question)
    question.text, question.guidance, question.scoring = text.strip(), guidance.strip(), scoring
    question.weight, question.max_score, question.min_score, question.word_limit = (
        weight, max_score, min_score, word_limit)
    audit.record(at=now, actor=admin, action="questions.changed", entity=question,
                 summary=f"Question {question.number} changed", before=before, after=_question_state(question))
    db.session.commit()


def remove_question(admin: User, question: QualityQuestion, now: datetime) -> None:
    question_set = question.question_set
    ensure_editable(question_set, now)
    audit.record(at=now, actor=admin, action="questions.changed", entity=question,
                 summary=f"Question {question.number} removed from version {question_set.version}",
                 before=_question_state(question))
    question_set.questions.remove(question)
    db.session.commit()


def new_version(admin: User, dps: Dps, now: datetime) -> QuestionSet:
    """Copy the current, locked version into a new one that scheduled and later windows use."""
    current = dps.current_question_set
    if not is_locked(current, now):
        raise DomainError(f"Version {current.version} has not been used by a window yet: change it directly.")
    questions = [
        QualityQuestion(number=q.number, text=q.text, guidance=q.guidance, scoring=q.scoring, weight=q.weight,
                        max_score=q.max_score, min_score=q.min_score, word_limit=q.word_limit)
        for q in current.questions
    ]
    copy = QuestionSet(version=current.version + 1, quality_weight=current.quality_weight,
                       cost_weight=current.cost_weight, quality_threshold_percent=current.quality_threshold_percent,
                       created_at=now, questions=questions)
    db.session.add(copy)
    copy.dps = dps
    db.session.flush()
    moved = db.session.scalars(
        db.select(EntryWindow).where(EntryWindow.dps_id == dps.id, EntryWindow.opened_at.is_(None),
                                     EntryWindow.opens_at > now)
    ).all()
    for window in moved:
        window.question_set = copy
    audit.record(at=now, actor=admin, action="questions.new_version", entity=copy,
                 summary=f"Version {copy.version} of {dps.reference}'s questions, copied from {current.version}",
                 after={"version": copy.version, "windows_moved": [w.number for w in moved]})
    db.session.commit()
    return copy

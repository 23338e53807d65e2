"""Applications to join a DPS: drafts any user of the provider can resume, evidence, referees,
the completeness check and submission while the window is open.

Who may see an application: the provider's own users, always; the lead authority's evaluators
and administrators, once it is submitted, unless they have declared a conflict of interest with the
provider. Nobody else, whatever id they type.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.models import (
    Answer,
    Application,
    ApplicationLot,
    CategoryPrice,
    Document,
    EntryWindow,
    LotMembership,
    Organisation,
    Referee,
    User,
)
from portal.models.application import DRAFT, SUBMITTED
from portal.models.dps import EVIDENCE_KINDS, EVIDENCE_MISSING, MINIMUM_REFEREES
from portal.models.evaluation import ADMITTED_WITH_CAUTION
from portal.models.user import ADMINISTRATOR, EVALUATOR, PROVIDER_USER
from portal.money import WEEKLY_LIMIT, parse_money
from portal.services import audit, dps_setup, evaluations, mail, standing_effects, uploads
from portal.timezone import format_date, format_datetime

MAX_WEEKLY_PRICE = WEEKLY_LIMIT
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# Who may see what ------------------------------------------------------------------------------

def can_view(user: User, application: Application) -> bool:
    if user.organisation_id == application.provider_id and user.has_role(PROVIDER_USER):
        return True
    lead_id = application.window.dps.lead_authority_id
    return (application.status == SUBMITTED and user.organisation_id == lead_id
            and user.has_role(EVALUATOR, ADMINISTRATOR)
            and not evaluations.is_conflicted(user, application.provider_id))


def get_for(user: User, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not can_view(user, application):
        raise NotFound()
    return application


def get_own(user: User, application_id: int) -> Application:
    """An application of the user's own provider, for changing it."""
    application = db.session.get(Application, application_id)
    if application is None or application.provider_id != user.organisation_id or not user.has_role(PROVIDER_USER):
        raise NotFound()
    return application


def get_document_for(user: User, document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not can_view(user, document.application):
        raise NotFound()
    return document


def for_provider(provider: Organisation) -> list[Application]:
    return db.session.scalars(
        db.select(Application).where(Application.provider_id == provider.id)
        .options(selectinload(Application.window).selectinload(EntryWindow.dps),
                 selectinload(Application.lots).selectinload(ApplicationLot.lot),
                 selectinload(Application.outcomes), selectinload(Application.clarifications))
        .order_by(Application.created_at.desc())
    ).all()


@dataclass(frozen=True)
class Progress:
    """Where an application stands, for its provider: a short label, its tag colour, what to do next."""

    label: str
    tag_class: str
    link_text: str
    link: str
    open_questions: int


def progress(application: Application, now: datetime) -> Progress:
    """The application's real state: draft, not submitted in time, being evaluated, or its published outcome."""
    app_id = application.id
    open_questions = sum(1 for clarification in application.clarifications if clarification.is_open)
    window = application.window
    if application.is_draft:
        if window.is_open(now):
            return Progress("Draft", "govuk-tag--yellow", "Continue your application",
                            url_for("supplier.application", application_id=app_id), open_questions)
        return Progress("Not submitted: the window closed", "govuk-tag--grey", "See your draft",
                        url_for("supplier.application", application_id=app_id), open_questions)
    if application.moderated_at is None or window.outcomes_published_at is None:
        return Progress("Submitted, being evaluated", "govuk-tag--blue", "See your submitted application",
                        url_for("supplier.application", application_id=app_id), open_questions)
    admitted = [outcome for outcome in application.outcomes if outcome.is_admitted]
    outcome_link = url_for("supplier.outcome", application_id=app_id)
    if not admitted:
        return Progress("Not admitted", "govuk-tag--red", "See your outcome and feedback", outcome_link,
                        open_questions)
    decided = len(application.outcomes)
    label = f"Admitted to {len(admitted)} of {decided} lot{'s' if decided != 1 else ''}"
    cautioned = sum(1 for outcome in admitted if outcome.outcome == ADMITTED_WITH_CAUTION)
    if cautioned:
        label += f", {cautioned} with caution"
    return Progress(label, "govuk-tag--green", "See your outcome and feedback", outcome_link, open_questions)


def submitted_in(window: EntryWindow, page: int, per_page: int):
    return db.paginate(
        db.select(Application).where(Application.window_id == window.id, Application.status == SUBMITTED)
        .options(selectinload(Application.provider), selectinload(Application.lots).selectinload(ApplicationLot.lot))
        .order_by(Application.submitted_at),
        page=page, per_page=per_page, error_out=False,
    )


# Changing a draft ------------------------------------------------------------------------------

def ensure_editable(application: Application, now: datetime) -> None:
    if application.status != DRAFT:
        raise DomainError(f"This application was submitted on {format_datetime(application.submitted_at)} "
                          "and can no longer be changed.")
    window = application.window
    if not window.is_open(now):
        raise DomainError(f"{window.label} closed on {format_datetime(window.closes_at)}: this application can no "
                          "longer be changed or submitted. Your draft has been kept.")


def _touch(user: User, application: Application, now: datetime, summary: str, before=None, after=None) -> None:
    application.updated_at = now
    audit.record(at=now, actor=user, action="application.changed", entity=application, summary=summary,
                 before=before, after=after)


def _commit_change() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("A colleague changed this application at the same moment. Check it and try again.") from None


def _setup_incomplete(window: EntryWindow) -> bool:
    """Until the scheduler has opened it, a window whose DPS's set-up is incomplete takes no applications."""
    question_set = window.question_set if window.question_set.locked_at else window.dps.current_question_set
    return bool(dps_setup.setup_problems(window.dps, question_set))


def start(user: User, window: EntryWindow, now: datetime) -> Application:
    """Start the provider's application for this window, or return the one it already has."""
    if not user.has_role(PROVIDER_USER):
        raise NotFound()
    existing = db.session.scalar(db.select(Application).where(
        Application.window_id == window.id, Application.provider_id == user.organisation_id))
    if existing is not None:
        return existing
    if not window.is_open(now) or (window.opened_at is None and _setup_incomplete(window)):
        raise DomainError(f"{window.label} of {window.dps.name} is not open for applications.")
    barred = standing_effects.why_barred(window.dps_id, user.organisation_id)
    if barred:
        raise DomainError(f"Your organisation is {barred}. It cannot apply to {window.dps.name}.")
    if window.question_set.locked_at is None:
        window.question_set.locked_at = now  # the window has opened, even if the scheduler has not yet said so
    application = Application(window=window, provider_id=user.organisation_id, status=DRAFT, created_by_id=user.id,
                              created_at=now, updated_at=now)
    db.session.add(application)
    try:
        db.session.flush()
    except IntegrityError:
        # A colleague started it in the same instant: use theirs.
        db.session.rollback()
        return db.session.scalar(db.select(Application).where(
            Application.window_id == window.id, Application.provider_id == user.organisation_id))
    audit.record(at=now, actor=user, action="application.started", entity=application,
                 summary=f"{user.organisation.name} started an application to {window.dps.reference} {window.label}")
    db.session.commit()
    return application


def held_lot_ids(provider_id: int) -> set[int]:
    """Lots the provider already has a place on, from an earlier window."""
    return set(db.session.scalars(db.select(LotMembership.lot_id).where(LotMembership.provider_id == provider_id)))


def set_lots(user: User, application: Application, lot_ids: list[int], now: datetime) -> None:
    ensure_editable(application, now)
    if not lot_ids:
        raise DomainError("Select at least one lot", field="lots")
    dps_lots = {lot.id: lot for lot in application.window.dps.lots}
    if not set(lot_ids) <= set(dps_lots):
        raise DomainError("Select lots of this DPS only", field="lots")
    held = held_lot_ids(application.provider_id)
    already = sorted(dps_lots[lot_id].label for lot_id in lot_ids if lot_id in held)
    if already:
        raise DomainError(f"You already hold a place on {', '.join(already)}: apply only for other lots",
                          field="lots")
    before = sorted(al.lot.number for al in application.lots)
    application.lots = [al for al in application.lots if al.lot_id in lot_ids]
    held = {al.lot_id for al in application.lots}
    application.lots.extend(ApplicationLot(lot=dps_lots[lot_id]) for lot_id in lot_ids if lot_id not in held)
    _touch(user, application, now, "Lots chosen", {"lots": before},
           {"lots": sorted(dps_lots[lot_id].number for lot_id in lot_ids)})
    _commit_change()


def set_prices(user: User, application: Application, prices: dict[int, str], now: datetime) -> dict[int, str]:
    """Save the weekly price for each age category given, by category id, of the lots applied for. On a lot that
    is not divided the price is needed; on a divided lot an empty price means the provider does not offer the
    category (a price given before is removed). Returns errors by category id; valid prices are saved either way."""
    ensure_editable(application, now)
    errors = {}
    before, after = {}, {}
    for application_lot in application.lots:
        lot = application_lot.lot
        if lot.is_divided and _none_offered(lot, prices):
            # Every category left empty: the lot would have no price at all. Nothing of it changes.
            errors[lot.categories[0].id] = (f"{lot.label}: enter a weekly price for at least one age category you "
                                            "offer, or remove the lot from your application")
            continue
        for category in lot.categories:
            if category.id not in prices:
                continue
            try:
                price = parse_money(prices[category.id], label="the weekly price", maximum=MAX_WEEKLY_PRICE,
                                    required=not lot.is_divided)
            except DomainError as error:  # on a divided lot the message names the lot and the ages
                errors[category.id] = (f"Lot {lot.number}, ages {category.age_band}: {error.message}"
                                       if lot.is_divided else error.message)
                continue
            old = application_lot.price_for(category.id)
            if old == price:
                continue
            key = category.full_label
            before[key], after[key] = old, price
            existing = next((p for p in application_lot.prices if p.category_id == category.id), None)
            if price is None:
                application_lot.prices.remove(existing)
            elif existing is None:
                application_lot.prices.append(CategoryPrice(category=category, weekly_price=price))
            else:
                existing.weekly_price = price
    if after:
        _touch(user, application, now, "Weekly prices changed", before, after)
    _commit_change()
    return errors


def _none_offered(lot, prices: dict[int, str]) -> bool:
    """Whether every age category of the divided lot was given, and given empty."""
    return all(category.id in prices and not (prices[category.id] or "").strip() for category in lot.categories)


def _word_count(text: str) -> int:
    return len(text.split())


def save_answers(user: User, application: Application, answers: dict[int, str], now: datetime) -> dict[int, str]:
    """Save answers to the quality questions. Returns errors by question id; the rest are saved."""
    ensure_editable(application, now)
    questions = {q.id: q for q in application.window.question_set.questions}
    existing = {answer.question_id: answer for answer in application.answers}
    errors, changed = {}, []
    for question_id, text in answers.items():
        question = questions.get(question_id)
        if question is None:
            raise DomainError("That question is not part of this application")
        text = (text or "").strip()
        if _word_count(text) > question.word_limit:
            errors[question_id] = (f"Answer question {question.number} in {question.word_limit} words or fewer "
                                   f"(you have {_word_count(text)})")
            continue
        answer = existing.get(question_id)
        if answer is None and text:
            application.answers.append(Answer(question=question, text=text, updated_at=now))
            changed.append(question.number)
        elif answer is not None and answer.text != text:
            answer.text, answer.updated_at = text, now
            changed.append(question.number)
    if changed:
        _touch(user, application, now, f"Answers changed: question {', '.join(map(str, changed))}")
    _commit_change()
    return errors


def required_evidence(application: Application) -> list[str]:
    kinds = application.window.dps.evidence_kinds
    if not application.provider.ofsted_urn:
        kinds = [kind for kind in kinds if kind != "ofsted_report"]
    return kinds


def upload_document(user: User, application: Application, *, kind: str, filename: str, data: bytes,
                    expires_on: date | None, now: datetime) -> Document:
    ensure_editable(application, now)
    if kind not in required_evidence(application):
        raise DomainError("Choose one of the documents this application asks for", field="kind")
    if kind == "insurance_certificate":
        if expires_on is None:
            raise DomainError("Enter the date the insurance cover ends", field="expires_on")
        if expires_on <= now.date():
            raise DomainError("The insurance has expired: upload a certificate for cover that is in date",
                              field="expires_on")
    file_type = uploads.check(data, filename)
    stored_name = uploads.store(data)
    previous = next((doc for doc in application.documents if doc.kind == kind), None)
    before = old_name = None
    if previous is not None:
        before = {"filename": previous.original_filename, "sha256": previous.sha256}
        old_name = previous.stored_name
    document = Document(kind=kind, original_filename=uploads.display_name(filename), stored_name=stored_name,
                        file_type=file_type, size_bytes=len(data), sha256=uploads.sha256(data), expires_on=expires_on,
                        uploaded_by_id=user.id, uploaded_at=now)
    try:
        # Every write is in here: a colleague's change or upload of the same kind at the same moment shows at
        # any flush, as a stale version or a second document of the kind.
        if previous is not None:
            application.documents.remove(previous)
            db.session.flush()
        application.documents.append(document)
        application.updated_at = now
        db.session.flush()
        audit.record(at=now, actor=user, action="application.document_uploaded", entity=application,
                     summary=f"{EVIDENCE_KINDS[kind]} uploaded", before=before,
                     after={"filename": document.original_filename, "sha256": document.sha256})
        db.session.commit()
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        uploads.discard(stored_name)
        raise DomainError("A colleague changed this application at the same moment. Check it and try again.") from None
    if old_name is not None:
        uploads.discard(old_name)
    return document


def add_referee(user: User, application: Application, *, authority_name: str, contact_name: str, job_title: str,
                email: str, telephone: str, now: datetime) -> Referee:
    ensure_editable(application, now)
    fields = {"authority_name": (authority_name, "Enter the local authority's name"),
              "contact_name": (contact_name, "Enter the referee's name"),
              "job_title": (job_title, "Enter the referee's job title"),
              "email": (email, "Enter the referee's e-mail address")}
    for field, (value, message) in fields.items():
        if not (value or "").strip():
            raise DomainError(message, field=field)
    if not EMAIL_PATTERN.match(email.strip()):
        raise DomainError("Enter an e-mail address in the correct format, like name@council.gov.uk", field="email")
    referee = Referee(authority_name=authority_name.strip(), contact_name=contact_name.strip(),
                      job_title=job_title.strip(), email=email.strip().lower(), telephone=(telephone or "").strip())
    application.referees.append(referee)
    _touch(user, application, now, f"Referee added: {referee.authority_name}",
           after={"authority": referee.authority_name, "contact": referee.contact_name})
    _commit_change()
    return referee


def remove_referee(user: User, application: Application, referee_id: int, now: datetime) -> None:
    ensure_editable(application, now)
    referee = next((r for r in application.referees if r.id == referee_id), None)
    if referee is None:
        raise NotFound()
    application.referees.remove(referee)
    _touch(user, application, now, f"Referee removed: {referee.authority_name}",
           before={"authority": referee.authority_name, "contact": referee.contact_name})
    _commit_change()


# Completeness and submission -------------------------------------------------------------------

@dataclass
class MissingItem:
    message: str
    link: str
    section: str  # lots, prices, answers, documents or referees: the part of the application to fix


def incomplete_sections(missing: list[MissingItem]) -> set[str]:
    return {item.section for item in missing}


def missing_items(application: Application, now: datetime) -> list[MissingItem]:
    """Everything that stops the application being submitted, each with where to fix it."""
    items = []
    app_id = application.id
    if not application.lots:
        items.append(MissingItem("Choose at least one lot",
                                 url_for("supplier.application_lots", application_id=app_id), "lots"))
    for application_lot in sorted(application.lots, key=lambda al: al.lot.number):
        lot = application_lot.lot
        if not any(price is not None and price > 0 for _, price in application_lot.priced_categories):
            first = lot.categories[0].id if lot.categories else application_lot.lot_id
            items.append(MissingItem(f"Enter a weekly price for at least one age category of {lot.label}"
                                     if lot.is_divided else f"Enter a weekly price for {lot.label}",
                                     url_for("supplier.application_prices", application_id=app_id)
                                     + f"#price-{first}", "prices"))
    answered = {answer.question_id for answer in application.answers if answer.text.strip()}
    for question in application.window.question_set.questions:
        if question.id not in answered:
            items.append(MissingItem(f"Answer question {question.number}",
                                     url_for("supplier.application_answers", application_id=app_id)
                                     + f"#answer-{question.id}", "answers"))
    documents = {doc.kind: doc for doc in application.documents}
    for kind in required_evidence(application):
        link = url_for("supplier.application_documents", application_id=app_id) + f"#document-{kind}"
        if kind not in documents:
            items.append(MissingItem(EVIDENCE_MISSING[kind], link, "documents"))
        elif kind == "insurance_certificate" and (documents[kind].expires_on or date.min) <= now.date():
            items.append(MissingItem(f"Your insurance expired on {format_date(documents[kind].expires_on)}: "
                                     "upload a certificate that is in date", link, "documents"))
    if len(application.referees) < MINIMUM_REFEREES:
        more = MINIMUM_REFEREES - len(application.referees)
        items.append(MissingItem(f"Name {more} more local-authority referee{'s' if more > 1 else ''} "
                                 f"(at least {MINIMUM_REFEREES} are needed)",
                                 url_for("supplier.application_referees", application_id=app_id), "referees"))
    return items


def submit(user: User, application: Application, now: datetime) -> Application:
    if application.status == SUBMITTED:
        raise DomainError(f"This application was already submitted on {format_datetime(application.submitted_at)}. "
                          "Nothing has changed.")
    ensure_editable(application, now)
    provider = application.provider
    barred = standing_effects.why_barred(application.window.dps_id, provider.id)
    if barred:
        raise DomainError(f"Your organisation is {barred}. It cannot submit applications to "
                          f"{application.window.dps.name}. Your draft has been kept.")
    missing = missing_items(application, now)
    if missing:
        raise DomainError("This application is not complete: fix the items listed, then submit it.")
    application.mark_submitted(user, now)
    audit.record(at=now, actor=user, action="application.submitted", entity=application,
                 summary=f"{application.provider.name} submitted its application to "
                         f"{application.window.dps.reference} {application.window.label}",
                 before={"status": DRAFT}, after={"status": SUBMITTED, "submitted_at": now,
                                                  "documents": {d.kind: d.sha256 for d in application.documents}})
    for colleague in application.provider.users:
        if colleague.is_active:
            mail.notify(colleague, at=now, link=url_for("supplier.application_receipt", application_id=application.id),
                        subject=f"Application to {application.window.dps.name} submitted",
                        body=f"{user.name} submitted your application to {application.window.dps.name} "
                             f"({application.window.label}) on {format_datetime(now)}. Keep the receipt.")
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise DomainError("This application was submitted or changed by a colleague at the same moment. "
                          "Check its status.") from None
    return application


def submitted_counts(window_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(
        db.select(Application.window_id, db.func.count(Application.id))
        .where(Application.window_id.in_(window_ids), Application.status == SUBMITTED)
        .group_by(Application.window_id)).all())


def counts_by_status(window: EntryWindow) -> dict[str, int]:
    return dict(db.session.execute(
        db.select(Application.status, db.func.count(Application.id)).where(Application.window_id == window.id)
        .group_by(Application.status)).all())

"""The national consortium: a fostering DPS led by the demonstration's lead authority (Tameside), with every
upper-tier authority it needs as a member, thousands of providers, two entry windows and a history of referrals,
bids, placements and contract records. The structure (the DPS, its lots, questions and members) goes through the
portal's own services; the volume is inserted in bulk (bench.bulk)."""

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench import people
from portal import areas, demo
from portal.extensions import db
from portal.models import Lot, Organisation, User
from portal.models.user import COMMISSIONING_OFFICER, PROVIDER_USER, SIGNATORY, USER_ADMINISTRATOR
from portal.services import dps_setup, members
from portal.services.referrals import drafting

DPS_REFERENCE = "ENG-FOSTER-DPS"
LOTS = [
    ("Mainstream fostering", "Foster carers for children and young people of any age.", [(0, 4, 3), (5, 10, 3),
                                                                                        (11, 17, 3)]),
    ("Specialist and therapeutic fostering", "Carers trained for complex needs.", [(0, 17, 2)]),
    ("Parent and child fostering", "A parent and their baby placed together.", [(0, 17, 0)]),
]
QUESTIONS = [
    "How do you recruit, assess and approve foster carers?",
    "How do you support and supervise carers, and how often?",
    "How do you keep children safe, and learn from incidents?",
    "How do you help children in your care do well at school?",
]
BIG_CATEGORY = (0, 1)  # lot index, category index: the 2,000-member category the re-tiering job uses


def scaled(full: int, scale: float, floor: int) -> int:
    return max(floor, round(full * scale))


@dataclass
class Plan:
    """How many of each thing at a scale."""

    scale: float
    authorities: int = 0
    providers: int = 0
    big_lot: int = 0
    referrals: int = 0
    due_rounds: int = 0

    def __post_init__(self):
        self.authorities = min(150, scaled(150, self.scale, 12))
        self.providers = scaled(5000, self.scale, 80)
        self.big_lot = min(self.providers, scaled(2000, self.scale, 45))
        self.referrals = scaled(500_000, self.scale, 400)
        self.due_rounds = min(self.referrals // 10, scaled(10_000, self.scale, 20))

    def planned_rows(self) -> int:
        """A rough total of the rows to load, for the progress line (about 45 rows come with each referral)."""
        return self.referrals * 45 + self.providers * 40


@dataclass
class Structure:
    """The records made through the services, by id."""

    dps_id: int
    question_set_id: int
    question_ids: list[int]
    lots: list[tuple[int, list[tuple[int, int, int, int]]]]  # (lot id, [(category id, from, to, tiers)])
    admin_id: int
    evaluator_ids: list[int]
    contract_manager_id: int
    officer_authority_id: int
    officer_id: int
    officer_email: str
    authorities: list[tuple[int, str]] = field(default_factory=list)  # (id, area code)


def build_structure(plan: Plan, now: datetime) -> Structure:
    """The national DPS, its lots, questions and member authorities, through the portal's services."""
    admin = _user("helen.marsh@tameside.example.org")
    set_up = now - timedelta(days=3 * 365)
    dps = dps_setup.create_dps(
        admin, reference=DPS_REFERENCE, name="England Fostering Purchasing System", service_type="foster",
        description="Fostering placements bought together by councils across England.",
        start_date=set_up.date(), initial_years=4, extension_years="2+2", cadence_months=4, window_length_days=28,
        required_evidence=["ofsted_report", "statement_of_purpose", "childrens_guide", "pricing_schedule",
                           "insurance_certificate"],
        quality_weight=60, quality_threshold_percent=50, now=set_up)
    for name, text, categories in LOTS:
        dps_setup.add_lot(admin, dps, name=name, description=text, categories=categories, now=set_up)
    question_set = dps.current_question_set
    for number, text in enumerate(QUESTIONS):
        dps_setup.add_question(admin, question_set, text=text, guidance="", scoring="scored", weight=1 + number % 2,
                               max_score=5, min_score=0, word_limit=500, now=set_up)
    dps_setup.add_question(admin, question_set, text="Confirm you hold the registration and insurance the contract "
                           "requires.", guidance="", scoring="pass_fail", weight=0, max_score=1, min_score=1,
                           word_limit=200, now=set_up)
    lead_code = admin.organisation.area_code
    existing = db.session.scalars(db.select(Organisation.area_code).where(
        Organisation.kind == "authority", Organisation.area_code.is_not(None))).all()
    codes = [code for code in existing if code != lead_code]
    codes += [area.code for area in areas.upper_tier() if area.code not in existing]
    for code in codes[:plan.authorities - 1]:
        members.add(admin, dps, area_code=code, now=set_up)
    db.session.refresh(dps)
    officer = _user("rachel.hughes@sefton.example.org")
    return Structure(
        dps_id=dps.id, question_set_id=question_set.id,
        question_ids=[question.id for question in question_set.questions],
        lots=[(lot.id, [(c.id, c.age_from, c.age_to, c.tiers) for c in lot.categories]) for lot in dps.lots],
        admin_id=admin.id,
        evaluator_ids=[_user("daniel.reid@tameside.example.org").id, admin.id,
                       _user("aisha.begum@tameside.example.org").id],
        contract_manager_id=_user("imogen.clarke@tameside.example.org").id,
        officer_authority_id=officer.organisation_id, officer_id=officer.id, officer_email=officer.email,
        authorities=[(member.authority_id, member.authority.area_code) for member in dps.members])


def _user(email: str) -> User:
    return db.session.scalar(db.select(User).where(User.email == email))


def publishable_draft(structure: Structure, now: datetime):
    """A complete draft on the big lot's big category, its funding approved: for the publishing job."""
    officer = db.session.get(User, structure.officer_id)
    lot = db.session.get(Lot, structure.lots[BIG_CATEGORY[0]][0])
    today = now.date()
    referral = drafting.create(officer, lot=lot, now=now - timedelta(hours=2), fields=demo._fields(
        needed_by="within_5_days", age_years=7, required_start=today + timedelta(days=6),
        indicative_weekly_price=Decimal("950.00"), suitability_foster="preferred",
        suitability_supported="unsuitable", expected_duration="Long term, until 18",
        needs_summary="A boy of seven who needs a foster family near his school and his grandparents."),
        child={"first_names": "Ellis", "surname": "Marchbank", "known_as": "",
               "date_of_birth": today - timedelta(days=7 * 365 + 100), "case_number": "SEF-BENCH-0001"})
    approval = drafting.ask_funding(officer, referral, expected_weekly=None, now=now - timedelta(hours=1))
    demo._answered(approval, now - timedelta(minutes=30))
    return referral


class Volume:
    """The bulk rows of the national consortium."""

    def __init__(self, loader, plan: Plan, structure: Structure, now: datetime, password_hash: str, seed: int = 14):
        self.load = loader
        self.plan = plan
        self.s = structure
        self.now = now
        self.today = now.date()
        self.password_hash = password_hash
        self.random = random.Random(seed)
        self.lowest = areas.lowest_tier()
        self.providers: list[dict] = []  # id, user_id, setting_id, area
        self.officers: dict[int, int] = {}  # authority id -> officer user id
        self.pools: dict[tuple[int, int | None], list[int]] = {}  # (category id, tier) -> provider indexes
        self.outcome_of: dict[tuple[int, int], int] = {}  # (category id, provider index) -> its lot outcome id
        self.window_ids: dict[str, int] = {}
        self.window_opens: dict[str, datetime] = {}
        self.featured = 0  # the provider index with many invitations and bids
        self.referral_with_bids = None
        self.references = 1
        self.emails: dict[int, str] = {}  # user id -> e-mail address, for the messages they are sent

    # People and organisations -------------------------------------------------------------------------

    def _user(self, organisation_id: int, number: int, domain: str, roles: list[str], at: datetime) -> int:
        first, last = people.person(number)
        user_id = self.load.new_id("user_account")
        self.emails[user_id] = f"{first}.{last}.{number}@{domain}.example.org".lower()
        self.load.add("user_account", {
            "id": user_id, "organisation_id": organisation_id, "name": f"{first} {last}",
            "email": self.emails[user_id], "password_hash": self.password_hash,
            "active": True, "password_changed_at": at, "created_at": at})
        for role in roles:
            self.load.add("user_role", {"id": self.load.new_id("user_role"), "user_id": user_id, "role": role})
        return user_id

    def authorities(self) -> None:
        """A commissioning officer at each member authority (Sefton keeps the demonstration's)."""
        at = self.now - timedelta(days=3 * 365)
        self.officers[self.s.officer_authority_id] = self.s.officer_id
        for number, (authority_id, code) in enumerate(self.s.authorities):
            if authority_id not in self.officers:
                domain = people.slug(areas.name_of(code))
                self.officers[authority_id] = self._user(authority_id, 1000 + number, domain,
                                                         [COMMISSIONING_OFFICER], at)

    def providers_and_users(self) -> None:
        for number in range(self.plan.providers):
            area = self.lowest[(number * 7) % len(self.lowest)]
            name = people.provider_name(number)
            at = self.now - timedelta(days=3 * 365 - 30 - number % 200)
            provider_id = self.load.new_id("organisation")
            self.load.add("organisation", {
                "id": provider_id, "name": name, "kind": "provider", "local_authority_area": area.name,
                "area_code": area.code, "registered_office": f"{1 + number % 90} High Street, {area.name}",
                "postcode": "ZZ1 1ZZ", "telephone": f"0161 496 0{number % 1000:03d}",
                "ofsted_urn": f"SC{600000 + number}", "ofsted_rating": ["Outstanding", "Good"][number % 2],
                "ofsted_rating_date": self.today - timedelta(days=100 + number % 700),
                "provider_status": "admitted" if number < self._admitted() else "applicant", "created_at": at})
            user_id = self._user(provider_id, number, people.slug(name),
                                 [PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY], at)
            setting_id = self.load.new_id("setting")
            self.load.add("setting", {
                "id": setting_id, "provider_id": provider_id, "name": f"{name}, {area.name}",
                "kind": "fostering_agency", "ofsted_urn": f"SC{700000 + number}", "area_code": area.code,
                "address": f"{1 + number % 90} High Street, {area.name}", "created_at": at})
            self.load.add("audit_event", self._audit(at, user_id, "provider.registered", "organisation",
                                                     provider_id, f"{name} registered as a provider"))
            self.providers.append({"id": provider_id, "user_id": user_id, "setting_id": setting_id, "area": area})

    def _admitted(self) -> int:
        """Providers 0 .. n-1 hold the big lot (and some the other lots)."""
        return self.plan.big_lot

    def _audit(self, at, actor_id, action, entity_type, entity_id, summary) -> dict:
        return {"id": self.load.new_id("audit_event"), "at": at, "actor_id": actor_id,
                "actor_label": "bench" if actor_id is None else f"user {actor_id}", "action": action,
                "entity_type": entity_type, "entity_id": entity_id, "summary": summary}

    # Windows, applications, evaluation and tiers --------------------------------------------------------

    def windows(self) -> dict[str, int]:
        first_opens = self.now - timedelta(days=250)
        second_opens = self.now - timedelta(days=33)
        plan = [("first", 1, first_opens, True), ("second", 2, second_opens, False),
                ("third", 3, second_opens + timedelta(days=122), False)]
        ids = {}
        self.window_opens = {key: opens for key, _number, opens, _published in plan}
        for key, number, opens, published in plan:
            closes = opens + timedelta(days=28)
            window_id = self.load.new_id("entry_window")
            past = closes < self.now
            self.load.add("entry_window", {
                "id": window_id, "dps_id": self.s.dps_id, "question_set_id": self.s.question_set_id,
                "number": number, "opens_at": opens, "closes_at": closes,
                "opened_at": opens if opens < self.now else None, "closed_at": closes if past else None,
                "reminder_sent_at": closes - timedelta(days=5) if past else None,
                "outcomes_published_at": closes + timedelta(days=20) if published else None,
                "outcomes_published_by_id": self.s.admin_id if published else None,
                "created_at": opens - timedelta(days=30)})
            ids[key] = window_id
        self.load.flush("entry_window")
        self.window_ids = ids
        return ids

    def applications(self, window_id: int, providers: range, *, opens: datetime, published: bool) -> None:
        """Submitted applications with prices, answers, documents and referees, allocated to two evaluators;
        in a published window also scored, moderated, decided and tiered."""
        tiering: dict[int, list[tuple[int, Decimal, Decimal]]] = {}  # category id -> (provider index, quality, price)
        evaluators = self.s.evaluator_ids
        for number in providers:
            provider = self.providers[number]
            submitted = opens + timedelta(days=2 + number % 20, hours=number % 9)
            application_id = self.load.new_id("application")
            self.load.add("application", {
                "id": application_id, "window_id": window_id, "provider_id": provider["id"], "status": "submitted",
                "created_by_id": provider["user_id"], "created_at": submitted - timedelta(days=2),
                "updated_at": submitted, "submitted_at": submitted, "submitted_by_id": provider["user_id"],
                "moderated_at": submitted + timedelta(days=35) if published else None,
                "moderated_by_id": self.s.admin_id if published else None})
            lots = [0] + ([1] if number % 4 == 0 else []) + ([2] if number % 4 == 1 else [])
            quality = Decimal(95 - (number * 37) % 50) if number else Decimal(100)
            admitted = number < self._admitted()
            for lot_index in lots:
                lot_id, categories = self.s.lots[lot_index]
                lot_row_id = self.load.new_id("application_lot")
                self.load.add("application_lot", {"id": lot_row_id, "application_id": application_id,
                                                  "lot_id": lot_id})
                for category_id, _low, _high, _tiers in categories:
                    price = Decimal(700 + (number * 53) % 600) if number else Decimal(700)
                    self.load.add("category_price", {"id": self.load.new_id("category_price"),
                                                     "application_lot_id": lot_row_id, "category_id": category_id,
                                                     "weekly_price": price})
                    if published and admitted:
                        tiering.setdefault(category_id, []).append((number, quality, price))
                if published:
                    outcome_id = self.load.new_id("lot_outcome")
                    self.load.add("lot_outcome", {
                        "id": outcome_id, "application_id": application_id, "lot_id": lot_id,
                        "outcome": "admitted" if admitted else "not_admitted", "quality_percent": quality,
                        "reasons": "" if admitted else "The quality score was below the threshold."})
                    if admitted:
                        self._membership(lot_index, number, window_id, opens + timedelta(days=48), outcome_id)
            for question_id in self.s.question_ids:
                self.load.add("answer", {"id": self.load.new_id("answer"), "application_id": application_id,
                                         "question_id": question_id, "text": people.HOW_NEEDS_MET[number % 4],
                                         "updated_at": submitted})
            for kind in ("ofsted_report", "statement_of_purpose", "pricing_schedule"):
                self.load.add("document", {
                    "id": self.load.new_id("document"), "application_id": application_id, "kind": kind,
                    "original_filename": f"{kind}.pdf", "stored_name": hashlib.sha256(
                        f"{application_id}{kind}".encode()).hexdigest(), "file_type": "pdf", "size_bytes": 48_000,
                    "sha256": "0" * 64, "uploaded_by_id": provider["user_id"], "uploaded_at": submitted})
            for referee in range(2):
                first, last = people.person(number + 7 * referee)
                self.load.add("referee", {
                    "id": self.load.new_id("referee"), "application_id": application_id,
                    "authority_name": areas.name_of(self.s.authorities[(number + referee) % len(self.s.authorities)]
                                                    [1]) + " Council",
                    "contact_name": f"{first} {last}", "job_title": "Fostering team manager",
                    "email": f"{first}.{last}@council.example.org".lower(),
                    "reference_outcome": "satisfactory" if published else None})
            pair = [evaluators[0], evaluators[1 + number % 2]]
            for turn, evaluator_id in enumerate(pair):
                done = published or (turn == 0 and number % 7 == 0)
                allocation_id = self.load.new_id("allocation")
                self.load.add("allocation", {
                    "id": allocation_id, "application_id": application_id, "evaluator_id": evaluator_id,
                    "allocated_by_id": self.s.admin_id, "allocated_at": opens + timedelta(days=29, hours=turn),
                    "submitted_at": opens + timedelta(days=34) if done else None})
                if done:
                    for question_id in self.s.question_ids[:-1]:
                        self.load.add("score", {"id": self.load.new_id("score"), "allocation_id": allocation_id,
                                                "question_id": question_id, "score": 1 + (number + turn) % 5,
                                                "reason": people.REASONS[number % 3],
                                                "updated_at": opens + timedelta(days=33)})
            if published:
                for question_id in self.s.question_ids[:-1]:
                    self.load.add("moderated_score", {
                        "id": self.load.new_id("moderated_score"), "application_id": application_id,
                        "question_id": question_id, "score": 1 + number % 5, "reason": people.REASONS[number % 3],
                        "moderator_id": self.s.admin_id, "moderated_at": opens + timedelta(days=35)})
                for gate in ("documents", "ofsted", "insurance"):
                    self.load.add("gate_result", {
                        "id": self.load.new_id("gate_result"), "application_id": application_id, "gate": gate,
                        "passed": True, "evidence": "Checked against the documents sent.",
                        "recorded_by_id": self.s.admin_id, "recorded_at": opens + timedelta(days=32)})
        for category_id, lines in tiering.items():
            self._tier_table(category_id, lines, window_id, opens + timedelta(days=48))

    def _membership(self, lot_index: int, number: int, window_id: int, at: datetime, outcome_id: int) -> None:
        lot_id, categories = self.s.lots[lot_index]
        membership_id = self.load.new_id("lot_membership")
        self.load.add("lot_membership", {"id": membership_id, "lot_id": lot_id,
                                         "provider_id": self.providers[number]["id"], "status": "admitted",
                                         "admitted_at": at, "window_id": window_id})
        for category_id, _low, _high, _tiers in categories:
            self.load.add("category_membership", {"id": self.load.new_id("category_membership"),
                                                  "membership_id": membership_id, "category_id": category_id,
                                                  "tier": None})  # set when the category is tiered below
            self.outcome_of[(category_id, number)] = outcome_id

    def _tier_table(self, category_id: int, lines, window_id: int, at: datetime) -> None:
        """The category's current tier table: ranked on quality and price, tiers filled in rank order."""
        tiers = next(c[3] for _lot, categories in self.s.lots for c in categories if c[0] == category_id)
        lot_id = next(lot for lot, categories in self.s.lots for c in categories if c[0] == category_id)
        lowest = min(price for _n, _q, price in lines)
        scored = []
        for number, quality, price in lines:
            quality_component = quality * 60 / 100
            cost_component = (lowest / price * 40).quantize(Decimal("0.0001"))
            scored.append((quality_component + cost_component, number, quality, price, quality_component,
                           cost_component))
        scored.sort(key=lambda line: (-line[0], line[1]))
        size = len(scored)
        for rank, (total, number, quality, price, quality_component, cost_component) in enumerate(scored, 1):
            tier = 1 + (rank - 1) * tiers // size if tiers else None
            outcome_id = self.outcome_of[(category_id, number)]
            self.pools.setdefault((category_id, tier), []).append(number)
            self.load.add("tier_award", {
                "id": self.load.new_id("tier_award"), "lot_id": lot_id, "category_id": category_id,
                "published_outcome_id": outcome_id, "provider_id": self.providers[number]["id"],
                "window_id": window_id, "calculated_at": at, "current": True, "quality_weight": 60,
                "cost_weight": 40, "quality_percent": quality, "quality_component": quality_component,
                "weekly_price": price, "lowest_price": lowest, "cost_component": cost_component, "total": total,
                "rank": rank, "tier": tier, "tied_with": ""})

    def category_tiers(self, connection) -> None:
        """Each member's tier in each category, as the tier tables say (one UPDATE per category and tier)."""
        self.load.flush_all()
        table = db.metadata.tables["category_membership"]
        membership = db.metadata.tables["lot_membership"]
        for (category_id, tier), numbers in self.pools.items():
            if tier is None:
                continue
            provider_ids = [self.providers[number]["id"] for number in numbers]
            for start in range(0, len(provider_ids), 500):
                chosen = db.select(membership.c.id).where(membership.c.provider_id.in_(provider_ids[start:start + 500]))
                connection.execute(table.update().where(table.c.category_id == category_id,
                                                        table.c.membership_id.in_(chosen)).values(tier=tier))

    # Referrals, rounds, invitations, bids and placements --------------------------------------------

    def referrals(self) -> dict:
        plan = self.plan
        authorities = [authority_id for authority_id, _code in self.s.authorities]
        summary = {"due_rounds": 0}
        for number in range(plan.referrals):
            if number == 0:
                kind = "closed_many_bids"
            elif number <= plan.due_rounds:
                kind = "due"
            else:
                kind = self._kind(self.random.random())
            authority_id = (self.s.officer_authority_id if number % 20 == 0
                            else authorities[self.random.randrange(len(authorities))])
            self._referral(number, kind, authority_id, summary)
        return summary

    @staticmethod
    def _kind(draw: float) -> str:
        for kind, share in (("draft", 0.01), ("open", 0.03), ("closed", 0.08), ("withdrawn", 0.11),
                            ("exhausted", 0.14)):
            if draw < share:
                return kind
        return "awarded"

    def _times(self, kind: str) -> tuple[datetime, datetime, datetime]:
        """When the referral was created, published and its first round's deadline."""
        pick = self.random
        if kind == "open":
            published = self.now - timedelta(hours=pick.randint(2, 70))
            return published - timedelta(hours=3), published, self.now + timedelta(hours=pick.randint(6, 96))
        if kind == "due":
            published = self.now - timedelta(days=6, hours=pick.randint(0, 48))
            return published - timedelta(hours=5), published, self.now - timedelta(minutes=pick.randint(5, 2000))
        if kind in ("closed", "closed_many_bids"):
            created = self.now - timedelta(days=pick.randint(8, 30), hours=pick.randint(0, 23))
        elif kind == "draft":
            created = self.now - timedelta(days=pick.randint(0, 20), hours=pick.randint(0, 23))
        else:
            created = self.now - timedelta(days=pick.randint(31, 3 * 365 - 60), hours=pick.randint(0, 23))
        published = created + timedelta(hours=pick.randint(2, 60))
        return created, published, published + timedelta(days=pick.randint(3, 7))

    def _referral(self, number: int, kind: str, authority_id: int, summary: dict) -> None:
        pick = self.random
        officer_id = self.officers[authority_id]
        lot_index = 0 if kind == "closed_many_bids" else (0 if pick.random() < 0.6 else 1 + (pick.random() < 0.4))
        lot_id, categories = self.s.lots[lot_index]
        category = categories[1] if kind == "closed_many_bids" else categories[pick.randrange(len(categories))]
        category_id, low, high, tiers = category
        age = pick.randint(low, high)
        created, published, deadline = self._times(kind)
        referral_id = self.load.new_id("referral")
        reference = f"{DPS_REFERENCE}-R{self.references + 1:04d}"
        self.references += 1
        child_id = self.load.new_id("child")
        first, last = people.person(number * 3 + 1)
        self.load.add("child", {"id": child_id, "authority_id": authority_id, "first_names": first,
                                "surname": f"{last}-{number % 97}", "known_as": "",
                                "date_of_birth": self.today - timedelta(days=age * 365 + 40 + number % 300),
                                "case_number": f"CASE-{number:07d}", "created_at": created, "updated_at": created})
        home = self.lowest[pick.randrange(len(self.lowest))]
        price = Decimal(800 + 25 * pick.randint(0, 24))
        start = (published + timedelta(days=7)).date()
        row = {"id": referral_id, "reference": reference, "dps_id": self.s.dps_id, "lot_id": lot_id,
               "category_id": category_id, "authority_id": authority_id, "created_by_id": officer_id,
               "child_id": child_id, "needed_by": ["today", "within_5_days", "more_than_5_days"][number % 3],
               "preferred_areas": home.code, "preferred_location": "near school",
               "suitability_foster": "preferred", "age_years": age, "required_start": start,
               "expected_duration": "Long term", "needs_summary": f"A child of {age} needing a foster home.",
               "indicative_weekly_price": price, "bid_deadline": None if kind == "draft" else deadline,
               "quality_weight": None if kind == "draft" else 60, "cost_weight": None if kind == "draft" else 40,
               "created_at": created, "updated_at": published if kind != "draft" else created,
               "published_at": None if kind == "draft" else published,
               "published_by_id": None if kind == "draft" else officer_id,
               "awarded_at": None, "awarded_bid_id": None, "exhausted_at": None, "withdrawn_at": None,
               "withdrawn_reason": ""}
        self.load.add("referral", row)
        if kind == "draft":
            return
        self.load.add("audit_event", self._audit(published, officer_id, "referral.published", "referral",
                                                 referral_id, f"Referral {reference} published"))
        rounds = 2 if tiers >= 2 and (kind == "exhausted" or (kind == "awarded" and pick.random() < 0.15)) else 1
        bids = []
        opened, round_deadline = published, deadline
        for round_number in range(1, rounds + 1):
            tier = round_number if tiers else None
            closed = None if kind in ("open", "due") else round_deadline + timedelta(minutes=1)
            if kind == "due":
                summary["due_rounds"] += 1
            round_id = self.load.new_id("referral_round")
            self.load.add("referral_round", {"id": round_id, "referral_id": referral_id, "number": round_number,
                                             "tier": tier, "opened_at": opened, "opened_by_id": officer_id,
                                             "deadline": round_deadline, "closed_at": closed})
            invited = self._invitees(category_id, tier, 30 if kind == "closed_many_bids" else 12,
                                     featured=lot_index == 0 and tier in (1, None) and pick.random() < 0.25)
            last_round = round_number == rounds
            bid_rate = 0.3 if kind == "exhausted" or not last_round else 0.82
            if kind == "closed_many_bids":
                bid_rate = 0.95
            for provider_number in invited:
                bid = self._invitation(referral_id, round_id, tier, provider_number, opened, round_deadline,
                                       price, start, bid_rate, assess=kind in ("awarded", "closed"),
                                       officer_id=officer_id)
                if bid is not None and last_round:
                    bids.append(bid)
            if not last_round:
                opened = round_deadline + timedelta(days=1)
                round_deadline = opened + timedelta(days=5)
        end = round_deadline
        if kind == "awarded" and not any(bid["status"] == "submitted" for bid in bids):
            kind = "exhausted"
        if kind == "withdrawn":
            row["withdrawn_at"] = end + timedelta(days=1)
            row["withdrawn_reason"] = "The child's plan changed: staying with family."
        elif kind == "exhausted":
            row["exhausted_at"] = end + timedelta(days=1)
        elif kind == "awarded":
            chosen = min((bid for bid in bids if bid["status"] == "submitted"), key=lambda bid: bid["weekly_price"])
            row["awarded_at"] = end + timedelta(days=2)
            row["awarded_bid_id"] = chosen["id"]
            self._placement(row, chosen, officer_id, home)
            self.load.add("audit_event", self._audit(row["awarded_at"], officer_id, "referral.awarded", "referral",
                                                     referral_id, f"Referral {reference} awarded"))
        elif kind == "closed_many_bids":
            self.referral_with_bids = referral_id
        self._tell_officer(officer_id, reference, end, bool(bids))

    def _invitees(self, category_id: int, tier: int | None, how_many: int, *, featured: bool) -> list[int]:
        pool = self.pools.get((category_id, tier), [])
        chosen = self.random.sample(pool, min(how_many, len(pool)))
        if featured and self.featured in pool and self.featured not in chosen:
            chosen[-1:] = [self.featured]
        return chosen

    def _invitation(self, referral_id, round_id, tier, number, opened, deadline, price, start, bid_rate, *,
                    assess, officer_id):
        pick = self.random
        provider = self.providers[number]
        invitation_id = self.load.new_id("bid_invitation")
        bids = pick.random() < bid_rate
        declined = not bids and pick.random() < 0.6
        self.load.add("bid_invitation", {
            "id": invitation_id, "referral_id": referral_id, "round_id": round_id, "provider_id": provider["id"],
            "tier": tier, "place_with_caution": False, "invited_at": opened,
            "declined_at": opened + timedelta(hours=5) if declined else None,
            "declined_by_id": provider["user_id"] if declined else None,
            "decline_reason": "no_vacancy" if declined else None,
            "decline_detail": "No carer free this month." if declined else ""})
        if not bids:
            return None
        submitted = opened + (deadline - opened) * pick.random()
        weekly = price + Decimal(25 * pick.randint(-8, 8))
        withdrawn = pick.random() < 0.02
        bid_id = self.load.new_id("bid")
        content = hashlib.sha256(f"bid {bid_id}".encode()).hexdigest()
        bid = {"id": bid_id, "referral_id": referral_id, "round_id": round_id, "invitation_id": invitation_id,
               "provider_id": provider["id"], "status": "withdrawn" if withdrawn else "submitted",
               "core_weekly_fee": weekly, "weekly_price": weekly, "proposed_start": start,
               "setting_id": provider["setting_id"], "home_area": provider["area"].name,
               "home_area_code": provider["area"].code, "home_description": people.HOMES[bid_id % 4],
               "how_needs_met": people.HOW_NEEDS_MET[bid_id % 4], "revision": 1, "submitted_at": submitted,
               "submitted_by_id": provider["user_id"], "withdrawn_at": submitted + timedelta(hours=1)
               if withdrawn else None, "content_sha256": content}
        self.load.add("bid", bid)
        self.load.add("bid_receipt", {"id": self.load.new_id("bid_receipt"), "bid_id": bid_id, "revision": 1,
                                      "action": "submitted", "at": submitted, "by_id": provider["user_id"],
                                      "content_sha256": content})
        if withdrawn:
            self.load.add("bid_receipt", {"id": self.load.new_id("bid_receipt"), "bid_id": bid_id, "revision": 1,
                                          "action": "withdrawn", "at": bid["withdrawn_at"],
                                          "by_id": provider["user_id"], "content_sha256": content})
        elif assess and pick.random() < 0.9:
            self.load.add("bid_assessment", {
                "id": self.load.new_id("bid_assessment"), "bid_id": bid_id, "needs": pick.randint(2, 5),
                "location": pick.randint(1, 5), "stability": pick.randint(2, 5), "education": pick.randint(1, 5),
                "notes": "", "assessed_by_id": officer_id, "assessed_at": deadline + timedelta(hours=20)})
        return bid

    def _placement(self, referral: dict, bid: dict, officer_id: int, home) -> None:
        start = bid["proposed_start"]
        placement_id = self.load.new_id("placement")
        ended = start < self.today - timedelta(days=200) and self.random.random() < 0.6
        end = min(self.today - timedelta(days=1), start + timedelta(days=self.random.randint(60, 700)))
        reasons = ["plan_achieved", "step_down", "return_home", "placement_breakdown", "independence"]
        self.load.add("placement", {
            "id": placement_id, "agreement_reference": f"IPA-{referral['reference']}", "referral_id": referral["id"],
            "authority_id": referral["authority_id"], "on_framework": True, "provider_id": bid["provider_id"],
            "bid_id": bid["id"], "setting_id": bid["setting_id"], "lot_id": referral["lot_id"],
            "category_id": referral["category_id"], "tier": None, "weekly_cost": bid["weekly_price"],
            "start_date": start, "location_area": bid["home_area"], "location_area_code": bid["home_area_code"],
            "in_home_area": bid["home_area_code"] == home.code, "location_was_preferred": True,
            "created_by_id": officer_id, "created_at": referral["awarded_at"],
            "notice_given_by": "authority" if ended else None,
            "notice_given_on": end - timedelta(days=28) if ended else None, "end_date": end if ended else None,
            "ending_planned": True if ended else None,
            "ending_reason": reasons[placement_id % len(reasons)] if ended else None,
            "ending_recorded_by_id": officer_id if ended else None,
            "ending_recorded_at": datetime.combine(end, datetime.min.time()) if ended else None})
        self.load.add("placement_price", {
            "id": self.load.new_id("placement_price"), "placement_id": placement_id, "effective_from": start,
            "weekly_cost": bid["weekly_price"], "reason": "The price agreed at award.", "recorded_by_id": officer_id,
            "recorded_at": referral["awarded_at"]})

    def _tell_officer(self, officer_id: int, reference: str, at: datetime, any_bids: bool) -> None:
        subject = f"Referral {reference}: " + ("bids received" if any_bids else "no bids")
        body = "The deadline has passed. Read the bids side by side in the portal."
        old = at < self.now - timedelta(days=2)
        self.load.add("outbox_message", {
            "id": self.load.new_id("outbox_message"), "to_address": self.emails.get(officer_id, self.s.officer_email),
            "user_id": officer_id, "subject": subject, "body": body, "created_at": at,
            "sent_at": at + timedelta(minutes=1) if old else None, "attempts": 1 if old else 0})
        self.load.add("notification", {
            "id": self.load.new_id("notification"), "user_id": officer_id, "subject": subject, "body": body,
            "created_at": at, "read_at": at + timedelta(hours=3) if old else None})

    # Contracts, returns, vacancies and compliance ----------------------------------------------------

    def contracts(self) -> None:
        at = self.now - timedelta(days=200)
        questions = [("Children placed at the end of the quarter", "number"),
                     ("Carers approved in the quarter", "number"), ("Anything to tell the consortium", "text")]
        for position, (text, answer_type) in enumerate(questions, 1):
            self.load.add("return_question", {"id": self.load.new_id("return_question"), "dps_id": self.s.dps_id,
                                              "position": position, "text": text, "guidance": "",
                                              "answer_type": answer_type, "created_at": at})
        quarters = [("2025-Q4", date(2025, 12, 31)), ("2026-Q1", date(2026, 3, 31)), ("2026-Q2", date(2026, 6, 30)),
                    ("2026-Q3", date(2026, 9, 30))]
        for number in range(self._admitted()):
            provider = self.providers[number]
            self.load.add("provider_contract", {
                "id": self.load.new_id("provider_contract"), "dps_id": self.s.dps_id, "provider_id": provider["id"],
                "contract_manager_id": self.s.contract_manager_id if number % 5 < 3 else None,
                "allocated_at": at if number % 5 < 3 else None,
                "allocated_by_id": self.s.admin_id if number % 5 < 3 else None, "created_at": at})
            for quarter, last_day in quarters:
                self._quarterly_return(provider, quarter, last_day, questions, submitted=number % 7 != 0)
            area = provider["area"]
            self.load.add("vacancy", {
                "id": self.load.new_id("vacancy"), "provider_id": provider["id"], "lot_id": self.s.lots[0][0],
                "home_name": f"{area.name} carers", "area_code": area.code, "county_code": area.upper_tier_code or "",
                "age_from": 0, "age_to": 17, "available_from": self.today - timedelta(days=number % 20),
                "available_until": self.today + timedelta(days=30 + number % 60), "created_by_id": provider["user_id"],
                "created_at": self.now - timedelta(days=number % 20), "updated_at": self.now - timedelta(days=1)})
            self.load.add("evidence", {
                "id": self.load.new_id("evidence"), "provider_id": provider["id"], "kind": "public_liability",
                "expires_on": self.today + timedelta(days=20 + number % 340), "filename": "insurance.pdf",
                "stored_name": hashlib.sha256(f"evidence {number}".encode()).hexdigest(), "file_type": "pdf",
                "uploaded_at": at, "uploaded_by_id": provider["user_id"], "status": "accepted",
                "decided_at": at + timedelta(days=2), "decided_by_id": self.s.admin_id})

    def _quarterly_return(self, provider, quarter, last_day, questions, *, submitted: bool) -> None:
        return_id = self.load.new_id("quarterly_return")
        requested = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
        done = requested + timedelta(days=12) if submitted else None
        self.load.add("quarterly_return", {
            "id": return_id, "dps_id": self.s.dps_id, "provider_id": provider["id"], "quarter": quarter,
            "requested_at": requested, "due_on": last_day + timedelta(days=30), "updated_at": done,
            "submitted_at": done, "submitted_by_id": provider["user_id"] if submitted else None})
        if submitted:
            for position, (text, answer_type) in enumerate(questions, 1):
                self.load.add("return_answer", {
                    "id": self.load.new_id("return_answer"), "return_id": return_id, "position": position,
                    "question": text, "answer_type": answer_type,
                    "number_value": Decimal(3 + provider["id"] % 9) if answer_type == "number" else None,
                    "text_value": "" if answer_type == "number" else "Nothing further this quarter."})

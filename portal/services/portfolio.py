"""A contract manager's portfolio: the providers' contracts allocated to them, for their dashboard and Tasks.

What is due on each contract comes from the modules listed in portal.services.contracts.DUE_SOURCES (the Ofsted
review, actions, annual reviews…); contracts with something overdue come first, then those with something due,
then the rest by provider name. What is due comes from every part's own rules, so the ranking is done in Python:
the filters (DPS, standing, the provider's name) run in SQL, then at most PORTFOLIO_LIMIT contracts (the first by
provider name) are ranked and cut into pages, in a constant number of queries. A contract manager holds a few
dozen contracts (NE7: three or four providers each per member); one holding more is told on the page that only
the first PORTFOLIO_LIMIT are ranked and is asked to filter, rather than the page reading every contract.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models import Dps, Organisation, ProviderContract, User
from portal.models.contract import GOOD, SUSPENDED, TERMINATED
from portal.services import contracts
from portal.services.allocation import filtered, standings_of

PER_PAGE = 25
PORTFOLIO_LIMIT = 200  # contracts ranked by what is due on one dashboard request
DUE_FILTERS = {"overdue": "Something overdue", "due": "Something due"}


@dataclass
class PortfolioRow:
    contract: ProviderContract
    standing: str
    dues: list = field(default_factory=list)

    @property
    def overdue(self) -> list:
        return [due for due in self.dues if due.overdue]


@dataclass
class Page:
    """A page of rows, shaped like Flask-SQLAlchemy's pagination for the pager macro."""

    rows: list
    page: int
    per_page: int
    total: int
    beyond: bool = False  # more contracts matched than PORTFOLIO_LIMIT: only the first are ranked
    limit: int = PORTFOLIO_LIMIT

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1

    def iter_pages(self):
        return iter(range(1, self.pages + 1))


def _rank(dues: list) -> int:
    if any(due.overdue for due in dues):
        return 0
    return 1 if dues else 2


def dashboard(user: User, *, dps_id: int | None = None, standing: str | None = None, due: str | None = None,
              search: str = "", page: int = 1, now: datetime) -> Page:
    """The user's contracts, what is overdue or due first, filtered by DPS, standing, what is due and the
    provider's name."""
    query = filtered(db.select(ProviderContract.id).join(Organisation, Organisation.id == ProviderContract.provider_id)
                     .where(ProviderContract.contract_manager_id == user.id),
                     manager=None, standing=standing if standing in (GOOD, SUSPENDED, TERMINATED) else None,
                     search=search)
    if dps_id:
        query = query.where(ProviderContract.dps_id == dps_id)
    ids = list(db.session.scalars(query.order_by(Organisation.name, ProviderContract.dps_id, ProviderContract.id)
                                  .limit(PORTFOLIO_LIMIT + 1)))
    beyond = len(ids) > PORTFOLIO_LIMIT
    ids = ids[:PORTFOLIO_LIMIT]
    due_by_contract = contracts.dues(ids, now)
    if due == "overdue":
        ids = [contract_id for contract_id in ids if any(item.overdue for item in due_by_contract[contract_id])]
    elif due == "due":
        ids = [contract_id for contract_id in ids if due_by_contract[contract_id]]
    ordered = sorted(ids, key=lambda contract_id: _rank(due_by_contract[contract_id]))  # stable: by name within
    page = max(1, page)
    chosen = ordered[(page - 1) * PER_PAGE: page * PER_PAGE]
    loaded = {contract.id: contract for contract in db.session.scalars(
        db.select(ProviderContract).where(ProviderContract.id.in_(chosen))
        .options(selectinload(ProviderContract.provider), selectinload(ProviderContract.dps)))} if chosen else {}
    standings = standings_of(loaded.values())
    rows = [PortfolioRow(loaded[contract_id], standings[contract_id], due_by_contract[contract_id])
            for contract_id in chosen]
    return Page(rows=rows, page=page, per_page=PER_PAGE, total=len(ordered), beyond=beyond, limit=PORTFOLIO_LIMIT)


def arrangements_of(user: User) -> list[Dps]:
    """The DPSs the user holds contracts on, for the dashboard's filter."""
    return list(db.session.scalars(db.select(Dps).where(Dps.id.in_(
        db.select(ProviderContract.dps_id).where(ProviderContract.contract_manager_id == user.id)))
        .order_by(Dps.reference)))

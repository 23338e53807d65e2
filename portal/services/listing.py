"""Searching and sorting long lists. What a user asks for picks from a list's own whitelist of sort keys, and a
search is matched as text (its LIKE wildcards escaped): neither ever becomes SQL."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, or_, select

ASCENDING, DESCENDING = "asc", "desc"
LIKE_ESCAPE = "\\"
MAX_SEARCH = 100  # characters of a search used; a longer one is cut, not refused


@dataclass(frozen=True)
class Sorting:
    """The sort a list is shown in: one of its keys, and the direction."""

    key: str
    descending: bool
    newest_first: frozenset = frozenset()  # keys whose first click sorts descending (dates, amounts)

    @property
    def order(self) -> str:
        return DESCENDING if self.descending else ASCENDING

    def first_order(self, key: str) -> str:
        """The direction a column sorts in when first chosen."""
        return DESCENDING if key in self.newest_first else ASCENDING


class SortKeys:
    """A list's whitelist: each key a user may sort by, with the columns it orders by; ties are broken by the
    `tie_breaker` columns (in the same direction), so pages never overlap."""

    def __init__(self, columns: dict[str, Sequence[ColumnElement]], *, default: str, default_descending: bool,
                 tie_breaker: Sequence[ColumnElement], newest_first: Sequence[str] = (),
                 blanks_last: Sequence[str] = ()):
        assert default in columns
        self.columns = columns
        self.default = default
        self.default_descending = default_descending
        self.tie_breaker = tie_breaker
        self.newest_first = frozenset(newest_first)
        self.blanks_last = frozenset(blanks_last)  # keys whose column may be empty: rows without it come last

    def choose(self, key: str | None, order: str | None) -> Sorting:
        """The sort asked for, if the list has it; else the list's default. An unknown direction is the key's own."""
        if key not in self.columns:
            return Sorting(self.default, self.default_descending, self.newest_first)
        if order not in (ASCENDING, DESCENDING):
            order = DESCENDING if key in self.newest_first else ASCENDING
        return Sorting(key, order == DESCENDING, self.newest_first)

    def order_by(self, sorting: Sorting) -> list:
        chosen = [column.desc() if sorting.descending else column.asc() for column in self.columns[sorting.key]]
        if sorting.key in self.blanks_last:
            chosen = [column.nulls_last() for column in chosen]
        return chosen + [column.desc() if sorting.descending else column.asc() for column in self.tie_breaker]


def cleaned(search: str | None) -> str:
    return (search or "").strip()[:MAX_SEARCH]


def contains(search: str) -> str:
    """A LIKE pattern matching text that contains `search` literally (% and _ are not wildcards)."""
    escaped = search.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
    for wildcard in ("%", "_"):
        escaped = escaped.replace(wildcard, LIKE_ESCAPE + wildcard)
    return f"%{escaped}%"


def matching(search: str, columns: Sequence[ColumnElement]) -> ColumnElement:
    """Any of `columns` contains `search`, ignoring case."""
    pattern = contains(search)
    return or_(*(column.ilike(pattern, escape=LIKE_ESCAPE) for column in columns))


class Page:
    """One page of a list whose rows and total the caller has already read (a list of row tuples, or one of
    several tables on a page), shaped as Flask-SQLAlchemy's pages for the `pagination` macro."""

    def __init__(self, items: list, *, page: int, per_page: int, total: int):
        self.items, self.page, self.per_page, self.total = items, page, per_page, total
        self.pages = pages_for(total, per_page)
        self.has_prev, self.has_next = page > 1, page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1

    def iter_pages(self):
        """The page numbers the pager shows: the first and last two, two either side of this one, None for a gap."""
        shown = [number for number in range(1, self.pages + 1)
                 if number <= 2 or number > self.pages - 2 or abs(number - self.page) <= 2]
        previous = 0
        for number in shown:
            if number != previous + 1:
                yield None
            yield number
            previous = number


def pages_for(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_within(asked: int | None, total: int, per_page: int) -> int:
    """The page asked for, kept between the first and the last (a stale link past the end shows the last page)."""
    return min(max(asked or 1, 1), pages_for(total, per_page))


# How many rows past the page shown a long list counts; a list longer than that says "more than" and its pager
# reaches that far. The count then costs the same however long the list grows.
COUNT_AHEAD = 1000
MAX_PAGE = 1_000_000  # a page number asked beyond this is read as this (the database's integers are bounded)


class BoundedPage(Page):
    """A page of a list whose total is known only up to a bound: `more` when the list goes on past `total`.
    The pager then shows no last page numbers, only the pages around this one and "Next"."""

    def __init__(self, items: list, *, page: int, per_page: int, total: int, more: bool):
        super().__init__(items, page=page, per_page=per_page, total=total)
        self.more = more

    def iter_pages(self):
        if not self.more:
            yield from super().iter_pages()
            return
        previous = 0
        for number in range(1, self.pages + 1):
            if number <= 2 or abs(number - self.page) <= 2:
                if number != previous + 1:
                    yield None
                yield number
                previous = number
        yield None


def bounded_page(session, query: Select, *, page: int | None, per_page: int,
                 ahead: int | None = None) -> BoundedPage:
    """The page `page` of `query` (clamped to the pages there are), counting the rows no further than `ahead`
    past it: two statements, whose cost does not grow with the list (beyond the OFFSET of a deep page)."""
    asked = min(max(page or 1, 1), MAX_PAGE)
    bound = asked * per_page + (COUNT_AHEAD if ahead is None else ahead)
    counted = session.scalar(select(func.count()).select_from(query.order_by(None).limit(bound + 1).subquery()))
    more = counted > bound
    total = min(counted, bound)
    number = page_within(asked, total, per_page)
    items = list(session.scalars(query.limit(per_page).offset((number - 1) * per_page)))
    return BoundedPage(items, page=number, per_page=per_page, total=total, more=more)

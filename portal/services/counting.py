"""The counts the menu shows on every page (tasks, unread notifications), run together: each part of the portal
gives its COUNT statements, and they are read in one statement, whatever the number of parts.

A count that only has to say "more than so many" is bounded: it reads at most that many rows and one more, so
its cost does not grow with the data."""

from portal.extensions import db


def counts(counters: list, *, at_most: int | None = None) -> list[int]:
    """The value of each COUNT statement (a select of one count), in order, in one round trip. With at_most, each
    counts no further than at_most + 1 rows: a value above at_most means "more than at_most"."""
    if not counters:
        return []
    if at_most is not None:
        counters = [bounded(counter, at_most + 1) for counter in counters]
    row = db.session.execute(db.select(*(counter.scalar_subquery() for counter in counters))).one()
    return [value or 0 for value in row]


def count_of(statement):
    """A COUNT statement of the rows a select lists."""
    return db.select(db.func.count()).select_from(statement.order_by(None).subquery())


def bounded(counter, limit: int):
    """The COUNT statement `counter` (a select of one count over rows, not grouped) counting at most `limit` rows:
    the same rows selected as a constant, at most `limit` of them, then counted."""
    rows = counter.with_only_columns(db.literal_column("1"), maintain_column_froms=True).limit(limit)
    return db.select(db.func.count()).select_from(rows.subquery())

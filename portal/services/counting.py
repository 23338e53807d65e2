"""The counts the menu shows on every page (tasks, unread notifications), run together: each part of the portal
gives its COUNT statements, and they are read in one statement, whatever the number of parts."""

from portal.extensions import db


def counts(counters: list) -> list[int]:
    """The value of each COUNT statement (a select of one count), in order, in one round trip."""
    if not counters:
        return []
    row = db.session.execute(db.select(*(counter.scalar_subquery() for counter in counters))).one()
    return [value or 0 for value in row]


def count_of(statement):
    """A COUNT statement of the rows a select lists."""
    return db.select(db.func.count()).select_from(statement.order_by(None).subquery())

"""Bulk loading for the benchmark data: rows as dicts, inserted in chunks with SQLAlchemy Core, ids given here so
that rows can name each other without reading anything back."""

import sys
import time

from sqlalchemy import func, insert, select, text

CHUNK = 5000


class Progress:
    """A plain progress line on stderr: the share of the planned rows loaded so far."""

    def __init__(self, planned: int, stream=sys.stderr):
        self.planned = max(planned, 1)
        self.done = 0
        self.stream = stream
        self.started = time.monotonic()
        self.shown_at = 0.0

    def advance(self, rows: int, table: str) -> None:
        self.done += rows
        moment = time.monotonic()
        if moment - self.shown_at >= 0.5:
            self.shown_at = moment
            percent = min(100, 100 * self.done // self.planned)
            self.stream.write(f"\r  {percent:3d}%  {self.done:,} rows  {moment - self.started:6.0f} s  "
                              f"({table})          ")
            self.stream.flush()

    def finish(self) -> None:
        self.stream.write(f"\r  100%  {self.done:,} rows  {time.monotonic() - self.started:6.0f} s"
                          + " " * 30 + "\n")
        self.stream.flush()


class Loader:
    """Buffers rows per table and inserts them in chunks on one connection."""

    def __init__(self, connection, metadata, progress: Progress):
        self.connection = connection
        self.metadata = metadata
        self.progress = progress
        self.buffers: dict[str, list[dict]] = {}
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.checked: set[str] = set()

    def new_id(self, table: str) -> int:
        if table not in self.next_ids:
            column = self.metadata.tables[table].c.id
            self.next_ids[table] = (self.connection.scalar(select(func.max(column))) or 0) + 1
        number = self.next_ids[table]
        self.next_ids[table] = number + 1
        return number

    def add(self, table: str, row: dict) -> dict:
        """Queue a row (with its id) for `table`; returns it."""
        buffer = self.buffers.setdefault(table, [])
        buffer.append(row)
        if len(buffer) >= CHUNK:
            self.flush(table)
        return row

    def flush(self, table: str) -> None:
        rows = self.buffers.get(table)
        if not rows:
            return
        if table not in self.checked:
            self._check_required(table, rows[0])
        self.connection.execute(insert(self.metadata.tables[table]), rows)
        self.counts[table] = self.counts.get(table, 0) + len(rows)
        self.progress.advance(len(rows), table)
        self.buffers[table] = []

    def flush_all(self) -> None:
        for table in list(self.buffers):
            self.flush(table)

    def _check_required(self, table: str, row: dict) -> None:
        """Fail at once, naming the columns, when a row leaves out a column that must have a value."""
        missing = [column.name for column in self.metadata.tables[table].columns
                   if not column.nullable and column.default is None and column.server_default is None
                   and column.name not in row]
        unknown = [name for name in row if name not in self.metadata.tables[table].c]
        if missing or unknown:
            raise ValueError(f"{table}: missing {missing}, unknown {unknown}")
        self.checked.add(table)


def drop_secondary_indexes(connection, tables) -> list:
    """Drop the plain indexes of the tables about to be filled (their unique constraints stay): loading is faster
    without them. Returns the indexes to create again afterwards."""
    dropped = []
    for table in tables:
        for index in list(table.indexes):
            index.drop(connection)
            dropped.append(index)
    return dropped


def create_indexes(connection, indexes) -> None:
    for index in indexes:
        index.create(connection)


def reset_sequences(connection, tables) -> None:
    """On PostgreSQL, move each table's id sequence past the ids given here."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c and table.c.id.autoincrement in (True, "auto") and table.c.id.type.python_type is int:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                    f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"))

"""Fast bulk loading for empty or append-only tables (demo catalogue, benchmark).

PostgreSQL gets ``COPY ... FROM STDIN`` through psycopg 3; SQLite gets ``executemany``
inside the caller's transaction. Both take an iterator of tuples, so a 5-million-row
generator never sits in memory. No conflict handling: the importers do upserts instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection

CHUNK = 20_000


def chunks(rows: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    """Split an iterable into lists of at most ``size`` items."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def bulk_insert(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    """Append ``rows`` to ``table`` in the connection's current transaction.

    In: an open SQLAlchemy connection (SQLite or PostgreSQL/psycopg), table and column
    names (trusted: code constants, never user input), tuples in column order.
    Out: the number of rows written. Raises: the driver's error on a constraint violation.
    """
    if conn.dialect.name == "postgresql":
        return _copy_postgres(conn, table, columns, rows)
    return _executemany(conn, table, columns, rows)


def _copy_postgres(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    raw = conn.connection.dbapi_connection
    count = 0
    with raw.cursor() as cur:  # type: ignore[union-attr]
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def _executemany(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
) -> int:
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    raw = conn.connection.dbapi_connection
    cur = raw.cursor()  # type: ignore[union-attr]
    count = 0
    try:
        for batch in chunks(rows):
            cur.executemany(sql, batch)
            count += len(batch)
    finally:
        cur.close()
    return count

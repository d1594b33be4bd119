"""Referential integrity of the catalogue, the same on both databases.

SQLite enforces it with foreign keys; PostgreSQL, for the bulk-imported tables, with
per-statement triggers (migration 0003). Each test proves the guarantee, whichever does it.
"""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

# (child table, column, parent table, parent key): every reference of the imported tables.
REFERENCES = (
    ("parts_part", "part_type_code", "parts_part_type", "code"),
    ("parts_oe_reference", "part_id", "parts_part", "id"),
    ("parts_cross_reference", "part_id", "parts_part", "id"),
    ("parts_cross_reference", "other_part_id", "parts_part", "id"),
    ("parts_fitment", "vehicle_type_id", "parts_vehicle_type", "id"),
    ("parts_fitment", "part_id", "parts_part", "id"),
    ("parts_engine_fitment", "part_id", "parts_part", "id"),
    ("parts_offer", "supplier_id", "parts_supplier", "id"),
    ("parts_offer", "part_id", "parts_part", "id"),
)
CHILDREN_OF_A_PART = (
    ("parts_oe_reference", "part_id"),
    ("parts_cross_reference", "part_id"),
    ("parts_cross_reference", "other_part_id"),
    ("parts_fitment", "part_id"),
    ("parts_engine_fitment", "part_id"),
    ("parts_offer", "part_id"),
)
IDS = [f"{child}.{column}" for child, column, _, _ in REFERENCES]


@pytest.fixture
def linked(demo: Engine) -> Engine:
    """The demo catalogue plus cross-references of part 1 (the demo has none)."""
    with demo.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO parts_cross_reference (part_id, other_part_id, kind) "
                "VALUES (1, 2, 'equivalent'), (3, 1, 'superseded_by')"
            )
        )
    return demo


def _copy_row_with(conn, table: str, column: str, value) -> None:
    """Insert a copy of one row of ``table`` with ``column`` set to ``value`` (and a new
    article number where a part is copied: only the reference may be wrong)."""
    columns = [
        c["name"] for c in inspect(conn).get_columns(table) if c["name"] not in ("id", "search_tsv")
    ]
    values = [":value" if c == column else c for c in columns]
    if table == "parts_part":
        values[columns.index("number_norm")] = "'COPY-' || number_norm"
    conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM {table} WHERE {column} IS NOT NULL LIMIT 1"
        ),
        {"value": value},
    )


def _missing_key(conn, parent: str, key: str):
    return (
        "no_such_type"
        if key == "code"
        else conn.scalar(text(f"SELECT max(id) FROM {parent}")) + 1000
    )


@pytest.mark.parametrize("child,column,parent,key", REFERENCES, ids=IDS)
def test_a_reference_to_nothing_is_refused(linked, child, column, parent, key) -> None:
    refused = r"(?i)foreign key|violates reference"  # not "unique": only the reference
    with linked.connect() as conn:
        missing = _missing_key(conn, parent, key)
        existing = conn.scalar(text(f"SELECT {column} FROM {child} LIMIT 1"))
        conn.rollback()  # end the reading transaction
        with pytest.raises(IntegrityError, match=refused):
            with conn.begin():
                _copy_row_with(conn, child, column, missing)
        with pytest.raises(IntegrityError, match=refused):
            with conn.begin():
                conn.execute(
                    text(f"UPDATE {child} SET {column} = :v WHERE {column} = :old"),
                    {"v": missing, "old": existing},
                )
        assert _count(conn, child, f"{column} = :v", v=missing) == 0


def test_deleting_a_part_deletes_what_refers_to_it(linked) -> None:
    with linked.begin() as conn:
        before = {t: _count(conn, t) for t, _ in CHILDREN_OF_A_PART}
        refs = {(t, c): _count(conn, t, f"{c} = 1") for t, c in CHILDREN_OF_A_PART}
        assert all(refs.values()), refs  # part 1 has children of every kind
        conn.execute(text("DELETE FROM parts_part WHERE id = 1"))
        for table, column in CHILDREN_OF_A_PART:
            assert _count(conn, table, f"{column} = 1") == 0
        lost = {t: before[t] - _count(conn, t) for t in before}
        by_table = {}
        for (table, _), n in refs.items():
            by_table[table] = by_table.get(table, 0) + n
        assert lost == by_table  # and nothing else


def test_deleting_a_vehicle_or_supplier_deletes_its_rows(linked) -> None:
    with linked.begin() as conn:
        vid = conn.scalar(text("SELECT vehicle_type_id FROM parts_fitment LIMIT 1"))
        sid = conn.scalar(text("SELECT supplier_id FROM parts_offer LIMIT 1"))
        others = _count(conn, "parts_fitment", f"vehicle_type_id <> {vid}")
        conn.execute(text(f"DELETE FROM parts_vehicle_type WHERE id = {vid}"))
        conn.execute(text(f"DELETE FROM parts_supplier WHERE id = {sid}"))
        assert _count(conn, "parts_fitment", f"vehicle_type_id = {vid}") == 0
        assert _count(conn, "parts_fitment") == others
        assert _count(conn, "parts_offer", f"supplier_id = {sid}") == 0


def test_a_part_type_in_use_cannot_be_deleted_and_ids_never_change(linked) -> None:
    with linked.connect() as conn:
        code = conn.scalar(text("SELECT part_type_code FROM parts_part LIMIT 1"))
        conn.rollback()  # end the reading transaction
        with pytest.raises(IntegrityError):
            with conn.begin():
                conn.execute(text("DELETE FROM parts_part_type WHERE code = :c"), {"c": code})
        with pytest.raises(IntegrityError):
            with conn.begin():
                conn.execute(text("UPDATE parts_part SET id = id + 100000 WHERE id = 1"))
        assert _count(conn, "parts_part", "id = 1") == 1


def test_a_part_deleted_while_a_fitment_to_it_is_inserted_leaves_no_orphan(linked) -> None:
    """The fitment's transaction commits first: the delete waits for it, then takes it."""
    with linked.connect() as inserting:
        trans = inserting.begin()
        inserting.execute(
            text(
                "INSERT INTO parts_fitment (vehicle_type_id, part_id, position, quantity, "
                "qualifiers) SELECT min(id), 5, 'race', 1, '' FROM parts_vehicle_type"
            )
        )
        deleter = _in_thread(linked, "DELETE FROM parts_part WHERE id = 5")
        time.sleep(0.5)
        assert deleter.is_alive()  # waiting for the inserting transaction
        trans.commit()
        deleter.join(10)
        assert not deleter.is_alive() and deleter.error is None
        assert _count(inserting, "parts_part", "id = 5") == 0
        assert _count(inserting, "parts_fitment", "part_id = 5") == 0


def test_a_fitment_inserted_while_its_part_is_deleted_is_refused(linked) -> None:
    """The delete's transaction commits first: the insert waits, then finds no part."""
    with linked.connect() as deleting:
        trans = deleting.begin()
        deleting.execute(text("DELETE FROM parts_part WHERE id = 6"))
        inserter = _in_thread(
            linked,
            "INSERT INTO parts_fitment (vehicle_type_id, part_id, position, quantity, "
            "qualifiers) SELECT min(id), 6, 'race', 1, '' FROM parts_vehicle_type",
        )
        time.sleep(0.5)
        assert inserter.is_alive()  # waiting for the deleting transaction
        trans.commit()
        inserter.join(10)
        assert not inserter.is_alive()
        assert isinstance(inserter.error, IntegrityError)
        assert _count(deleting, "parts_fitment", "part_id = 6") == 0


class _Statement(threading.Thread):
    """One statement in its own transaction, on its own connection, in a thread."""

    def __init__(self, engine: Engine, sql: str) -> None:
        super().__init__(daemon=True)
        self.engine, self.sql, self.error = engine, sql, None

    def run(self) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(text(self.sql))
        except Exception as exc:  # reported to the test
            self.error = exc


def _in_thread(engine: Engine, sql: str) -> _Statement:
    statement = _Statement(engine, sql)
    statement.start()
    return statement


def _count(conn, table: str, where: str = "true", **params) -> int:
    return conn.scalar(text(f"SELECT count(*) FROM {table} WHERE {where}"), params)

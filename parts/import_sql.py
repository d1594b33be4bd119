"""The database half of the CSV importers: staging table, set-based resolution, upsert.

Per batch of parsed rows (see :mod:`parts.import_parse`), on the import's one connection
and inside its one transaction:

1. the rows go into a temporary staging table (PostgreSQL ``COPY``; SQLite ``executemany``,
   which resolves each article reference to its part id as it inserts);
2. new suppliers are created (offers only; only for rows whose article exists);
3. one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` per target table upserts every row
   whose references resolved, in key order so that index pages are touched in sequence;
   an update that would change nothing is skipped (re-imports write nothing);
4. the rows that did not make it come back with their line numbers, for the report.

On PostgreSQL steps 3 and 4 are one statement (a materialised CTE resolves every row once).
References are resolved by a correlated probe of the unique ``(number_norm, brand_norm)``
index, one lookup per row. Why set-based: the per-row work moves out of Python into the
database's C code, and SQLite's FTS5 index (filled by a trigger on ``parts_part``) costs
about 20 us more per article when each article is its own statement (measured: 40,000
against 325,000 documents/s for the same 100,000 rows; BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from parts.import_parse import Batch


@dataclass(frozen=True)
class Target:
    """One table written by a kind: its key, columns, and their values over staged rows
    ``r`` (joined with ``join``); ``where`` picks the rows that belong to this table."""

    table: str
    conflict: tuple[str, ...]
    columns: tuple[str, ...]
    values: tuple[str, ...]
    where: str = ""
    join: str = ""
    update: bool = True
    ordered: bool = True


@dataclass(frozen=True)
class Plan:
    """How one kind is staged and written.

    ``stage``: the staged columns after ``line`` (and ``reason`` when there are ``refs``),
    with their types; ``refs``: (id column, brand column, number column) of each article
    reference to resolve; ``suppliers``: create unknown suppliers on the fly.
    """

    stage: tuple[tuple[str, str], ...]
    refs: tuple[tuple[str, str, str], ...]
    targets: tuple[Target, ...]
    suppliers: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        """Staged column names after ``line`` and ``reason``."""
        return tuple(n for n, _ in self.stage)


_T, _I, _B = "text", "integer", "bigint"
_PART = (("part_id", "brand_norm", "number_norm"),)
_FIT = ("part_id", "position", "year_from", "year_to", "quantity", "qualifiers")
_VEHICLE_INTS = ("ktype", "capacity_cc", "power_kw", "year_from", "year_to")


def _as_staged(
    table: str,
    conflict: tuple[str, ...],
    names: tuple[str, ...],
    types: dict[str, str],
    ordered: bool = True,
) -> Plan:
    """The plan of a kind without references: its staged columns are the table's."""
    stage = tuple((n, types.get(n, _T)) for n in names)
    target = Target(table, conflict, names, tuple(f"r.{n}" for n in names), ordered=ordered)
    return Plan(stage, (), (target,))


PLANS: dict[str, Plan] = {
    "vehicles": _as_staged(
        "parts_vehicle_type",
        ("ktype",),
        ("ktype", "make", "make_norm", "model", "variant", "engine_code", "capacity_cc")
        + ("power_kw", "fuel", "year_from", "year_to", "type_code", "cnit"),
        dict.fromkeys(_VEHICLE_INTS, _I),
    ),
    "articles": _as_staged(
        "parts_part",
        ("number_norm", "brand_norm"),
        ("brand", "brand_norm", "article_number", "number_norm", "part_type_code", "name")
        + ("gtin", "attributes", "search_text"),
        {"attributes": "json"},
        ordered=False,  # file order: ids are handed out in the order of the file
    ),
    "oe": Plan(
        tuple((n, _T) for n in ("brand_norm", "number_norm"))
        + tuple((n, _T) for n in ("oe_brand_norm", "oe_number", "oe_number_norm")),
        _PART,
        (
            Target(
                "parts_oe_reference",
                ("number_norm", "oe_brand_norm", "part_id"),
                ("part_id", "oe_brand_norm", "oe_number", "number_norm"),
                ("r.part_id", "r.oe_brand_norm", "r.oe_number", "r.oe_number_norm"),
            ),
        ),
    ),
    "crossrefs": Plan(
        tuple((n, _T) for n in ("brand_norm", "number_norm", "other_brand_norm"))
        + tuple((n, _T) for n in ("other_number_norm", "kind")),
        (*_PART, ("other_part_id", "other_brand_norm", "other_number_norm")),
        (
            Target(
                "parts_cross_reference",
                ("part_id", "other_part_id", "kind"),
                ("part_id", "other_part_id", "kind"),
                ("r.part_id", "r.other_part_id", "r.kind"),
                update=False,
            ),
        ),
    ),
    "fitments": Plan(
        (("brand_norm", _T), ("number_norm", _T), ("vehicle_type_id", _I))
        + (("engine_code", _T), ("position", _T), ("year_from", _I), ("year_to", _I))
        + (("quantity", _I), ("qualifiers", _T)),
        _PART,
        (
            Target(
                "parts_fitment",
                ("vehicle_type_id", "part_id", "position"),
                ("vehicle_type_id", *_FIT),
                tuple(f"r.{c}" for c in ("vehicle_type_id", *_FIT)),
                where="r.vehicle_type_id IS NOT NULL",
            ),
            Target(
                "parts_engine_fitment",
                ("engine_code", "part_id", "position"),
                ("engine_code", *_FIT),
                tuple(f"r.{c}" for c in ("engine_code", *_FIT)),
                where="r.engine_code IS NOT NULL",
            ),
        ),
    ),
    "offers": Plan(
        (("supplier", _T), ("brand_norm", _T), ("number_norm", _T), ("price_minor", _B))
        + (("currency", _T), ("stock", _I), ("delivery_days", _I)),
        _PART,
        (
            Target(
                "parts_offer",
                ("supplier_id", "part_id"),
                ("supplier_id", "part_id", "price_minor", "currency", "stock", "delivery_days"),
                ("sp.id", "r.part_id", "r.price_minor", "r.currency", "r.stock", "r.delivery_days"),
                join="JOIN parts_supplier sp ON sp.code = r.supplier",
            ),
        ),
        suppliers=True,
    ),
}


def _conflict_sql(t: Target, pg: bool) -> str:
    keys = ", ".join(t.conflict)
    updates = [c for c in t.columns if c not in t.conflict]
    if not t.update or not updates:
        return f"ON CONFLICT ({keys}) DO NOTHING"
    sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
    # Skip rows whose values did not change: a re-import then writes nothing, which
    # spares the full-text index and (on PostgreSQL) dead tuples.
    if pg:
        old = ", ".join(f"{t.table}.{c}" for c in updates)
        new = ", ".join(f"excluded.{c}" for c in updates)
        changed = f"({old}) IS DISTINCT FROM ({new})"
    else:
        changed = " OR ".join(f"{t.table}.{c} IS NOT excluded.{c}" for c in updates)
    return f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {changed}"


def _insert_sql(t: Target, source: str, ok: str, pg: bool) -> str:
    """INSERT ... SELECT from ``source`` (a table or CTE known as ``r``) of the rows
    where ``ok`` holds."""
    where = " AND ".join(w for w in (ok, t.where) if w) or "true"
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parsing ambiguity).
    order = ", ".join(t.values[t.columns.index(c)] for c in t.conflict)
    return (
        f"INSERT INTO {t.table} ({', '.join(t.columns)}) SELECT {', '.join(t.values)} "
        f"FROM {source} {t.join} WHERE {where} {f'ORDER BY {order}' if t.ordered else ''} "
        f"{_conflict_sql(t, pg)}"
    )


def _part_id(brand: str, number: str) -> str:
    """A correlated probe of the unique (number_norm, brand_norm) index: NULL when the
    article is unknown. Always one index lookup per row, never a hash of all parts."""
    return f"(SELECT id FROM parts_part WHERE number_norm = {number} AND brand_norm = {brand})"


class Writer:
    """Stages, resolves and upserts the batches of one import on its connection.

    ``write(batch)`` returns the database's rejects, ``(line, reason, excerpt)``.
    ``close()`` drops what the import created besides data (SQLite's staging table).
    """

    STAGE = "import_stage"

    def __init__(self, conn: Connection, kind: str) -> None:
        self.plan = PLANS[kind]
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.dbapi_connection
        self.columns = ("line", *(("reason",) if self.plan.refs else ()), *self.plan.names)
        self._created = False
        self._suppliers: set[str] = set()  # codes known to exist, so not probed again
        if not self.pg and not self.raw.in_transaction:  # type: ignore[union-attr]
            # pysqlite opens the transaction lazily, at the first INSERT: the DDL of the
            # import (its staging table) must not run, and commit, before it.
            _execute(self.raw, "BEGIN")

    def vehicle_map(self) -> dict[tuple[str, str], int]:
        """(``ktype``|``cnit``|``type_code``, value) -> vehicle id; the lowest id wins
        where a CNIT or type code is shared."""
        found: dict[tuple[str, str], int] = {}
        for vid, ktype, cnit, type_code in _query(
            self.raw, "SELECT id, ktype, cnit, type_code FROM parts_vehicle_type ORDER BY id"
        ):
            if ktype is not None:
                found.setdefault(("ktype", str(ktype)), vid)
            for column, value in (("cnit", cnit), ("type_code", type_code)):
                if value:
                    found.setdefault((column, value), vid)
        return found

    def write(self, batch: Batch) -> list[tuple[int, str, str]]:
        """Upsert the batch; returns its rows rejected by the database."""
        if not batch.rows:
            return []
        if not self._created:
            self._create_stage()
        cur = self.raw.cursor()  # type: ignore[union-attr]
        try:
            self._stage(cur, batch.rows)
            if self.plan.suppliers:
                self._create_suppliers(cur, batch.rows)
            found = self._upsert(cur)
        finally:
            cur.close()
        return self._rejects(batch, found)

    def close(self) -> None:
        """Drop the staging table (PostgreSQL drops it at commit by itself)."""
        if self._created and not self.pg:
            _execute(self.raw, f"DROP TABLE temp.{self.STAGE}")
            self._created = False

    # ---------------------------------------------------------------------------- stage

    def _sql_type(self, column: str) -> str:
        kind = {"line": _I, "reason": _T}.get(column) or dict(self.plan.stage)[column]
        if kind == "json":
            return "jsonb" if self.pg else "text"
        return kind

    def _create_stage(self) -> None:
        cols = [f"{c} {self._sql_type(c)}" for c in self.columns]
        if self.pg:
            # work_mem: the batch's resolved rows are materialised once, in memory.
            # jit: compiling each batch's statement costs more than it saves.
            _execute(self.raw, "SET LOCAL work_mem = '64MB'")
            _execute(self.raw, "SET LOCAL jit = off")
            _execute(self.raw, f"CREATE TEMP TABLE {self.STAGE} ({', '.join(cols)}) ON COMMIT DROP")
        else:
            # SQLite resolves the article references while staging: one id column each.
            cols += [f"{ref} integer" for ref, _, _ in self.plan.refs]
            _execute(self.raw, f"DROP TABLE IF EXISTS temp.{self.STAGE}")
            _execute(self.raw, f"CREATE TEMP TABLE {self.STAGE} ({', '.join(cols)})")
        self._created = True

    def _stage(self, cur: Any, rows: list[tuple]) -> None:
        """Replace the staging table's rows by ``rows`` (SQLite: with their part ids)."""
        if self.pg:
            cur.execute(f"TRUNCATE {self.STAGE}")
            with cur.copy(f"COPY {self.STAGE} ({', '.join(self.columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        names, params = list(self.columns), [f"?{k}" for k in range(1, len(self.columns) + 1)]
        for ref, brand, number in self.plan.refs:
            names.append(ref)
            b, n = self.columns.index(brand) + 1, self.columns.index(number) + 1
            params.append(_part_id(f"?{b}", f"?{n}"))
        cur.execute(f"DELETE FROM temp.{self.STAGE}")
        cur.executemany(
            f"INSERT INTO temp.{self.STAGE} ({', '.join(names)}) VALUES ({', '.join(params)})",
            rows,
        )

    def _ok(self) -> str:
        """The rows that are written: every reference resolved, no reason to reject."""
        if not self.plan.refs:
            return ""
        return " AND ".join(
            [*(f"r.{ref} IS NOT NULL" for ref, _, _ in self.plan.refs), "r.reason IS NULL"]
        )

    def _reject_columns(self) -> str:
        cols = ["line", "reason"]
        for ref, brand, number in self.plan.refs:
            cols += [ref, brand, number]
        return ", ".join(f"r.{c}" for c in cols)

    # ------------------------------------------------------------------------ suppliers

    def _create_suppliers(self, cur: Any, rows: list[tuple]) -> None:
        """Create the batch's unknown suppliers that have at least one row to write
        (a supplier whose every row is rejected is not created)."""
        k = self.columns.index("supplier")
        new = {row[k] for row in rows} - self._suppliers
        if not new:
            return
        if self.pg:  # the stage holds no part ids yet: probe for one row per new code
            where = (
                "r.reason IS NULL AND NOT EXISTS (SELECT 1 FROM parts_supplier x "
                f"WHERE x.code = r.supplier) AND {_part_id('r.brand_norm', 'r.number_norm')} "
                "IS NOT NULL"
            )
        else:
            where = self._ok()
        source = f"{self.STAGE} r" if self.pg else f"temp.{self.STAGE} r"
        cur.execute(
            "INSERT INTO parts_supplier (code, name, country) "
            f"SELECT DISTINCT r.supplier, r.supplier, '' FROM {source} WHERE {where} "
            "ON CONFLICT (code) DO NOTHING"
        )
        marks = ", ".join(["%s" if self.pg else "?"] * len(new))
        cur.execute(f"SELECT code FROM parts_supplier WHERE code IN ({marks})", list(new))
        self._suppliers.update(code for (code,) in cur.fetchall())

    # --------------------------------------------------------------------------- upsert

    def _upsert(self, cur: Any) -> list[tuple]:
        """Write the staged rows; return (line, reason, id, brand, number, ...) of the
        rows that were not written."""
        if not self.plan.refs:
            source = f"{self.STAGE} r" if self.pg else f"temp.{self.STAGE} r"
            for target in self.plan.targets:
                cur.execute(_insert_sql(target, source, "", self.pg))
            return []
        if self.pg:
            cur.execute(self._resolve_and_upsert_pg())
            return cur.fetchall()
        for target in self.plan.targets:
            cur.execute(_insert_sql(target, f"temp.{self.STAGE} r", self._ok(), pg=False))
        cur.execute(
            f"SELECT {self._reject_columns()} FROM temp.{self.STAGE} r WHERE NOT ({self._ok()})"
        )
        return cur.fetchall()

    def _resolve_and_upsert_pg(self) -> str:
        """One statement: resolve every staged row once (materialised), insert those that
        resolved into each target, return the others."""
        ids = [_part_id(f"s.{b}", f"s.{n}") + f" AS {ref}" for ref, b, n in self.plan.refs]
        ctes = [f"r AS MATERIALIZED (SELECT s.*, {', '.join(ids)} FROM {self.STAGE} s)"]
        for k, target in enumerate(self.plan.targets):
            ctes.append(f"w{k} AS ({_insert_sql(target, 'r', self._ok(), pg=True)})")
        return (
            f"WITH {', '.join(ctes)} "
            f"SELECT {self._reject_columns()} FROM r WHERE NOT ({self._ok()})"
        )

    # ---------------------------------------------------------------------------- shared

    def _rejects(self, batch: Batch, found: list[tuple]) -> list[tuple[int, str, str]]:
        """(line, reason, excerpt) for each row the database could not take."""
        if not found:
            return []
        excerpts = dict(zip((r[0] for r in batch.rows), batch.excerpts, strict=True))
        rejects = []
        for line, reason, *refs in sorted(found):
            for k in range(0, len(refs), 3):
                part_id, brand, number = refs[k : k + 3]
                if part_id is None:
                    reason = f"unknown article {brand} {number} (import it first)"
                    break
            rejects.append((line, reason, excerpts[line]))
        return rejects


def _execute(raw: Any, sql: str) -> None:
    """Run one statement on a DBAPI connection."""
    cur = raw.cursor()
    try:
        cur.execute(sql)
    finally:
        cur.close()


def _query(raw: Any, sql: str) -> list[tuple]:
    """The rows of one query on a DBAPI connection."""
    cur = raw.cursor()
    try:
        cur.execute(sql)
        return cur.fetchall()
    finally:
        cur.close()

"""CSV importers: supplier price/stock feeds and TecDoc-like vehicle, article, OE,
cross-reference and fitment files.

How an import runs:

* The file is streamed line by line (never loaded whole) and decoded line by line, so a
  byte sequence that is not valid in the declared encoding rejects one row, not the file.
* Each row is parsed and checked (columns, numbers, prices, GTIN check digit, known part
  type); a bad row is *rejected with its line number and reason* and the import goes on.
* Valid rows are collected in batches of ``batch_size``; each batch resolves its references
  (article -> part id, KType/CNIT -> vehicle id) with one query per batch and is written
  with one bulk upsert (``executemany`` on SQLite, ``COPY`` into a temporary table then
  ``INSERT ... ON CONFLICT`` on PostgreSQL). A million rows are a few hundred round-trips.
* Upserts make imports idempotent: the same file twice gives the same catalogue. A key that
  appears twice in one file is a rejected row ("duplicate of line N"), first one wins.
* The whole import is ONE transaction. If anything stops it half-way (database error,
  unreadable file, ``strict`` and a rejected row, more rejects than ``max_rejects``, Ctrl-C)
  it is rolled back and :class:`ImportFailedError` is raised: the catalogue is exactly as
  it was. We chose one transaction over a resumable batch log because PostgreSQL and
  SQLite in WAL mode both keep serving reads during a long write transaction, and a
  re-run of an idempotent import is as good as a resume.
"""

from __future__ import annotations

import codecs
import csv
import json
import operator
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, Engine, select

from parts import vocabulary
from parts.errors import ImportFailedError, ImportFormatError
from parts.models import Supplier, VehicleType
from parts.normalize import build_search_text, normalize_brand, normalize_number

MAX_REJECT_DETAILS = 10_000
_REPORT_LOCK = threading.Lock()
_PRICE = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class RowError(ValueError):
    """One row is unusable; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Rejected:
    """A rejected row: its line number in the file, why, and the start of its text."""

    line: int
    reason: str
    excerpt: str


@dataclass
class ImportReport:
    """The outcome of one import."""

    kind: str
    rows_read: int = 0
    rows_written: int = 0
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    committed: bool = False
    seconds: float = 0.0

    def reject(self, line: int, reason: str, excerpt: str) -> None:
        """Record a rejected row (details kept for the first 10,000); thread-safe."""
        with _REPORT_LOCK:
            self.rejected_count += 1
            if len(self.rejected) < MAX_REJECT_DETAILS:
                self.rejected.append(Rejected(line, reason, excerpt[:120]))

    @property
    def rows_per_second(self) -> float:
        """Rows read per second of wall time."""
        return self.rows_read / self.seconds if self.seconds else 0.0


@dataclass
class _Row:
    line: int
    excerpt: str
    data: dict[str, Any]


# ---------------------------------------------------------------------------- field parsers


def _text(row: dict[str, str], name: str, limit: int, *, required: bool = False) -> str:
    value = (row.get(name) or "").strip()
    if required and not value:
        raise RowError(f"{name} is empty")
    if len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return value


def _int(row: dict[str, str], name: str, lo: int, hi: int, *, required: bool = False) -> int | None:
    value = (row.get(name) or "").strip()
    if not value:
        if required:
            raise RowError(f"{name} is empty")
        return None
    if not re.fullmatch(r"-?\d{1,10}", value):
        raise RowError(f"{name} {value[:20]!r} is not a whole number")
    number = int(value)
    if not lo <= number <= hi:
        raise RowError(f"{name} {number} is outside {lo}..{hi}")
    return number


def parse_price(value: str) -> int:
    """``"12.34"`` or ``"12,34"`` -> 1234 (cents). Raises RowError for anything else."""
    match = _PRICE.fullmatch(value.strip())
    if not match:
        raise RowError(f"price {value[:20]!r} is not an amount like 12.34 or 12,34")
    units, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(units) * 100 + int(cents)


def gtin_ok(gtin: str) -> bool:
    """True for an 8/12/13/14-digit GTIN with a correct check digit."""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        return False
    body = gtin[:-1][::-1]
    total = sum(int(d) * (3 if k % 2 == 0 else 1) for k, d in enumerate(body))
    return (10 - total % 10) % 10 == int(gtin[-1])


def _article_key(row: dict[str, str], prefix: str = "") -> tuple[str, str]:
    brand = normalize_brand(_text(row, f"{prefix}brand", 64, required=True))
    number = normalize_number(_text(row, f"{prefix}article_number", 64, required=True))
    if not number:
        raise RowError(f"{prefix}article_number has no letter or digit")
    return brand, number


# ----------------------------------------------------------------------------- resolvers


class _Refs:
    """Caches of natural key -> id, filled one query per batch of unknown keys."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.parts: dict[tuple[str, str], int] = {}
        self.vehicles: dict[tuple[str, str], int] = {}
        self.suppliers: dict[str, int] = {}

    def load_parts(self, keys: Iterable[tuple[str, str]]) -> None:
        """Look up the part ids of the keys not cached yet.

        Filters on ``number_norm`` alone (one indexed IN list / ``= ANY``) and matches the
        brand here: SQLite plans a row-value ``(brand, number) IN (...)`` as a scan. Raw
        DBAPI calls, because compiling a 500-parameter statement per batch cost more than
        running it.
        """
        missing = {k for k in keys if k not in self.parts}
        numbers = list({n for _, n in missing})
        raw = self.conn.connection.dbapi_connection
        cur = raw.cursor()  # type: ignore[union-attr]
        try:
            for start in range(0, len(numbers), 500):
                chunk = numbers[start : start + 500]
                if self.conn.dialect.name == "postgresql":
                    cur.execute(
                        "SELECT brand_norm, number_norm, id FROM parts_part "
                        "WHERE number_norm = ANY(%s)",
                        (chunk,),
                    )
                else:
                    cur.execute(
                        "SELECT brand_norm, number_norm, id FROM parts_part "
                        f"WHERE number_norm IN ({','.join('?' * len(chunk))})",
                        chunk,
                    )
                self.parts.update({(b, n): i for b, n, i in cur.fetchall() if (b, n) in missing})
        finally:
            cur.close()
        if len(self.parts) > 3_000_000:  # bound the memory of huge imports
            self.parts.clear()

    def load_vehicles(self, keys: Iterable[tuple[str, str]]) -> None:
        """Look up vehicle ids by ("ktype", "123") / ("cnit", ...) / ("type_code", ...)."""
        missing = {k for k in keys if k not in self.vehicles}
        for column in ("ktype", "cnit", "type_code"):
            values = [v for c, v in missing if c == column]
            col = getattr(VehicleType, column)
            typed = [int(v) for v in values] if column == "ktype" else values
            for start in range(0, len(typed), 400):
                for value, vid in self.conn.execute(
                    select(col, VehicleType.id).where(col.in_(typed[start : start + 400]))
                ):
                    self.vehicles.setdefault((column, str(value)), vid)

    def supplier_ids(self, codes: set[str]) -> None:
        """Resolve supplier codes, creating the suppliers never seen before."""
        missing = [c for c in codes if c not in self.suppliers]
        if not missing:
            return
        known = dict(
            self.conn.execute(
                select(Supplier.code, Supplier.id).where(Supplier.code.in_(missing))
            ).all()
        )
        new = [c for c in missing if c not in known]
        if new:
            self.conn.execute(Supplier.__table__.insert(), [{"code": c, "name": c} for c in new])
            known.update(
                self.conn.execute(
                    select(Supplier.code, Supplier.id).where(Supplier.code.in_(new))
                ).all()
            )
        self.suppliers.update(known)


# ------------------------------------------------------------------------------- kinds


@dataclass(frozen=True)
class Kind:
    """One importable file kind: its columns and how rows become table rows."""

    name: str
    table: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    conflict: tuple[str, ...]
    columns: tuple[str, ...]
    parse: Callable[[dict[str, str]], dict[str, Any]]
    resolve: Callable[[_Refs, list[_Row], ImportReport], list[_Row]]
    update: bool = True


def _parse_vehicle(row: dict[str, str]) -> dict[str, Any]:
    make = _text(row, "make", 64, required=True)
    year_from = _int(row, "year_from", 1900, 2100, required=True)
    year_to = _int(row, "year_to", 1900, 2100)
    if year_to is not None and year_from is not None and year_to < year_from:
        raise RowError(f"year_to {year_to} is before year_from {year_from}")
    return {
        "ktype": _int(row, "ktype", 1, 2_000_000_000, required=True),
        "make": make,
        "make_norm": normalize_brand(make),
        "model": _text(row, "model", 80, required=True),
        "variant": _text(row, "variant", 120),
        "engine_code": _text(row, "engine_code", 32),
        "capacity_cc": _int(row, "capacity_cc", 1, 30_000),
        "power_kw": _int(row, "power_kw", 1, 2_000),
        "fuel": _text(row, "fuel", 8).upper(),
        "year_from": year_from,
        "year_to": year_to,
        "type_code": normalize_number(_text(row, "type_code", 40)),
        "cnit": normalize_number(_text(row, "cnit", 20)),
    }


def _parse_article(row: dict[str, str]) -> dict[str, Any]:
    brand_norm, number_norm = _article_key(row)
    code = _text(row, "part_type", 40, required=True).lower()
    if code not in vocabulary.PART_TYPES:
        raise RowError(f"unknown part_type {code!r}")
    gtin = _text(row, "gtin", 14) or None
    if gtin is not None and not gtin_ok(gtin):
        raise RowError(f"gtin {gtin!r} is not a valid GTIN (length or check digit)")
    attributes = {
        k[5:]: v.strip() for k, v in row.items() if k and k.startswith("attr_") and v and v.strip()
    }
    brand, number = row["brand"].strip(), row["article_number"].strip()
    name = _text(row, "name", 200)
    return {
        "brand": brand,
        "brand_norm": brand_norm,
        "article_number": number,
        "number_norm": number_norm,
        "part_type_code": code,
        "name": name,
        "gtin": gtin,
        "attributes": json.dumps(attributes, ensure_ascii=False),
        "search_text": build_search_text(
            brand, number, name, vocabulary.PART_TYPES[code], attributes
        ),
    }


def _parse_oe(row: dict[str, str]) -> dict[str, Any]:
    oe_number = _text(row, "oe_number", 64, required=True)
    if not normalize_number(oe_number):
        raise RowError("oe_number has no letter or digit")
    return {
        "_part": _article_key(row),
        "oe_brand_norm": normalize_brand(_text(row, "oe_brand", 64, required=True)),
        "oe_number": oe_number,
        "number_norm": normalize_number(oe_number),
    }


def _parse_crossref(row: dict[str, str]) -> dict[str, Any]:
    kind = _text(row, "kind", 16, required=True).lower()
    if kind not in ("equivalent", "superseded_by"):
        raise RowError(f"kind {kind!r} is neither 'equivalent' nor 'superseded_by'")
    return {"_part": _article_key(row), "_other": _article_key(row, "other_"), "kind": kind}


def _parse_fitment(row: dict[str, str]) -> dict[str, Any]:
    year_from, year_to = _int(row, "year_from", 1900, 2100), _int(row, "year_to", 1900, 2100)
    if year_from is not None and year_to is not None and year_to < year_from:
        raise RowError(f"year_to {year_to} is before year_from {year_from}")
    record = {
        "_part": _article_key(row),
        "position": _text(row, "position", 32).lower(),
        "year_from": year_from,
        "year_to": year_to,
        "quantity": _int(row, "quantity", 1, 100) or 1,
        "qualifiers": _text(row, "qualifiers", 200),
    }
    for column in ("ktype", "cnit", "type_code"):
        value = _text(row, column, 40)
        if value:
            record["_vehicle"] = (column, value if column == "ktype" else normalize_number(value))
            if column == "ktype" and not value.isdigit():
                raise RowError(f"ktype {value[:20]!r} is not a whole number")
            return record
    engine_code = _text(row, "engine_code", 32)
    if not engine_code:
        raise RowError("no vehicle given: fill ktype, cnit, type_code or engine_code")
    record["engine_code"] = engine_code
    return record


def _parse_offer(row: dict[str, str]) -> dict[str, Any]:
    currency = _text(row, "currency", 8, required=True).upper()
    if not _CURRENCY.fullmatch(currency):
        raise RowError(f"currency {currency!r} is not an ISO 4217 code like EUR")
    return {
        "_part": _article_key(row),
        "_supplier": _text(row, "supplier", 32, required=True),
        "price_minor": parse_price(_text(row, "price", 32, required=True)),
        "currency": currency,
        "stock": _int(row, "stock", 0, 10_000_000) or 0,
        "delivery_days": _int(row, "delivery_days", 0, 365),
    }


def _no_refs(_refs: _Refs, rows: list[_Row], _report: ImportReport) -> list[_Row]:
    return rows


def _resolve_part(
    refs: _Refs, rows: list[_Row], report: ImportReport, key: str = "_part", target: str = "part_id"
) -> list[_Row]:
    refs.load_parts(r.data[key] for r in rows)
    kept = []
    for r in rows:
        pid = refs.parts.get(r.data[key])
        if pid is None:
            brand, number = r.data[key]
            report.reject(r.line, f"unknown article {brand} {number} (import it first)", r.excerpt)
            continue
        r.data[target] = pid
        kept.append(r)
    return kept


def _resolve_crossref(refs: _Refs, rows: list[_Row], report: ImportReport) -> list[_Row]:
    rows = _resolve_part(refs, rows, report)
    return _resolve_part(refs, rows, report, "_other", "other_part_id")


def _resolve_fitment(refs: _Refs, rows: list[_Row], report: ImportReport) -> list[_Row]:
    rows = _resolve_part(refs, rows, report)
    refs.load_vehicles(r.data["_vehicle"] for r in rows if "_vehicle" in r.data)
    kept = []
    for r in rows:
        if "_vehicle" in r.data:
            vid = refs.vehicles.get(r.data["_vehicle"])
            if vid is None:
                column, value = r.data["_vehicle"]
                report.reject(r.line, f"unknown vehicle {column} {value}", r.excerpt)
                continue
            r.data["vehicle_type_id"] = vid
        kept.append(r)
    return kept


def _resolve_offer(refs: _Refs, rows: list[_Row], report: ImportReport) -> list[_Row]:
    rows = _resolve_part(refs, rows, report)
    refs.supplier_ids({r.data["_supplier"] for r in rows})
    for r in rows:
        r.data["supplier_id"] = refs.suppliers[r.data["_supplier"]]
    return rows


_FIT_COLS = ("part_id", "position", "year_from", "year_to", "quantity", "qualifiers")
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "vehicles",
            "parts_vehicle_type",
            ("ktype", "make", "model", "year_from"),
            (
                "variant",
                "engine_code",
                "capacity_cc",
                "power_kw",
                "fuel",
                "year_to",
                "type_code",
                "cnit",
            ),
            ("ktype",),
            (
                "ktype",
                "make",
                "make_norm",
                "model",
                "variant",
                "engine_code",
                "capacity_cc",
                "power_kw",
                "fuel",
                "year_from",
                "year_to",
                "type_code",
                "cnit",
            ),
            _parse_vehicle,
            _no_refs,
        ),
        Kind(
            "articles",
            "parts_part",
            ("brand", "article_number", "part_type"),
            ("name", "gtin"),
            ("number_norm", "brand_norm"),
            (
                "brand",
                "brand_norm",
                "article_number",
                "number_norm",
                "part_type_code",
                "name",
                "gtin",
                "attributes",
                "search_text",
            ),
            _parse_article,
            _no_refs,
        ),
        Kind(
            "oe",
            "parts_oe_reference",
            ("brand", "article_number", "oe_brand", "oe_number"),
            (),
            ("number_norm", "oe_brand_norm", "part_id"),
            ("part_id", "oe_brand_norm", "oe_number", "number_norm"),
            _parse_oe,
            _resolve_part,
        ),
        Kind(
            "crossrefs",
            "parts_cross_reference",
            ("brand", "article_number", "other_brand", "other_article_number", "kind"),
            (),
            ("part_id", "other_part_id", "kind"),
            ("part_id", "other_part_id", "kind"),
            _parse_crossref,
            _resolve_crossref,
            update=False,
        ),
        Kind(
            "fitments",
            "parts_fitment",
            ("brand", "article_number"),
            (
                "ktype",
                "cnit",
                "type_code",
                "engine_code",
                "position",
                "year_from",
                "year_to",
                "quantity",
                "qualifiers",
            ),
            ("vehicle_type_id", "part_id", "position"),
            ("vehicle_type_id", *_FIT_COLS),
            _parse_fitment,
            _resolve_fitment,
        ),
        Kind(
            "offers",
            "parts_offer",
            ("supplier", "brand", "article_number", "price", "currency"),
            ("stock", "delivery_days"),
            ("supplier_id", "part_id"),
            ("supplier_id", "part_id", "price_minor", "currency", "stock", "delivery_days"),
            _parse_offer,
            _resolve_offer,
        ),
    )
}
# Fitment rows naming only an engine code go to this table (same file kind).
_ENGINE = Kind(
    "engine-fitments",
    "parts_engine_fitment",
    (),
    (),
    ("engine_code", "part_id", "position"),
    ("engine_code", *_FIT_COLS),
    _parse_fitment,
    _no_refs,
)


# ------------------------------------------------------------------------------ writing


class _Writer:
    """Bulk upserts of one table on one connection (dialect-specific fast path)."""

    def __init__(self, conn: Connection, kind: Kind) -> None:
        self.conn, self.kind = conn, kind
        self.raw = conn.connection.dbapi_connection
        self.pg = conn.dialect.name == "postgresql"
        self.temp: str | None = None

    def _conflict_sql(self) -> str:
        k = self.kind
        keys = ", ".join(k.conflict)
        updates = [c for c in k.columns if c not in k.conflict]
        if not k.update or not updates:
            return f"ON CONFLICT ({keys}) DO NOTHING"
        sets = ", ".join(f"{c} = excluded.{c}" for c in updates)
        # Skip rows whose values did not change: a re-import then writes nothing, which
        # spares the full-text index and (on PostgreSQL) dead tuples.
        if self.pg:
            old = ", ".join(f"{k.table}.{c}" for c in updates)
            new = ", ".join(f"excluded.{c}" for c in updates)
            changed = f"({old}) IS DISTINCT FROM ({new})"
        else:
            changed = " OR ".join(f"{k.table}.{c} IS NOT excluded.{c}" for c in updates)
        return f"ON CONFLICT ({keys}) DO UPDATE SET {sets} WHERE {changed}"

    def write(self, records: list[dict[str, Any]]) -> None:
        """Upsert ``records`` (dicts holding at least ``kind.columns``)."""
        if not records:
            return
        cols = self.kind.columns
        tuples = list(map(operator.itemgetter(*cols), records))  # cols has >= 2 names
        if self.pg:
            self._write_pg(tuples)
            return
        sql = (
            f"INSERT INTO {self.kind.table} ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))}) {self._conflict_sql()}"
        )
        cur = self.raw.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(sql, tuples)
        finally:
            cur.close()

    def _write_pg(self, tuples: list[tuple]) -> None:
        cols = ", ".join(self.kind.columns)
        with self.raw.cursor() as cur:  # type: ignore[union-attr]
            if self.temp is None:
                self.temp = f"tmp_import_{self.kind.table}"
                cur.execute(
                    f"CREATE TEMP TABLE {self.temp} ON COMMIT DROP AS "
                    f"SELECT {cols} FROM {self.kind.table} WITH NO DATA"
                )
            else:
                cur.execute(f"TRUNCATE {self.temp}")
            with cur.copy(f"COPY {self.temp} ({cols}) FROM STDIN") as copy:
                for row in tuples:
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO {self.kind.table} ({cols}) SELECT {cols} FROM {self.temp} "
                f"{self._conflict_sql()}"
            )


# ------------------------------------------------------------------------------ reading


def _decoded_lines(
    stream: BinaryIO, encoding: str, progress: Callable[[int], None] | None
) -> Iterator[str]:
    """Decode line by line; an undecodable line comes out with U+FFFD so its row is rejected."""
    done = 0
    first = True
    for raw in stream:
        done += len(raw)
        if (
            first
            and raw.startswith(codecs.BOM_UTF8)
            and encoding.replace("-", "").lower() == "utf8"
        ):
            raw = raw[len(codecs.BOM_UTF8) :]
        first = False
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError:
            line = raw.decode(encoding, errors="replace")
            if "\ufffd" not in line:
                line += "\ufffd"
        if progress is not None:
            progress(done)
        yield line


def _read_header(lines: Iterator[str], kind: Kind) -> tuple[list[str], str]:
    try:
        first = next(lines)
    except StopIteration:
        raise ImportFormatError("the file is empty: expected a header line") from None
    if "\ufffd" in first:
        raise ImportFormatError("the header line is not valid text in the given encoding")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
    missing = [c for c in kind.required if c not in header]
    if missing:
        raise ImportFormatError(
            f"{kind.name} file lacks column(s) {', '.join(missing)}; header was: "
            f"{', '.join(header)[:200]}"
        )
    if len(set(header)) != len(header):
        raise ImportFormatError("the header names a column twice")
    return header, delimiter


def _rows(
    lines: Iterator[str], header: list[str], delimiter: str, report: ImportReport
) -> Iterator[tuple[int, dict[str, str], str]]:
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            report.rows_read += 1
            report.reject(reader.line_num + 1, f"malformed CSV: {exc}", "")
            continue
        if not fields or fields == [""]:
            continue
        report.rows_read += 1
        excerpt = delimiter.join(fields)
        if len(fields) != len(header):
            report.reject(
                reader.line_num + 1, f"expected {len(header)} fields, got {len(fields)}", excerpt
            )
            continue
        if any("\x00" in f for f in fields):  # PostgreSQL text cannot hold NUL
            report.reject(reader.line_num + 1, "contains a NUL byte (binary data?)", excerpt)
            continue
        if any("\ufffd" in f for f in fields):
            report.reject(
                reader.line_num + 1,
                "bytes that are not valid in the file's encoding "
                "(convert the file to UTF-8 or pass the right --encoding)",
                excerpt,
            )
            continue
        yield reader.line_num + 1, dict(zip(header, fields, strict=True)), excerpt


# ------------------------------------------------------------------------------- driver


def import_csv(
    engine: Engine,
    kind: str,
    source: str | Path | BinaryIO,
    *,
    encoding: str = "utf-8",
    strict: bool = False,
    max_rejects: int | None = None,
    batch_size: int = 10_000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one CSV file of ``kind`` (``vehicles``, ``articles``, ``oe``, ``crossrefs``,
    ``fitments``, ``offers``) in one transaction.

    In: a migrated engine, the kind, a path or a binary stream; ``strict`` rejects the whole
    file on the first bad row; ``max_rejects`` aborts after that many rejects; ``progress``
    gets the number of bytes read so far.
    Out: an :class:`ImportReport` (committed, counts, rejected rows with reasons).
    Raises: ImportFormatError (unknown kind, missing columns, unknown encoding) and
    ImportFailedError (aborted; rolled back, catalogue unchanged).
    """
    spec = KINDS.get(kind)
    if spec is None:
        raise ImportFormatError(f"unknown import kind {kind!r}; use one of {', '.join(KINDS)}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportFormatError(f"unknown encoding {encoding!r}") from None
    if isinstance(source, (str, Path)):
        with open(source, "rb") as stream:
            return _run(engine, spec, stream, encoding, strict, max_rejects, batch_size, progress)
    return _run(engine, spec, source, encoding, strict, max_rejects, batch_size, progress)


def _run(
    engine: Engine,
    spec: Kind,
    stream: BinaryIO,
    encoding: str,
    strict: bool,
    max_rejects: int | None,
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> ImportReport:
    report = ImportReport(spec.name)
    started = time.perf_counter()
    lines = _decoded_lines(stream, encoding, progress)
    header, delimiter = _read_header(lines, spec)
    conn = engine.connect()
    try:
        with conn.begin():
            _Batches(conn, spec, report, strict, max_rejects, batch_size).run(
                _rows(lines, header, delimiter, report)
            )
    except ImportFailedError:
        report.rejected.sort(key=lambda r: r.line)
        raise
    except (Exception, KeyboardInterrupt) as exc:  # everything is rolled back by begin()
        report.rejected.sort(key=lambda r: r.line)
        raise ImportFailedError(
            f"import of {spec.name} stopped and was rolled back: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300] if str(exc) else ''}",
            report,
        ) from exc
    finally:
        conn.close()
    report.rejected.sort(key=lambda r: r.line)
    report.committed = True
    report.seconds = time.perf_counter() - started
    return report


_DONE = object()


def _put(out: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put unless the consumer has stopped; False when it has."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _parse_batches(
    rows: Iterable[tuple[int, dict[str, str], str]],
    spec: Kind,
    report: ImportReport,
    batch_size: int,
    out: queue.Queue[Any],
    stop: threading.Event,
) -> None:
    """Thread body: parse rows into batches of ``_Row``; an exception is handed over too."""
    try:
        batch: list[_Row] = []
        for line, row, excerpt in rows:
            try:
                batch.append(_Row(line, excerpt, spec.parse(row)))
            except RowError as exc:
                report.reject(line, str(exc), excerpt)
            if len(batch) >= batch_size:
                if not _put(out, batch, stop):
                    return
                batch = []
        if _put(out, batch, stop):
            _put(out, _DONE, stop)
    except BaseException as exc:  # noqa: BLE001 - re-raised in the importing thread
        _put(out, exc, stop)


class _Batches:
    """Parses rows, collects batches, resolves and writes them; enforces strict/max."""

    def __init__(
        self,
        conn: Connection,
        spec: Kind,
        report: ImportReport,
        strict: bool,
        max_rejects: int | None,
        batch_size: int,
    ) -> None:
        self.spec, self.report = spec, report
        self.strict, self.max_rejects, self.batch_size = strict, max_rejects, batch_size
        self.refs = _Refs(conn)
        self.writer = _Writer(conn, spec)
        self.engine_writer = _Writer(conn, _ENGINE)
        # hash of the resolved key -> first line. A 64-bit hash rather than the key keeps a
        # 5M-row import in memory; a false "duplicate" needs a collision (p ~ 1e-6 at 5M).
        self.seen: dict[int, int] = {}

    def run(self, rows: Iterable[tuple[int, dict[str, str], str]]) -> None:
        """Consume every row, then flush; raises ImportFailedError to abort.

        Parsing runs in a helper thread while this thread resolves and writes the previous
        batch: the database work (SQLite's C code, the PostgreSQL server) releases the GIL,
        so the two overlap on two cores. The connection never leaves this thread.
        """
        out: queue.Queue[Any] = queue.Queue(maxsize=3)
        stop = threading.Event()
        worker = threading.Thread(
            target=_parse_batches,
            daemon=True,
            name="parts-import-parse",
            args=(rows, self.spec, self.report, self.batch_size, out, stop),
        )
        worker.start()
        try:
            while (item := out.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                self._check_limits()
                self._flush(item)
            self._check_limits()
        finally:
            stop.set()
            worker.join(timeout=5)

    def _check_limits(self) -> None:
        count = self.report.rejected_count
        if self.strict and count:
            first = self.report.rejected[0]
            raise ImportFailedError(
                f"strict import: line {first.line} rejected ({first.reason}); rolled back, "
                "catalogue unchanged",
                self.report,
            )
        if self.max_rejects is not None and count > self.max_rejects:
            raise ImportFailedError(
                f"more than {self.max_rejects} rejected rows; rolled back, catalogue unchanged",
                self.report,
            )

    def _flush(self, batch: list[_Row]) -> None:
        if not batch:
            return
        rows = self.spec.resolve(self.refs, batch, self.report)
        main, engine = [], []
        for r in rows:
            target = (
                _ENGINE if "engine_code" in r.data and self.spec.name == "fitments" else self.spec
            )
            key = hash((target.name, *(r.data[c] for c in target.conflict)))
            first = self.seen.setdefault(key, r.line)
            if first != r.line:
                self.report.reject(
                    r.line,
                    f"duplicate key: same {', '.join(target.conflict)} as line {first}",
                    r.excerpt,
                )
                continue
            (engine if target is _ENGINE else main).append(r.data)
        self.writer.write(main)
        self.engine_writer.write(engine)
        self.report.rows_written += len(main) + len(engine)

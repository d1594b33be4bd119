"""The parsing half of the CSV importers: bytes in, checked rows out, in batches.

It runs in a worker process during large imports (see :mod:`parts.importers`), so it
imports neither SQLAlchemy nor a database driver, and all it hands back is picklable.

* The file is streamed line by line (never loaded whole) and decoded line by line, so a
  byte sequence that is not valid in the declared encoding rejects one row, not the file.
* Each row is checked (columns, numbers, prices, GTIN check digit, known part type) and
  turned into a flat tuple: the row of the staging table that :mod:`parts.import_sql`
  resolves and upserts set-based. A bad row becomes a ``(line, reason, excerpt)`` reject.
* Duplicates are found here, on the *normalised natural key* (brand + number in any
  spelling, vehicle id, position ...), which maps one-to-one onto the table's key: parts by
  (brand, number) and suppliers by code are unique, and vehicles are resolved here from a
  map read at the start. A repeated key is only *marked* (``reason``) when the row still
  has article references to resolve, because "unknown article" must win over "duplicate",
  as it did when resolution came first.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from parts import vocabulary
from parts.errors import ImportFormatError
from parts.normalize import build_search_text, normalize_brand, normalize_number

_PRICE = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_INT = re.compile(r"-?\d{1,10}")
# JSON string quoting as json.dumps(..., ensure_ascii=False) does it, in C.
_QUOTE = json.encoder.encode_basestring  # type: ignore[attr-defined]

RowParser = Callable[[list[str]], tuple]
Vehicles = dict[tuple[str, str], int]


class RowError(ValueError):
    """One row is unusable; the message is the reason shown to the user."""


class Deferred(Exception):  # noqa: N818 - a signal, not an error
    """A row that is rejected for ``reason`` unless its article turns out unknown too
    (which is reported first); it still travels to the database with its ``values``."""

    def __init__(self, values: tuple, reason: str) -> None:
        super().__init__(reason)
        self.values, self.reason = values, reason


@dataclass(slots=True)
class Batch:
    """What the parser hands to the writer for up to ``batch_size`` rows.

    ``rows`` are staging tuples ``(line, [reason,] *values)``; ``excerpts`` (kinds with
    references only) are aligned with them, for rejects found in the database; ``rejects``
    are ``(line, reason, excerpt)`` found while parsing; ``bytes_done`` is for progress.
    """

    rows: list[tuple] = field(default_factory=list)
    excerpts: list[str] = field(default_factory=list)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)
    rows_read: int = 0
    bytes_done: int = 0


# ---------------------------------------------------------------------------- field parsers
# Every reader takes the row's fields and a column index (None: the column is absent).


def _text(f: list[str], i: int | None, name: str, limit: int, required: bool = False) -> str:
    value = f[i].strip() if i is not None else ""
    if required and not value:
        raise RowError(f"{name} is empty")
    if len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return value


def _int(
    f: list[str], i: int | None, name: str, lo: int, hi: int, required: bool = False
) -> int | None:
    value = f[i].strip() if i is not None else ""
    if not value:
        if required:
            raise RowError(f"{name} is empty")
        return None
    # isdigit() alone would accept "²"; the regex keeps the old rules for the rare rest.
    if not (value.isascii() and value.isdigit() and len(value) <= 10) and not _INT.fullmatch(value):
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


def json_object(values: dict[str, str]) -> str:
    """``json.dumps(values, ensure_ascii=False)`` for a dict of strings, several times
    faster: json.dumps builds a new encoder per call, and this runs once per article."""
    return "{" + ", ".join(f"{_QUOTE(k)}: {_QUOTE(v)}" for k, v in values.items()) + "}"


class _Memo(dict):
    """normalize_brand() per distinct spelling: a file names a handful of brands a million
    times. Bounded, so a file of unique values cannot grow it without limit."""

    def __missing__(self, raw: str) -> str:
        if len(self) > 50_000:
            self.clear()
        value = self[raw] = normalize_brand(raw)
        return value


class _Columns:
    """Column name -> index in a row, from the header."""

    def __init__(self, header: list[str]) -> None:
        self.index = {name: k for k, name in enumerate(header)}
        self.brands = _Memo()

    def __call__(self, name: str) -> int | None:
        return self.index.get(name)

    def article_key(self, prefix: str = "") -> Callable[[list[str]], tuple[str, str]]:
        """A reader of (brand_norm, number_norm) from ``{prefix}brand``/``article_number``."""
        bi, ni = self(f"{prefix}brand"), self(f"{prefix}article_number")
        bname, nname, brands = f"{prefix}brand", f"{prefix}article_number", self.brands

        def key(f: list[str]) -> tuple[str, str]:
            brand = brands[_text(f, bi, bname, 64, True)]
            number = normalize_number(_text(f, ni, nname, 64, True))
            if not number:
                raise RowError(f"{nname} has no letter or digit")
            return brand, number

        return key


# ------------------------------------------------------------------------------ row parsers
# One factory per kind: given the header's columns (and the vehicle map for fitments) it
# returns the function that turns one row into its staging tuple. Checks run in the same
# order as before, so a row with several faults keeps reporting the same one.


def _vehicle_parser(c: _Columns, _vehicles: Vehicles | None) -> RowParser:
    ix = {n: c(n) for n in FORMATS["vehicles"].required + FORMATS["vehicles"].optional}

    def parse(f: list[str]) -> tuple:
        make = _text(f, ix["make"], "make", 64, True)
        year_from = _int(f, ix["year_from"], "year_from", 1900, 2100, True)
        year_to = _int(f, ix["year_to"], "year_to", 1900, 2100)
        if year_to is not None and year_from is not None and year_to < year_from:
            raise RowError(f"year_to {year_to} is before year_from {year_from}")
        return (
            _int(f, ix["ktype"], "ktype", 1, 2_000_000_000, True),
            make,
            normalize_brand(make),
            _text(f, ix["model"], "model", 80, True),
            _text(f, ix["variant"], "variant", 120),
            _text(f, ix["engine_code"], "engine_code", 32),
            _int(f, ix["capacity_cc"], "capacity_cc", 1, 30_000),
            _int(f, ix["power_kw"], "power_kw", 1, 2_000),
            _text(f, ix["fuel"], "fuel", 8).upper(),
            year_from,
            year_to,
            normalize_number(_text(f, ix["type_code"], "type_code", 40)),
            normalize_number(_text(f, ix["cnit"], "cnit", 20)),
        )

    return parse


def _article_parser(c: _Columns, _vehicles: Vehicles | None) -> RowParser:
    key = c.article_key()
    bi, ni, ti, gi, mi = c("brand"), c("article_number"), c("part_type"), c("gtin"), c("name")
    attrs = [(name[5:], k) for name, k in c.index.items() if name.startswith("attr_")]
    types = vocabulary.PART_TYPES

    def parse(f: list[str]) -> tuple:
        brand_norm, number_norm = key(f)
        code = _text(f, ti, "part_type", 40, True).lower()
        if code not in types:
            raise RowError(f"unknown part_type {code!r}")
        gtin = _text(f, gi, "gtin", 14) or None
        if gtin is not None and not gtin_ok(gtin):
            raise RowError(f"gtin {gtin!r} is not a valid GTIN (length or check digit)")
        attributes = {a: v for a, k in attrs if (v := f[k].strip())}
        brand, number = f[bi].strip(), f[ni].strip()  # type: ignore[index]
        name = _text(f, mi, "name", 200)
        return (
            brand,
            brand_norm,
            number,
            number_norm,
            code,
            name,
            gtin,
            json_object(attributes),
            build_search_text(brand, number, name, types[code], attributes, number_norm),
        )

    return parse


def _oe_parser(c: _Columns, _vehicles: Vehicles | None) -> RowParser:
    key, oi, bi, brands = c.article_key(), c("oe_number"), c("oe_brand"), c.brands

    def parse(f: list[str]) -> tuple:
        oe_number = _text(f, oi, "oe_number", 64, True)
        oe_norm = normalize_number(oe_number)
        if not oe_norm:
            raise RowError("oe_number has no letter or digit")
        brand_norm, number_norm = key(f)
        oe_brand = brands[_text(f, bi, "oe_brand", 64, True)]
        return (brand_norm, number_norm, oe_brand, oe_number, oe_norm)

    return parse


def _crossref_parser(c: _Columns, _vehicles: Vehicles | None) -> RowParser:
    key, other, ki = c.article_key(), c.article_key("other_"), c("kind")

    def parse(f: list[str]) -> tuple:
        kind = _text(f, ki, "kind", 16, True).lower()
        if kind not in ("equivalent", "superseded_by"):
            raise RowError(f"kind {kind!r} is neither 'equivalent' nor 'superseded_by'")
        return (*key(f), *other(f), kind)

    return parse


def _fitment_parser(c: _Columns, vehicles: Vehicles | None) -> RowParser:
    key, known = c.article_key(), vehicles or {}
    yf, yt, pi, qi, li, ei = (
        c(n) for n in ("year_from", "year_to", "position", "quantity", "qualifiers", "engine_code")
    )
    refs = [(n, c(n)) for n in ("ktype", "cnit", "type_code") if c(n) is not None]

    def parse(f: list[str]) -> tuple:
        year_from = _int(f, yf, "year_from", 1900, 2100)
        year_to = _int(f, yt, "year_to", 1900, 2100)
        if year_from is not None and year_to is not None and year_to < year_from:
            raise RowError(f"year_to {year_to} is before year_from {year_from}")
        brand_norm, number_norm = key(f)
        rest = (
            _text(f, pi, "position", 32).lower(),
            year_from,
            year_to,
            _int(f, qi, "quantity", 1, 100) or 1,
            _text(f, li, "qualifiers", 200),
        )
        for column, k in refs:
            value = _text(f, k, column, 40)
            if not value:
                continue
            if column == "ktype" and not value.isdigit():
                raise RowError(f"ktype {value[:20]!r} is not a whole number")
            ref = (column, value if column == "ktype" else normalize_number(value))
            values = (brand_norm, number_norm, known.get(ref), None, *rest)
            if values[2] is None:
                raise Deferred(values, f"unknown vehicle {ref[0]} {ref[1]}")
            return values
        engine_code = _text(f, ei, "engine_code", 32)
        if not engine_code:
            raise RowError("no vehicle given: fill ktype, cnit, type_code or engine_code")
        return (brand_norm, number_norm, None, engine_code, *rest)

    return parse


def _offer_parser(c: _Columns, _vehicles: Vehicles | None) -> RowParser:
    key = c.article_key()
    si, pi, ci, ki, di = c("supplier"), c("price"), c("currency"), c("stock"), c("delivery_days")

    def parse(f: list[str]) -> tuple:
        currency = _text(f, ci, "currency", 8, True).upper()
        if not _CURRENCY.fullmatch(currency):
            raise RowError(f"currency {currency!r} is not an ISO 4217 code like EUR")
        brand_norm, number_norm = key(f)
        return (
            _text(f, si, "supplier", 32, True),
            brand_norm,
            number_norm,
            parse_price(_text(f, pi, "price", 32, True)),
            currency,
            _int(f, ki, "stock", 0, 10_000_000) or 0,
            _int(f, di, "delivery_days", 0, 365),
        )

    return parse


# ------------------------------------------------------------------------------- formats


@dataclass(frozen=True)
class Format:
    """One importable file kind as the parser sees it.

    ``key(values)`` is the normalised natural key (one-to-one with the table's key) and
    ``conflict(values)`` names the table's key columns for the "duplicate" message.
    ``refs``: the rows name articles that the database must resolve.
    """

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    parser: Callable[[_Columns, Vehicles | None], RowParser]
    key: Callable[[tuple], tuple]
    conflict: Callable[[tuple], str]
    refs: bool


def _fixed(text: str) -> Callable[[tuple], str]:
    return lambda _values: text


_FITMENT = "vehicle_type_id, part_id, position"
_ENGINE_FITMENT = "engine_code, part_id, position"
FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "vehicles",
            ("ktype", "make", "model", "year_from"),
            ("variant", "engine_code", "capacity_cc", "power_kw", "fuel", "year_to")
            + ("type_code", "cnit"),
            _vehicle_parser,
            lambda v: (v[0],),
            _fixed("ktype"),
            refs=False,
        ),
        Format(
            "articles",
            ("brand", "article_number", "part_type"),
            ("name", "gtin"),
            _article_parser,
            lambda v: (v[3], v[1]),
            _fixed("number_norm, brand_norm"),
            refs=False,
        ),
        Format(
            "oe",
            ("brand", "article_number", "oe_brand", "oe_number"),
            (),
            _oe_parser,
            lambda v: v,
            _fixed("number_norm, oe_brand_norm, part_id"),
            refs=True,
        ),
        Format(
            "crossrefs",
            ("brand", "article_number", "other_brand", "other_article_number", "kind"),
            (),
            _crossref_parser,
            lambda v: v,
            _fixed("part_id, other_part_id, kind"),
            refs=True,
        ),
        Format(
            "fitments",
            ("brand", "article_number"),
            ("ktype", "cnit", "type_code", "engine_code", "position", "year_from", "year_to")
            + ("quantity", "qualifiers"),
            _fitment_parser,
            lambda v: (v[0], v[1], v[2], v[3], v[4]),
            lambda v: _FITMENT if v[3] is None else _ENGINE_FITMENT,
            refs=True,
        ),
        Format(
            "offers",
            ("supplier", "brand", "article_number", "price", "currency"),
            ("stock", "delivery_days"),
            _offer_parser,
            lambda v: (v[0], v[1], v[2]),
            _fixed("supplier_id, part_id"),
            refs=True,
        ),
    )
}


# ------------------------------------------------------------------------------ reading


class DecodedLines:
    """Decoded lines of a binary stream, one at a time, with the byte count for progress.

    An undecodable line comes out with U+FFFD so that its row is rejected; ``suspect``
    counts lines holding U+FFFD or NUL so that the row loop checks fields only then.
    """

    def __init__(self, stream: BinaryIO, encoding: str) -> None:
        self.stream, self.encoding = stream, encoding
        self.done = 0
        self.suspect = 0
        self._bom = encoding.replace("-", "").replace("_", "").lower() == "utf8"

    def __iter__(self) -> Iterator[str]:
        encoding = self.encoding
        for raw in self.stream:
            self.done += len(raw)
            if self._bom:
                self._bom = False
                if raw.startswith(codecs.BOM_UTF8):
                    raw = raw[len(codecs.BOM_UTF8) :]
            try:
                line = raw.decode(encoding)
            except UnicodeDecodeError:
                line = raw.decode(encoding, errors="replace")
                if "\ufffd" not in line:
                    line += "\ufffd"
            if "\x00" in line or "\ufffd" in line:
                self.suspect += 1
            yield line


def read_header(lines: Iterator[str], fmt: Format) -> tuple[list[str], str]:
    """The header's column names (lower case) and the delimiter guessed from it.

    Raises ImportFormatError: empty file, undecodable header, missing or repeated columns.
    """
    try:
        first = next(lines)
    except StopIteration:
        raise ImportFormatError("the file is empty: expected a header line") from None
    if "\ufffd" in first:
        raise ImportFormatError("the header line is not valid text in the given encoding")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [h.strip().lower() for h in next(csv.reader([first], delimiter=delimiter))]
    missing = [c for c in fmt.required if c not in header]
    if missing:
        raise ImportFormatError(
            f"{fmt.name} file lacks column(s) {', '.join(missing)}; header was: "
            f"{', '.join(header)[:200]}"
        )
    if len(set(header)) != len(header):
        raise ImportFormatError("the header names a column twice")
    return header, delimiter


def _bad_text(fields: list[str]) -> str | None:
    if any("\x00" in f for f in fields):  # PostgreSQL text cannot hold NUL
        return "contains a NUL byte (binary data?)"
    if any("\ufffd" in f for f in fields):
        return (
            "bytes that are not valid in the file's encoding "
            "(convert the file to UTF-8 or pass the right --encoding)"
        )
    return None


def parse_batches(
    source: DecodedLines,
    lines: Iterator[str],
    fmt: Format,
    header: list[str],
    delimiter: str,
    batch_size: int,
    vehicles: Vehicles | None = None,
) -> Iterator[Batch]:
    """Parse the rows after the header into batches of at most ``batch_size`` rows.

    The loop is deliberately inlined: it runs once per row of million-row files.
    ``seen`` maps the hash of each natural key to its first line; a 64-bit hash rather
    than the key keeps a 5M-row import in memory, and a false "duplicate" needs a
    collision (p ~ 1e-6 at 5M rows).
    """
    parse = fmt.parser(_Columns(header), vehicles)
    key, refs, width = fmt.key, fmt.refs, len(header)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    seen: dict[int, int] = {}
    batch, suspect = Batch(), source.suspect
    while True:
        if batch.rows_read >= batch_size:  # counted on rows read: rejects are bounded too
            batch.bytes_done = source.done
            yield batch
            batch = Batch()
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            batch.rows_read += 1
            batch.rejects.append((reader.line_num + 1, f"malformed CSV: {exc}", ""))
            continue
        if not fields or fields == [""]:
            continue
        batch.rows_read += 1
        line = reader.line_num + 1
        excerpt = delimiter.join(fields)[:120]
        if len(fields) != width:
            batch.rejects.append((line, f"expected {width} fields, got {len(fields)}", excerpt))
            continue
        if source.suspect != suspect:  # this row's lines hold NUL or U+FFFD somewhere
            suspect = source.suspect
            if (bad := _bad_text(fields)) is not None:
                batch.rejects.append((line, bad, excerpt))
                continue
        reason = None
        try:
            values = parse(fields)
        except RowError as exc:
            batch.rejects.append((line, str(exc), excerpt))
            continue
        except Deferred as deferred:
            values, reason = deferred.values, deferred.reason
        if reason is None:
            first = seen.setdefault(hash(key(values)), line)
            if first != line:
                reason = f"duplicate key: same {fmt.conflict(values)} as line {first}"
        if refs:  # the database resolves the articles, then applies ``reason``
            batch.rows.append((line, reason, *values))
            batch.excerpts.append(excerpt)
        elif reason is None:
            batch.rows.append((line, *values))
        else:
            batch.rejects.append((line, reason, excerpt))
    batch.bytes_done = source.done
    yield batch


def parse_stream(
    stream: BinaryIO,
    encoding: str,
    fmt: Format,
    batch_size: int,
    vehicles: Vehicles | None = None,
) -> Iterator[Batch]:
    """Read the header of ``stream`` again and parse the rest (the worker's entry)."""
    source = DecodedLines(stream, encoding)
    lines = iter(source)
    header, delimiter = read_header(lines, fmt)
    yield from parse_batches(source, lines, fmt, header, delimiter, batch_size, vehicles)

"""Part lookups: by vehicle + part type, by article/OE number in any spelling, by free text.

Ranking (vehicle and number searches): fitment certainty first, then availability (an
offer in stock), then an offer in the wanted currency, then price, then id for a stable
order. The candidate set of these searches is small (tens of parts per vehicle and type),
so it is ranked in Python after two indexed queries, and paginated after ranking.
Free-text search ranks by relevance in SQL (FTS5 bm25 / ts_rank) and paginates there,
because a word like "sensor" can match hundreds of thousands of parts.

User text never reaches SQL as SQL: numbers are normalised to letters and digits, free
text is cut into word tokens, and everything is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from parts import vocabulary
from parts.errors import InvalidInputError, NotFoundError, QueryTooLongError, UnknownPartTypeError
from parts.models import (
    CatalogueMeta,
    CrossReference,
    EngineFitment,
    Fitment,
    OeReference,
    Offer,
    Part,
    Supplier,
    VehicleType,
)
from parts.normalize import normalize_number, search_words

MAX_QUERY_CHARS = 200
MAX_NUMBER_CHARS = 64
MAX_PER_PAGE = 100
MAX_TOKENS = 12

# Certainty of a hit: how sure we are that the part is the right one for the request.
CERTAIN, CONDITIONAL, PROBABLE, RELATED = 3, 2, 1, 0
CERTAINTY_LABELS = {
    CERTAIN: "certain",
    CONDITIONAL: "conditional",
    PROBABLE: "probable",
    RELATED: "related",
}

T = TypeVar("T")


@dataclass(frozen=True)
class OfferView:
    """One supplier's price (minor units + ISO currency), stock and delivery time."""

    supplier: str
    supplier_name: str
    price_minor: int
    currency: str
    stock: int
    delivery_days: int | None

    @property
    def price(self) -> Decimal:
        """The price as a decimal amount (``1234`` cents -> ``Decimal('12.34')``)."""
        return Decimal(self.price_minor).scaleb(-2)

    @property
    def in_stock(self) -> bool:
        """True when the supplier has at least one."""
        return self.stock > 0


@dataclass
class PartHit:
    """A found part, why it was found, how certain it is, and its offers (best first)."""

    part_id: int
    brand: str
    article_number: str
    part_type: str
    name: str
    gtin: str | None
    certainty: int
    reason: str
    position: str = ""
    quantity: int = 1
    offers: list[OfferView] = field(default_factory=list)

    @property
    def certainty_label(self) -> str:
        """``certain`` / ``conditional`` / ``probable`` / ``related``."""
        return CERTAINTY_LABELS[self.certainty]

    @property
    def best_offer(self) -> OfferView | None:
        """The first offer after ranking (in stock, wanted currency, cheapest)."""
        return self.offers[0] if self.offers else None


@dataclass
class Page(Generic[T]):
    """One page of results with the total count across pages."""

    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """Number of pages (0 when there is no result)."""
        return -(-self.total // self.per_page)


@dataclass
class _Candidate:
    part_id: int
    certainty: int
    reason: str
    position: str = ""
    quantity: int = 1


def check_paging(page: int, per_page: int) -> None:
    """Raise InvalidInputError unless ``page >= 1`` and ``1 <= per_page <= 100``."""
    if page < 1:
        raise InvalidInputError(f"page must be 1 or more, not {page}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInputError(f"per_page must be between 1 and {MAX_PER_PAGE}, not {per_page}")


def check_part_type(code: str) -> str:
    """Return ``code`` if it is in the vocabulary. Raises: UnknownPartTypeError."""
    if code not in vocabulary.PART_TYPES:
        raise UnknownPartTypeError(
            f"unknown part type {code[:60]!r}; known: {', '.join(sorted(vocabulary.PART_TYPES))}"
        )
    return code


def search_by_vehicle(
    session: Session,
    vehicle_type_id: int,
    part_type: str,
    *,
    year: int | None = None,
    page: int = 1,
    per_page: int = 20,
    currency: str = "EUR",
) -> Page[PartHit]:
    """Parts of ``part_type`` that fit a vehicle type, ranked and paginated.

    In: a vehicle type id, a part-type code, optionally the build year (drops fitments whose
    year range excludes it). Out: a page of hits. A linkage to the vehicle type without
    qualifiers is *certain*, with qualifiers or a year range *conditional*, a linkage to its
    engine code only *probable*.
    Raises: NotFoundError (no such vehicle type), UnknownPartTypeError, InvalidInputError.
    """
    check_paging(page, per_page)
    check_part_type(part_type)
    vehicle = session.get(VehicleType, vehicle_type_id)
    if vehicle is None:
        raise NotFoundError(f"no vehicle type with id {vehicle_type_id}")
    candidates = _vehicle_candidates(session, vehicle, part_type, year)
    return _rank_and_page(session, candidates, page, per_page, currency)


def _vehicle_candidates(
    session: Session, vehicle: VehicleType, part_type: str, year: int | None
) -> list[_Candidate]:
    by_type = (
        select(
            Fitment.part_id,
            Fitment.qualifiers,
            Fitment.year_from,
            Fitment.year_to,
            Fitment.position,
            Fitment.quantity,
        )
        .join(Part, Part.id == Fitment.part_id)
        .where(Fitment.vehicle_type_id == vehicle.id, Part.part_type_code == part_type)
    )
    found: dict[int, _Candidate] = {}
    for row in session.execute(by_type):
        _add_fitment(found, row, year, CERTAIN, "fits this vehicle type")
    if vehicle.engine_code:
        by_engine = (
            select(
                EngineFitment.part_id,
                EngineFitment.qualifiers,
                EngineFitment.year_from,
                EngineFitment.year_to,
                EngineFitment.position,
                EngineFitment.quantity,
            )
            .join(Part, Part.id == EngineFitment.part_id)
            .where(
                EngineFitment.engine_code == vehicle.engine_code, Part.part_type_code == part_type
            )
        )
        for row in session.execute(by_engine):
            _add_fitment(found, row, year, PROBABLE, f"fits engine code {vehicle.engine_code}")
    return list(found.values())


def _add_fitment(
    found: dict[int, _Candidate], row: Sequence, year: int | None, best: int, reason: str
) -> None:
    part_id, qualifiers, year_from, year_to, position, quantity = row
    if year is not None and not (year_from or 0) <= year <= (year_to or 9999):
        return
    certainty, why = best, reason
    if best == CERTAIN and (qualifiers or year_from or year_to):
        certainty = CONDITIONAL
        limits = [qualifiers] if qualifiers else []
        if year_from or year_to:
            limits.append(f"years {year_from or '...'}-{year_to or '...'}")
        why = f"{reason}, only {'; '.join(limits)}"
    previous = found.get(part_id)
    if previous is None or previous.certainty < certainty:
        found[part_id] = _Candidate(part_id, certainty, why, position, quantity)


def search_by_number(
    session: Session,
    number: str,
    *,
    part_type: str | None = None,
    page: int = 1,
    per_page: int = 20,
    currency: str = "EUR",
) -> Page[PartHit]:
    """Parts whose article number or OE number is ``number`` in any spelling, plus their
    cross-references (equivalents, supersessions).

    Out: article-number hits are *certain*, OE hits *conditional* (OE numbers are shared by
    equivalent articles), cross-references *probable*.
    Raises: QueryTooLongError, InvalidInputError (no letter or digit), UnknownPartTypeError.
    """
    check_paging(page, per_page)
    if part_type is not None:
        check_part_type(part_type)
    norm = _checked_number(number)
    found: dict[int, _Candidate] = {}
    article = select(Part.id).where(Part.number_norm == norm)
    for (pid,) in session.execute(article):
        found[pid] = _Candidate(pid, CERTAIN, "article number matches")
    oe = select(OeReference.part_id, OeReference.oe_brand_norm).where(
        OeReference.number_norm == norm
    )
    for pid, oe_brand in session.execute(oe):
        found.setdefault(
            pid, _Candidate(pid, CONDITIONAL, f"replaces OE {oe_brand} {number.strip()}")
        )
    _add_cross_references(session, found)
    if part_type is not None:
        keep = set(
            session.scalars(
                select(Part.id).where(Part.id.in_(list(found)), Part.part_type_code == part_type)
            )
        )
        found = {pid: c for pid, c in found.items() if pid in keep}
    return _rank_and_page(session, list(found.values()), page, per_page, currency)


def _checked_number(number: str) -> str:
    if len(number) > MAX_NUMBER_CHARS:
        raise QueryTooLongError(
            f"a part number has at most {MAX_NUMBER_CHARS} characters, got {len(number)}"
        )
    norm = normalize_number(number)
    if not norm:
        raise InvalidInputError(f"{number[:40]!r} has no letter or digit to look up")
    return norm


def _add_cross_references(session: Session, found: dict[int, _Candidate]) -> None:
    if not found:
        return
    ids = list(found)
    rows = session.execute(
        select(CrossReference.part_id, CrossReference.other_part_id, CrossReference.kind).where(
            CrossReference.part_id.in_(ids) | CrossReference.other_part_id.in_(ids)
        )
    )
    for part_id, other_id, kind in rows:
        new_id, source = (other_id, part_id) if part_id in found else (part_id, other_id)
        if new_id not in found:
            word = kind.replace("_", " ")
            found[new_id] = _Candidate(
                new_id, PROBABLE, f"cross-reference ({word}) of part {source}"
            )


def _rank_and_page(
    session: Session, candidates: list[_Candidate], page: int, per_page: int, currency: str
) -> Page[PartHit]:
    offers = load_offers(session, [c.part_id for c in candidates], currency)

    def key(c: _Candidate) -> tuple:
        best = offers.get(c.part_id, [None])[0]
        if best is None:
            return (-c.certainty, 1, 1, 0, c.part_id)
        return (
            -c.certainty,
            not best.in_stock,
            best.currency != currency,
            best.price_minor,
            c.part_id,
        )

    ranked = sorted(candidates, key=key)
    window = ranked[(page - 1) * per_page : page * per_page]
    parts = {
        p.id: p
        for p in session.scalars(select(Part).where(Part.id.in_([c.part_id for c in window])))
    }
    items = [_hit(parts[c.part_id], c, offers.get(c.part_id, [])) for c in window]
    return Page(items, len(ranked), page, per_page)


def _hit(part: Part, c: _Candidate, offers: list[OfferView]) -> PartHit:
    return PartHit(
        part.id,
        part.brand,
        part.article_number,
        part.part_type_code,
        part.name,
        part.gtin,
        c.certainty,
        c.reason,
        c.position,
        c.quantity,
        offers,
    )


def load_offers(
    session: Session, part_ids: Iterable[int], currency: str = "EUR"
) -> dict[int, list[OfferView]]:
    """Offers per part id, best first (in stock, in ``currency``, cheapest, fastest)."""
    ids = list(part_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Offer.part_id,
            Supplier.code,
            Supplier.name,
            Offer.price_minor,
            Offer.currency,
            Offer.stock,
            Offer.delivery_days,
        )
        .join(Supplier, Supplier.id == Offer.supplier_id)
        .where(Offer.part_id.in_(ids))
    )
    result: dict[int, list[OfferView]] = {}
    for pid, *rest in rows:
        result.setdefault(pid, []).append(OfferView(*rest))
    for views in result.values():
        views.sort(
            key=lambda o: (
                not o.in_stock,
                o.currency != currency,
                o.price_minor,
                99 if o.delivery_days is None else o.delivery_days,
                o.supplier,
            )
        )
    return result


def text_tokens(query: str) -> list[str]:
    """Cut a free-text query into at most 12 lower-case, accent-free word tokens.

    Raises: QueryTooLongError (over 200 characters), InvalidInputError (no word at all).
    """
    if len(query) > MAX_QUERY_CHARS:
        raise QueryTooLongError(
            f"search text is limited to {MAX_QUERY_CHARS} characters, got {len(query):,}"
        )
    tokens = search_words(query)[:MAX_TOKENS]
    if not tokens:
        raise InvalidInputError("the search text has no word to look for")
    return tokens


def search_text(
    session: Session,
    query: str,
    *,
    part_type: str | None = None,
    page: int = 1,
    per_page: int = 20,
    currency: str = "EUR",
) -> Page[PartHit]:
    """Full-text search over brand, numbers, name, part type and attributes.

    Every token must match (as a word prefix). Ranked by relevance, then id.
    Raises: QueryTooLongError, InvalidInputError, UnknownPartTypeError.
    """
    check_paging(page, per_page)
    tokens = text_tokens(query)
    if part_type is not None:
        check_part_type(part_type)
    if session.get_bind().dialect.name == "postgresql":
        total, ids = _text_postgres(session, tokens, part_type, page, per_page)
    else:
        total, ids = _text_sqlite(session, tokens, part_type, page, per_page)
    offers = load_offers(session, ids, currency)
    parts = {p.id: p for p in session.scalars(select(Part).where(Part.id.in_(ids)))}
    items = [
        _hit(parts[i], _Candidate(i, PROBABLE, "text matches"), offers.get(i, [])) for i in ids
    ]
    return Page(items, total, page, per_page)


def _text_sqlite(
    session: Session, tokens: list[str], part_type: str | None, page: int, per_page: int
) -> tuple[int, list[int]]:
    # Tokens are letters and digits only, so quoting each one makes a literal FTS5 query.
    # Rank: "every token is a whole word" first (as on PostgreSQL), then bm25, then id.
    match = " ".join(f'"{t}"*' for t in tokens)
    whole_words = " ".join(f'"{t}"' for t in tokens)
    type_filter = "AND p.part_type_code = :pt" if part_type else ""
    base = (
        f"FROM parts_part_fts f JOIN parts_part p ON p.id = f.rowid "
        f"WHERE parts_part_fts MATCH :q {type_filter}"
    )
    params = _text_params(match, whole_words, part_type, page, per_page)
    total = session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    whole = "p.id IN (SELECT rowid FROM parts_part_fts WHERE parts_part_fts MATCH :whole)"
    ids = session.scalars(
        text(f"SELECT p.id {base} ORDER BY {whole} DESC, f.rank, p.id LIMIT :lim OFFSET :off"),
        params,
    ).all()
    return total, list(ids)


def _text_postgres(
    session: Session, tokens: list[str], part_type: str | None, page: int, per_page: int
) -> tuple[int, list[int]]:
    # The stored lexemes are exactly our words (no text parser on either side), so the
    # query is a tsquery literal, each token a word prefix; tokens are letters and digits
    # only, so quoting them is safe. The vectors carry no positions, which ts_rank needs:
    # the rank is "every token is a whole word" first, then the part described in fewer
    # words (the more specific one), then id.
    prefixes = " & ".join(f"'{t}':*" for t in tokens)
    whole_words = " & ".join(f"'{t}'" for t in tokens)
    type_filter = "AND part_type_code = :pt" if part_type else ""
    base = f"FROM parts_part WHERE search_tsv @@ CAST(:q AS tsquery) {type_filter}"
    params = _text_params(prefixes, whole_words, part_type, page, per_page)
    total = session.execute(text(f"SELECT count(*) {base}"), params).scalar_one()
    ids = session.scalars(
        text(
            f"SELECT id {base} ORDER BY search_tsv @@ CAST(:whole AS tsquery) DESC, "
            "length(search_tsv), id LIMIT :lim OFFSET :off"
        ),
        params,
    ).all()
    return total, list(ids)


def _text_params(
    match: str, whole_words: str, part_type: str | None, page: int, per_page: int
) -> dict[str, object]:
    """The bound parameters of a free-text query: the match, the whole-word match, the
    type filter and the page."""
    return {
        "q": match,
        "whole": whole_words,
        "pt": part_type,
        "lim": per_page,
        "off": (page - 1) * per_page,
    }


def catalogue_source(session: Session) -> str | None:
    """The catalogue's ``source`` meta value (the DEMO label for a generated one)."""
    return session.scalar(select(CatalogueMeta.value).where(CatalogueMeta.key == "source"))


def count_parts(session: Session) -> int:
    """Number of parts in the catalogue."""
    return session.scalar(select(func.count()).select_from(Part)) or 0

"""Quotes: parts lines (catalogue parts and offers, brand of the driver's choice) and labour
lines (minutes x the garage's hourly rate), totals before and after VAT.

Pure computation: the caller passes the garage's terms, the work to do and, per part type,
the catalogue's fitting parts with their best offer. Money is integer cents, never a float;
the labour of a line is rounded half up to the cent and VAT is computed once on the total
before tax, as on a French invoice. Every quote is *subject to inspection*
("devis estimatif, sous réserve de l'inspection du véhicule"): the garage confirms it once
it has seen the car.

A quote carries a ``fingerprint`` (SHA-256 of what the driver consents to: lines, prices,
rate, VAT); booking recomputes the quote from the catalogue and refuses a booking whose
fingerprint no longer matches (the prices changed), so the driver always agrees to what
will be charged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

from api.garages.errors import InvalidInputError, ServiceNotOfferedError
from api.garages.labour import labour_time
from api.garages.services import SERVICES, get_service
from parts import vocabulary

SUBJECT_TO_INSPECTION = (
    "Devis estimatif, sous réserve de l'inspection du véhicule par le garage "
    "(estimate subject to inspection of the vehicle by the garage)."
)
DEFAULT_VAT_BP = 2000  # 20 % in basis points: the French standard rate
MAX_QUANTITY = 16


@dataclass(frozen=True)
class GarageTerms:
    """What a quote needs of a garage: its hourly labour rate before tax (cents), VAT
    (basis points), and the services it offers with its own minutes (None: standard)."""

    garage_id: int
    labour_rate_cents: int
    services: Mapping[str, int | None]
    vat_bp: int = DEFAULT_VAT_BP
    currency: str = "EUR"

    def minutes_for(self, service: str) -> int:
        """The garage's duration of a packaged service. Raises: ServiceNotOfferedError."""
        self.require(service)
        return self.services[service] or get_service(service).minutes

    def require(self, service: str) -> None:
        """Raises ServiceNotOfferedError unless the garage offers ``service``."""
        if service not in self.services:
            raise ServiceNotOfferedError(
                f"garage {self.garage_id} does not offer {service!r}",
                {"garage_id": self.garage_id, "service": service},
            )


@dataclass(frozen=True)
class PartChoice:
    """One fitting part for a line, priced by its best offer (cents, before tax)."""

    part_id: int
    brand: str
    article_number: str
    name: str
    supplier: str
    unit_price_cents: int
    in_stock: bool


@dataclass(frozen=True)
class WorkItem:
    """One thing to do: replace ``quantity`` parts of ``part_type`` (None: labour only,
    e.g. a diagnosis), as part of ``service``, because of ``reason`` (a cause id)."""

    service: str
    part_type: str | None = None
    quantity: int = 1
    operation: str = "replace"
    reason: str = ""


@dataclass(frozen=True)
class QuoteLine:
    """A line of a quote. ``kind``: ``part``, ``labour`` or ``note`` (priced at inspection)."""

    kind: str
    label: str
    quantity: int
    unit_price_cents: int
    total_cents: int
    service: str
    part_type: str | None = None
    part_id: int | None = None
    brand: str | None = None
    article_number: str | None = None
    supplier: str | None = None
    minutes: int | None = None
    reason: str = ""
    alternatives: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Quote:
    """A garage's quote: lines, totals in cents, job minutes, VAT, fingerprint."""

    garage_id: int
    currency: str
    lines: tuple[QuoteLine, ...]
    parts_cents: int
    labour_cents: int
    total_excl_vat_cents: int
    vat_bp: int
    vat_cents: int
    total_incl_vat_cents: int
    minutes: int
    services: tuple[str, ...]
    subject_to_inspection: bool = True
    notice: str = SUBJECT_TO_INSPECTION
    fingerprint: str = field(default="")

    def to_dict(self) -> dict:
        """Plain JSON-ready data (what is stored with a booking)."""
        return asdict(self)


def work_for_service(service: str, cylinders: int | None = None) -> list[WorkItem]:
    """The work of a packaged service (its parts; spark plugs per cylinder).

    Raises: UnknownServiceError; InvalidInputError for a repair code (those come from a
    diagnosis or from chosen part types).
    """
    svc = get_service(service)
    if svc.repair:
        raise InvalidInputError(
            f"{service!r} is priced per repair: quote it from a diagnosis or from part types"
        )
    items = [WorkItem(service, None, 1, "service", "")]
    for part_type, quantity in svc.parts:
        if part_type == "spark_plug" and cylinders:
            quantity = cylinders
        items.append(WorkItem(service, part_type, quantity, "included", ""))
    return items


def work_for_causes(
    causes: Iterable[tuple[str, float]], *, top: int = 1, cylinders: int | None = None
) -> list[WorkItem]:
    """The repairs for the ``top`` most probable causes of a diagnosis.

    Each cause's usual culprit (the first part type the catalogue maps it to) is replaced;
    a spark plug job covers every cylinder. A cause the catalogue maps to no part becomes a
    diagnosis at the garage. Raises: InvalidInputError for a probability outside [0, 1].
    """
    ranked = sorted(causes, key=lambda c: -c[1])
    for cause, probability in ranked:
        if not 0.0 <= probability <= 1.0:
            raise InvalidInputError(f"probability of {cause!r} must be in [0, 1]")
    items: list[WorkItem] = []
    for cause, _ in ranked[:top]:
        try:
            part_type = vocabulary.part_types_for_cause(cause)[0][0]
        except KeyError:
            items.append(WorkItem("diagnosis", None, 1, "inspect", cause))
            continue
        entry = labour_time(part_type)
        if entry is None:  # no standard time for that part: the garage inspects first
            items.append(WorkItem("diagnosis", None, 1, "inspect", cause))
            continue
        quantity = (cylinders or 4) if part_type == "spark_plug" else 1
        items.append(WorkItem(entry.service, part_type, quantity, "replace", cause))
    return items


def work_for_part_types(part_types: Mapping[str, int]) -> list[WorkItem]:
    """Repairs chosen by part type (``{"ignition_coil": 1}``). Raises: InvalidInputError."""
    items = []
    for part_type, quantity in part_types.items():
        entry = labour_time(part_type)
        if entry is None:
            raise InvalidInputError(f"no labour time for replacing {part_type!r}")
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidInputError(f"quantity of {part_type} must be 1..{MAX_QUANTITY}")
        items.append(WorkItem(entry.service, part_type, quantity, "replace", ""))
    return items


def required_services(items: Iterable[WorkItem]) -> set[str]:
    """The service codes a garage must offer to do this work."""
    return {item.service for item in items}


def build_quote(
    terms: GarageTerms,
    items: Sequence[WorkItem],
    candidates: Mapping[str, Sequence[PartChoice]],
    brands: Mapping[str, str] | None = None,
    *,
    fingerprinted: bool = True,
) -> Quote:
    """Price ``items`` at one garage (``fingerprinted=False`` skips the fingerprint, which
    only a booking needs: a listing of hundreds of garages shows totals).

    In: the garage's terms, the work, per part type the fitting parts best first, and the
    driver's brand per part type (default: the first candidate).
    Out: a :class:`Quote` with its fingerprint.
    Raises: ServiceNotOfferedError, InvalidInputError (a chosen brand with no fitting part).
    """
    if not items:
        raise InvalidInputError("nothing to quote")
    brands = brands or {}
    lines: list[QuoteLine] = []
    minutes = 0
    for item in items:
        terms.require(item.service)
        if item.part_type is not None:
            lines.append(_part_line(item, candidates.get(item.part_type, ()), brands))
        labour = _labour_line(terms, item)
        if labour is not None:
            lines.append(labour)
            minutes += labour.minutes or 0
    quote = _totals(terms, lines, minutes, sorted(required_services(items)))
    return _with_fingerprint(quote) if fingerprinted else quote


def _part_line(
    item: WorkItem, choices: Sequence[PartChoice], brands: Mapping[str, str]
) -> QuoteLine:
    label = vocabulary.PART_TYPES.get(item.part_type or "", item.part_type or "")
    if not choices:
        return QuoteLine(
            "note",
            f"{label}: no fitting part with a price in the catalogue, priced at inspection",
            item.quantity, 0, 0, item.service, item.part_type, reason=item.reason,
        )  # fmt: skip
    chosen = _choose(item.part_type or "", choices, brands.get(item.part_type or ""))
    alternatives = tuple(
        {"brand": c.brand, "part_id": c.part_id, "unit_price_cents": c.unit_price_cents,
         "in_stock": c.in_stock}
        for c in choices
    )  # fmt: skip
    return QuoteLine(
        "part",
        f"{label} {chosen.brand} {chosen.article_number}",
        item.quantity,
        chosen.unit_price_cents,
        chosen.unit_price_cents * item.quantity,
        item.service,
        item.part_type,
        chosen.part_id,
        chosen.brand,
        chosen.article_number,
        chosen.supplier,
        reason=item.reason,
        alternatives=alternatives,
    )


def _choose(part_type: str, choices: Sequence[PartChoice], brand: str | None) -> PartChoice:
    if brand is None:
        return choices[0]
    for choice in choices:
        if choice.brand.casefold() == brand.casefold():
            return choice
    raise InvalidInputError(
        f"no fitting {part_type} of brand {brand[:40]!r}; available: "
        + ", ".join(sorted({c.brand for c in choices})),
        {"part_type": part_type, "brands": sorted({c.brand for c in choices})},
    )


def _labour_line(terms: GarageTerms, item: WorkItem) -> QuoteLine | None:
    if item.operation == "included":
        return None  # the service's own labour line covers it
    if item.part_type is None:
        minutes = terms.minutes_for(item.service)
        label = SERVICES[item.service].label
    else:
        entry = labour_time(item.part_type, item.operation)
        if entry is None:
            raise InvalidInputError(f"no labour time for {item.operation} {item.part_type}")
        minutes = entry.minutes_for(item.quantity)
        label = f"Labour: {item.operation} {vocabulary.PART_TYPES[item.part_type]}"
    cents = labour_cents(minutes, terms.labour_rate_cents)
    return QuoteLine(
        "labour", label, 1, cents, cents, item.service, item.part_type,
        minutes=minutes, reason=item.reason,
    )  # fmt: skip


def labour_cents(minutes: int, rate_cents_per_hour: int) -> int:
    """``minutes`` at an hourly rate, rounded half up to the cent (integers only)."""
    return (minutes * rate_cents_per_hour + 30) // 60


def vat_cents(amount_cents: int, vat_bp: int) -> int:
    """VAT on an amount, rounded half up to the cent."""
    return (amount_cents * vat_bp + 5000) // 10000


def _totals(terms: GarageTerms, lines: list[QuoteLine], minutes: int, services: list[str]) -> Quote:
    parts = sum(line.total_cents for line in lines if line.kind == "part")
    labour = sum(line.total_cents for line in lines if line.kind == "labour")
    total = parts + labour
    vat = vat_cents(total, terms.vat_bp)
    return Quote(
        terms.garage_id, terms.currency, tuple(lines), parts, labour, total,
        terms.vat_bp, vat, total + vat, minutes, tuple(services),
    )  # fmt: skip


def _with_fingerprint(quote: Quote) -> Quote:
    from dataclasses import replace

    return replace(quote, fingerprint=fingerprint(quote))


def fingerprint(quote: Quote) -> str:
    """SHA-256 of what the driver consents to (lines without alternatives, totals, rate)."""
    data = quote.to_dict()
    data.pop("fingerprint", None)
    for line in data["lines"]:
        line.pop("alternatives", None)
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def adjusted_quote(
    garage_id: int, vat_bp: int, lines: Sequence[QuoteLine], minutes: int, services: Sequence[str]
) -> Quote:
    """A garage's own revision of a quote (after inspection): its lines, new totals.

    Raises: InvalidInputError for a line of unknown kind, a negative price or quantity, or a
    total that does not match quantity x unit price.
    """
    if not lines:
        raise InvalidInputError("an adjusted quote needs at least one line")
    for line in lines:
        if line.kind not in ("part", "labour", "note"):
            raise InvalidInputError(f"line kind must be part, labour or note, not {line.kind!r}")
        if line.quantity < 1 or line.unit_price_cents < 0 or line.quantity > 1000:
            raise InvalidInputError(f"line {line.label[:40]!r}: bad quantity or price")
        if line.total_cents != line.quantity * line.unit_price_cents:
            raise InvalidInputError(f"line {line.label[:40]!r}: total is not quantity x price")
    terms = GarageTerms(garage_id, 0, {}, vat_bp)
    return _with_fingerprint(_totals(terms, list(lines), minutes, list(services)))

"""From OCR text boxes to validated fields: pairing, MRZ reconciliation, cross-checks.

This step is pure (no image, no engine): text boxes in, ``CardResult`` out, so it is tested
directly with hand-made boxes.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from rapidfuzz import fuzz

from ocr import calibration
from ocr import mrz as mrzmod
from ocr.engines import TextBox
from ocr.errors import ForeignCard, NoCardFound
from ocr.fields import CRITICAL_CODES, FIELDS, FLAGGED_WHEN_WRONG
from ocr.layout import RawField, pair, split_mrz
from ocr.result import CardResult, FieldResult
from ocr.validators import check_field

MIN_CODES = 4
_FRENCH_MARKERS = ("CERTIFICAT D'IMMATRICULATION", "REPUBLIQUE FRANCAISE")
_FOREIGN_MARKERS = (
    "ZULASSUNG",
    "BUNDESREPUBLIK",
    "DEUTSCHLAND",
    "KENTEKENBEWIJS",
    "PERMESSO DI CIRCOLAZIONE",
    "CERTIFICADO DE MATRICULA",
    "BELGIQUE",
    "KINGDOM",
    "ITALIANA",
    "ESPANA",
    "ZASSUNGSBESCHEINIGUNG",
)
# Look-alike pairs tried when the printed text and the MRZ disagree on a character.
_ALIKE = {
    frozenset(p)
    for p in ("O0", "D0", "Q0", "I1", "L1", "S5", "B8", "Z2", "G6", "T7", "MN", "A4", "U0")
}
_MAX_DIFFS = 4


def _compact(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _combos(printed: str, other: str) -> list[str]:
    """All strings taking each differing character from either side (at most 2^4)."""
    diffs = [i for i, (a, b) in enumerate(zip(printed, other, strict=False)) if a != b]
    if len(diffs) > _MAX_DIFFS:
        return []
    out = []
    for choice in itertools.product((0, 1), repeat=len(diffs)):
        chars = list(printed)
        for pick, i in zip(choice, diffs, strict=False):
            chars[i] = (printed, other)[pick][i]
        out.append("".join(chars))
    return out


def reconcile(printed: str, from_mrz: str | None, check: str | None) -> tuple[str | None, str]:
    """Chooses between the printed and MRZ readings of a check-digit-protected value.

    Both are compact strings (no separators). Returns (value, how): ``how`` is ``both``
    (the check digit confirms the printed value), ``mrz`` (the MRZ repaired it), ``mix``
    (a character-by-character mix confirmed by the check digit) or ``none``.
    """
    if not from_mrz or check is None:
        return None, "none"
    ok = lambda s: bool(s) and _safe_check(s) == check  # noqa: E731
    if printed and ok(printed):
        if printed != from_mrz and ok(from_mrz) and len(printed) == len(from_mrz):
            # Letters and digits 10 apart (G/6, A/0, U/0) share a check digit: the digit
            # cannot tell which reading is right. The printed value reads validly, so it
            # is kept (never replaced by another valid reading) and flagged.
            return printed, "ambiguous"
        return printed, "both"
    if ok(from_mrz) and (
        not printed or len(printed) != len(from_mrz) or _alike_only(printed, from_mrz)
    ):
        return from_mrz, "mrz"
    if printed and len(printed) == len(from_mrz):
        for candidate in _combos(printed, from_mrz):
            if ok(candidate):
                return candidate, "mix"
    if ok(from_mrz):
        return from_mrz, "mrz"
    return None, "none"


def _alike_only(a: str, b: str) -> bool:
    return all(x == y or frozenset((x, y)) in _ALIKE for x, y in zip(a, b, strict=False))


def _safe_check(text: str) -> str | None:
    try:
        return mrzmod.check_digit(text)
    except ValueError:
        return None


def _field(code: str, text: str, score: float, make: str | None) -> FieldResult:
    """Validates one printed field and gives it a provisional confidence (the calibration
    in ``ocr.calibration`` replaces it once every source has been compared)."""
    if not text.strip():
        result = FieldResult(
            code,
            FIELDS[code].meaning,
            None,
            "",
            score,
            "printed",
            True,
            ["printed without a value"],
        )
        result.evidence.update(score=score, empty=True)
        return result
    checked = check_field(code, text, make)
    confidence = score
    if not checked.valid:
        confidence *= 0.3
    elif checked.repaired:
        confidence *= 0.92
    result = FieldResult(
        code,
        FIELDS[code].meaning,
        checked.value if checked.valid else None,
        checked.text,
        confidence,
        "printed",
        checked.valid,
        list(checked.warnings),
    )
    result.evidence.update(score=score, repaired=checked.repaired, warned=len(checked.warnings))
    return result


def _plate_text(compact: str, printed: FieldResult | None) -> str:
    if printed is not None and _compact(printed.text) == compact and printed.valid:
        return printed.text
    siv = re.fullmatch(r"([A-Z]{2})(\d{3})([A-Z]{2})", compact)
    if siv:
        return "-".join(siv.groups())
    fni = re.fullmatch(r"(\d{1,4})([A-Z]{1,3})(\d{2,3}|2A|2B)", compact)
    return " ".join(fni.groups()) if fni else compact


def _apply_mrz(
    code: str,
    fields: dict[str, FieldResult],
    value: str | None,
    how: str,
    shown: str,
    warnings: list[str],
) -> None:
    """Confirms or repairs field ``code`` from the MRZ reconciliation outcome."""
    current = fields.get(code)
    if value is None:
        if current is not None and shown:
            current.warnings.append(f"MRZ reads {shown!r}, check digit does not confirm")
        return
    make = fields["D.1"].value if "D.1" in fields else None
    if how == "both" and current is not None:
        current.source, current.confidence = "both", max(current.confidence, 0.995)
        current.evidence["mrz"] = "confirmed"
        return
    if how == "ambiguous" and current is not None:
        current.confidence = min(current.confidence, 0.7)
        current.evidence["mrz"] = "ambiguous"
        note = f"printed {code} and the MRZ's {shown!r} both satisfy the check digit"
        current.warnings.append(note)
        warnings.append(note)
        return
    repaired = _field(code, value, 0.97, make)
    repaired.evidence["mrz"] = "repaired"
    if current is not None:
        repaired.evidence["score"] = current.evidence.get("score", 0.0)
    repaired.source = "mrz" if current is None or not current.text else "both"
    repaired.confidence = 0.97 if repaired.valid else repaired.confidence
    if current is not None and current.text:
        note = f"printed {code} {current.text!r} disagrees with MRZ; repaired to {repaired.text!r}"
        repaired.warnings.append(note)
        warnings.append(note)
    fields[code] = repaired


def _reconcile_mrz(
    fields: dict[str, FieldResult], data: mrzmod.MrzData, warnings: list[str]
) -> None:
    plate = fields.get("A")
    # Characters a plate or VIN never holds are fixed on the MRZ side too before comparing.
    mrz_plate = data.plate
    if mrz_plate and check_field("A", mrz_plate).valid:
        mrz_plate = _compact(check_field("A", mrz_plate).text)
    value, how = reconcile(_compact(plate.text) if plate else "", mrz_plate, data.plate_check)
    _apply_mrz(
        "A", fields, _plate_text(value, plate) if value else None, how, data.plate or "", warnings
    )
    vin = fields.get("E")
    mrz_vin = data.vin.replace("I", "1").replace("O", "0").replace("Q", "0") if data.vin else None
    value, how = reconcile(_compact(vin.text) if vin else "", mrz_vin, data.vin_check)
    _apply_mrz("E", fields, value, how, data.vin or "", warnings)
    _reconcile_date(fields, data, warnings)
    _agree("J.1", fields, data.genre, warnings)
    if data.make or data.model:
        _agree("D.1", fields, data.make, warnings)
        _agree("D.3", fields, data.model, warnings)
    else:
        _confirm_names(fields, data.names)
        _names_fill(fields, data.names)


def _confirm_names(fields: dict[str, FieldResult], names: str | None) -> None:
    """Confirms the printed J.3, D.1 and D.3 when, joined, they are exactly the MRZ's line
    2 names (whatever separates them there, possibly cut to the line's room); a mismatch
    says nothing, since the parts cannot be told apart."""
    parts = [fields.get(code) for code in ("J.3", "D.1", "D.3")]
    if not names or any(p is None or not p.text or not p.valid for p in parts[1:]):
        return
    printed = "".join(_compact(p.text) for p in parts if p is not None and p.text)
    mrz = _compact(names.replace("<", ""))
    cut = len(names) >= 31  # the names filled the room before the formula: maybe cut
    if len(mrz) < 4 or not (printed == mrz or (cut and printed.startswith(mrz))):
        return
    for part in parts:
        if part is not None and part.text:
            part.source = "both"
            part.confidence = max(part.confidence, 0.97)
            part.evidence["mrz"] = "confirmed"


def _names_fill(fields: dict[str, FieldResult], names: str | None) -> None:
    """Fills a missing or invalid printed D.1 / D.3 from the MRZ's line 2 when its names
    split by single ``<`` into exactly three words: a valid J.3, a known make and one
    commercial-name word. The split is then unambiguous; with more words (a make or a
    name holding a space) nothing is filled. A filled value has no check digit behind it:
    it is marked as coming from the MRZ, and never replaces a valid printed one."""
    if not names:
        return
    parts = [p for p in names.split("<") if p]
    if len(parts) != 3 or not check_field("J.3", parts[0]).valid:
        return
    make = check_field("D.1", parts[1])
    if not make.valid or make.warnings:
        return  # not a known make as read: the split is not trusted
    for code, text in (("D.1", make.text), ("D.3", parts[2])):
        current = fields.get(code)
        if current is not None and current.text and current.valid:
            continue
        filled = _field(code, text, 0.85, None)
        if not filled.valid:
            continue
        filled.source = "mrz"
        filled.evidence["mrz"] = "filled"
        note = "read on the MRZ only (no printed reading)"
        if current is not None and current.text:
            note = f"printed {code} {current.text!r} invalid: read on the MRZ"
        filled.warnings.append(note)
        fields[code] = filled


def _reconcile_date(
    fields: dict[str, FieldResult], data: mrzmod.MrzData, warnings: list[str]
) -> None:
    date = fields.get("B")
    printed = ""
    century = None
    if date is not None and re.fullmatch(r"\d{2}/\d{2}/\d{4}", date.text):
        d, m, y = date.text.split("/")
        printed, century = y[2:] + m + d, y[:2]
    value, how = reconcile(printed, data.date_yymmdd, data.date_check)
    if value is not None:
        if century is None:
            century = "20" if int(value[:2]) <= 30 else "19"
        value = f"{value[4:6]}/{value[2:4]}/{century}{value[:2]}"
    _apply_mrz("B", fields, value, how, data.date_yymmdd or "", warnings)


def _loose(text: str) -> str:
    """Comparison key that ignores separators and O/0, I/1 confusions."""
    return _compact(text).replace("0", "O").replace("1", "I")


def _respace(printed: str, from_mrz: str) -> str:
    """Puts back a space the printed reading lost where the MRZ shows a separator
    (printed "AYGOX", MRZ "AYGO<X" -> "AYGO X"); the printed characters are kept."""
    out, i = [], 0
    for char in from_mrz:
        if char in "< ":
            if i < len(printed) and not printed[i].isalnum():
                out.append(printed[i])
                i += 1
            elif out and out[-1] != " ":
                out.append(" ")
            continue
        while i < len(printed) and not printed[i].isalnum():
            out.append(printed[i])
            i += 1
        if i < len(printed):
            out.append(printed[i])
            i += 1
    out.extend(printed[i:])
    return "".join(out).strip()


def _agree(
    code: str, fields: dict[str, FieldResult], from_mrz: str | None, warnings: list[str]
) -> None:
    """Uses an MRZ text without a check digit: confirms when equal, fills when missing."""
    if not from_mrz:
        return
    current = fields.get(code)
    if current is not None and current.text and _loose(current.text) == _loose(from_mrz):
        spaced = _respace(current.text, from_mrz)
        if spaced != current.text:
            current.warnings.append(f"separator restored from the MRZ: {spaced!r}")
            current.text = current.value = spaced
        current.source = "both"
        current.confidence = max(current.confidence, 0.97 if current.valid else 0.6)
        current.evidence["mrz"] = "confirmed"
        return
    if current is None or not current.valid or not current.text:
        candidate = _field(code, from_mrz.replace("<", " "), 0.85, None)
        if candidate.valid:
            candidate.source = "mrz"
            candidate.evidence["mrz"] = "repaired"
            fields[code] = candidate
        return
    note = f"printed {code} {current.text!r} differs from MRZ {from_mrz!r}"
    current.warnings.append(note)
    current.confidence = min(current.confidence, 0.7)
    current.evidence["mrz"] = "disagree"
    warnings.append(note)


def _cross_checks(fields: dict[str, FieldResult], warnings: list[str]) -> None:
    """Consistency rules between fields (genre vs category, masses, tax total)."""
    genre, category = fields.get("J.1"), fields.get("J")
    if genre and category and genre.value == "VP" and category.value in ("N1", "M2"):
        # Both read validly: flagged, not rewritten (a VP is normally M1).
        category.warnings.append("J.1 is VP but the category reads " + str(category.value))
        category.confidence = min(category.confidence, 0.6)
        category.evidence["disagree"] = True
    taxes = [fields.get(f"Y.{i}") for i in range(1, 7)]
    if all(t is not None and isinstance(t.value, float) for t in taxes):
        total = round(sum(t.value for t in taxes[:5]), 2)
        if abs(total - taxes[5].value) > 0.005:
            note = f"Y.1..Y.5 add up to {total:.2f}, Y.6 reads {taxes[5].value:.2f}"
            warnings.append(note)
            for tax in taxes:
                tax.confidence = min(tax.confidence, 0.75)
                tax.warnings.append(note)
                tax.evidence["disagree"] = True
        else:
            for tax in taxes:
                tax.confidence = max(tax.confidence, 0.97)
                tax.evidence["sum_ok"] = True


def _card_check(boxes: list[TextBox], raw: dict[str, RawField], mrz_lines: list[str]) -> None:
    """Raises NoCardFound / ForeignCard when the boxes do not look like a French card."""
    text = " ".join(b.text.upper() for b in boxes)
    french = bool(mrz_lines) or any(fuzz.partial_ratio(m, text) >= 85 for m in _FRENCH_MARKERS)
    foreign = any(fuzz.partial_ratio(m, text) >= 85 for m in _FOREIGN_MARKERS)
    if foreign and not french:
        raise ForeignCard(
            "registration card from another country: only French cards "
            "(certificat d'immatriculation) are supported"
        )
    # Only codes read letter for letter count: look-alike readings ("5.1" for S.1) and the
    # layout prior would find "codes" in any price list.
    if sum(f.exact for f in raw.values()) < MIN_CODES and not mrz_lines:
        raise NoCardFound("no registration card found in the image")
    if not french:
        plate = raw.get("A")
        if plate is None or not check_field("A", plate.text).valid:
            raise ForeignCard("registration card without French markers or French plate")


def extract(
    boxes: list[TextBox],
    engine: str = "?",
    found_in_photo: bool = False,
    timings: dict[str, float] | None = None,
    size: tuple[int, int] | None = None,
) -> CardResult:
    """Turns OCR boxes of one card into a validated ``CardResult``.

    ``size`` is the (width, height) of the card canvas the boxes come from; when given,
    the printed form's layout helps with unreadable code labels.
    Raises NoCardFound (too few field codes and no MRZ) or ForeignCard.
    """
    others, mrz_lines = split_mrz(boxes)
    raw = pair(others, size)
    _card_check(boxes, raw, mrz_lines)
    fields: dict[str, FieldResult] = {}
    for code in ("D.1",) + tuple(c for c in FIELDS if c != "D.1"):  # make first: VIN WMI check
        if code in raw:
            make = fields["D.1"].value if "D.1" in fields else None
            fields[code] = _field(code, raw[code].text, raw[code].score, make)
            fields[code].evidence.update(exact=raw[code].exact, lines=raw[code].lines)
            if raw[code].by_position:
                fields[code].confidence *= 0.9
                fields[code].evidence["by_position"] = True
                fields[code].warnings.append("code label unreadable: field found by its place")
    warnings: list[str] = []
    _coupon(fields, raw, warnings)
    mrz_summary = None
    if mrz_lines:
        data = mrzmod.parse(mrz_lines)
        _reconcile_mrz(fields, data, warnings)
        warnings.extend(data.warnings)
        mrz_summary = _mrz_summary(mrz_lines, data)
    _cross_checks(fields, warnings)
    ordered = {code: fields[code] for code in FIELDS if code in fields}
    calibration.apply(ordered, _card_evidence(boxes, raw, mrz_lines, found_in_photo))
    return _finish(ordered, engine, mrz_summary, found_in_photo, warnings, timings or {})


def _card_evidence(
    boxes: list[TextBox], raw: dict[str, RawField], mrz_lines: list[str], found_in_photo: bool
) -> dict[str, float]:
    """Whole-card signals the calibration uses: how well the card read overall."""
    scores = sorted(b.score for b in boxes)
    low = scores[: max(1, len(scores) // 4)]
    return {
        "codes": sum(f.exact for f in raw.values()),
        "mean_score": sum(scores) / max(len(scores), 1),
        "low_score": sum(low) / len(low) if scores else 0.0,
        "mrz_lines": len(mrz_lines),
        "photo": float(found_in_photo),
    }


def _coupon(fields: dict[str, FieldResult], raw: dict[str, RawField], warnings: list[str]) -> None:
    """Compares each field the coupon repeats with its reading on the main part.

    Equal readings confirm each other. When they differ, an invalid main reading is
    replaced by a valid coupon one; two valid readings that differ are both kept as read
    and the field is flagged.
    """
    for code, found in raw.items():
        if not found.repeated or code not in fields:
            continue
        current = fields[code]
        other = _field(code, found.repeated[0], found.score, None)
        if not other.text:
            continue
        if _compact(other.text) == _compact(current.text):
            current.evidence["coupon"] = "agree"
            continue
        if not current.valid or not current.text:
            other.evidence["coupon"] = "repaired"
            other.warnings.append(f"main reading {current.text!r} invalid: read on the coupon")
            fields[code] = other
            continue
        note = f"{code} reads {current.text!r} on the card but {other.text!r} on the coupon"
        current.warnings.append(note)
        current.evidence["coupon"] = "disagree"
        warnings.append(note)


def _mrz_summary(lines: list[str], data: mrzmod.MrzData) -> dict[str, Any]:
    return {
        "lines": lines,
        "plate_ok": data.plate_ok,
        "vin_ok": data.vin_ok,
        "date_ok": data.date_ok,
        "formula": data.formula,
        "formula_ok": data.formula_ok,
    }


def _finish(
    fields: dict[str, FieldResult],
    engine: str,
    mrz_summary: dict[str, Any] | None,
    found_in_photo: bool,
    warnings: list[str],
    timings: dict[str, float],
) -> CardResult:
    missing = [c for c in CRITICAL_CODES if c not in fields or not fields[c].text]
    uncertain = missing + [
        c for c in FLAGGED_WHEN_WRONG if c in fields and c not in missing and fields[c].uncertain
    ]
    uncertain += [c for c, f in fields.items() if c not in FLAGGED_WHEN_WRONG and f.uncertain]
    for code in missing:
        warnings.append(f"critical field {code} not found")
    # The card needs a human look when a field that identifies the vehicle or its parts is
    # missing or below the review threshold of its own calibration.
    review = missing or any(
        fields[c].confidence < calibration.review_threshold(c)
        for c in FLAGGED_WHEN_WRONG
        if c in fields
    )
    status = "needs_review" if review else "ok"
    return CardResult(
        status, engine, fields, mrz_summary, found_in_photo, uncertain, warnings, timings
    )

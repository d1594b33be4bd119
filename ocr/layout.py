"""Pairs printed field codes with their values by position on the card.

OCR returns text lines in no reliable order, sometimes with a code and its value in one
box ("B.25/09/2003", "S.15"), sometimes with several fields of a row merged into one box.
This module splits each box into pieces (codes and value fragments) using the code list
and the value grammar, places each piece on the card by interpolating its characters along
the box, then gives every value fragment to the nearest code on its left on the same line.
The order of the boxes never matters.

Code labels are small and often misread ("R1" for P.1, "¥.2" for Y.2, "1" for I or J):
each code piece keeps every reading its letters allow, and the final choice weighs the
value's grammar, the letter's exactness, the other codes found, and - when the canvas
size of a whole card is known - where the printed form puts each code
(``ocr.template``). That last prior also recovers a field whose label is unreadable or
missing, with ``RawField.by_position`` set so the caller can lower its confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocr import mrz
from ocr.engines import TextBox
from ocr.fields import FIELDS
from ocr.template import LAYOUT, label_position, row_pitch
from ocr.validators import check_field

CODES = frozenset(FIELDS)
# What a printed code letter may be misread as, mapped back to the letters it can stand for.
# The true letter always comes first and is preferred.
_LETTER_READINGS: dict[str, tuple[str, ...]] = {
    "Κ": ("K",), "κ": ("K",), "k": ("K",), "1": ("I", "J"), "l": ("I", "J"), "|": ("I", "J"),
    "!": ("I", "J"), "t": ("I",), "i": ("I",), "j": ("J",), "L": ("I", "J"),
    "0": ("D", "Q", "U"), "O": ("O", "D", "Q", "U"), "o": ("D", "Q", "U"),
    "5": ("S",), "s": ("S",), "$": ("S",), "8": ("B",), "2": ("Z",), "z": ("Z",),
    "6": ("G",), "C": ("C", "G"), "R": ("P",), "r": ("P",), "p": ("P",),
    "V": ("V", "Y"), "v": ("V", "Y"), "y": ("Y",), "¥": ("Y",), "￥": ("Y",),
    "E": ("E", "F"), "e": ("E", "F"), "€": ("E", "F"), "#": ("F",),
    "u": ("U",), "x": ("X",), "c": ("C", "G"),
}
# Symbols OCR produces for code letters; a word is cut before them ("50,00¥4" -> "50,00 ¥4").
_CODE_SYMBOLS = "¥￥€$"
_SUFFIXES: dict[str, tuple[str, ...]] = {}
for _code in sorted(FIELDS):
    _SUFFIXES.setdefault(_code[1:], ())
    _SUFFIXES[_code[1:]] += (_code,)
_SEPARATORS = ".,·:;"
_STRICT_KINDS = {"plate", "vin", "date", "int", "decimal", "money", "closed"}


@dataclass
class Candidate:
    """One reading of a code word: the code, the value text glued to it, and how exact."""

    code: str
    tail: str
    exact: bool  # the letter was read as itself (not through a look-alike)
    wildcard: bool = False  # the letter was unreadable: any code with this suffix


@dataclass
class Piece:
    """A code (with its candidate readings) or a value fragment, placed on the card."""

    text: str
    candidates: list[Candidate]
    x0: float
    x1: float
    y0: float
    y1: float
    score: float
    box: int = 0  # index of the OCR box the piece comes from
    word: str = ""  # the whole OCR word (code and glued value)
    first: bool = False  # the piece starts its OCR box

    @property
    def is_code(self) -> bool:
        return bool(self.candidates)


@dataclass
class RawField:
    """The text found for one code, and the lowest recognition score of its pieces."""

    code: str
    text: str
    score: float
    by_position: bool = False  # the code label was unreadable: found by its place
    exact: bool = False  # the code label was read letter for letter


def _readings(prefix: str) -> list[tuple[str, bool]]:
    """Known codes an OCR'd code prefix ("c.1", "R1", "1.", "D,2.1") may stand for."""
    first, rest = prefix[0], prefix[1:]
    for sep in _SEPARATORS:
        rest = rest.replace(sep, ".")
    letters = [(first.upper(), True)] if first.isalpha() and first.isascii() else []
    letters += [(letter, False) for letter in _LETTER_READINGS.get(first, ())
                if letter != first.upper()]
    out = []
    for letter, exact in letters:
        code = (letter + rest).rstrip(".")
        if code in CODES:
            out.append((code, exact))
        elif ((first.isalpha() or first in _CODE_SYMBOLS) and rest[:1].isdigit()
              and len(prefix) == 2
              and f"{letter}.{rest}" in CODES):
            out.append((f"{letter}.{rest}".rstrip("."), False))  # "R1": dot not seen
    return out


def code_candidates(word: str, at_start: bool) -> list[Candidate]:
    """Lists the readings of a word that may start with a field code, best first.

    ``S.15`` gives S.1 + "5"; ``G.1173`` gives G.1 + "173" and G + "1173"; ``1 `` gives I
    and J. A reading is kept when its value tail is empty or valid for the code. A code
    without its dot, or read through a look-alike letter, must start the box, and a
    look-alike reading only keeps a short tail of a strictly typed field (a date, a
    number...), because a lone letter or digit inside a value is usually part of it. An
    unreadable letter followed by the code's dot and number (``#.2``, ``'.``) stands for
    every code with that ending, to be settled by the value and the other codes.
    """
    found: list[Candidate] = []
    for cut in range(min(len(word), 6), 0, -1):
        prefix, tail = word[:cut], word[cut:]
        if tail[:1] in tuple(_SEPARATORS):
            continue
        dotted = prefix[-1] in _SEPARATORS or "." in prefix[1:] or "," in prefix[1:]
        symbol = prefix[0] in _CODE_SYMBOLS  # never part of a value: a code even mid-box
        for code, exact in _readings(prefix):
            if not (dotted or symbol) and not at_start:
                continue
            if not (exact or symbol) and not at_start:
                continue
            if not _tail_ok(code, tail, exact):
                continue
            if all(c.code != code or c.tail != tail for c in found):
                found.append(Candidate(code, tail, exact))
    if not found and at_start:
        found = _wildcards(word)
    return found


def _wildcards(word: str) -> list[Candidate]:
    match = re.fullmatch(r"[^\sA-Za-z0-9]?[A-Za-z0-9]?([.,·]\d?)", word)
    if match is None:
        return []
    suffix = match.group(1).replace(",", ".").replace("·", ".").rstrip(".")
    return [Candidate(code, "", False, wildcard=True) for code in _SUFFIXES.get(suffix, ())]


def _tail_ok(code: str, tail: str, exact: bool) -> bool:
    if not tail:
        return True
    strict = FIELDS[code].kind.value in _STRICT_KINDS
    # "0.2.1M10..." is surely D.2.1 + CNIT; "0.13" must stay a decimal, not D.1 + "3".
    if not exact and not strict and not ("." in code and len(tail) >= 4):
        return False
    return check_field(code, tail).valid


def split_box(box: TextBox, box_id: int = 0) -> list[Piece]:
    """Cuts one OCR box into code and value pieces, each placed along the box."""
    text = re.sub(f"(?<=\\S)(?=[{_CODE_SYMBOLS}])", " ", box.text.strip())
    if not text:
        return []
    width = max(box.x1 - box.x0, 1.0)

    def xpos(index: int) -> float:
        return box.x0 + width * index / max(len(text), 1)

    pieces: list[Piece] = []
    for match in re.finditer(r"\S+", text):
        word, start = match.group(), match.start()
        options = code_candidates(word, at_start=not pieces)
        if (options and not any(c.exact for c in options) and word[0] not in _CODE_SYMBOLS
                and pieces and not pieces[-1].is_code):
            options = []  # a look-alike code right after a value is more likely value text
        code_end = match.end() - len(options[0].tail) if options else match.end()
        pieces.append(Piece(word, options, xpos(start), xpos(code_end), box.y0, box.y1,
                            box.score, box_id, word, first=not pieces))
        if options and options[0].tail:
            pieces[-1].text = word[: len(word) - len(options[0].tail)]
    return pieces


def _same_line(a: Piece, b: Piece) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


def _assign(pieces: list[Piece], codes: list[Piece]) -> dict[int, list[Piece]]:
    """Gives each value piece to the nearest code on its left on the same line.

    A value may run far from its code (a long address in several boxes) as long as each
    fragment follows the previous one closely: the allowed gap is measured from the right
    end of what the code already holds. Fragments further away are stray and dropped.
    """
    values: dict[int, list[Piece]] = {id(c): [] for c in codes}
    reach = {id(c): c.x1 for c in codes}
    for piece in sorted((p for p in pieces if not p.is_code), key=lambda p: p.x0):
        owner = _nearest_code(piece, codes)
        if owner is None:
            continue
        height = max(piece.y1 - piece.y0, 1.0)
        if owner.box == piece.box or piece.x0 - reach[id(owner)] < 6 * height:
            values[id(owner)].append(piece)
            reach[id(owner)] = max(reach[id(owner)], piece.x1)
    return values


def _nearest_code(piece: Piece, codes: list[Piece]) -> Piece | None:
    """The code on the same line whose right end is closest on the left of ``piece``."""
    height = max(piece.y1 - piece.y0, 1.0)
    best, best_gap = None, float("inf")
    for code in codes:
        gap = piece.x0 - code.x1
        if gap < -0.8 * height or not _same_line(piece, code):
            continue
        if code.box == piece.box:
            gap = min(gap, 0.0)  # OCR kept them in one box: they belong together
        if gap < best_gap or (gap == best_gap and best is not None and code.x1 > best.x1):
            best, best_gap = code, gap
    return best


def _rank(candidate: Candidate, value: str) -> float:
    """How plausible a reading is given the value paired with it."""
    full = " ".join(t for t in (candidate.tail, value) if t)
    valid = bool(full) and check_field(candidate.code, full).valid
    # A code standing alone as a word has an unambiguous boundary with its value.
    alone = 0.5 * (candidate.tail == "")
    guess = -1.5 * candidate.wildcard  # below any reading of a visible letter
    return 2.0 * valid + 1.0 * candidate.exact + 0.1 * len(candidate.code) + alone + guess


def _rel(piece: Piece, size: tuple[int, int]) -> tuple[float, float]:
    return piece.x0 / size[0], (piece.y0 + piece.y1) / 2 / size[1]


def _position_term(code: str, piece: Piece, size: tuple[int, int] | None) -> float:
    """Bonus when a code label sits where the form prints that code, malus when far off."""
    if size is None:
        return 0.0
    (px, py), (tx, ty) = _rel(piece, size), label_position(code)
    dx, dy = abs(px - tx), abs(py - ty)
    if dy <= 0.5 * row_pitch() and dx <= 0.03:
        return 0.8
    if dy > 1.5 * row_pitch() or dx > 0.12:
        return -0.8
    return 0.0


def _codes_at(piece: Piece, size: tuple[int, int]) -> list[str]:
    """Codes whose label the form prints right where ``piece`` starts (tight tolerance:
    values start a label's width further right, so they never qualify)."""
    px, py = _rel(piece, size)
    out = []
    for code in LAYOUT:
        tx, ty = label_position(code)
        if abs(px - tx) <= 0.016 and abs(py - ty) <= 0.45 * row_pitch():
            out.append(code)
    return out


def _add_position_readings(pieces: list[Piece], size: tuple[int, int]) -> None:
    """Gives a box-starting piece found at a code's printed place that code as a reading,
    even when its letters are unreadable ("R&8" at P.6 -> P.6 + "8")."""
    for piece in pieces:
        if not piece.first:
            continue
        for code in _codes_at(piece, size):
            if any(c.code == code for c in piece.candidates):
                continue
            had_readings = bool(piece.candidates)
            strict = FIELDS[code].kind.value in _STRICT_KINDS
            for cut in range(1, min(4, len(piece.word))):
                tail = piece.word[cut:]
                # Only a strictly typed value can be cut off garbage reliably ("R&8").
                if (not had_readings and strict and tail[0].isalnum()
                        and check_field(code, tail).valid):
                    piece.candidates.append(Candidate(code, tail, False, wildcard=True))
                    break
            if had_readings or (len(piece.word) <= 3 and not piece.candidates):
                piece.candidates.append(Candidate(code, "", False, wildcard=True))


def _resolve(pieces: list[Piece], size: tuple[int, int] | None
             ) -> tuple[dict[str, RawField], set[int]]:
    """One round: values to codes by position, then each code piece picks its reading."""
    codes = [p for p in pieces if p.is_code]
    values = _assign(pieces, codes)
    options = []
    for code_piece in codes:
        parts = sorted(values[id(code_piece)], key=lambda p: p.x0)
        value = " ".join(p.text for p in parts)
        score = min([p.score for p in parts] + [code_piece.score])
        for cand in code_piece.candidates:
            rank = _rank(cand, value) + _position_term(cand.code, code_piece, size)
            options.append((rank, id(code_piece), cand, value, score))
    options.sort(key=lambda o: -o[0])
    result: dict[str, RawField] = {}
    done: set[int] = set()
    for _, piece_id, cand, value, score in options:
        if piece_id in done or cand.code in result:
            continue
        done.add(piece_id)
        text = " ".join(t for t in (cand.tail, value) if t)
        result[cand.code] = RawField(cand.code, text, score, by_position=cand.wildcard,
                                     exact=cand.exact)
    return result, done


def pair(boxes: list[TextBox], size: tuple[int, int] | None = None) -> dict[str, RawField]:
    """Pairs codes and values by position; returns {code: RawField} for codes found.

    Each value fragment goes to the nearest code on its left on the same line; then each
    code piece picks, among its readings, the best one given its value, its place on the
    card (when ``size``, the canvas (width, height) of a whole card, is given) and the
    codes already taken by more plausible pieces. A piece that ends up as no code goes
    back to being value text, and the round is run again. MRZ lines must be removed
    beforehand.
    """
    pieces = [p for i, box in enumerate(boxes) for p in split_box(box, i)]
    if size is not None:
        _add_position_readings(pieces, size)
    result, done = _resolve(pieces, size)
    losers = [p for p in pieces if p.is_code and id(p) not in done]
    if losers:
        for piece in losers:
            piece.candidates, piece.text = [], piece.word
        result, _ = _resolve(pieces, size)
    if size is not None:
        _orphans(pieces, result, size)
    return result


def _orphans(pieces: list[Piece], result: dict[str, RawField], size: tuple[int, int]) -> None:
    """Values whose code label was not detected at all: a value printed right where the
    form expects the value of a missing code is taken for it when its grammar fits."""
    codes = [p for p in pieces if p.is_code]
    taken = {id(v) for values in _assign(pieces, codes).values() for v in values}
    free = [p for p in pieces if not p.is_code and id(p) not in taken]
    for code in LAYOUT:
        if code in result:
            continue
        tx, ty = label_position(code)
        near = [p for p in free if -0.015 <= _rel(p, size)[0] - tx <= 0.07
                and abs(_rel(p, size)[1] - ty) <= 0.45 * row_pitch()]
        if len(near) != 1:
            continue
        piece = near[0]
        if check_field(code, piece.word).valid:
            result[code] = RawField(code, piece.word, piece.score, by_position=True)
            free.remove(piece)


def split_mrz(boxes: list[TextBox]) -> tuple[list[TextBox], list[str]]:
    """Separates the MRZ lines from the other boxes.

    Returns (other boxes, MRZ texts ordered top to bottom: line 1 then line 2 if found).
    """
    line1 = [b for b in boxes if mrz.looks_like_line1(b.text) and len(b.text) >= 30]
    if not line1:
        return boxes, []
    first = max(line1, key=lambda b: len(b.text))
    below = [b for b in boxes if b is not first and b.y0 > first.cy
             and b.y0 < first.y1 + 2.5 * first.height and len(b.text) >= 25
             and "<" in b.text]
    second = min(below, key=lambda b: b.y0) if below else None
    rest = [b for b in boxes if b is not first and b is not second]
    return rest, [first.text] + ([second.text] if second else [])

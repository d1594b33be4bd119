"""Pairs printed field codes with their values by position on the card.

OCR returns text lines in no reliable order, sometimes with a code and its value in one
box ("B.25/09/2003", "S.15"), sometimes with several fields of a row merged into one box.
This module splits each box into pieces (codes and value fragments) using the code list
and the value grammar, places each piece on the card by interpolating its characters along
the box, then gives every value fragment to the nearest code on its left on the same line.
The order of the boxes never matters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocr import mrz
from ocr.engines import TextBox
from ocr.fields import FIELDS
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

    @property
    def is_code(self) -> bool:
        return bool(self.candidates)


@dataclass
class RawField:
    """The text found for one code, and the lowest recognition score of its pieces."""

    code: str
    text: str
    score: float


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
                            box.score, box_id))
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


def pair(boxes: list[TextBox]) -> dict[str, RawField]:
    """Pairs codes and values by position; returns {code: RawField} for codes found.

    Each value fragment goes to the nearest code on its left on the same line; then each
    code piece picks, among its readings, the best one given its value and the codes
    already taken by more plausible pieces. MRZ lines must be removed beforehand.
    """
    pieces = [p for i, box in enumerate(boxes) for p in split_box(box, i)]
    codes = [p for p in pieces if p.is_code]
    values = _assign(pieces, codes)
    options = []
    for code_piece in codes:
        parts = sorted(values[id(code_piece)], key=lambda p: p.x0)
        value = " ".join(p.text for p in parts)
        score = min([p.score for p in parts] + [code_piece.score])
        for cand in code_piece.candidates:
            options.append((_rank(cand, value), id(code_piece), cand, value, score))
    options.sort(key=lambda o: -o[0])
    result: dict[str, RawField] = {}
    done: set[int] = set()
    for _, piece_id, cand, value, score in options:
        if piece_id in done or cand.code in result:
            continue
        done.add(piece_id)
        result[cand.code] = RawField(cand.code, " ".join(t for t in (cand.tail, value) if t),
                                     score)
    return result


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

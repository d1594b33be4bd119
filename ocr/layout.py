"""Pairs printed field codes with their values by position on the card.

OCR returns text lines in no reliable order, sometimes with a code and its value in one
box ("B.25/09/2003", "S.15"), sometimes with several fields of a row merged into one box
("P.1 2706P,2105P,3EE P.6 7"). This module splits each box into pieces (codes and value
fragments) using the code list and the value grammar, places each piece on the card by
interpolating its characters along the box, then gives every value fragment to the
nearest code on its left on the same text line (the canvas is deskewed, so lines are
horizontal). The order of the boxes never matters, and no form layout is assumed: the
codes are found by reading them, so any arrangement of the card (current or older form,
another printer's layout) pairs the same way.

Code labels are small and often misread ("R1" for P.1, "¥.2" for Y.2, "1" for I or J):
each code piece keeps every reading its letters allow, and the final choice weighs the
value's grammar, the letter's exactness and the other codes found. Then: values printed
on several lines (C.1, C.3) collect the codeless lines under them; a code printed without
a value stays empty (never filled from a neighbour); the coupon's repeats of A, I, E,
D.1, C.1 are kept apart (``RawField.repeated``); a strictly typed value whose label was
not detected at all goes to the one missing field its grammar fits, marked
``by_position``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ocr import mrz
from ocr.engines import TextBox
from ocr.fields import FIELDS
from ocr.validators import check_field

FORMULA = "FORMULA"  # the formula number's label ("N° DE FORMULE"): no EU code
CODES = frozenset(FIELDS) | {FORMULA}
_FORMULA_RE = re.compile(r"\d{4}[A-Z]{2}\d{5}")
_FORMULA_LABEL = re.compile(r"N\s*\W?\s*[°º'o0]?\s*DE\s+FORMULE\s*:?", re.IGNORECASE)
_GLUED_CODE = re.compile(r"(?<=[A-Za-z0-9])(?=[A-Z][.,][1-9])|(?<=[A-Z])(?=[1l|][.,][1-3][A-Z])")
_P_ROW = re.compile(r"[PR][.,]?1\b")
_GLUED_P = re.compile(r"(?<=[0-9A-Z])(?=[PR][.,]?[236](?:[A-Z0-9]|$))")
_P_WORD = re.compile(r"[PR][.,]?[236](?:[A-Z0-9]|$)")
_GLUED_J = re.compile(r"[1l|][.,][1-3](?:[A-Z]|$)")
# Code letters whose fields hold alphanumeric codes (D.2, D.2.1).
_CODED_FAMILIES = frozenset(c[0] for c, spec in FIELDS.items() if spec.kind.value == "code")
# The first code of a box, its dot read or not ("F.1 1489", "Z.1 VEHICULE").
_FIRST_CODE = re.compile(r"([A-Za-z])(?:[.,]?([1-9])(?=[\s\dA-Z]|$)|(?=\s))")
# Codes whose last letter OCR often drops ("C.4N'EST" for "C.4a N'EST").
_ALIASES = {"C.4": "C.4a"}
# Codes the coupon under the main part repeats.
COUPON_CODES = frozenset({"A", "I", "E", "D.1", "C.1"})
# Values printed on several lines: code -> how many lines may follow the first one.
MULTILINE = {"C.1": 1, "C.3": 2}
# Pre-printed mentions that follow C.1 and are not part of a name.
_NOT_A_NAME = re.compile(r"PROPRIETAIRE|IMMATRICULATION|CERTIFICAT")
# What a printed code letter may be misread as, mapped back to the letters it can stand for.
# The true letter always comes first and is preferred.
_LETTER_READINGS: dict[str, tuple[str, ...]] = {
    "Κ": ("K",),
    "κ": ("K",),
    "k": ("K",),
    "1": ("I", "J"),
    "l": ("I", "J"),
    "|": ("I", "J"),
    "!": ("I", "J"),
    "t": ("I",),
    "i": ("I",),
    "j": ("J",),
    "L": ("I", "J"),
    "0": ("D", "Q", "U"),
    "O": ("O", "D", "Q", "U"),
    "o": ("D", "Q", "U"),
    "5": ("S",),
    "s": ("S",),
    "$": ("S",),
    "8": ("B",),
    "2": ("Z",),
    "z": ("Z",),
    "6": ("G",),
    "C": ("C", "G"),
    "R": ("P",),
    "r": ("P",),
    "p": ("P",),
    "V": ("V", "Y"),
    "v": ("V", "Y"),
    "y": ("Y",),
    "¥": ("Y",),
    "￥": ("Y",),
    "E": ("E", "F"),
    "e": ("E", "F"),
    "€": ("E", "F"),
    "#": ("F",),
    "u": ("U",),
    "x": ("X",),
    "c": ("C", "G"),
}
# Symbols OCR produces for code letters; a word is cut before them ("50,00¥4" -> "50,00 ¥4").
_CODE_SYMBOLS = "¥￥€$κΚ"
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
    y: float = 0.0  # vertical centre of the code label (canvas pixels)
    piece: int = 0  # id of the code piece
    lines: int = 1  # text lines the value spans
    repeated: list[str] | None = None  # lower readings of the same code (the coupon)


def _readings(prefix: str) -> list[tuple[str, bool]]:
    """Known codes an OCR'd code prefix ("c.1", "R1", "1.", "D,2.1") may stand for."""
    first, rest = prefix[0], prefix[1:]
    for sep in _SEPARATORS:
        rest = rest.replace(sep, ".")
    letters = [(first.upper(), True)] if first.isalpha() and first.isascii() else []
    letters += [
        (letter, False) for letter in _LETTER_READINGS.get(first, ()) if letter != first.upper()
    ]
    out = []
    for letter, exact in letters:
        code = (letter + rest).rstrip(".")
        if code not in CODES and code[-1:] == "A" and code[:-1] + "a" in CODES:
            code = code[:-1] + "a"  # C.4a read as C.4A
        code = _ALIASES.get(code, code)
        if code in CODES:
            out.append((code, exact))
        elif (
            (first.isalpha() or first in _CODE_SYMBOLS)
            and rest[:1].isdigit()
            and len(prefix) == 2
            and f"{letter}.{rest}" in CODES
        ):
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
    if word.startswith(FORMULA):
        return [Candidate(FORMULA, word[len(FORMULA) :], True)]
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
            if not _tail_ok(code, tail, exact or symbol, "." in prefix[1:] and len(prefix) >= 3):
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


def _tail_ok(code: str, tail: str, exact: bool, dotted_prefix: bool = False) -> bool:
    if not tail:
        return True
    if exact and dotted_prefix and tail[0].isalpha():
        # "x.1VISITE": an exact dotted code then the first word of a several-word value
        # (judged later, with the rest of the value).
        return True
    strict = FIELDS[code].kind.value in _STRICT_KINDS
    if "." not in code and FIELDS[code].kind.value == "text":
        return False  # "HUGO" is a name, not H + "UGO": a lone-letter text code stands alone
    # "0.2.1M10..." is surely D.2.1 + CNIT; "0.13" must stay a decimal, not D.1 + "3".
    if not exact and not strict and not ("." in code and len(tail) >= 4):
        return False
    return check_field(code, tail).valid


def split_box(box: TextBox, box_id: int = 0) -> list[Piece]:
    """Cuts one OCR box into code and value pieces, each placed along the box."""
    text = re.sub(f"(?<=\\S)(?=[{_CODE_SYMBOLS}])", " ", box.text.strip())
    text = _FORMULA_LABEL.sub(f" {FORMULA} ", text).strip()
    # A code glued after the previous field's value ("2706P,2105P,3EE"): a capital letter,
    # a dot or comma and a digit never occur inside a value, so a space goes before it.
    text = _GLUED_CODE.sub(" ", text)
    p_row = bool(_P_ROW.match(text))
    if p_row:  # the P row with its dots lost: "2708R269R3FER65"
        text = _GLUED_P.sub(" ", text)
    text = _next_codes_of_row(text)
    if not text:
        return []
    width = max(box.x1 - box.x0, 1.0)

    def xpos(index: int) -> float:
        return box.x0 + width * index / max(len(text), 1)

    pieces: list[Piece] = []
    for match in re.finditer(r"\S+", text):
        word, start = match.group(), match.start()
        # "AB1.3CI": J.3 read as "1.3" after J.2's value; "R269": P.2 = 69 in the P row.
        glued_j = bool(_GLUED_J.match(word) or (p_row and _P_WORD.match(word)))
        options = code_candidates(word, at_start=not pieces or glued_j)
        if (
            options
            and not any(c.exact for c in options)
            and word[0] not in _CODE_SYMBOLS
            and pieces
            and not pieces[-1].is_code
            and not glued_j
        ):
            options = []  # a look-alike code right after a value is more likely value text
        code_end = match.end() - len(options[0].tail) if options else match.end()
        pieces.append(
            Piece(
                word,
                options,
                xpos(start),
                xpos(code_end),
                box.y0,
                box.y1,
                box.score,
                box_id,
                word,
                first=not pieces,
            )
        )
        if options and options[0].tail:
            pieces[-1].text = word[: len(word) - len(options[0].tail)]
    return pieces


def _next_codes_of_row(text: str) -> str:
    """Cuts a row merged into one box whose later codes lost their dot: after a first code
    ("F.1", "J", "z.1"), its letter followed by a higher digit, glued after a digit or
    standing alone as a word, is the next code of the row ("F.1 1489F21489F32789" -> F.1
    1489 F.2 1489 F.3 2789; "Z.1 VEHICULE LOUE Z2 VEHICULE DE ..."). Only the first
    code's own letter is looked for ("C4" in "D.3 C4" stays a value), and not in the D
    and K rows, whose type codes may hold such a letter and digit ("1D3")."""
    first = _FIRST_CODE.match(text)
    if first is None:
        return text
    letter, number = first[1].upper(), int(first[2] or 0)
    if (f"{letter}.{number}" if number else letter) not in CODES or letter in _CODED_FAMILIES:
        return text

    def cut(match: re.Match[str]) -> str:
        code = f"{letter}.{match[1]}"
        return f" {code} " if int(match[1]) > number and code in CODES else match[0]

    head, rest = text[: first.end()], text[first.end() :]
    rest = re.sub(rf"(?:(?<=\d)|(?<!\S)){letter}([1-9])(?=\d|\s|$)", cut, rest)
    return head + re.sub(r"\s+", " ", rest)


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
    if candidate.code == FORMULA:
        valid = bool(_FORMULA_RE.fullmatch(full.replace(" ", "")))
    else:
        valid = bool(full) and check_field(candidate.code, full).valid
    # A code standing alone as a word has an unambiguous boundary with its value.
    alone = 0.5 * (candidate.tail == "")
    guess = -1.5 * candidate.wildcard  # below any reading of a visible letter
    return 2.0 * valid + 1.0 * candidate.exact + 0.1 * len(candidate.code) + alone + guess


def _resolve(
    pieces: list[Piece],
) -> tuple[dict[str, list[RawField]], set[int], dict[int, list[Piece]]]:
    """One round: values to codes by position, then each code piece picks its reading.

    A code may be taken twice when the coupon repeats it (A, I, E, D.1, C.1); any other
    code goes to its most plausible piece only.
    """
    codes = [p for p in pieces if p.is_code]
    values = _assign(pieces, codes)
    options = []
    for code_piece in codes:
        parts = sorted(values[id(code_piece)], key=lambda p: p.x0)
        value = " ".join(p.text for p in parts)
        score = min([p.score for p in parts] + [code_piece.score])
        for cand in code_piece.candidates:
            options.append((_rank(cand, value), id(code_piece), cand, value, score, code_piece))
    options.sort(key=lambda o: -o[0])
    result: dict[str, list[RawField]] = {}
    done: set[int] = set()
    for _, piece_id, cand, value, score, piece in options:
        taken = result.get(cand.code, [])
        if piece_id in done or len(taken) >= (2 if cand.code in COUPON_CODES else 1):
            continue
        done.add(piece_id)
        text = " ".join(t for t in (cand.tail, value) if t)
        result.setdefault(cand.code, []).append(
            RawField(
                cand.code,
                text,
                score,
                by_position=cand.wildcard,
                exact=cand.exact,
                y=(piece.y0 + piece.y1) / 2,
                piece=piece_id,
            )
        )
    return result, done, values


def pair(boxes: list[TextBox], size: tuple[int, int] | None = None) -> dict[str, RawField]:
    """Pairs codes and values by position; returns {code: RawField} for codes found.

    Each value fragment goes to the nearest code on its left on the same text line
    (several fields share a row); then each code piece picks, among its readings, the best
    one given its value and the codes already taken by more plausible pieces. A piece that
    ends up as no code goes back to being value text, and the round is run again. Values
    printed on several lines (C.1 name then first names, C.3 address) collect the lines
    below them that start under their first line and hold no code. A code printed with
    nothing after it comes back with an empty text. When a coupon repeats a code, the
    reading higher on the card is the field and the lower one is kept in
    ``RawField.repeated``. MRZ lines must be removed beforehand. ``size`` is unused (the
    form's layout is not assumed).
    """
    pieces = [p for i, box in enumerate(boxes) for p in split_box(box, i)]
    result, done, values = _resolve(pieces)
    losers = [p for p in pieces if p.is_code and id(p) not in done]
    if losers:
        for piece in losers:
            piece.candidates, piece.text = [], piece.word
        result, done, values = _resolve(pieces)
    by_id = {id(p): p for p in pieces}
    _row_order(result, by_id)
    used = _continuations(pieces, result, values, by_id)
    _values_below(pieces, result, values, by_id, used)
    # A name or address taken from under its label box (older form) may go on below.
    _continuations(pieces, result, values, by_id, used)
    _grammar_orphans(pieces, result, values)
    fields: dict[str, RawField] = {}
    for code, readings in result.items():
        readings.sort(key=lambda r: r.y)
        main = readings[0]
        main.repeated = [r.text for r in readings[1:]]
        fields[code] = main
    return fields


def _continuations(
    pieces: list[Piece],
    result: dict[str, list[RawField]],
    values: dict[int, list[Piece]],
    by_id: dict[int, Piece],
    used: frozenset[int] | set[int] = frozenset(),
) -> set[int]:
    """Appends to C.1 / C.3 the codeless lines printed right under their first line and
    starting where the value starts; returns the ids of the pieces so taken. Pieces in
    ``used`` are not free, and a value that already spans several lines is left as is."""
    taken = {id(v) for vs in values.values() for v in vs} | set(used)
    free = [p for p in pieces if not p.is_code and id(p) not in taken]
    for code, extra_lines in MULTILINE.items():
        for raw in result.get(code, []):
            if raw.lines > 1:
                continue
            code_piece = by_id[raw.piece]
            own = values.get(raw.piece, [])
            if not own and not raw.text:
                continue
            glued = len(code_piece.word) > len(code_piece.text)  # value glued to the code
            left = code_piece.x1 if glued or not own else min(p.x0 for p in own)
            height = max([p.y1 - p.y0 for p in own] + [code_piece.y1 - code_piece.y0])
            bottom = max([p.y1 for p in own] + [code_piece.y1])
            for _ in range(extra_lines):
                below = [
                    p
                    for p in free
                    if -0.2 * height <= p.y0 - bottom < 0.9 * height
                    and p.x1 > code_piece.x0
                    and p.x0 < left + 8 * height
                ]
                if not below:
                    break
                top = min(below, key=lambda p: p.y0)
                row = sorted((p for p in below if _same_line(p, top)), key=lambda p: p.x0)
                if abs(row[0].x0 - left) > 1.5 * height:
                    break
                row = _chain(row, height)
                if _NOT_A_NAME.search(" ".join(p.text for p in row)):
                    break
                raw.text = " ".join([raw.text] + [p.text for p in row]).strip()
                raw.score = min([raw.score] + [p.score for p in row])
                raw.lines += 1
                bottom = max(p.y1 for p in row)
                for p in row:
                    free.remove(p)
    return taken.union(id(p) for p in pieces if not p.is_code) - {id(p) for p in free}


def _values_below(
    pieces: list[Piece],
    result: dict[str, list[RawField]],
    values: dict[int, list[Piece]],
    by_id: dict[int, Piece],
    used: set[int],
) -> None:
    """A code with nothing on its right takes the value printed right under it, when that
    value is valid for the code and no code stands just left of it on its line (a code
    in another column does not count): the older form prints each code in a small label
    box above its value. An empty code with no such valid value under it stays empty."""
    codes = [p for p in pieces if p.is_code]
    free = [p for p in pieces if not p.is_code and id(p) not in used]
    for code, readings in result.items():
        for raw in readings:
            label = by_id.get(raw.piece)
            if raw.text or label is None or raw.by_position:
                continue
            height = label.y1 - label.y0
            under = [
                p
                for p in free
                if -0.3 * height <= p.y0 - label.y1 < 1.2 * max(p.y1 - p.y0, height)
                and abs(p.x0 - label.x0) < 2.5 * max(p.y1 - p.y0, height)
                and not any(_claims(c, p) for c in codes)
            ]
            if not under:
                continue
            first = min(under, key=lambda p: (p.y0 - label.y1, abs(p.x0 - label.x0)))
            row = sorted(
                (p for p in free if _same_line(p, first) and p.x0 >= first.x0), key=lambda p: p.x0
            )
            row = _chain(row, first.y1 - first.y0, CELL_GAP)
            text = " ".join(p.text for p in row)
            if not check_field(code, text).valid:
                continue
            raw.text = text
            raw.score = min([raw.score] + [p.score for p in row])
            values.setdefault(raw.piece, []).extend(row)
            for p in row:
                free.remove(p)


def _claims(code: Piece, value: Piece) -> bool:
    """True when ``code`` stands on ``value``'s line just left of it (its value, on a
    form with codes left of their values); a code far away in another column is not."""
    height = max(value.y1 - value.y0, 1.0)
    return _same_line(code, value) and -0.8 * height <= value.x0 - code.x1 < VALUE_GAP * height


def _row_order(result: dict[str, list[RawField]], by_id: dict[int, Piece]) -> None:
    """Two codes of one family on one row are printed in order (G then G.1, P.1 then P.2):
    when the readings of two glued pieces came out the other way round and each piece
    can be read as the other's code, they are swapped ("G.1580" "G.11505" -> G = 1580,
    G.1 = 1505)."""
    order = {code: i for i, code in enumerate(FIELDS)}
    flat = [(code, raw) for code, raws in result.items() for raw in raws if code in order]
    for code_a, a in flat:
        for code_b, b in flat:
            pa, pb = by_id[a.piece], by_id[b.piece]
            if not (
                pa.x0 < pb.x0
                and _same_line(pa, pb)
                and order[code_a] > order[code_b]
                and code_a[0] == code_b[0]
            ):
                continue
            alt_a = next((c for c in pa.candidates if c.code == code_b), None)
            alt_b = next((c for c in pb.candidates if c.code == code_a), None)
            if alt_a is None or alt_b is None:
                continue
            text_a = _with_tail(alt_a, a.text, pa)
            text_b = _with_tail(alt_b, b.text, pb)
            if check_field(code_b, text_a).valid and check_field(code_a, text_b).valid:
                a.text, b.text = text_a, text_b
                result[code_a].remove(a)
                result[code_b].remove(b)
                result[code_b].append(a)
                result[code_a].append(b)
                a.code, b.code = code_b, code_a
                return


def _with_tail(candidate: Candidate, text: str, piece: Piece) -> str:
    """The value text of ``piece`` had it been read as ``candidate``."""
    chosen = next((c for c in piece.candidates if text.startswith(c.tail)), None)
    rest = text[len(chosen.tail) :].strip() if chosen else text
    return " ".join(t for t in (candidate.tail, rest) if t)


# Values whose grammar tells their field when their code label was not read at all.
_ORPHAN_KINDS = ("date", "plate", "vin")


def _grammar_orphans(
    pieces: list[Piece], result: dict[str, list[RawField]], values: dict[int, list[Piece]]
) -> None:
    """A value no code claimed goes to a missing field when its grammar fits exactly one
    missing field of a strict kind (a date when only I is missing among B, I and X.1);
    it is marked as found without its label, which lowers its confidence."""
    taken = {id(v) for vs in values.values() for v in vs}
    free = [p for p in pieces if not p.is_code and id(p) not in taken and p.first]
    for piece in free:
        fits = [
            code
            for code, spec in FIELDS.items()
            if spec.kind.value in _ORPHAN_KINDS
            and code not in result
            and check_field(code, piece.word).valid
        ]
        if len(fits) == 1:
            result[fits[0]] = [
                RawField(
                    fits[0],
                    piece.word,
                    piece.score,
                    by_position=True,
                    y=(piece.y0 + piece.y1) / 2,
                    piece=id(piece),
                )
            ]


# The widest gap, in text heights, between two fragments of one value: a free-standing
# value may hold wide spaces; a grid cell's value ends at a word gap (the next cell).
VALUE_GAP = 6.0
CELL_GAP = 1.5


def _chain(row: list[Piece], height: float, gap: float = VALUE_GAP) -> list[Piece]:
    """Keeps the fragments that follow each other from the first one, each at most
    ``gap`` text heights after the previous one."""
    out = row[:1]
    for piece in row[1:]:
        if piece.x0 - out[-1].x1 > gap * height:
            break
        out.append(piece)
    return out


def split_mrz(boxes: list[TextBox]) -> tuple[list[TextBox], list[str]]:
    """Separates the MRZ lines from the other boxes.

    Returns (other boxes, MRZ texts ordered top to bottom: line 1 then line 2 if found).
    """
    line1 = [b for b in boxes if mrz.looks_like_line1(b.text) and len(b.text) >= 30]
    if not line1:
        return boxes, []
    first = max(line1, key=lambda b: len(b.text))
    below = [
        b
        for b in boxes
        if b is not first
        and b.y0 > first.cy
        and b.y0 < first.y1 + 2.5 * first.height
        and len(b.text) >= 25
        and "<" in b.text
    ]
    second = min(below, key=lambda b: b.y0) if below else None
    rest = [b for b in boxes if b is not first and b is not second]
    return rest, [first.text] + ([second.text] if second else [])

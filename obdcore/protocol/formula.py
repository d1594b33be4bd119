"""Formulas over response bytes, as Torque and Car Scanner users write them.

A formula is an arithmetic expression over the data bytes of one PID: ``A`` is the first
byte after the PID, ``B`` the second, ..., ``Z``, then ``AA``, ``AB``... Allowed:

- numbers, ``+ - * / // % **``, parentheses, ``& | ^ << >>``;
- ``signed(x, bits)``: ``x`` read as a two's complement integer of ``bits`` bits;
- ``bit(x, n)``: bit ``n`` (0 = least significant) of ``x``, as 0 or 1;
- ``min``, ``max``, ``abs``, ``round``;
- Torque spellings: ``{A:7}`` for ``bit(A, 7)`` and ``Signed(A)`` for ``signed(A, 8)``.

``dialect="torque"`` reads Torque Pro's own equations (its CSV exports): byte names and
functions in any case (``ad*0.1``, ``SIGNED(W)``), ``^`` for a power, ``x<8`` and
``x>8`` for shifts, ``LOG10``, byte names up to ``ZZ``. References to other sensors
(``VAL{...}``, ``[0d]``) are refused with a :class:`~obdcore.errors.FormulaError`.

A formula is parsed once (``compile_formula``) by a small parser of our own (no Python
``eval``) into a tree of plain functions of the data bytes. When it is affine in one
big-endian integer made of consecutive bytes (almost every SAE PID: ``(256*A+B)/4``,
``A-40``, ``signed(256*A+B,16)/128``...), ``Formula.affine`` describes it, which lets the
compiled decoder evaluate it in C and the simulator invert it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from obdcore.errors import FormulaError

MAX_FORMULA_CHARS = 512
MAX_BYTES = 52  # A..Z then AA..AZ
TORQUE_MAX_BYTES = 26 * 27  # Torque goes on: BA..BZ... up to ZZ
MAX_DEPTH = 40  # nested parentheses and calls

DIALECTS = ("novaevo", "torque")
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|//|<<|>>|[-+*/%&|^~(),{}:<>\[\]]))"
)


def _signed(x: float, bits: float = 8) -> int:
    x, bits = int(x), int(bits)
    if not 0 < bits <= 64:
        raise ValueError("signed() takes 1 to 64 bits")
    sign_bit = 1 << (bits - 1)
    return (x & (2 * sign_bit - 1)) - 2 * (x & sign_bit)


def _bit(x: float, n: float) -> int:
    if not 0 <= int(n) < 64:
        raise ValueError("bit() takes a bit number 0 to 63")
    return (int(x) >> int(n)) & 1


def _power(x: float, y: float) -> float:
    return math.pow(x, y)  # floats: a huge integer power fails fast (OverflowError)


def _shift(function):
    def shifted(x: float, n: float) -> int:
        if not 0 <= int(n) < 64:
            raise ValueError("shifts take 0 to 63 bits")
        return function(int(x), int(n))

    return shifted


def _bitwise(function):
    return lambda x, y: function(int(x), int(y))


# name -> (function, smallest and largest argument count)
_FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    "signed": (_signed, 1, 2),
    "bit": (_bit, 2, 2),
    "min": (min, 1, 8),
    "max": (max, 1, 8),
    "abs": (abs, 1, 1),
    "round": (round, 1, 1),
    "log10": (math.log10, 1, 1),
}
_BINARY = {
    "+": (10, operator.add),
    "-": (10, operator.sub),
    "*": (20, operator.mul),
    "/": (20, operator.truediv),
    "//": (20, operator.floordiv),
    "%": (20, operator.mod),
    "<<": (8, _shift(operator.lshift)),
    ">>": (8, _shift(operator.rshift)),
    "&": (6, _bitwise(operator.and_)),
    "^": (5, _bitwise(operator.xor)),
    "|": (4, _bitwise(operator.or_)),
}
# Torque: ^ is a power, < and > are shifts.
_TORQUE_BINARY = {
    **{k: v for k, v in _BINARY.items() if k != "^"},
    "<": _BINARY["<<"],
    ">": _BINARY[">>"],
}
_POWER_OPERATORS = {"novaevo": ("**",), "torque": ("**", "^")}


@dataclass(frozen=True)
class Affine:
    """``value = raw * scale + offset``, ``raw`` the big-endian integer of ``nbytes``
    bytes starting at byte ``start`` (0 = ``A``), read as two's complement if ``signed``."""

    start: int
    nbytes: int
    signed: bool
    scale: float
    offset: float

    def raw_range(self) -> tuple[int, int]:
        """The smallest and largest raw integer the bytes can hold."""
        span = 1 << (8 * self.nbytes)
        return (-(span // 2), span // 2 - 1) if self.signed else (0, span - 1)

    def encode(self, value: float) -> bytes:
        """The bytes whose decoded value is nearest to ``value`` (clamped to the range)."""
        low, high = self.raw_range()
        raw = min(high, max(low, round((value - self.offset) / self.scale)))
        return raw.to_bytes(self.nbytes, "big", signed=self.signed)


@dataclass(frozen=True)
class Formula:
    """A parsed formula: ``evaluate(data)`` -> float, plus what it reads."""

    text: str
    evaluate: Callable[[bytes], float]
    byte_indices: tuple[int, ...]
    affine: Affine | None


def byte_index(name: str) -> int:
    """``A`` -> 0, ``Z`` -> 25, ``AA`` -> 26 ... ``AZ`` -> 51, ``BA`` -> 52 ... (any case)."""
    name = name.upper()
    if len(name) == 1:
        return ord(name) - 65
    return 26 + (ord(name[0]) - 65) * 26 + ord(name[1]) - 65


def compile_formula(text: str, dialect: str = "novaevo") -> Formula:
    """Parse ``text`` into a :class:`Formula`; ``dialect`` ``"novaevo"`` (the PID table's)
    or ``"torque"`` (Torque Pro's equations).

    Raises :class:`FormulaError` for anything but the documented arithmetic.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string")
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(f"formula longer than {MAX_FORMULA_CHARS} characters")
    if dialect not in DIALECTS:
        raise FormulaError(f"unknown formula dialect {dialect!r}: use {' or '.join(DIALECTS)}")
    parser = _Parser(text, dialect)
    tree = parser.parse()
    if not parser.indices:
        raise FormulaError(f"formula {text!r} reads no byte")
    function = _evaluator(tree)
    indices = parser.indices
    return Formula(text, function, tuple(sorted(indices)), _find_affine(function, indices))


class _Parser:
    """Recursive descent over the tokens, by precedence (Python's, for the operators
    both dialects share). Builds closures ``f(data) -> number``; records the bytes read."""

    def __init__(self, text: str, dialect: str):
        self.text, self.dialect = text, dialect
        self.torque = dialect == "torque"
        self.binary = _TORQUE_BINARY if self.torque else _BINARY
        self.tokens = self._tokenize(text)
        self.at = 0
        self.depth = 0
        self.indices: set[int] = set()

    def _tokenize(self, text: str) -> list[tuple[str, str]]:
        """The tokens; a character of no token is kept as ``junk``, refused where the
        parser meets it (so that the first error in reading order is the one named)."""
        tokens, at = [], 0
        while at < len(text):
            match = _TOKEN.match(text, at)
            if match is None:
                if text[at:].strip():
                    tokens.append(("junk", text[at:].lstrip()[0]))
                    at = len(text) - len(text[at:].lstrip()) + 1
                    continue
                break
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            at = match.end()
        return tokens

    def _error(self, what: str) -> FormulaError:
        return FormulaError(f"formula {self.text!r} {what}")

    def _peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens):
            raise self._error("ends too early")
        token = self.tokens[self.at]
        if expected is not None and token[1] != expected:
            raise self._error(f"has {token[1]!r} where {expected!r} belongs")
        self.at += 1
        return token

    def parse(self):
        tree = self._binary(0)
        if self.at != len(self.tokens):
            raise self._error(f"has {self._peek()!r} where it makes no sense")
        return tree

    def _binary(self, floor: int):
        left = self._unary()
        while True:
            token = self._peek()
            entry = self.binary.get(token) if token is not None else None
            if entry is None or entry[0] < floor or self.tokens[self.at][0] != "op":
                return left
            self._take()
            right = self._binary(entry[0] + 1)  # left-associative
            left = _node(entry[1], left, right)

    def _unary(self):
        token = self._peek()
        if token in ("-", "+", "~") and self.tokens[self.at][0] == "op":
            self._take()
            operand = self._unary()
            if token == "-":
                return lambda d: -operand(d)
            if token == "~":
                return lambda d: ~int(operand(d))
            return operand
        return self._power()

    def _power(self):
        base = self._atom()
        if self._peek() in _POWER_OPERATORS[self.dialect]:
            self._take()
            return _node(_power, base, self._unary())  # right-associative, like Python
        return base

    def _atom(self):
        kind, value = self._take()
        if kind == "number":
            number = float(value) if any(c in value for c in ".eE") else int(value)
            return lambda d: number
        if kind == "name":
            return self._name(value)
        if value == "(":
            inner = self._nested(lambda: self._binary(0))
            self._take(")")
            return inner
        if value == "{":
            return self._bit_test()
        if value == "[":
            raise self._error("refers to another sensor ([..]): not supported")
        raise self._error(f"has {value!r} where a value belongs")

    def _nested(self, parse):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._error(f"nests deeper than {MAX_DEPTH} levels")
        try:
            return parse()
        finally:
            self.depth -= 1

    def _name(self, name: str):
        if self._peek() == "(":
            return self._call(name)
        if self.torque and name.upper() == "VAL" and self._peek() == "{":
            raise self._error("refers to another sensor (VAL{...}): not supported")
        return self._byte(name)

    def _byte(self, name: str):
        if not re.fullmatch(r"[A-Za-z]{1,2}" if self.torque else r"[A-Z]{1,2}", name):
            raise self._error(f"names {name!r}, not a byte")
        index = byte_index(name)
        if index >= (TORQUE_MAX_BYTES if self.torque else MAX_BYTES):
            raise self._error(f"names byte {name!r}, out of range")
        self.indices.add(index)
        return lambda d: d[index]

    def _call(self, name: str):
        key = name.lower() if self.torque or name == "Signed" else name
        if key not in _FUNCTIONS or (key == "log10" and not self.torque):
            raise self._error(f"calls an unknown function {name!r}")
        function, fewest, most = _FUNCTIONS[key]
        self._take("(")
        arguments = []
        if self._peek() != ")":
            arguments.append(self._nested(lambda: self._binary(0)))
            while self._peek() == ",":
                self._take()
                arguments.append(self._nested(lambda: self._binary(0)))
        self._take(")")
        if not fewest <= len(arguments) <= most:
            raise self._error(f"gives {name}() {len(arguments)} arguments")
        return lambda d: function(*(argument(d) for argument in arguments))

    def _bit_test(self):
        _, name = self._take()
        self._take(":")
        kind, bit = self._take()
        self._take("}")
        if kind != "number" or not bit.isdigit() or int(bit) > 63:
            raise self._error(f"tests bit {bit!r}: write {{A:0}} to {{A:7}}")
        byte, number = self._byte(name), int(bit)
        return lambda d: (byte(d) >> number) & 1


def _node(function, left, right):
    return lambda d: function(left(d), right(d))


def _evaluator(tree) -> Callable[[bytes], float]:
    def evaluate(data: bytes) -> float:
        """The formula's value, NaN where it divides by zero, overflows or reads past
        the data."""
        try:
            return float(tree(data))
        except (ZeroDivisionError, OverflowError, ValueError, IndexError, TypeError):
            return math.nan

    return evaluate


def _find_affine(function: Callable[[bytes], float], indices: set[int]) -> Affine | None:
    """Detects ``raw * scale + offset`` by probing the formula over its byte range."""
    start, stop = min(indices), max(indices) + 1
    nbytes = stop - start
    if nbytes > 6:  # beyond 48 bits C and Python integers would round differently
        return None
    for signed in (False, True):
        affine = _probe_affine(function, start, nbytes, signed)
        if affine is not None:
            return affine
    return None


def _probe_affine(function, start: int, nbytes: int, signed: bool) -> Affine | None:
    def at(raw: int) -> float:
        data = bytearray(start + nbytes)
        data[start:] = raw.to_bytes(nbytes, "big", signed=signed)
        return function(bytes(data))

    offset = at(0)
    scale = at(1) - offset
    if not math.isfinite(offset) or not math.isfinite(scale) or scale == 0:
        return None
    candidate = Affine(start, nbytes, signed, scale, offset)
    low, high = candidate.raw_range()
    probes = {low, high, 2, 3, 0x7F, 0x80, 0xFF, high // 3, low // 3, (high + low) // 2}
    for raw in probes:
        if low <= raw <= high:
            expected = raw * scale + offset
            if not math.isclose(at(raw), expected, rel_tol=1e-9, abs_tol=1e-9):
                return None
    return candidate

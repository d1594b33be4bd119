"""Formulas over response bytes, as Torque and Car Scanner users write them.

A formula is an arithmetic expression over the data bytes of one PID: ``A`` is the first
byte after the PID, ``B`` the second, ..., ``Z``, then ``AA``, ``AB``... Allowed:

- numbers, ``+ - * / // % **``, parentheses, ``& | ^ << >>``;
- ``signed(x, bits)``: ``x`` read as a two's complement integer of ``bits`` bits;
- ``bit(x, n)``: bit ``n`` (0 = least significant) of ``x``, as 0 or 1;
- ``min``, ``max``, ``abs``, ``round``;
- Torque spellings: ``{A:7}`` for ``bit(A, 7)`` and ``Signed(A)`` for ``signed(A, 8)``.

A formula is parsed once (``compile_formula``) into a plain Python function of the data
bytes. When it is affine in one big-endian integer made of consecutive bytes (almost every
SAE PID: ``(256*A+B)/4``, ``A-40``, ``signed(256*A+B,16)/128``...), ``Formula.affine``
describes it, which lets the compiled decoder evaluate it in C and the simulator invert it.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from obdcore.errors import FormulaError

MAX_FORMULA_CHARS = 512
MAX_BYTES = 52  # A..Z then AA..AZ

_TORQUE_BIT = re.compile(r"\{\s*([A-Z]{1,2})\s*:\s*(\d+)\s*\}")
_TORQUE_SIGNED = re.compile(r"\bSigned\(\s*([A-Z]{1,2})\s*\)")
_BYTE_NAME = re.compile(r"^[A-Z]{1,2}$")

_ALLOWED_NODES = (
    ast.Expression,
    ast.BinOp,
    ast.UnaryOp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.USub,
    ast.UAdd,
    ast.BitAnd,
    ast.BitOr,
    ast.BitXor,
    ast.LShift,
    ast.RShift,
    ast.Invert,
)


def _signed(x: float, bits: int) -> int:
    x = int(x)
    sign_bit = 1 << (int(bits) - 1)
    return (x & (2 * sign_bit - 1)) - 2 * (x & sign_bit)


def _bit(x: float, n: int) -> int:
    return (int(x) >> int(n)) & 1


_FUNCTIONS: dict[str, Callable] = {
    "signed": _signed,
    "bit": _bit,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
}


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
    """``A`` -> 0, ``Z`` -> 25, ``AA`` -> 26 ... ``AZ`` -> 51."""
    if len(name) == 1:
        return ord(name) - 65
    if name[0] != "A":
        raise FormulaError(f"byte name {name!r} is out of range (A..Z, AA..AZ)")
    return 26 + ord(name[1]) - 65


def compile_formula(text: str) -> Formula:
    """Parse ``text`` into a :class:`Formula`.

    Raises :class:`FormulaError` for anything but the documented arithmetic.
    """
    if not isinstance(text, str) or not text.strip():
        raise FormulaError("a formula must be a non-empty string")
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaError(f"formula longer than {MAX_FORMULA_CHARS} characters")
    source = _TORQUE_SIGNED.sub(r"signed(\1, 8)", _TORQUE_BIT.sub(r"bit(\1, \2)", text.strip()))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"formula {text!r} is not an expression: {exc.msg}") from None
    indices = _check_nodes(tree, text)
    function = _to_function(tree, text)
    return Formula(text, function, tuple(sorted(indices)), _find_affine(function, indices))


def _check_nodes(tree: ast.AST, text: str) -> set[int]:
    """Refuses every node outside the small arithmetic language; returns the bytes read."""
    indices: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise FormulaError(f"formula {text!r} uses {type(node).__name__}, not allowed")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise FormulaError(f"formula {text!r} has a non-numeric constant")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
                raise FormulaError(f"formula {text!r} calls an unknown function")
            if node.keywords:
                raise FormulaError(f"formula {text!r} passes keyword arguments")
        if isinstance(node, ast.Name) and node.id not in _FUNCTIONS:
            if not _BYTE_NAME.match(node.id):
                raise FormulaError(f"formula {text!r} names {node.id!r}, not a byte")
            indices.add(byte_index(node.id))
    if not indices:
        raise FormulaError(f"formula {text!r} reads no byte")
    return indices


class _BytesToSubscripts(ast.NodeTransformer):
    """Rewrites byte names into ``d[i]`` so the function reads the data directly."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in _FUNCTIONS:
            return node
        return ast.copy_location(
            ast.Subscript(
                value=ast.Name(id="d", ctx=ast.Load()),
                slice=ast.Constant(byte_index(node.id)),
                ctx=ast.Load(),
            ),
            node,
        )


def _to_function(tree: ast.Expression, text: str) -> Callable[[bytes], float]:
    body = _BytesToSubscripts().visit(tree).body
    lam = ast.Expression(
        ast.Lambda(
            args=ast.arguments(
                posonlyargs=[], args=[ast.arg("d")], kwonlyargs=[], kw_defaults=[], defaults=[]
            ),
            body=body,
        )
    )
    ast.fix_missing_locations(lam)
    code = compile(lam, f"<formula {text}>", "eval")
    raw_function = eval(code, {"__builtins__": {}, **_FUNCTIONS})  # noqa: S307 - AST checked

    def evaluate(data: bytes) -> float:
        """The formula's value, NaN where it divides by zero or overflows."""
        try:
            return float(raw_function(data))
        except (ZeroDivisionError, OverflowError, ValueError):
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

"""A fixed, mixed corpus of ELM327 answers (CAN 11-bit, headers on, spaces on), as
python-obd and obdcore both receive them, with the python-obd command for each.

Mix (by answer count): single-frame PIDs, multi-PID answers, two ECUs answering one
request, multi-frame VINs, multi-frame DTC lists from two ECUs, and NO DATA.
python-obd polls one PID per request, so a multi-PID answer is given to python-obd as
the single-PID answers that carry the same values (``python_obd_items``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import obd

from obdcore import PidTable
from obdcore.protocol.isotp import can_answer_lines

SINGLE_PIDS = (
    0x04,
    0x05,
    0x06,
    0x07,
    0x0B,
    0x0C,
    0x0D,
    0x0E,
    0x0F,
    0x10,
    0x11,
    0x1F,
    0x2F,
    0x33,
    0x42,
    0x46,
    0x5C,
)
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Item:
    """One answer: the raw text, and what python-obd decodes for the same information."""

    kind: str
    raw: bytes
    python_obd_items: tuple  # ((lines, command), ...)


def _pid_data(rng: random.Random, pid: int) -> bytes:
    size = PidTable.standard().fields(1, pid)[0].size
    return bytes(rng.randrange(256) for _ in range(size))


def _text(lines: list[str]) -> bytes:
    return ("\r".join(lines) + "\r\r>").encode()


def _single(rng: random.Random) -> Item:
    pid = rng.choice(SINGLE_PIDS)
    lines = can_answer_lines(0x7E8, bytes([0x41, pid]) + _pid_data(rng, pid))
    return Item("single PID", _text(lines), ((lines, obd.commands[1][pid]),))


def _multi(rng: random.Random) -> Item:
    pids = rng.sample(SINGLE_PIDS, rng.randint(3, 6))
    payload, singles = bytearray([0x41]), []
    for pid in pids:
        data = _pid_data(rng, pid)
        payload += bytes([pid]) + data
        singles.append((can_answer_lines(0x7E8, bytes([0x41, pid]) + data), obd.commands[1][pid]))
    return Item("multi-PID", _text(can_answer_lines(0x7E8, bytes(payload))), tuple(singles))


def _two_ecus(rng: random.Random) -> Item:
    pid = 0x0D
    lines = can_answer_lines(0x7E8, bytes([0x41, pid]) + _pid_data(rng, pid)) + can_answer_lines(
        0x7E9, bytes([0x41, pid]) + _pid_data(rng, pid)
    )
    return Item("two ECUs", _text(lines), ((lines, obd.commands[1][pid]),))


def _vin(rng: random.Random) -> Item:
    vin = "".join(rng.choice(VIN_CHARS) for _ in range(17))
    lines = can_answer_lines(0x7E8, b"\x49\x02\x01" + vin.encode())
    return Item("VIN (multi-frame)", _text(lines), ((lines, obd.commands[9][2]),))


def _dtcs(rng: random.Random) -> Item:
    lines = []
    for ecu in (0x7E8, 0x7E9):
        count = rng.randint(2, 8)
        codes = bytes(rng.randrange(256) for _ in range(2 * count))
        lines += can_answer_lines(ecu, bytes([0x43, count]) + codes)
    return Item("DTC lists, 2 ECUs", _text(lines), ((lines, obd.commands.GET_DTC),))


def _no_data(rng: random.Random) -> Item:
    lines = ["NO DATA"]
    return Item("NO DATA", _text(lines), ((lines, obd.commands[1][0x0C]),))


MIX = ((_single, 60), (_multi, 12), (_two_ecus, 10), (_vin, 6), (_dtcs, 8), (_no_data, 4))


def corpus(size: int = 2000, seed: int = 1979) -> list[Item]:
    """``size`` answers drawn with a fixed seed in the proportions of ``MIX``."""
    rng = random.Random(seed)
    makers = [maker for maker, weight in MIX for _ in range(weight)]
    return [rng.choice(makers)(rng) for _ in range(size)]

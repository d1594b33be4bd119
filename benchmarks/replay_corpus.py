"""A generated ELM327 transcript of any size, for the replay benchmark and its tests.

What a logging app records over a long drive with echo on: the set-up commands, then the
same polling loop again and again (single PIDs, 6-PID multi-frame answers, two ECUs
answering a broadcast), now and then a ``NO DATA``, a DTC read, a VIN, a battery voltage.
Deterministic for a seed. ``headers=False, setup=False`` leaves out every ``AT`` line and
the CAN IDs are still printed, as a capture made by another app would look
(the replay must infer the headers and the protocol from the data).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from obdcore import PidTable, encode_pid
from obdcore.protocol.isotp import can_answer_lines

SETUP = [
    (">ATZ", ["", "ELM327 v1.5"]),
    (">ATE1", ["OK"]),
    (">ATH1", ["OK"]),
    (">ATSP0", ["OK"]),
    (">0100", ["SEARCHING...", "7E8 06 41 00 BE 3F B8 11", "7E9 06 41 00 98 18 80 01"]),
    (">ATDPN", ["A6"]),
]
# Polled in the loop: (request PIDs, chance to be asked in one round).
POLLED = [((0x0C,), 1.0), ((0x0D,), 1.0), ((0x0C, 0x0D, 0x05, 0x11, 0x04, 0x10), 0.8)]
EXTRAS = [((0x0F,), 0.3), ((0x0B,), 0.3), ((0x06, 0x07), 0.3), ((0x42,), 0.1)]
VIN = b"VF1RFB00X67654321"


def _fields(pid: int):
    return PidTable.standard().fields(1, pid)


def _answer(rng: random.Random, pids: tuple[int, ...]) -> bytes:
    payload = bytearray([0x41])
    for pid in pids:
        fields = _fields(pid)
        values = {
            f.name: rng.uniform(f.minimum, f.maximum)
            for f in fields
            if f.minimum is not None and f.maximum is not None
        }
        payload += bytes([pid]) + encode_pid(fields, values)
    return bytes(payload)


def _lines(payload: bytes, ecu: int, headers: bool) -> list[str]:
    return can_answer_lines(ecu, payload, extended=False, headers=headers)


def exchanges(rng: random.Random, headers: bool = True, setup: bool = True) -> Iterator[str]:
    """Exchanges as text (``>COMMAND`` then the answer lines), for ever."""
    if setup:
        for command, answer in SETUP:
            yield "\r".join([command, *answer, "", ""])
    while True:
        for pids, chance in POLLED + EXTRAS:
            if rng.random() >= chance:
                continue
            command = ">01" + "".join(f"{pid:02X}" for pid in pids)
            if rng.random() < 0.01:
                lines = ["NO DATA"]
            else:
                lines = _lines(_answer(rng, pids), 0x7E8, headers)
            yield "\r".join([command, *lines, "", ""])
        roll = rng.random()
        if roll < 0.01:
            codes = bytes([0x43, 2, 0x01, 0x71, 0x03, 0x00])
            yield "\r".join([">03", *_lines(codes, 0x7E8, headers), "", ""])
        elif roll < 0.012:
            yield "\r".join([">0902", *_lines(b"\x49\x02\x01" + VIN, 0x7E8, headers), "", ""])
        elif roll < 0.02:
            volts = rng.uniform(13.2, 14.4)  # drawn either way: the same data with or without
            if setup:
                yield "\r".join([">ATRV", f"{volts:.1f}V", "", ""])


def write_transcript(
    path: Path, size: int, *, seed: int = 17, headers: bool = True, setup: bool = True
) -> int:
    """Writes about ``size`` bytes of transcript to ``path`` (whole exchanges, then the
    final prompt); returns the bytes written."""
    rng = random.Random(seed)
    written = 0
    with open(path, "w", encoding="ascii", newline="") as handle:
        pending: list[str] = []
        for text in exchanges(rng, headers=headers, setup=setup):
            pending.append(text)
            written += len(text)
            if len(pending) == 4096 or written >= size:
                handle.write("".join(pending))
                pending.clear()
            if written >= size:
                break
        handle.write(">")
    return written + 1

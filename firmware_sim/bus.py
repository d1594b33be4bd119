"""The response encoder: ECU messages -> the lines an ELM327 prints, for every protocol
and every ``ATH``/``ATS``/``ATCAF`` setting.

CAN answers are cut into ISO-TP frames (single frame, or first frame + consecutive frames).
With headers on, several ECUs' frames are interleaved round-robin, as they arrive on a
real bus; with headers off each ECU's answer is printed whole (interleaved headerless
frames cannot be told apart by anyone, so a test could not check them). Legacy answers
get their 3 header bytes and check byte (SAE J1850 CRC-8, or the ISO 9141/14230 sum).
"""

from __future__ import annotations

from dataclasses import dataclass

from obdcore import core as _obdcore
from obdcore import segment
from obdcore.protocol.protocols import CAN_11, CAN_29, J1850, protocol_family


@dataclass(frozen=True)
class Format:
    """The adapter settings that shape printed answers."""

    protocol: str
    headers: bool = False
    spaces: bool = True
    caf: bool = True
    cra: str | None = None  # ATCRA filter (hex digits, X = any), None = all


@dataclass(frozen=True)
class Answer:
    """One ECU's answer: its addresses and the messages it sent."""

    can_id: int
    can29_source: int
    legacy_source: int
    messages: tuple[bytes, ...]


def isotp_frames(payload: bytes) -> list[bytes]:
    """ISO 15765-2 frames (PCI included, no padding) carrying ``payload``."""
    return segment(payload, pad=False)


def _hex(data: bytes, spaces: bool) -> str:
    return data.hex(" ").upper() if spaces else data.hex().upper()


def format_answers(answers: list[Answer], fmt: Format) -> list[str]:
    """The printed lines for all ECU answers (no line ends, no prompt)."""
    family = protocol_family(fmt.protocol)
    if family in (CAN_11, CAN_29):
        return _can_lines(answers, fmt, family == CAN_29)
    return _legacy_lines(answers, fmt, family == J1850)


def _can_header(answer: Answer, wide: bool, spaces: bool) -> str:
    if not wide:
        return f"{answer.can_id:03X}"
    ident = 0x18DAF100 | answer.can29_source
    return _hex(ident.to_bytes(4, "big"), spaces)


def _matches(header: str, pattern: str | None) -> bool:
    if pattern is None:
        return True
    compact = header.replace(" ", "")
    if len(compact) != len(pattern):
        return False
    return all(p in ("X", c) for p, c in zip(pattern, compact, strict=True))


def _can_lines(answers: list[Answer], fmt: Format, wide: bool) -> list[str]:
    kept = [a for a in answers if _matches(_can_header(a, wide, False), fmt.cra)]
    if fmt.headers:
        return _can_interleaved(kept, fmt, wide)
    lines: list[str] = []
    for answer in kept:
        for payload in answer.messages:
            lines.extend(_can_headerless(payload, fmt))
    return lines


def _can_interleaved(answers: list[Answer], fmt: Format, wide: bool) -> list[str]:
    queues = []
    for answer in answers:
        header = _can_header(answer, wide, fmt.spaces)
        frames = [f for m in answer.messages for f in isotp_frames(m)]
        queues.append([(header, frame) for frame in frames])
    lines = []
    while any(queues):
        for queue in queues:
            if queue:
                header, frame = queue.pop(0)
                data = frame if fmt.caf else frame.ljust(8, b"\x00")
                lines.append(header + (" " if fmt.spaces else "") + _hex(data, fmt.spaces))
    return lines


def _can_headerless(payload: bytes, fmt: Format) -> list[str]:
    frames = isotp_frames(payload)
    if not fmt.caf:
        return [_hex(f.ljust(8, b"\x00"), fmt.spaces) for f in frames]
    if len(frames) == 1:
        return [_hex(payload, fmt.spaces)]
    sep = ": " if fmt.spaces else ":"
    lines = [f"{len(payload):03X}", "0" + sep + _hex(frames[0][2:], fmt.spaces)]
    for index, frame in enumerate(frames[1:], start=1):
        lines.append(f"{index & 0x0F:X}" + sep + _hex(frame[1:], fmt.spaces))
    return lines


def legacy_header(protocol: str, source: int, length: int) -> bytes:
    """The 3 header bytes of a legacy answer from ``source`` carrying ``length`` bytes."""
    if protocol == "1":
        return bytes([0x41, 0x6B, source])
    if protocol in ("2", "3"):
        return bytes([0x48, 0x6B, source])
    return bytes([0x80 | length, 0xF1, source])  # ISO 14230-4: format byte with length


def _legacy_lines(answers: list[Answer], fmt: Format, crc: bool) -> list[str]:
    lines = []
    for answer in answers:
        for message in answer.messages:
            if not fmt.headers:
                lines.append(_hex(message, fmt.spaces))
                continue
            frame = legacy_header(fmt.protocol, answer.legacy_source, len(message)) + message
            check = _obdcore.j1850_crc(frame) if crc else sum(frame) & 0xFF
            lines.append(_hex(frame + bytes([check]), fmt.spaces))
    return lines

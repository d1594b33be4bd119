"""ISO 15765-2 segmentation and ELM327 line formatting: the sending side of ISO-TP.

This module cuts a service payload into CAN frames and prints them the way an ELM327
does; the simulator and the benchmarks use it to produce answers, and the tests inputs.
Its other half, reassembly, sits next to it in :mod:`obdcore.protocol._core`
(``Decoder._isotp``): it runs inside the decoder's compiled hot loop, one pending message
per ECU in fixed C slots, so it cannot be a separate Python object without losing the
decoder's speed. Both follow ISO 15765-2 (12-bit lengths, sequence numbers 1..F, 0...).
"""

from __future__ import annotations

from obdcore.errors import PayloadError

MAX_PAYLOAD = 4095  # classic ISO-TP: 12-bit length
CAN_PADDING = 0x00


def segment(payload: bytes, pad: bool = True) -> list[bytes]:
    """``payload`` -> 8-byte CAN frames with PCI: one single frame for up to 7 bytes, else
    a first frame and consecutive frames (sequence 1..F, 0, 1... wrapping).

    Raises :class:`~obdcore.errors.PayloadError` for an empty payload or one longer than 4095 bytes.
    """
    size = len(payload)
    if not 0 < size <= MAX_PAYLOAD:
        raise PayloadError(f"an ISO-TP payload has 1 to {MAX_PAYLOAD} bytes, not {size}")
    if size <= 7:
        frames = [bytes([size]) + payload]
    else:
        frames = [bytes([0x10 | (size >> 8), size & 0xFF]) + payload[:6]]
        for index, start in enumerate(range(6, size, 7), start=1):
            frames.append(bytes([0x20 | (index & 0x0F)]) + payload[start : start + 7])
    if pad:
        frames = [frame.ljust(8, bytes([CAN_PADDING])) for frame in frames]
    return frames


def can_id_text(can_id: int, extended: bool) -> str:
    """A CAN ID as the ELM327 prints it: ``7E8`` or ``18 DA F1 10`` (spaces added later)."""
    if extended:
        return can_id.to_bytes(4, "big").hex(" ").upper()
    return f"{can_id:03X}"


def format_line(data: bytes, header: str = "", spaces: bool = True) -> str:
    """One printed line: optional header text, then the bytes in hex."""
    body = data.hex(" ").upper()
    text = f"{header} {body}" if header else body
    return text if spaces else text.replace(" ", "")


def can_answer_lines(
    can_id: int,
    payload: bytes,
    *,
    extended: bool = False,
    headers: bool = True,
    spaces: bool = True,
) -> list[str]:
    """The lines an ELM327 prints (CAF on) for one ECU's answer.

    Headers on: every frame with its ID and PCI byte. Headers off: a single frame's data
    alone, or for a multi-frame answer the byte count line (``014``) then indexed lines
    (``0: 49 02 01 ...``), as the adapter formats them.
    """
    if headers:
        header = can_id_text(can_id, extended)
        frames = segment(payload)
        return [format_line(frame, header, spaces) for frame in frames]
    if len(payload) <= 7:
        return [format_line(payload, "", spaces)]
    lines = [f"{len(payload):03X}"]
    chunks = [payload[:6]] + [payload[i : i + 7] for i in range(6, len(payload), 7)]
    for index, chunk in enumerate(chunks):
        separator = ": " if spaces else ":"
        lines.append(f"{index & 0x0F:X}{separator}{format_line(chunk, '', spaces)}")
    return lines

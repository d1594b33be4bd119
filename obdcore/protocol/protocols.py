"""ELM327 protocol numbers and the frame layout each one implies."""

from __future__ import annotations

from obdcore.errors import ProtocolError

# Frame layout families: what a line of adapter output looks like.
CAN_11 = 1  # 11-bit CAN ID: 3 hex digits of header, ISO-TP PCI byte, data
CAN_29 = 2  # 29-bit CAN ID: 4 header bytes (priority, DA, target, source), PCI, data
J1850 = 3  # 3 header bytes, data, CRC-8 (SAE J1850)
ISO = 4  # ISO 9141-2 / ISO 14230-4 KWP: 3 header bytes, data, additive checksum

PROTOCOLS: dict[str, tuple[str, int]] = {
    "1": ("SAE J1850 PWM (41.6 kbaud)", J1850),
    "2": ("SAE J1850 VPW (10.4 kbaud)", J1850),
    "3": ("ISO 9141-2 (5 baud init)", ISO),
    "4": ("ISO 14230-4 KWP (5 baud init, 10.4 kbaud)", ISO),
    "5": ("ISO 14230-4 KWP (fast init, 10.4 kbaud)", ISO),
    "6": ("ISO 15765-4 CAN (11 bit ID, 500 kbaud)", CAN_11),
    "7": ("ISO 15765-4 CAN (29 bit ID, 500 kbaud)", CAN_29),
    "8": ("ISO 15765-4 CAN (11 bit ID, 250 kbaud)", CAN_11),
    "9": ("ISO 15765-4 CAN (29 bit ID, 250 kbaud)", CAN_29),
}


def protocol_number(protocol: int | str) -> str:
    """Normalises ``6``, ``"6"``, ``"A6"`` (an ``ATDPN`` answer: auto, found 6) to ``"6"``.

    Raises :class:`ProtocolError` for anything that is not an OBD-II protocol 1-9
    (``A``, SAE J1939, carries no OBD-II services).
    """
    text = str(protocol).strip().upper()
    if len(text) == 2 and text[0] == "A":
        text = text[1]
    if text not in PROTOCOLS:
        raise ProtocolError(
            f"unknown or unsupported ELM327 protocol {protocol!r} (OBD-II protocols are 1 to 9)"
        )
    return text


def protocol_family(protocol: int | str) -> int:
    """The frame layout family (``CAN_11``, ``CAN_29``, ``J1850``, ``ISO``) of a protocol."""
    return PROTOCOLS[protocol_number(protocol)][1]


def is_can(protocol: int | str) -> bool:
    """True for the ISO 15765-4 CAN protocols (6 to 9)."""
    return protocol_family(protocol) in (CAN_11, CAN_29)

"""What the client learns about the adapter and the car's bus, as data and pure functions.

Clone detection works by probing: a chip that calls itself "v1.5" but answers ``?`` to a
command every genuine ELM327 of that version knows is a clone, and the client stops relying
on features it may fake (the answer-count suffix, for one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from obdcore.protocol.protocols import CAN_29, ISO, J1850, PROTOCOLS, is_can, protocol_family

# Harmless probes and the ELM327 version that introduced each (from ELM Electronics'
# command tables): AT@1 prints the device description, ATAT2 selects aggressive adaptive
# timing (the client sets its own mode right after), ATCRA without an argument resets the
# receive filter.
PROBES: tuple[tuple[str, float], ...] = (("AT@1", 1.0), ("ATAT2", 1.2), ("ATCRA", 1.3))
# The answer-count suffix (``010C 1``) arrived with v1.3.
ANSWER_COUNT_VERSION = 1.3

# The order protocols are tried in when nothing is remembered: CAN first (every car sold
# in the EU since 2008 or so, the US since 2008), 11-bit before 29-bit, 500 kbit/s before
# 250; then the adapter's own search, which also covers J1850 and the K-line protocols that
# need a slow bus initialisation.
FALLBACK_ORDER = ("6", "7", "8", "9", "0")


_VERSION = re.compile(r"v(\d+)\.(\d)")
_ECU_ROLES = {
    0x10: "engine",
    0x11: "engine 2",
    0x17: "gateway",
    0x18: "transmission",
    0x19: "transmission 2",
    0x28: "ABS",
    0x1A: "hybrid",
}


@dataclass
class AdapterInfo:
    """The adapter as identified at connection time.

    ``identity``: what ``ATZ``/``ATI`` printed (``ELM327 v2.2``); ``device``: ``AT@1`` or
    ``STDI``; ``stn``: the STN chip name when it is an OBDLink/STN adapter; ``missing``:
    probed commands it answered ``?`` to although its claimed version has them.
    """

    identity: str = ""
    device: str | None = None
    stn: str | None = None
    missing: list[str] = field(default_factory=list)

    @property
    def version(self) -> float | None:
        """The claimed ELM327 version (``1.5``), None when the banner has none."""
        match = _VERSION.search(self.identity)
        return float(f"{match[1]}.{match[2]}") if match else None

    @property
    def clone(self) -> bool:
        """True when the adapter lacks commands its claimed version must have."""
        return bool(self.missing)

    @property
    def counts_answers(self) -> bool:
        """Whether the answer-count suffix can be trusted on this adapter."""
        version = self.version
        if self.stn:
            return True
        return version is not None and version >= ANSWER_COUNT_VERSION and not self.clone


def probes_for(version: float | None) -> list[str]:
    """The probe commands a genuine chip claiming ``version`` must know."""
    if version is None:
        return []
    return [command for command, since in PROBES if since <= version]


def looks_like_adapter(text: str) -> bool:
    """True for an ELM327/STN banner (the check against look-alike BLE gadgets)."""
    upper = text.upper()
    return "ELM327" in upper or "STN" in upper or "OBDLINK" in upper or "OBDII" in upper


def identity_line(lines: list[str], command: str) -> str:
    """The banner among an answer's lines: the last one that is not the echoed command."""
    wanted = [line for line in lines if line.replace(" ", "").upper() != command.upper()]
    banners = [line for line in wanted if looks_like_adapter(line)]
    return (banners or wanted or [""])[-1]


def protocol_from_dpn(text: str) -> str | None:
    """``ATDPN``'s answer (``A6``, ``6``, ``A7``) as a protocol number, None when it is
    ``0`` (nothing found) or unreadable."""
    text = text.strip().upper().removeprefix("A")
    return text if text in PROTOCOLS else None


def physical_header(ecu: int, protocol: str) -> str | None:
    """The ``ATSH`` argument that addresses ``ecu`` (a response ID) alone, None where the
    protocol has no physical addressing the client uses (J1850, K-line)."""
    family = protocol_family(protocol)
    if family == CAN_29:
        return f"DA{ecu & 0xFF:02X}F1"  # 18 DA <ecu> F1; the adapter adds the 18
    if is_can(protocol):
        return f"{(ecu - 8) & 0x7FF:03X}"
    return None


def functional_header(protocol: str) -> str | None:
    """The ``ATSH`` argument of a broadcast request, None for the adapter's default."""
    family = protocol_family(protocol)
    if family == CAN_29:
        return "DB33F1"
    if is_can(protocol):
        return "7DF"
    return None


def describe_ecu(ecu: int, protocol: str | None) -> str:
    """A readable label for an answering ECU, its role where the address implies one:
    ``engine (7E8)``, ``transmission (18DAF118)``, ``7EA``."""
    if ecu < 0:
        return "?"
    family = protocol_family(protocol) if protocol else None
    if family == CAN_29:
        role, label = _ECU_ROLES.get(ecu & 0xFF), f"{ecu:08X}"
    elif family in (J1850, ISO):
        role, label = _ECU_ROLES.get(ecu), f"{ecu:02X}"
    else:
        role = {0x7E8: "engine", 0x7E9: "transmission"}.get(ecu)
        label = f"{ecu:03X}"
    return f"{role} ({label})" if role else label


def multi_pid_limit(protocol: str) -> int:
    """How many Mode 01 PIDs one request may carry: 6 on CAN, 1 elsewhere."""
    return 6 if is_can(protocol) else 1

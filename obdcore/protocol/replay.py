"""Replaying a recorded ELM327 session through the decoder, sans I/O.

A transcript is the adapter's byte stream as a terminal shows it with echo on (``ATE1``):
each exchange is the prompt ``>``, the echoed command, then the answer. The replay follows
the commands that change how answers look (``ATH``, ``ATCAF``, ``ATSP``, ``ATDPN``,
``ATZ``/``ATWS``/``ATD``) so each answer is decoded with the settings it was printed with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

from obdcore.errors import ObdError, ProtocolError
from obdcore.protocol._backend import core
from obdcore.protocol.protocols import protocol_number

MAX_TRANSCRIPT_BYTES = 64 * 1024 * 1024
# What a client sends: AT/ST adapter commands or OBD requests in hex.
_COMMAND = re.compile(r"^((AT|ST)[ -~]{0,60}|[0-9A-F ]{2,64})$", re.IGNORECASE)


class TranscriptError(ObdError, ValueError):
    """The file is not an ELM327 transcript (empty, binary, or far too large)."""


@dataclass(frozen=True)
class Exchange:
    """One request and the adapter's answer to it."""

    command: str
    answer: str


@dataclass
class AdapterSettings:
    """What the adapter was told so far: enough to read its answers."""

    headers: bool = False
    caf: bool = True
    protocol: str | None = None  # None while automatic search has not reported

    def apply(self, command: str, answer: str) -> None:
        """Updates the settings after ``command`` was answered with ``answer``."""
        cmd = command.upper().replace(" ", "")
        if cmd in ("ATZ", "ATWS", "ATD"):
            self.headers, self.caf = False, True
        elif cmd in ("ATH0", "ATH1"):
            self.headers = cmd == "ATH1"
        elif cmd in ("ATCAF0", "ATCAF1"):
            self.caf = cmd == "ATCAF1"
        elif cmd.startswith(("ATSP", "ATTP")):
            self._protocol(cmd[4:])
        elif cmd == "ATDPN":
            self._protocol(answer.strip().splitlines()[0] if answer.strip() else "")

    def _protocol(self, text: str) -> None:
        text = text.lstrip("A") or "0"
        try:
            self.protocol = protocol_number(text)
        except ProtocolError:
            self.protocol = None  # "0" (automatic) or something we cannot use


def read_transcript_file(path) -> list[Exchange]:
    """Reads a transcript file, refusing an oversized one before loading it.

    Raises :class:`TranscriptError` (not a transcript, too large) or :class:`OSError`.
    """
    from pathlib import Path

    if Path(path).stat().st_size > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"transcript larger than {MAX_TRANSCRIPT_BYTES} bytes")
    return read_transcript(Path(path).read_bytes())


def read_transcript(data: bytes) -> list[Exchange]:
    """Splits a transcript into exchanges; raises :class:`TranscriptError` when the data
    is not one."""
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise TranscriptError(f"transcript larger than {MAX_TRANSCRIPT_BYTES} bytes")
    data = data.replace(b"\x00", b"")  # clones print NULs after a reset
    if _binary_share(data) > 0.05:
        raise TranscriptError("binary data, not an ELM327 text transcript")
    # latin-1 keeps every byte as it was, so garbage reaches the decoder unchanged.
    text = data.decode("latin-1").replace("\n", "\r")
    exchanges = []
    for chunk in text.split(">")[1:]:  # text before the first prompt is not an answer
        command, _, answer = chunk.strip("\r ").partition("\r")
        if _COMMAND.match(command.strip()):
            exchanges.append(Exchange(command.strip(), answer.strip("\r")))
    if not exchanges:
        raise TranscriptError("no ELM327 exchange found (expected '>COMMAND' lines)")
    return exchanges


def _binary_share(data: bytes) -> float:
    """The share of bytes that no adapter prints (outside printable ASCII and CR/LF/TAB)."""
    if not data:
        return 0.0
    printable = data.translate(None, bytes(range(0x20, 0x7F)) + b"\r\n\t")
    return len(printable) / len(data)


def is_obd_request(command: str) -> bool:
    """True for hex requests (``010C``, ``0902``, ``22F190``), False for AT/ST commands."""
    compact = command.replace(" ", "")
    return len(compact) >= 2 and all(c in "0123456789ABCDEFabcdef" for c in compact)


def replay(exchanges: Iterable[Exchange], table=None) -> Iterator[tuple[Exchange, object]]:
    """Yields ``(exchange, Response)`` for each OBD request, ``(exchange, None)`` for
    adapter commands. The decoder follows the recorded adapter settings; before the
    protocol is known (automatic search) CAN 11-bit is assumed."""
    settings = AdapterSettings()
    decoders: dict[tuple, object] = {}
    for exchange in exchanges:
        if not is_obd_request(exchange.command):
            settings.apply(exchange.command, exchange.answer)
            yield exchange, None
            continue
        key = (settings.protocol or "6", settings.headers, settings.caf)
        if key not in decoders:
            decoders[key] = core.Decoder(key[0], headers=key[1], caf=key[2], table=table)
        yield exchange, decoders[key].decode(exchange.answer, request=exchange.command)


def sample_transcript() -> bytes:
    """The bundled sample session (a petrol car, two ECUs, DTCs, freeze frame, VIN)."""
    return resources.files("obdcore").joinpath("samples/sample_session.txt").read_bytes()

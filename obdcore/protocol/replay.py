"""Replaying a recorded ELM327 session through the decoder, sans I/O.

A transcript is the adapter's byte stream as a terminal shows it with echo on (``ATE1``):
each exchange is the prompt ``>``, the echoed command, then the answer. The replay follows
the commands that change how answers look (``ATH``, ``ATCAF``, ``ATSP``, ``ATDPN``,
``ATZ``/``ATWS``/``ATD``) so each answer is decoded with the settings it was printed with;
what the transcript never says (no ``ATH1``, no protocol) is inferred from the answers.

:class:`TranscriptReader` takes the transcript in pieces of any size and returns
:class:`Block`\\ s as soon as whole exchanges are in: memory stays bounded by the piece
size, whatever the file size. Polling answers (Mode 01, numeric PIDs) go through the batch
decoder (numpy columns); every other answer is decoded on its own. Lines holding bytes no
adapter prints (binary garbage) are counted, their line numbers kept, and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from obdcore.errors import ObdError, ProtocolError
from obdcore.protocol._backend import core
from obdcore.protocol.kinds import Kind
from obdcore.protocol.pidtable import PidTable
from obdcore.protocol.protocols import protocol_family, protocol_number

# What a client sends: AT/ST adapter commands or OBD requests in hex.
_COMMAND = re.compile(r"^((AT|ST)[ -~]{0,60}|[0-9A-F ]{2,64})$", re.IGNORECASE)
_PROMPT_COMMAND = re.compile(rb">([^\r\n>]*)")
# A piece is cut at its last prompt; an answer that runs longer than this without one
# (no real answer does: the adapter's buffer is 512 bytes) is cut at a line end.
MAX_CARRY_BYTES = 4 * 1024 * 1024
GARBAGE_LINES_KEPT = 10  # line numbers remembered for the report
MIN_BATCH = 32  # fewer batchable answers in a run are decoded one by one (cheaper)
INFER_ANSWERS = 16  # answers tried with each candidate setting when inferring them

# Bytes no adapter prints (everything outside printable ASCII, tab, CR and LF).
_BINARY = np.ones(256, dtype=bool)
_BINARY[0x20:0x7F] = False
_BINARY[[9, 10, 13]] = False
# Bytes a clean data answer is made of (hex digits, spaces, ':' of headers-off lines).
_NOT_DATA = np.ones(256, dtype=bool)
_NOT_DATA[list(b"0123456789ABCDEFabcdef :\t\r\n>")] = False

# Decoder settings tried when the transcript does not say (protocol, headers), best first.
_CANDIDATES = (("6", True), ("7", True), ("6", False), ("1", True), ("3", True), ("3", False))
# Notices that say a setting read the answer wrongly (not what the car said).
_MISREAD = frozenset(
    {
        Kind.UNPARSEABLE,
        Kind.CHECKSUM_ERROR,
        Kind.TRUNCATED,
        Kind.UNDECODED,
        Kind.UNKNOWN_PID,
        Kind.LINE_TOO_LONG,
        Kind.ISOTP_BAD_FRAME,
        Kind.ISOTP_MISSING_FRAME,
        Kind.ISOTP_UNEXPECTED_FRAME,
        Kind.ISOTP_INCOMPLETE,
        Kind.ECHO,
    }
)


class TranscriptError(ObdError, ValueError):
    """The file is not an ELM327 transcript (no exchange in it)."""


@dataclass(frozen=True)
class Exchange:
    """One request and the adapter's answer to it."""

    command: str
    answer: str


@dataclass
class AdapterSettings:
    """What the adapter was told so far: enough to read its answers.

    ``headers`` is None until the transcript says (``ATH0``/``ATH1``, or a reset: off);
    ``protocol`` None while it does not (``ATSP0`` automatic search, nothing at all).
    """

    headers: bool | None = None
    caf: bool = True
    protocol: str | None = None

    def apply(self, command: str, answer: str) -> bool:
        """Updates the settings after ``command`` was answered with ``answer``; True when
        ``command`` is one that changes how answers look."""
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
        else:
            return False
        return True

    def _protocol(self, text: str) -> None:
        text = text.lstrip("A") or "0"
        try:
            self.protocol = protocol_number(text)
        except ProtocolError:
            self.protocol = None  # "0" (automatic) or something we cannot use


@dataclass
class Garbage:
    """Lines skipped because they hold bytes no adapter prints: how many, and the first
    :data:`GARBAGE_LINES_KEPT` line numbers (1-based, as an editor counts them)."""

    count: int = 0
    lines: list[int] = field(default_factory=list)

    def add(self, numbers: Iterable[int]) -> None:
        for number in numbers:
            self.count += 1
            if len(self.lines) < GARBAGE_LINES_KEPT:
                self.lines.append(number)


@dataclass
class Block:
    """What one piece of a transcript decoded to.

    ``commands``: the request of each exchange of the piece, by exchange index;
    ``batches``: ``(Batch, exchange index of each row)`` for the polling answers read by
    the batch decoder (rows in transcript order); ``singles``: ``(exchange index,
    Response)`` for the answers decoded one by one. Merge the two by exchange index.
    """

    commands: list[str]
    batches: list[tuple[object, np.ndarray]] = field(default_factory=list)
    singles: list[tuple[int, object]] = field(default_factory=list)


# Exchange kinds.
_SETTING, _ADAPTER, _OBD, _POLL, _OTHER = range(5)


class TranscriptReader:
    """Reads a transcript piece by piece: ``feed(data)`` returns the :class:`Block`\\ s
    of the exchanges completed so far, ``close()`` the rest.

    ``table``: the PID table (the standard one by default). Never raises on bad data;
    ``exchanges`` counts the exchanges seen, ``garbage`` the lines skipped, ``settings``
    the adapter settings in force (inferred ones included once known).
    """

    def __init__(self, table: PidTable | None = None):
        self.table = table if table is not None else PidTable.standard()
        self.settings = AdapterSettings()
        self.garbage = Garbage()
        self.exchanges = 0
        self.inferred: tuple[str, bool] | None = None  # (protocol, headers) from the data
        self._carry = b""
        self._line = 1  # the line number the carry starts on
        self._started = False  # the first prompt was seen (text before it is not an answer)
        self._decoders: dict[tuple, object] = {}
        # Logs repeat a few commands millions of times: each is read and classified once.
        self._texts = _Memo(lambda raw: raw.decode("latin-1").strip())
        self._kinds = _Memo(self._classify)

    def feed(self, data: bytes) -> list[Block]:
        """Takes the next bytes of the transcript."""
        carry = self._carry + data.replace(b"\x00", b"")  # clones print NULs after a reset
        cut = carry.rfind(b">")
        if cut <= 0 and len(carry) > MAX_CARRY_BYTES:  # no prompt for megabytes: garbage
            cut = max(carry.rfind(b"\r"), carry.rfind(b"\n")) + 1 or len(carry)
        if cut <= 0:
            self._carry = carry
            return []
        self._carry = carry[cut:]
        return [self._block(carry[:cut])]

    def close(self) -> list[Block]:
        """Decodes what is left (the last exchange, without its final prompt)."""
        rest, self._carry = self._carry, b""
        return [self._block(rest)] if rest else []

    # ------------------------------------------------------------------ one piece

    def _block(self, piece: bytes) -> Block:
        first_line = self._line
        self._line += piece.count(b"\n") + piece.count(b"\r") - piece.count(b"\r\n")
        buf = np.frombuffer(piece, dtype=np.uint8)
        is_end = (buf == 13) | (buf == 10)
        ends = np.flatnonzero(is_end)
        changed = False
        if _BINARY[buf].any():
            buf, changed = self._drop_garbage(piece, buf, ends, first_line), True
        if not self._started:
            first = int(np.argmax(buf == 62)) if (buf == 62).any() else len(buf)
            if first:  # text before the first prompt answers nothing
                buf = buf.copy() if not changed else buf
                buf[:first] = np.where(is_end[:first], buf[:first], 32)
                changed = True
            self._started = first < len(buf)
        text = buf.tobytes() if changed else piece
        prompts = np.flatnonzero(buf == 62)
        commands = list(map(self._texts.__getitem__, _PROMPT_COMMAND.findall(text)))
        block = Block(commands)
        if not commands:
            return block
        bounds = np.append(ends, len(buf))
        command_end = bounds[np.searchsorted(ends, prompts)]
        next_prompt = np.append(prompts[1:], len(buf))
        kinds = np.fromiter(map(self._kinds.__getitem__, commands), np.int8, len(commands))
        self.exchanges += int(np.count_nonzero(kinds != _OTHER))
        dirty = self._dirty_answers(buf, prompts, command_end)
        piece_view = _Piece(text, buf, is_end, ends, prompts, command_end, next_prompt)
        start = 0
        for k in [*np.flatnonzero(kinds == _SETTING).tolist(), len(commands)]:
            self._run(piece_view, kinds, dirty, start, k, block)
            if k < len(commands):
                self.settings.apply(commands[k], piece_view.answer(k))
            start = k + 1
        return block

    def _drop_garbage(self, piece: bytes, buf: np.ndarray, ends: np.ndarray, first_line: int):
        """Blanks every line holding a byte no adapter prints and records it."""
        bad_lines = np.unique(np.searchsorted(ends, np.flatnonzero(_BINARY[buf])))
        starts = np.append(0, ends + 1)[bad_lines]
        stops = np.append(ends, len(buf))[bad_lines]
        out = buf.copy()
        out[_ranges_mask(len(buf), starts, stops)] = 32
        # Line numbers as an editor counts them: CR LF is one line break.
        breaks = np.flatnonzero((buf == 10) | ((buf == 13) & (np.append(buf[1:], 0) != 10)))
        self.garbage.add((first_line + np.searchsorted(breaks, starts)).tolist())
        return out

    def _dirty_answers(self, buf, prompts, command_end) -> np.ndarray:
        """True for each exchange whose answer holds more than hex data (``NO DATA``...)."""
        dirty = np.zeros(len(prompts), dtype=bool)
        odd = np.flatnonzero(_NOT_DATA[buf])
        if len(odd):
            exchange = np.searchsorted(prompts, odd, side="right") - 1
            in_answer = (exchange >= 0) & (odd >= command_end[np.maximum(exchange, 0)])
            dirty[exchange[in_answer]] = True
        return dirty

    def _classify(self, command: str) -> int:
        if not _COMMAND.match(command):
            return _OTHER
        if not is_obd_request(command):
            return _SETTING if AdapterSettings().apply(command, "A6") else _ADAPTER
        compact = command.replace(" ", "").upper()
        if len(compact) % 2 or compact[:2] != "01" or len(compact) < 4:
            return _OBD
        for i in range(2, len(compact), 2):
            fields = self.table.fields(1, int(compact[i : i + 2], 16))
            if not fields or any(f.compiled is None or f.compiled.affine is None for f in fields):
                return _OBD
        return _POLL

    # ------------------------------------------------------------------ one run of settings

    def _run(self, piece: _Piece, kinds, dirty, start: int, stop: int, block: Block) -> None:
        """Decodes exchanges ``start..stop-1``, all read with the same settings."""
        if stop <= start:
            return
        span = kinds[start:stop]
        obd = start + np.flatnonzero((span == _OBD) | (span == _POLL))
        if not len(obd):
            return
        decoder = self._decoder(piece, obd)
        poll = obd[(kinds[obd] == _POLL) & ~dirty[obd]]
        single = obd
        if len(poll) >= MIN_BATCH:
            batch, rows = self._batch(piece, decoder, poll)
            if batch is not None:
                block.batches.append((batch, rows))
                single = obd[~np.isin(obd, poll)]
        commands = block.commands
        for k in single.tolist():
            block.singles.append((k, decoder.decode(piece.answer(k), request=commands[k])))

    def _batch(self, piece: _Piece, decoder, poll: np.ndarray):
        """The batch decoder over the answers of ``poll`` (everything else blanked, lines
        kept): ``(Batch, exchange of each row)``, or ``(None, None)`` when the answers were
        not all clean (the caller decodes them one by one, as a single answer would be)."""
        starts, stops = piece.command_end[poll], piece.next_prompt[poll]
        low, high = int(starts[0]), int(stops[-1])
        keep = _ranges_mask(high - low, starts - low, stops - low) | piece.is_end[low:high]
        blob = np.where(keep, piece.buf[low:high], np.uint8(32)).tobytes()
        batch = decoder.decode_batch(blob)
        if batch.notices or batch.objects or batch.negatives:
            return None, None
        first_line = np.searchsorted(piece.ends, low)
        prompt_lines = np.searchsorted(piece.ends, piece.prompts)
        rows = np.searchsorted(prompt_lines, batch.line + first_line, side="right") - 1
        return batch, rows

    def _decoder(self, piece: _Piece, obd: np.ndarray):
        protocol, headers = self.settings.protocol, self.settings.headers
        if protocol is None or headers is None:
            if self.inferred is None:
                self.inferred = self._infer(piece, obd)
            if self.inferred is not None:
                protocol = protocol or self.inferred[0]
                headers = self.inferred[1] if headers is None else headers
        return self._decoder_for(protocol or "6", bool(headers), self.settings.caf)

    def _decoder_for(self, protocol: str, headers: bool, caf: bool):
        key = (protocol, headers, caf)
        if key not in self._decoders:
            self._decoders[key] = core.Decoder(protocol, headers=headers, caf=caf, table=self.table)
        return self._decoders[key]

    def _infer(self, piece: _Piece, obd: np.ndarray) -> tuple[str, bool] | None:
        """The (protocol, headers) that reads the first answers best, keeping what the
        transcript said; None while no answer carries data (try again later)."""
        said_protocol, said_headers = self.settings.protocol, self.settings.headers
        answers = [(piece.answer(k), piece.commands_at(k)) for k in obd[: INFER_ANSWERS * 4]]
        best, best_score = None, 0
        for protocol, headers in _CANDIDATES:
            if said_headers is not None and headers != said_headers:
                continue
            if said_protocol is not None:
                if protocol_family(protocol) != protocol_family(said_protocol):
                    continue
                protocol = said_protocol
            decoder = self._decoder_for(protocol, headers, self.settings.caf)
            score, used = 0, 0
            for answer, command in answers:
                response = decoder.decode(answer, request=command)
                score += 2 * (len(response.readings) + len(response.negatives))
                score -= sum(1 for n in response.notices if n.kind in _MISREAD)
                used += 1 if response.readings or response.negatives else 0
                if used >= INFER_ANSWERS:
                    break
            if score > best_score:
                best, best_score = (protocol, headers), score
        return best


class _Memo(dict):
    """``memo[key]`` is ``function(key)``, computed on first use (``map`` calls it in C)."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def __missing__(self, key):
        self[key] = value = self.function(key)
        return value


@dataclass
class _Piece:
    """A piece of transcript and where its lines, prompts and answers are."""

    text: bytes
    buf: np.ndarray
    is_end: np.ndarray
    ends: np.ndarray
    prompts: np.ndarray
    command_end: np.ndarray
    next_prompt: np.ndarray

    def answer(self, k: int) -> str:
        """Exchange ``k``'s answer as text (latin-1 keeps garbage bytes as they were)."""
        return self.text[self.command_end[k] : self.next_prompt[k]].decode("latin-1")

    def commands_at(self, k: int) -> str:
        return self.text[self.prompts[k] + 1 : self.command_end[k]].decode("latin-1").strip()


def _ranges_mask(size: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """A boolean array of ``size``, True inside each ``[start, stop)``; the ranges are
    sorted and do not overlap."""
    bounds = np.empty(2 * len(starts) + 2, dtype=np.int64)
    bounds[0], bounds[-1] = 0, size
    bounds[1:-1:2], bounds[2:-1:2] = starts, stops
    inside = np.zeros(len(bounds) - 1, dtype=bool)
    inside[1::2] = True
    return np.repeat(inside, np.diff(bounds))


def read_pieces(handle, size: int = 1 << 20) -> Iterator[bytes]:
    """``handle.read(size)`` until the end: the pieces to feed a :class:`TranscriptReader`."""
    while piece := handle.read(size):
        yield piece


# ============================================================================ one at a time


def read_transcript(data: bytes) -> list[Exchange]:
    """Splits a (small, in-memory) transcript into exchanges; raises
    :class:`TranscriptError` when there is none."""
    # latin-1 keeps every byte as it was, so garbage reaches the decoder unchanged.
    text = data.replace(b"\x00", b"").decode("latin-1").replace("\n", "\r")
    exchanges = []
    for chunk in text.split(">")[1:]:  # text before the first prompt is not an answer
        command, _, answer = chunk.strip("\r ").partition("\r")
        if _COMMAND.match(command.strip()):
            exchanges.append(Exchange(command.strip(), answer.strip("\r")))
    if not exchanges:
        raise TranscriptError("no ELM327 exchange found (expected '>COMMAND' lines)")
    return exchanges


def is_obd_request(command: str) -> bool:
    """True for hex requests (``010C``, ``0902``, ``22F190``), False for AT/ST commands."""
    compact = command.replace(" ", "")
    return len(compact) >= 2 and all(c in "0123456789ABCDEFabcdef" for c in compact)


def replay(exchanges: Iterable[Exchange], table=None) -> Iterator[tuple[Exchange, object]]:
    """Yields ``(exchange, Response)`` for each OBD request, ``(exchange, None)`` for
    adapter commands, each answer decoded on its own with the recorded adapter settings
    (CAN 11-bit, headers off, while the transcript has not said otherwise)."""
    settings = AdapterSettings()
    decoders: dict[tuple, object] = {}
    for exchange in exchanges:
        if not is_obd_request(exchange.command):
            settings.apply(exchange.command, exchange.answer)
            yield exchange, None
            continue
        key = (settings.protocol or "6", bool(settings.headers), settings.caf)
        if key not in decoders:
            decoders[key] = core.Decoder(key[0], headers=key[1], caf=key[2], table=table)
        yield exchange, decoders[key].decode(exchange.answer, request=exchange.command)


def sample_transcript() -> bytes:
    """The bundled sample session (a petrol car, two ECUs, DTCs, freeze frame, VIN)."""
    return resources.files("obdcore").joinpath("samples/sample_session.txt").read_bytes()

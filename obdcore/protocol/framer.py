"""The ELM327 prompt framer, sans I/O: commands out, prompt-delimited answers in.

An ELM327 answers each command, then prints ``>``; it must not be sent anything before
that prompt (input while busy interrupts it: ``STOPPED``). :class:`ElmFramer` enforces
that rule and frames the byte stream into :class:`Answer` objects. It never reads a clock
and never sleeps: the caller passes ``now`` and owns every deadline (the session machine in
:mod:`obdcore.protocol.session` does, and the BLE transport's ``ATI`` check).
"""

from __future__ import annotations

from dataclasses import dataclass

from obdcore.errors import ArgumentError, ObdError

# An answer longer than this is cut (and flagged): far above what an adapter can hold
# (an ELM327 buffers 512 bytes; a 4095-byte ISO-TP message prints as about 12 KiB of
# text), so only a broken or hostile device gets there.
MAX_ANSWER_BYTES = 64 * 1024
PROMPT = b">"


class LinkBusy(ObdError, RuntimeError):
    """A command was started while the previous one still waits for its prompt
    (a programming error in the caller, not a device fault)."""


@dataclass(frozen=True)
class Answer:
    """What the adapter printed for ``command`` before its prompt.

    ``text``: the output decoded as latin-1 (every byte kept, so garbage stays visible to
    the decoder), NUL bytes removed; ``started``/``finished``: the caller's clock;
    ``truncated``: more than :data:`MAX_ANSWER_BYTES` arrived and the rest was dropped.
    """

    command: str
    text: str
    started: float
    finished: float
    truncated: bool = False

    @property
    def elapsed(self) -> float:
        """Seconds from sending the command to its prompt."""
        return self.finished - self.started

    @property
    def lines(self) -> list[str]:
        """Non-empty lines, stripped of spaces at both ends."""
        return [line.strip() for line in self.text.replace("\n", "\r").split("\r") if line.strip()]


class ElmFramer:
    """Frames one adapter's output; one command at a time.

    ``start(command, now)`` returns the bytes to write; ``receive(data, now)`` returns the
    :class:`Answer` once the prompt arrived, else None. ``abandon()`` forgets a command
    whose answer never came (after a timeout), so the next one can start.
    """

    def __init__(self, max_answer: int = MAX_ANSWER_BYTES):
        self.max_answer = max_answer
        self._buffer = bytearray()
        self._command: str | None = None
        self._started = 0.0
        self._truncated = False
        self.stray_bytes = 0  # bytes that arrived with no command waiting (late, garbage)

    @property
    def overflowing(self) -> bool:
        """True once the waiting answer outgrew ``max_answer`` (the rest is dropped)."""
        return self._truncated

    @property
    def waiting(self) -> bool:
        """True while a command waits for its prompt."""
        return self._command is not None

    def start(self, command: str, now: float) -> bytes:
        """Begins ``command`` (``"010C"``, ``"ATZ"``); returns the bytes to send.
        Raises :class:`LinkBusy` if the previous command is still waiting,
        :class:`~obdcore.errors.ArgumentError` for a command that is not one line of
        printable ASCII."""
        # An empty line would make the adapter repeat its last command (maybe a clear).
        if not command or not command.isascii() or not command.isprintable():
            raise ArgumentError(
                f"an adapter command is one line of printable ASCII, not {command!r}"
            )
        if self._command is not None:
            raise LinkBusy(f"{command!r} sent while {self._command!r} waits for its prompt")
        self._command, self._started = command, now
        self._buffer.clear()
        self._truncated = False
        return command.encode("ascii") + b"\r"

    def receive(self, data: bytes, now: float) -> Answer | None:
        """Takes received bytes; returns the finished :class:`Answer` or None."""
        if self._command is None:
            self.stray_bytes += len(data)
            return None
        end = data.find(PROMPT)
        if end < 0:
            self._keep(data)
            return None
        self._keep(data[:end])
        self.stray_bytes += len(data) - end - 1  # nothing may follow a prompt
        return self._finish(now)

    def abandon(self) -> bytes:
        """Gives up on the waiting command; returns what had arrived for it."""
        partial = bytes(self._buffer)
        self._command = None
        self._buffer.clear()
        return partial

    def _keep(self, data: bytes) -> None:
        room = self.max_answer - len(self._buffer)
        if len(data) > room:
            self._truncated = True
            data = data[: max(0, room)]
        self._buffer += data

    def _finish(self, now: float) -> Answer:
        text = self._buffer.replace(b"\x00", b"").decode("latin-1")
        answer = Answer(self._command or "", text, self._started, now, self._truncated)
        self._command = None
        self._buffer.clear()
        return answer

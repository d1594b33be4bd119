"""One way for every ``novaevo`` command to end in failure: one line on stderr (what
happened; what to do), the exit code of :class:`obdcore.errors.ExitCode`, and for an
unexpected exception a crash log under the data directory instead of a traceback.

Plain ``sys.stderr`` (no Typer, no Rich), so that every package's CLI can use it without
importing another CLI.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import NoReturn

from obdcore.errors import ExitCode

_ERRNO = re.compile(r"\[(?:Errno|WinError) -?\d+\]\s*")
# A device path or URL, as nested errors repeat it ("cannot open /dev/ttyUSB9: could not
# open port /dev/ttyUSB9: No such file or directory: '/dev/ttyUSB9'").
_SUBJECT = re.compile(r"(?:[a-z][\w+.-]*://[^\s;,'\"]+|/[^\s:;,'\"]+)")


def data_dir() -> Path:
    """NovaEvo's data directory: ``NOVAEVO_DATA_DIR``, else ``~/.local/share/novaevo``."""
    base = os.environ.get("NOVAEVO_DATA_DIR")
    return Path(base) if base else Path.home() / ".local" / "share" / "novaevo"


def error_line(program: str, message: str, hint: str = "") -> str:
    """``program: message; hint`` on one line, without ``[Errno N]`` tags and without a
    clause said twice (a URL or reason repeated by nested errors)."""
    text = plain_message(message)
    hint = " ".join(hint.split()).rstrip(" .")
    return f"{program}: {text}; {hint}" if hint else f"{program}: {text}"


def plain_message(message: object) -> str:
    """An error's message on one line, without ``[Errno N]`` tags and without a clause or
    a URL said twice (what :func:`error_line` prints, and what JSON documents carry)."""
    text = _without_repeated_subjects(" ".join(_ERRNO.sub("", str(message)).split()))
    text = text.rstrip(" .;:")
    clauses: list[str] = []
    for clause in re.split(r"(?<=[:;]) ", text):
        if clause.rstrip(":;") not in (c.rstrip(":;") for c in clauses):
            clauses.append(clause)
    return " ".join(clauses).rstrip(" .;:") or "failed"


def _without_repeated_subjects(text: str) -> str:
    """``text`` with the later mentions of a path or URL already named dropped: OSError's
    ``: 'PATH'`` tail, pyserial's ``could not open port PATH:`` prefix, and the ``URL:``
    that each nested error puts before its own message (a link lost while reconnecting
    names its URL once per layer); a later mention as a sentence's subject becomes "it"."""
    for subject in dict.fromkeys(s.rstrip(":") for s in _SUBJECT.findall(text)):
        first = text.find(subject) + len(subject)
        tail = text[first:]
        name = re.escape(subject)
        tail = re.sub(rf":?\s*{re.escape(repr(subject))}", "", tail)
        tail = re.sub(rf"could not open port {name}:\s*", "", tail)
        tail = re.sub(rf"\s+to {name}(?=:)", "", tail)
        tail = re.sub(rf"{name}:\s*", "", tail)
        tail = re.sub(rf"{name}(?=\s)", "it", tail)
        text = text[:first] + tail
    return text


def fail(program: str, message: str, code: int, hint: str = "") -> NoReturn:
    """Prints :func:`error_line` on stderr and exits with ``code``."""
    print(error_line(program, message, hint), file=sys.stderr, flush=True)
    raise SystemExit(int(code))


def fail_with(program: str, error: BaseException, code: int | None = None) -> NoReturn:
    """:func:`fail` for an error of :mod:`obdcore.errors` (its ``exit_code`` and
    ``hint`` unless ``code`` is given)."""
    exit_code = code if code is not None else getattr(error, "exit_code", ExitCode.USAGE)
    fail(program, str(error) or type(error).__name__, exit_code, getattr(error, "hint", ""))


def write_crash_log(error: BaseException, argv: list[str] | None = None) -> Path:
    """Writes ``error``'s traceback (and the command line) to a new file under the data
    directory (the temporary directory when that is unwritable); returns its path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    text = (
        f"novaevo crash {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n"
        f"command: {' '.join(argv if argv is not None else sys.argv)}\n"
        f"python: {sys.version.split()[0]}\n\n" + "".join(traceback.format_exception(error))
    )
    for folder in (data_dir() / "crashes", Path(tempfile.gettempdir()) / "novaevo-crashes"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"crash-{stamp}-{os.getpid()}.log"
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    raise error  # nowhere to write: the traceback itself is the last resort


def crash(program: str, error: BaseException) -> NoReturn:
    """An unexpected exception: a short message and the crash log's path, exit 70."""
    path = write_crash_log(error)
    summary = " ".join(str(error).split())[:120]
    what = f"{type(error).__name__}: {summary}" if summary else type(error).__name__
    fail(
        program,
        f"unexpected error ({what})",
        ExitCode.INTERNAL,
        f"this is a bug: please report it with the crash log {path}",
    )

"""Parse a CSV file in a child process, so that parsing and database writes overlap.

Why a process: row parsing is Python code holding the GIL; in a thread it took turns with
the writer's own Python work instead of using the second core.

Why ``python -m parts.import_worker`` and not :mod:`multiprocessing`: a fresh interpreter
that imports only the parser (no SQLAlchemy) starts in about 50 ms, inherits no threads or
locks of the caller (a progress bar, a web server), and does not re-import the caller's
``__main__`` module (which multiprocessing's spawn/forkserver do, and which breaks any
script without an ``if __name__ == "__main__"`` guard).

Protocol: the parent writes one pickled job to the child's stdin; the child answers on its
stdout with frames (8-byte little-endian length, then a pickle): one per
:class:`parts.import_parse.Batch`, then ``None`` at the end, or an exception. The pipe holds
little, so the child blocks as soon as it is a batch ahead: memory stays bounded.
"""

from __future__ import annotations

import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from parts.import_parse import FORMATS, Batch, Vehicles, parse_stream

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class ParseWorker:
    """Batches of ``path`` parsed by a child process; iterate, then :meth:`close`.

    A reader thread receives and unpickles the next batches (at most ``AHEAD`` waiting)
    while the caller writes the current one: the database calls release the GIL, so the
    unpickling overlaps them, and the child is never kept waiting by a slow write.
    Raises (while iterating): the child's exception, or RuntimeError if the child died.
    """

    AHEAD = 2

    def __init__(
        self,
        path: Path,
        kind: str,
        encoding: str,
        batch_size: int,
        vehicles: Vehicles | None,
    ) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "parts.import_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        job = (str(path), kind, encoding, batch_size, vehicles)
        try:
            self.process.stdin.write(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            self.process.stdin.close()
        except BrokenPipeError:
            pass  # the child died at start; the reader will say so
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=self.AHEAD)
        self.stopped = threading.Event()
        self.finished = threading.Event()
        self.reader = threading.Thread(
            target=self._receive, args=(self.process.stdout,), daemon=True, name="parts-import-rx"
        )
        self.reader.start()

    def __iter__(self) -> Iterator[Batch]:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def _receive(self, stdout: BinaryIO) -> None:
        """Reader thread: frames -> queue, until the end marker, an error or close()."""
        try:
            while True:
                size = stdout.read(8)
                if len(size) < 8:
                    code = self.process.wait()
                    raise RuntimeError(f"the parsing process ended unexpectedly (exit code {code})")
                item = pickle.loads(stdout.read(int.from_bytes(size, "little")))
                if item is None or isinstance(item, BaseException):
                    self.finished.set()  # the child's last frame: it is exiting
                if not self._put(item) or self.finished.is_set():
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the iterating thread
            self._put(exc)

    def _put(self, item: Any) -> bool:
        while not self.stopped.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def close(self) -> None:
        """Stop the child unless it has said its last word, reap it, end the reader."""
        self.stopped.set()
        if not self.finished.is_set():
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # finished, yet not exiting: do not hang on it
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()


def _send(out: BinaryIO, item: Any) -> None:
    payload = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(payload).to_bytes(8, "little"))
    out.write(payload)
    out.flush()


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - any pickling failure: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def main() -> None:
    """Child body: read the job from stdin, send batches to stdout."""
    # Ctrl-C reaches the whole process group: the parent handles it (rollback) and
    # stops this process; dying here first would only turn it into a "child died".
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    path, kind, encoding, batch_size, vehicles = pickle.load(sys.stdin.buffer)
    try:
        with open(path, "rb") as stream:
            for batch in parse_stream(stream, encoding, FORMATS[kind], batch_size, vehicles):
                _send(out, batch)
        _send(out, None)
    except BrokenPipeError:
        pass  # the parent stopped reading: it has given up on this import
    except Exception as exc:  # noqa: BLE001 - handed to the parent, which raises it
        _send(out, _picklable(exc))


if __name__ == "__main__":
    main()

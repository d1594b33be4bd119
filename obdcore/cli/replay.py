"""obdcore's commands for the ``novaevo`` CLI (mounted at the top level)."""

from __future__ import annotations

import io
import json
import math
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from obdcore.errors import EXIT_CODES_HELP, ExitCode

app = typer.Typer()

PidsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--pids",
        metavar="FILE",
        dir_okay=False,
        help="Custom PIDs (the PID table's CSV or a Torque Pro export); repeatable. "
        "NOVAEVO_DATA_DIR/pids/*.csv are always loaded.",
    ),
]
_MARK = "\x00value\x00"  # stands for the value while a row's JSON text is cut around it
_MARK_JSON = json.dumps(_MARK)


@app.command(epilog=EXIT_CODES_HELP)
def replay(
    transcript: Annotated[
        Path | None,
        typer.Argument(help="An ELM327 transcript (echo on). Default: the bundled sample session."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    pid_files: PidsOption = None,
) -> None:
    """Feed a recorded ELM327 session back through the decoder and print the readings,
    as it reads (any size: the file is streamed). Lines of binary garbage are skipped and
    counted; headers and protocol are inferred from the answers when the transcript does
    not set them."""
    from obdcore import BACKEND
    from obdcore.cli.connect import custom_table, running
    from obdcore.io.failures import fail
    from obdcore.protocol.pidtable import PidTable
    from obdcore.protocol.replay import TranscriptReader, read_pieces, sample_transcript

    running("replay")
    table = custom_table(pid_files) or PidTable.standard()
    reader = TranscriptReader(table)
    source = str(transcript) if transcript is not None else "bundled sample session"
    out = _Writer(table, as_json)
    try:
        handle = _open(transcript, sample_transcript)
    except OSError as exc:
        fail("novaevo replay", f"cannot read {source}: {exc.strerror or exc}", ExitCode.INPUT_FILE)
    try:
        if not as_json:
            out.title(f"Replay of {source} ({BACKEND} decoder)")
        with handle:
            for piece in read_pieces(handle):
                for block in reader.feed(piece):
                    out.block(block)
        for block in reader.close():
            out.block(block)
    except BrokenPipeError:  # `novaevo replay --json log.txt | head`: the reader has enough
        _silence_stdout()
        return
    except OSError as exc:  # a disk that fails mid-file, a full output disk
        fail(
            "novaevo replay",
            f"replay of {source} failed: {exc.strerror or exc}",
            ExitCode.INPUT_FILE,
        )
    _report_garbage(reader.garbage)
    if not reader.exchanges:
        fail(
            "novaevo replay",
            f"cannot read {source}: no ELM327 exchange found (expected '>COMMAND' lines)",
            ExitCode.INPUT_FILE,
        )
    if not as_json:
        out.footer(reader)


def _open(transcript: Path | None, sample):
    if transcript is None:
        return io.BytesIO(sample())
    if transcript.is_dir():
        raise IsADirectoryError(21, "is a directory")
    return open(transcript, "rb")  # noqa: SIM115 - closed by the caller's with


def _silence_stdout() -> None:
    """Points stdout at /dev/null, so that the interpreter's last flush does not fail."""
    import os

    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


def _report_garbage(garbage) -> None:
    if not garbage.count:
        return
    shown = ", ".join(str(n) for n in garbage.lines)
    more = ", ..." if garbage.count > len(garbage.lines) else ""
    sys.stderr.write(
        f"novaevo replay: skipped {garbage.count} line(s) of binary garbage (line {shown}{more})\n"
    )


class _Writer:
    """Prints a replay's rows in transcript order, block by block: JSON lines, or an
    aligned text table (nothing is kept: memory stays bounded)."""

    def __init__(self, table, as_json: bool):
        self.table, self.as_json = table, as_json
        self.rows = 0
        self._decimals: dict[tuple, np.ndarray] = {}
        self._commands = _Numbering()  # request text -> a small integer
        self._notices: dict[tuple, str] = {}  # (request, kind, text, ECU) -> its line

    def title(self, text: str) -> None:
        sys.stdout.write(f"{text}\n{_text_row('request', 'ECU', 'name', 'value', 'unit')}\n")
        sys.stdout.flush()

    def footer(self, reader) -> None:
        settings = reader.settings
        protocol = settings.protocol or (reader.inferred or ("?",))[0]
        inferred = " (inferred from the answers)" if settings.protocol is None else ""
        sys.stdout.write(
            f"{self.rows} rows from {reader.exchanges} exchanges; protocol {protocol}{inferred}\n"
        )

    def block(self, block) -> None:
        """Prints one :class:`~obdcore.protocol.replay.Block`'s rows in transcript order."""
        blobs, ends, orders = [], [], []
        for batch, exchanges in block.batches:
            if len(batch):
                blob, row_ends = self._batch_bytes(batch, exchanges, block.commands)
                ends.append(row_ends + sum(len(b) for b in blobs))
                blobs.append(blob)
                orders.append(exchanges)
        blob = memoryview(b"".join(blobs))  # slices of it are views, not copies
        row_ends = np.concatenate(ends) if ends else np.empty(0, np.int64)
        order = np.concatenate(orders) if orders else np.empty(0, np.int64)
        at_rows = np.searchsorted(order, [k for k, _ in block.singles]).tolist()
        out, done = [], 0
        for (k, response), at in zip(block.singles, at_rows, strict=True):
            offset = int(row_ends[at - 1]) if at else 0  # singles go between batch rows
            out.append(blob[done:offset])
            done = offset
            lines = self._response_lines(block.commands[k], response)
            self.rows += len(lines)
            out.append("".join(line + "\n" for line in lines).encode())
        out.append(blob[done:])
        self.rows += len(row_ends)
        sys.stdout.flush()
        sys.stdout.buffer.write(b"".join(out))

    # ------------------------------------------------------------------ rows

    def _response_lines(self, request: str, response) -> list[str]:
        from obdcore.reports import reading_entry

        rows = []
        for r in response.readings:
            entry = reading_entry(r.name, r.value, r.unit, r.ecu, self.table)
            rows.append(self._format(_row(request, entry, r.frame if r.frame >= 0 else None)))
        for n in response.notices:  # logs repeat NO DATA and friends: each written once
            key = (request, n.kind, n.text, n.ecu)
            line = self._notices.get(key)
            if line is None:
                line = self._format(_row(request, _entry(n.kind, n.text, n.ecu), None))
                if len(self._notices) < 4096:
                    self._notices[key] = line
            rows.append(line)
        for n in response.negatives:
            text = f"service {n.service:02X}: {n.meaning}"
            rows.append(self._format(_row(request, _entry("NEGATIVE_RESPONSE", text, n.ecu), None)))
        return rows

    def _format(self, row: dict) -> str:
        if self.as_json:
            return json.dumps(row, ensure_ascii=False)
        name = row["name"] + (f" (frame {row['frame']})" if row["frame"] is not None else "")
        value, decimals = row["value"], self.table.decimals(row["name"])
        if isinstance(value, float) and decimals is not None and math.isfinite(value):
            text = f"{value:.{decimals}f}"
        else:
            text = _value_text(value)
        return _text_row(row["request"], row["ecu"], name, text, row["unit"])

    def _batch_bytes(self, batch, exchanges: np.ndarray, commands: list[str]):
        """The rows of a batch as UTF-8 lines and the end offset of each, vectorised for
        speed: one text per distinct (request, ECU, field, frame) cut around its value,
        one text per distinct value, assembled as byte matrices (NUL-padded) and packed."""
        ids = np.fromiter(map(self._commands.__getitem__, commands), np.int64, len(commands))
        ids = ids[exchanges]
        ecus, ecu_index = np.unique(batch.ecu, return_inverse=True)
        key = ((ids * len(batch.names) + batch.field) * len(ecus) + ecu_index) * 258 + (
            batch.frame.astype(np.int64) + 1
        )
        _, first, which = np.unique(key, return_index=True, return_inverse=True)
        parts = [self._cut(batch, int(r), commands[int(exchanges[r])]) for r in first]
        before = _byte_matrix([p[0].encode() for p in parts])[which]
        after = _byte_matrix([p[1].encode() + b"\n" for p in parts])[which]
        words, where = self._value_texts(batch)
        rows = np.concatenate([before, _byte_matrix(words)[where], after], axis=1)
        used = rows != 0
        return rows[used].tobytes(), np.cumsum(np.count_nonzero(used, axis=1))

    def _value_texts(self, batch) -> tuple[list[bytes], np.ndarray]:
        """The distinct values as text, rounded to their field's decimals (each converted
        once: a PID has few), and the index of each row's text."""
        from obdcore.protocol.pidtable import round_values

        decimals = self._field_decimals(batch.names)[batch.field]
        words: list[bytes] = []
        where = np.empty(len(batch), dtype=np.int64)
        for d in np.unique(decimals).tolist():
            rows = decimals == d
            values, index = np.unique(round_values(batch.value[rows], d), return_inverse=True)
            where[rows] = index + len(words)
            if self.as_json:
                texts = values.astype("S32").tolist()
                bad = np.flatnonzero(~np.isfinite(values)).tolist()
                for i in bad:
                    texts[i] = b"null"
            else:
                texts = [self._number_text(v, d).encode() for v in values.tolist()]
            words += texts
        return words, where

    def _number_text(self, value: float, decimals: int) -> str:
        if not math.isfinite(value):
            return f"{'NaN':>{_VALUE_WIDTH}}"
        return f"{value:>{_VALUE_WIDTH}.{decimals}f}"

    def _cut(self, batch, r: int, request: str) -> tuple[str, str]:
        """The text of batch row ``r`` before and after its value."""
        from obdcore.reports import reading_entry

        name, unit = batch.names[batch.field[r]], batch.units[batch.field[r]]
        entry = reading_entry(name, 0.0, unit, int(batch.ecu[r]), self.table)
        entry["value"] = _MARK
        frame = int(batch.frame[r])
        row = _row(request, entry, frame if frame >= 0 else None)
        if self.as_json:
            before, after = json.dumps(row, ensure_ascii=False).split(_MARK_JSON)
            return before, after
        name = name + (f" (frame {frame})" if frame >= 0 else "")
        before, after = _text_row(request, row["ecu"], name, _MARK, unit).split(_MARK)
        return before, after

    def _field_decimals(self, names: tuple[str, ...]) -> np.ndarray:
        found = self._decimals.get(names)
        if found is None:
            found = np.array([_or(self.table.decimals(n), 6) for n in names], dtype=np.int64)
            self._decimals[names] = found
        return found


_VALUE_WIDTH = 12


class _Numbering(dict):
    """Numbers keys in the order they are first asked for (``d[key]`` never fails)."""

    def __missing__(self, key) -> int:
        self[key] = number = len(self)
        return number


def _byte_matrix(texts: list[bytes]) -> np.ndarray:
    """``texts`` as rows of a uint8 matrix, NUL-padded to the longest (JSON and our text
    rows never hold a NUL: the padding is dropped when the rows are packed)."""
    array = np.array(texts, dtype=bytes)
    return array.view(np.uint8).reshape(len(texts), array.dtype.itemsize)


def _or(value, default):
    return default if value is None else value


def _row(request: str, entry: dict, frame: int | None) -> dict:
    """A replay row: the request, then the reading as every command writes it."""
    return {
        "request": request,
        "ecu": entry.get("ecu", "?"),
        "name": entry["name"],
        "value": entry["value"],
        "unit": entry["unit"],
        "frame": frame,
    }


def _entry(name: str, value, ecu: int) -> dict:
    from obdcore.reports import ecu_key

    return {"name": str(name), "value": value, "unit": "", "ecu": ecu_key(ecu)}


def _text_row(request, ecu, name, value, unit) -> str:
    return f"{request:<14} {ecu:<8} {name:<28} {value:>{_VALUE_WIDTH}} {unit}".rstrip()


@app.command(epilog=EXIT_CODES_HELP)
def pids(
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Markdown (docs/PIDS.md).")
    ] = False,
    pid_files: PidsOption = None,
) -> None:
    """List every value the decoder knows: mode, PID, name, formula, unit, range (custom
    PIDs included: --pids FILE and NOVAEVO_DATA_DIR/pids/*.csv)."""
    from obdcore.cli.connect import custom_table, running
    from obdcore.protocol.pidtable import PidTable, markdown

    running("pids")
    table = PidTable.standard() if as_markdown else custom_table(pid_files) or PidTable.standard()
    if as_markdown:
        typer.echo(markdown(table), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    view = Table(title=f"{len(table)} fields")
    for column in ("mode", "PID", "name", "formula", "unit", "min", "max"):
        view.add_column(column)
    for f in table:
        view.add_row(
            f"{f.mode:02X}",
            f"{f.pid:0{2 * f.pid_width}X}",
            f.name,
            f.formula,
            f.unit,
            "" if f.minimum is None else f"{f.minimum:g}",
            "" if f.maximum is None else f"{f.maximum:g}",
        )
    Console().print(view)


def _value_text(value) -> str:
    """A value for people: numbers as they come (already rounded to their resolution by
    :func:`obdcore.reports.value_entry`), trouble codes with their description."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, bytes):
        return value.hex(" ").upper()
    if isinstance(value, dict) and "code" in value:  # reports.dtc_entry
        return (
            f"{value['code']} ({value['description']})" if value["description"] else value["code"]
        )
    if hasattr(value, "_asdict") or (
        isinstance(value, tuple) and value and hasattr(value[0], "tid")
    ):
        from obdcore.reports import to_json

        value = to_json(value)
    if isinstance(value, dict) and "monitors" in value:  # readiness: MIL, DTCs, monitors
        from obdcore.reports import monitor_status_text

        return monitor_status_text(value)
    if isinstance(value, list) and value and isinstance(value[0], dict) and "tid" in value[0]:
        return "; ".join(
            f"{t['name']} {t['value']:.4g} {t['unit']} [{t['minimum']:.4g}..{t['maximum']:.4g}]"
            f" {'pass' if t['passed'] else 'FAIL'}"
            for t in value
        )
    if isinstance(value, (tuple, list)):  # lists: the same value after reports.to_json
        return (
            ", ".join(
                _value_text(v) if isinstance(v, dict) else _with_description(v) for v in value
            )
            or "(none)"
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    return _with_description(value)


def _with_description(item) -> str:
    from obdcore import describe_dtc

    text = str(item)
    if len(text) == 5 and text[0] in "PCBU":
        description = describe_dtc(text)
        return f"{text} ({description})" if description else text
    return text

"""obdcore's commands for the ``novaevo`` CLI (mounted at the top level)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from obdcore.errors import EXIT_CODES_HELP, ExitCode

app = typer.Typer()


@app.command(epilog=EXIT_CODES_HELP)
def replay(
    transcript: Annotated[
        Path | None,
        typer.Argument(help="An ELM327 transcript (echo on). Default: the bundled sample session."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Feed a recorded ELM327 session back through the decoder and print the readings."""
    from obdcore import BACKEND
    from obdcore.protocol.replay import (
        TranscriptError,
        read_transcript,
        read_transcript_file,
        replay,
        sample_transcript,
    )

    try:
        exchanges = (
            read_transcript(sample_transcript())
            if transcript is None
            else read_transcript_file(transcript)
        )
    except (OSError, TranscriptError) as exc:
        from obdcore.io.failures import fail

        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        fail("novaevo replay", f"cannot read {transcript}: {reason}", ExitCode.INPUT_FILE)
    rows = [
        row
        for exchange, response in replay(exchanges)
        if response is not None
        for row in _rows(exchange.command, response)
    ]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, default=_json_default, ensure_ascii=False))
    else:
        _print_table(rows, transcript or "bundled sample session", BACKEND)


@app.command(epilog=EXIT_CODES_HELP)
def pids(
    as_markdown: Annotated[
        bool, typer.Option("--markdown", help="Markdown (docs/PIDS.md).")
    ] = False,
) -> None:
    """List every value the decoder knows: mode, PID, name, formula, unit, range."""
    from obdcore.protocol.pidtable import PidTable, markdown

    table = PidTable.standard()
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


def _rows(command: str, response) -> list[dict]:
    rows = [
        {
            "request": command,
            "ecu": _ecu_text(r.ecu),
            "name": r.name,
            "value": r.value,
            "unit": r.unit,
            "frame": r.frame if r.frame >= 0 else None,
        }
        for r in response.readings
    ]
    rows += [
        {
            "request": command,
            "ecu": _ecu_text(n.ecu),
            "name": n.kind,
            "value": n.text,
            "unit": "",
            "frame": None,
        }
        for n in response.notices
    ]
    rows += [
        {
            "request": command,
            "ecu": _ecu_text(n.ecu),
            "name": "NEGATIVE_RESPONSE",
            "value": f"service {n.service:02X}: {n.meaning}",
            "unit": "",
            "frame": None,
        }
        for n in response.negatives
    ]
    return rows


def _ecu_text(ecu: int) -> str:
    return f"{ecu:X}" if ecu >= 0 else "?"


def _json_default(value):
    if isinstance(value, bytes):
        return value.hex().upper()
    if hasattr(value, "_asdict"):
        return value._asdict()
    return str(value)


def _value_text(value) -> str:
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else f"{value:.6g}"
    if isinstance(value, bytes):
        return value.hex(" ").upper()
    if hasattr(value, "monitors"):  # readiness: MIL, DTC count, incomplete monitors
        pending = [m.name for m in value.monitors if m.available and not m.complete]
        return (
            f"MIL {'on' if value.mil else 'off'}, {value.dtc_count} DTC, "
            f"not ready: {', '.join(pending) or 'none'}"
        )
    if isinstance(value, tuple) and value and hasattr(value[0], "tid"):
        return "; ".join(
            f"{t.name} {t.value:.4g} {t.unit} [{t.minimum:.4g}..{t.maximum:.4g}]"
            f" {'pass' if t.passed else 'FAIL'}"
            for t in value
        )
    if isinstance(value, (tuple, list)):  # lists: the same value after reports.to_json
        return ", ".join(_with_description(v) for v in value) or "(none)"
    return _with_description(value)


def _with_description(item) -> str:
    from obdcore import describe_dtc

    text = str(item)
    if len(text) == 5 and text[0] in "PCBU":
        description = describe_dtc(text)
        return f"{text} ({description})" if description else text
    return text


def _print_table(rows: list[dict], source, backend: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Replay of {source} ({backend} decoder)")
    for column in ("request", "ECU", "name", "value", "unit"):
        table.add_column(column, overflow="fold")
    for row in rows:
        name = row["name"] + (f" (frame {row['frame']})" if row["frame"] is not None else "")
        table.add_row(row["request"], row["ecu"], str(name), _value_text(row["value"]), row["unit"])
    Console().print(table)

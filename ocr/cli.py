"""``novaevo ocr PHOTO [--json] [--engine onnx|paddle|rapid]``: read a registration card.

Heavy OCR imports stay inside the command so that ``novaevo --help`` stays fast; the photo
is checked and decoded before the OCR model is loaded, so that a wrong file fails at once.
Exit codes: :class:`obdcore.errors.ExitCode` (the same for every ``novaevo`` command): 2 bad
usage, 7 the photo is missing or not a file, 10 the image cannot be read as a card, 11 the
OCR model is missing on this machine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from obdcore.errors import EXIT_CODES_HELP, ExitCode

app = typer.Typer(add_completion=False)

# ocr.errors' classes onto the one exit-code convention (by kind; the first match wins).
_EXIT_BY_KIND = {"model_unavailable": ExitCode.ENVIRONMENT}


def exit_code_of(error) -> ExitCode:
    """The :class:`ExitCode` of an ``OcrError``: 11 for a missing model, else 10 (the
    image: not an image, truncated, too large, no card, blank, foreign)."""
    return _EXIT_BY_KIND.get(error.kind, ExitCode.IMAGE)


@app.command("ocr", epilog=EXIT_CODES_HELP)
def ocr_command(
    photo: Annotated[
        Path, typer.Argument(help="Photo or scan of the card (JPEG, PNG, WebP, HEIC).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the documented JSON.")] = False,
    engine: Annotated[
        str, typer.Option("--engine", help="onnx (default, fastest), paddle or rapid.")
    ] = "onnx",
) -> None:
    """Read a French registration card (carte grise): plate, VIN, make, model, ..."""
    import time

    from ocr.engines import ENGINES
    from ocr.errors import OcrError

    if engine not in ENGINES:
        _fail(
            f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}",
            ExitCode.USAGE,
            as_json,
            "bad_argument",
        )
    if not photo.is_file():
        what = "is a directory" if photo.is_dir() else "does not exist"
        _fail(
            f"{photo} {what}: give the path of a photo or scan of the card",
            ExitCode.INPUT_FILE,
            as_json,
            "not_a_file",
        )
    try:
        from ocr import intake

        started = time.perf_counter()
        rgb = intake.load_image(photo)  # before the model: a wrong file fails at once
        decode_ms = (time.perf_counter() - started) * 1000
        from ocr.pipeline import CardReader

        result = CardReader(engine).read_array(rgb, {"decode": round(decode_ms, 1)})
    except OcrError as exc:
        _fail(str(exc), exit_code_of(exc), as_json, exc.kind)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_table(result)


def _fail(message: str, code: int, as_json: bool, kind: str) -> None:
    """One line on stderr (and with --json the documented status object on stdout)."""
    from obdcore.io.failures import fail

    if as_json:
        typer.echo(json.dumps({"status": kind, "message": message}))
    fail("novaevo ocr", message, code)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Registration card - {result.status} (engine {result.engine})")
    for column in ("code", "meaning", "value", "confidence", "source", "warnings"):
        table.add_column(column)
    for code, f in result.fields.items():
        style = "yellow" if f.uncertain else None
        table.add_row(
            code,
            f.meaning,
            str(f.value if f.value is not None else f.text),
            f"{f.confidence:.2f}",
            f.source,
            "; ".join(f.warnings),
            style=style,
        )
    console = Console()
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")

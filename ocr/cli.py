"""``novaevo ocr PHOTO [--json] [--engine paddle|rapid]``: read a registration card.

Heavy OCR imports stay inside the command so that ``novaevo --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


@app.command("ocr")
def ocr_command(
    photo: Annotated[Path, typer.Argument(help="Photo or scan of the card (JPEG, PNG, WebP, "
                                               "HEIC).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the documented JSON.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="paddle or rapid.")] = "paddle",
) -> None:
    """Read a French registration card (carte grise): plate, VIN, make, model, ..."""
    from ocr.engines import ENGINES
    from ocr.errors import OcrError
    from ocr.pipeline import CardReader

    if engine not in ENGINES:
        _fail(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}", 2, as_json,
              "bad_argument")
    try:
        result = CardReader(engine).read(photo)
    except OcrError as exc:
        _fail(str(exc), exc.exit_code, as_json, exc.kind)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_table(result)


def _fail(message: str, code: int, as_json: bool, kind: str) -> None:
    if as_json:
        typer.echo(json.dumps({"status": kind, "message": message}))
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _print_table(result) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Registration card - {result.status} (engine {result.engine})")
    for column in ("code", "meaning", "value", "confidence", "source", "warnings"):
        table.add_column(column)
    for code, f in result.fields.items():
        style = "yellow" if f.uncertain else None
        table.add_row(code, f.meaning, str(f.value if f.value is not None else f.text),
                      f"{f.confidence:.2f}", f.source, "; ".join(f.warnings), style=style)
    console = Console()
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning}")

"""obdcore's commands for the ``novaevo`` CLI."""

import typer

app = typer.Typer()

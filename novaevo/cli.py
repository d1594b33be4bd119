"""The ``novaevo`` command: mounts each package's Typer commands and sub-apps.

Packages own their commands; this module only composes them, so that a feature is never
implemented twice. Heavy imports stay inside the packages' command functions so that
``novaevo --help`` starts fast.
"""

import typer
from typer.core import TyperGroup

import firmware_sim
from api.cli import app as api_app
from api.cli import db_app, parts_engine
from api.garages.cli import garages_app
from diagnostics.cli import app as diagnostics_app
from diagnostics.cli import diagnose_command
from firmware_sim.cli import app as sim_app
from firmware_sim.cli import cases_app as sim_cases_app
from obdcore.cli import car_app, replay_app, stream_app, use_simulator
from obdcore.errors import EXIT_CODES_HELP
from ocr.cli import app as ocr_app
from parts.cli import app as parts_app
from parts.cli import use_engine

# Typer 0.2x vendors its click: its own exceptions are the ones its commands raise.
try:
    from typer._click.exceptions import ClickException as _ClickException
except ImportError:  # a Typer on the public click
    from click import ClickException as _ClickException


def _hide_flag_placeholders() -> None:
    """Typer 0.2x shows a ``<bool>`` value placeholder after on/off flags (``--json
    <bool>``), which ``--json true`` then rejects: a flag takes no value, so show none."""
    option = getattr(typer.core, "TyperOption", None)
    original = getattr(option, "display_type_rich", None)
    if original is None or getattr(original, "_novaevo", False):
        return

    def display_type_rich(self, ctx):
        if self.is_flag and not self.count:
            return None
        return original(self, ctx)

    display_type_rich._novaevo = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_placeholders()


class CrashSafeGroup(TyperGroup):
    """The root command group: an unexpected exception in any sub-command ends with one
    line and the path of a crash log (exit 70), never a traceback (README, Command line)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, _ClickException):
            raise  # click's own ends: a chosen exit code, a declined prompt, bad usage
        except KeyboardInterrupt:  # a command that does not handle Ctrl-C itself
            from obdcore.errors import ExitCode
            from obdcore.io.failures import fail

            fail(
                f"novaevo {ctx.invoked_subcommand or ''}".strip(),
                "interrupted",
                ExitCode.INTERRUPTED,
            )
        except Exception as error:  # noqa: BLE001 - the last resort, by design
            from obdcore.io.failures import crash

            name = ctx.invoked_subcommand or ""
            crash(f"novaevo {name}".strip(), error)


app = typer.Typer(
    name="novaevo",
    cls=CrashSafeGroup,
    help="NovaEvo: read a car through an ELM327 dongle, explain it, find the parts.",
    no_args_is_help=True,
    add_completion=False,
)

# obdcore's commands (scan, info, live, dtc, ..., replay) sit at the top level: they are
# the heart of the tool.
app.registered_commands.extend(car_app.registered_commands)
app.registered_commands.extend(stream_app.registered_commands)
app.registered_commands.extend(replay_app.registered_commands)
app.registered_commands.extend(sim_app.registered_commands)
app.registered_commands.extend(sim_cases_app.registered_commands)  # novaevo sim-cases
app.registered_commands.extend(ocr_app.registered_commands)
app.add_typer(parts_app, name="parts")
app.registered_commands.extend(api_app.registered_commands)  # novaevo serve
app.add_typer(db_app, name="db")
app.add_typer(garages_app, name="garages")
# The parts commands use the product's one engine and migration history.
use_engine(parts_engine)
app.command("diagnose", epilog=EXIT_CODES_HELP)(diagnose_command)
app.add_typer(diagnostics_app, name="diagnostics")

# --sim: obdcore may not import the simulator (DESIGN.md), so the composition root lends it
# (firmware_sim loads it on first use, keeping `novaevo --help` fast).
use_simulator(lambda **options: firmware_sim.Simulator(**options))


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("novaevo")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "unknown (not installed)"
        typer.echo(f"novaevo {number}")
        raise typer.Exit(0)


@app.callback(epilog=EXIT_CODES_HELP)
def _root(
    version: bool = typer.Option(  # noqa: ARG001 - handled by its callback
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the version and exit.",
    ),
) -> None:
    """NovaEvo: read a car through an ELM327 dongle, explain it, find the parts."""


def main() -> None:
    """Entry point of the console script."""
    app()

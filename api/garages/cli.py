"""``novaevo garages import FILE | demo | link-account EMAIL REF``: the garage directory.

Mounted by the composition root (``novaevo/cli.py``: ``app.add_typer(garages_app,
name="garages")``). Exit codes as the parts importer: 0 all rows in, 2 committed with
rejected rows, 1 failed and rolled back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from obdcore.errors import ExitCode
from obdcore.io import failures

garages_app = typer.Typer(help="The garage directory: import, demo, garage accounts.",
                          no_args_is_help=True)  # fmt: skip


def _engine():  # noqa: ANN202 - sqlalchemy Engine
    from api.database import make_engine, upgrade
    from api.settings import Settings

    engine = make_engine(Settings().resolved_database_url())
    upgrade(engine)
    return engine


def _print_report(report) -> None:  # noqa: ANN001 - DirectoryReport
    typer.echo(f"rows read {report.rows_read}, created {report.created}, "
               f"updated {report.updated}, rejected {len(report.rejected)}")  # fmt: skip
    for line, reason in report.rejected[:50]:
        typer.echo(f"  line {line}: {reason}", err=True)


def _fail(command: str, message: str, hint: str) -> NoReturn:
    """One error line in the shared form (``novaevo garages COMMAND: ...; hint``), exit 2."""
    failures.fail(f"novaevo garages {command}", message, ExitCode.USAGE, hint)


@garages_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    strict: bool = typer.Option(False, help="Roll back on the first rejected row."),
    max_rejects: int | None = typer.Option(None, help="Roll back past this many rejects."),
    encoding: str = typer.Option("utf-8-sig", help="File encoding (BOM allowed)."),
) -> None:
    """Import a garage directory CSV in one transaction (upsert by ref)."""
    from api.garages.errors import ImportFailedError
    from api.garages.service import import_directory

    try:
        with open(path, encoding=encoding, newline="") as stream:
            report = import_directory(_engine(), stream, strict=strict, max_rejects=max_rejects)
    except (ImportFailedError, UnicodeDecodeError, LookupError) as exc:
        typer.echo(f"error: {exc}; nothing was imported", err=True)
        if getattr(exc, "report", None) is not None:
            _print_report(exc.report)
        raise typer.Exit(ExitCode.INPUT_FILE) from None
    _print_report(report)
    raise typer.Exit(ExitCode.PARTIAL if report.rejected else ExitCode.OK)


@garages_app.command("demo")
def demo() -> None:
    """Load the generated DEMO directory (500+ fictional garages around French cities)."""
    from api.garages.demo import DEMO_LABEL
    from api.garages.service import load_demo_directory

    report = load_demo_directory(_engine())
    typer.echo(DEMO_LABEL.format(seed=7))
    _print_report(report)


@garages_app.command("link-account")
def link_account(email: str, ref: str) -> None:
    """Let the user with ``email`` act for the garage ``ref`` (its bookings, its quotes)."""
    from sqlalchemy import func, select

    from api.accounts.models import User
    from api.database import session_factory
    from api.garages.bookings import link_staff
    from api.garages.models import Garage

    with session_factory(_engine())() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        garage_id = session.scalar(select(Garage.id).where(func.upper(Garage.ref) == ref.upper()))
        if user is None or garage_id is None:
            missing = "user " + repr(email) if user is None else "garage " + repr(ref)
            _fail("link-account", f"no {missing}", "check the e-mail and the garage ref")
        link_staff(session, user.id, garage_id)
    typer.echo(f"{email} now acts for garage {ref}")


@garages_app.command("invite")
def invite(
    ref: str,
    days: int = typer.Option(14, min=1, max=90, help="Days the code stays valid."),
) -> None:
    """Print a one-time code with which the garage ``ref`` claims its account (it signs
    up, then POST /v1/garage/account with the code)."""
    import datetime as dt

    from sqlalchemy import func, select

    from api.database import session_factory
    from api.garages.accounts import issue_invite
    from api.garages.models import Garage

    with session_factory(_engine())() as session:
        garage_id = session.scalar(select(Garage.id).where(func.upper(Garage.ref) == ref.upper()))
        if garage_id is None:
            _fail("invite", f"no garage {ref!r}", "check the garage ref (the directory's REF)")
        code = issue_invite(session, garage_id, dt.datetime.now(dt.UTC), days)
    typer.echo(code)
    typer.echo(f"one-time invite for garage {ref}, valid {days} days", err=True)

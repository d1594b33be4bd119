"""``novaevo parts ...``: import files, generate the demo catalogue, identify, search.

The engine comes from the composition root (:func:`use_engine`; the ``novaevo`` command
lends the product's one engine and migrations): the commands that write the catalogue
(``import``, ``demo-catalogue``) migrate first, the others only check that the schema is
current and never change it.

Every failure ends in one line on stderr and an exit code of the convention every
``novaevo`` command shares (:class:`obdcore.errors.ExitCode`; README, Command line), never a
traceback: 2 bad usage (a malformed VIN, an unknown part type, a page out of range, nothing
found for the id or plate given), 7 an input file that is missing or cannot be imported
(rolled back, the catalogue unchanged), 8 an import committed with some rows rejected
(listed), 9 the database cannot be used (a bad URL, a path in a missing folder, an
unwritable data directory, a schema not current).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from obdcore.errors import EXIT_CODES_HELP, ExitCode

app = typer.Typer(
    help="Parts catalogue: import, demo catalogue, vehicle identification, search, optimize.",
    no_args_is_help=True,
)
# A page far past any result is refused before it reaches the database (whose integers
# are 64-bit): 1e6 pages of 1000 rows is more than any catalogue holds.
MAX_PAGE = 1_000_000
MAX_PER_PAGE = 1_000
console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
# Plates remembered at the command line belong to the machine's user, never to an account.
LOCAL_OWNER = "local"


# (database_url or None for the default, migrate?) -> Engine; raises PartsError.
EngineFactory = Callable[[str | None, bool], Any]
_engine_factory: EngineFactory | None = None


def use_engine(factory: EngineFactory) -> None:
    """Set how the commands get their engine (called once by the composition root)."""
    global _engine_factory
    _engine_factory = factory


class DatabaseUnavailable(Exception):
    """The catalogue's database cannot be opened or used (the message says why)."""


_DB_HINT = "check --database-url (or NOVAEVO_DATABASE_URL) and NOVAEVO_DATA_DIR"


def _engine(database_url: str | None, *, migrate: bool = False):  # noqa: ANN202 - Engine
    """The engine from the factory, every way it can fail as :class:`DatabaseUnavailable`."""
    from sqlalchemy.exc import SQLAlchemyError

    from parts.errors import PartsError

    if _engine_factory is None:
        raise RuntimeError("parts.cli needs an engine factory: call parts.cli.use_engine()")
    try:
        return _engine_factory(database_url, migrate)
    except (PartsError, SQLAlchemyError, OSError, ValueError) as exc:
        raise DatabaseUnavailable(_database_reason(exc)) from None


def _database_reason(exc: Exception) -> str:
    """One clause for a database failure (SQLAlchemy's text without its SQL and URL)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    if isinstance(exc, ArgumentError):
        return f"not a database URL: {str(exc).splitlines()[0]}"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"cannot open the database: {str(exc.orig).splitlines()[0]}"
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        return f"cannot use the data directory{where}: {exc.strerror or exc}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def exit_code_of(error: Exception) -> ExitCode:
    """The :class:`ExitCode` of a parts failure."""
    from parts.errors import ImportFailedError, InvalidInputError, NotFoundError

    if isinstance(error, ImportFailedError):
        return ExitCode.INPUT_FILE
    if isinstance(error, (InvalidInputError, NotFoundError)):
        return ExitCode.USAGE
    return ExitCode.DATABASE


@contextmanager
def _reported(command: str) -> Iterator[None]:
    """Ends ``novaevo parts COMMAND`` with one line and its exit code for every expected
    failure: the typed parts errors and the database ones."""
    from sqlalchemy.exc import SQLAlchemyError

    from parts.errors import PartsError

    try:
        yield
    except DatabaseUnavailable as exc:
        _fail(command, str(exc), ExitCode.DATABASE, _DB_HINT)
    except SQLAlchemyError as exc:  # the database went away or refused mid-command
        _fail(command, _database_reason(exc), ExitCode.DATABASE, _DB_HINT)
    except PartsError as exc:
        code = exit_code_of(exc)
        _fail(command, str(exc), code, _DB_HINT if code == ExitCode.DATABASE else "")


def _fail(command: str, message: str, code: int, hint: str = "") -> None:
    from obdcore.io.failures import fail

    fail(f"novaevo parts {command}", message, code, hint)


DbOption = typer.Option(
    None,
    "--database-url",
    envvar="NOVAEVO_DATABASE_URL",
    help="SQLAlchemy URL; default a SQLite file in NOVAEVO_DATA_DIR.",
)


@app.command("import", epilog=EXIT_CODES_HELP)
def import_command(
    kind: str = typer.Argument(
        ..., help="vehicles | articles | oe | crossrefs | fitments | offers"
    ),
    file: Path = typer.Argument(..., help="The CSV file."),  # noqa: B008
    encoding: str = typer.Option("utf-8", help="Text encoding of the file (e.g. cp1252)."),
    strict: bool = typer.Option(False, help="Roll back the whole import on the first bad row."),
    max_rejects: int | None = typer.Option(None, help="Roll back after more rejected rows."),
    database_url: str | None = DbOption,
) -> None:
    """Import a CSV file (one transaction; rejected rows are listed with their reason)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from parts.errors import ImportFailedError
    from parts.importers import import_csv

    if not file.is_file():
        what = "is a directory" if file.is_dir() else "does not exist"
        _fail("import", f"{file} {what}", ExitCode.INPUT_FILE, "give the path of a CSV file")
    with _reported("import"):
        try:
            engine = _engine(database_url, migrate=True)
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=err,
            ) as bar:
                task = bar.add_task(f"importing {kind}", total=file.stat().st_size)
                report = import_csv(
                    engine,
                    kind,
                    file,
                    encoding=encoding,
                    strict=strict,
                    max_rejects=max_rejects,
                    progress=lambda done: bar.update(task, completed=done),
                )
        except ImportFailedError as exc:
            if exc.report is not None:
                _print_rejects(exc.report)
            raise
        except OSError as exc:  # the file went away or is unreadable
            _fail("import", f"cannot read {file}: {exc.strerror or exc}", ExitCode.INPUT_FILE)
    _print_rejects(report)
    console.print(
        f"{kind}: {report.rows_read:,} rows read, {report.rows_written:,} written, "
        f"{report.rejected_count:,} rejected in {report.seconds:.1f} s "
        f"({report.rows_per_second:,.0f} rows/s)"
    )
    if report.rejected_count:
        raise typer.Exit(ExitCode.PARTIAL)


def _print_rejects(report: Any) -> None:
    for r in report.rejected[:200]:
        err.print(f"line {r.line}: {r.reason} | {r.excerpt}", highlight=False, markup=False)
    if report.rejected_count > 200:
        err.print(f"... and {report.rejected_count - 200:,} more rejected rows")


@app.command("demo-catalogue", epilog=EXIT_CODES_HELP)
def demo_catalogue(
    vehicles: int = typer.Option(500, min=1),
    parts: int = typer.Option(20_000, min=1),
    fitments_per_part: int = typer.Option(5, min=1),
    seed: int = 42,
    database_url: str | None = DbOption,
) -> None:
    """Replace the catalogue by a generated DEMO catalogue (fictional; not real fitment data)."""
    from parts.demo import DEMO_LABEL, DemoSize, generate

    with _reported("demo-catalogue"):
        engine = _engine(database_url, migrate=True)
        with console.status("generating the demo catalogue") as status:
            counts = generate(
                engine,
                DemoSize(vehicles, parts, fitments_per_part, seed=seed),
                progress=lambda msg: status.update(msg),
            )
    console.print(f"[yellow]{DEMO_LABEL.format(seed=seed)}[/yellow]")
    for table, count in counts.items():
        console.print(f"  {table}: {count:,}")


@app.command("optimize", epilog=EXIT_CODES_HELP)
def optimize_command(database_url: str | None = DbOption) -> None:
    """Maintenance after large imports: cluster fitments (PostgreSQL), statistics, FTS merge."""
    from parts.db import optimize

    with _reported("optimize"):
        engine = _engine(database_url)
        with console.status("optimising the catalogue"):
            optimize(engine)
    console.print("catalogue optimised")


@app.command("identify", epilog=EXIT_CODES_HELP)
def identify(
    vin: str | None = typer.Option(None, help="VIN (field E)."),
    plate: str | None = typer.Option(None, help="A plate (field A) identified before."),
    make: str | None = typer.Option(None, "--make", help="D.1"),
    type_code: str | None = typer.Option(None, "--type", help="D.2"),
    cnit: str | None = typer.Option(None, help="D.2.1"),
    cc: str | None = typer.Option(None, help="P.1 cylinder capacity, cm3"),
    kw: str | None = typer.Option(None, help="P.2 power, kW"),
    fuel: str | None = typer.Option(None, help="P.3 fuel code (ES, GO, ...)"),
    first_registration: str | None = typer.Option(None, help="B, DD/MM/YYYY"),
    remember: str | None = typer.Option(None, help="Remember the best candidate for this plate."),
    as_json: bool = typer.Option(False, "--json"),
    database_url: str | None = DbOption,
) -> None:
    """Identify the vehicle type from a VIN, a known plate or registration-card fields."""
    from parts import identify as ident
    from parts.db import session_factory

    with _reported("identify"):
        engine = _engine(database_url)
        with session_factory(engine)() as session:
            if plate and not (vin or make or type_code or cnit):
                candidates = [ident.identify_plate(session, plate, owner=LOCAL_OWNER)]
            elif vin and not (make or type_code or cnit):
                candidates = ident.identify_vin(session, vin, owner=LOCAL_OWNER).candidates
            else:
                fields = ident.CardFields(make, type_code, cnit, cc, kw, fuel, first_registration)
                candidates = ident.identify_card(session, fields)
            if remember and candidates:
                ident.remember_plate(
                    session, remember, candidates[0].vehicle.id, vin, owner=LOCAL_OWNER
                )
                session.commit()
    _show_candidates(candidates, as_json)


def _show_candidates(candidates: list[Any], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps([asdict(c) for c in candidates]))
        return
    if not candidates:
        console.print("no candidate vehicle type")
        return
    table = Table("score", "id", "vehicle", "engine", "years", "why")
    for c in candidates:
        v = c.vehicle
        table.add_row(
            f"{c.score:.2f}",
            str(v.id),
            f"{v.make} {v.model} {v.variant}",
            f"{v.engine_code} {v.capacity_cc or ''} cm3 {v.power_kw or ''} kW {v.fuel}",
            f"{v.year_from}-{v.year_to or ''}",
            "; ".join(c.reasons),
        )
    console.print(table)


@app.command("search", epilog=EXIT_CODES_HELP)
def search(
    vehicle: int | None = typer.Option(None, help="Vehicle type id (from identify)."),
    part_type: str | None = typer.Option(None, "--type", help="Part-type code, e.g. thermostat."),
    number: str | None = typer.Option(None, help="Article or OE number, any spelling."),
    text: str | None = typer.Option(None, help="Free text."),
    cause: list[str] = typer.Option([], help="Diagnostic cause[=probability], repeatable."),  # noqa: B008
    page: int = typer.Option(1, min=1, max=MAX_PAGE, help="Which page of results."),
    per_page: int = typer.Option(20, min=1, max=MAX_PER_PAGE, help="Results per page."),
    currency: str = "EUR",
    as_json: bool = typer.Option(False, "--json"),
    database_url: str | None = DbOption,
) -> None:
    """Search parts by vehicle + type, by number, by free text, or for diagnosed causes."""
    from parts import search as s
    from parts.cause_parts import parts_for_diagnosis
    from parts.db import session_factory
    from parts.errors import InvalidInputError

    with _reported("search"):
        engine = _engine(database_url)
        with session_factory(engine)() as session:
            source = s.catalogue_source(session)
            if cause:
                if vehicle is None:
                    raise InvalidInputError("--cause needs --vehicle")
                result: Any = parts_for_diagnosis(
                    session, vehicle, _causes(cause), currency=currency
                )
            elif vehicle is not None and part_type:
                result = s.search_by_vehicle(
                    session, vehicle, part_type, page=page, per_page=per_page, currency=currency
                )
            elif number:
                result = s.search_by_number(
                    session,
                    number,
                    part_type=part_type,
                    page=page,
                    per_page=per_page,
                    currency=currency,
                )
            elif text:
                result = s.search_text(
                    session,
                    text,
                    part_type=part_type,
                    page=page,
                    per_page=per_page,
                    currency=currency,
                )
            else:
                raise InvalidInputError("give --vehicle and --type, --number, --text or --cause")
    _show_search(result, source, as_json)


def _causes(values: list[str]) -> list[tuple[str, float]]:
    from parts.errors import InvalidInputError

    pairs = []
    for value in values:
        cause, _, prob = value.partition("=")
        try:
            pairs.append((cause, float(prob) if prob else 1.0))
        except ValueError:
            raise InvalidInputError(f"--cause {value!r}: probability must be a number") from None
    return pairs


def _show_search(result: Any, source: str | None, as_json: bool) -> None:
    if as_json:
        payload = [asdict(x) for x in result] if isinstance(result, list) else asdict(result)
        console.print_json(json.dumps({"catalogue": source, "result": payload}, default=str))
        return
    if source and "DEMO" in source:
        console.print(f"[yellow]{source}[/yellow]")
    if isinstance(result, list):
        for sug in result:
            q = f" (cylinder {sug.qualifier})" if sug.qualifier else ""
            console.print(
                f"[bold]{sug.cause}{q}[/bold] -> {sug.part_type_label} "
                f"(score {sug.score:.2f}, {sug.total_parts} fitting)"
            )
            _hits_table(sug.parts)
        return
    console.print(f"page {result.page}/{max(result.pages, 1)}, {result.total:,} results")
    _hits_table(result.items)


def _hits_table(hits: list[Any]) -> None:
    table = Table("certainty", "brand", "number", "name", "best offer", "why")
    for h in hits:
        o = h.best_offer
        offer = (
            (f"{o.price} {o.currency} {o.supplier} {'in stock' if o.in_stock else 'out of stock'}")
            if o
            else "-"
        )
        table.add_row(h.certainty_label, h.brand, h.article_number, h.name, offer, h.reason)
    console.print(table)

"""``novaevo serve`` (the HTTP service) and ``novaevo db upgrade|current`` (migrations)."""

from __future__ import annotations

import os
import tempfile

import typer

app = typer.Typer(help="The HTTP service and its database.", no_args_is_help=True)
db_app = typer.Typer(help="The one database of every package: migrations.", no_args_is_help=True)


def _engine():  # noqa: ANN202 - sqlalchemy Engine
    from api.database import make_engine
    from api.settings import Settings

    return make_engine(Settings().resolved_database_url())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate every package's tables to the latest revision (what `serve` does first)."""
    from api.database import upgrade

    upgrade(_engine())
    typer.echo("database at the latest revision")


@db_app.command("current")
def db_current() -> None:
    """The revisions the database is at, and the ones it should be at."""
    from api.database import current_revisions, head_revisions

    with _engine().connect() as conn:
        current = current_revisions(conn)
    typer.echo(f"current: {', '.join(sorted(current)) or '(none)'}")
    typer.echo(f"heads:   {', '.join(sorted(head_revisions()))}")


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, min=1, max=65535),
    workers: int = typer.Option(1, min=1, help="Worker processes."),
    sim: bool = typer.Option(False, "--sim", help="Attach a simulated car (live data, demo)."),
    dongle: str | None = typer.Option(None, help="Attach a dongle (URL as for --device)."),
    migrate: bool = typer.Option(True, help="Run the migrations before starting."),
) -> None:
    """Start the NovaEvo API (prints the URL of its interactive docs)."""
    import uvicorn
    from pydantic import ValidationError

    from api.core.logging import configure_logging
    from api.settings import Settings

    if sim and dongle:
        raise typer.BadParameter("give --sim or --dongle, not both")
    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. a default secret outside development
        typer.echo(f"error: bad settings: {exc.errors()[0]['msg']}", err=True)
        raise typer.Exit(2) from None
    if (sim or dongle) and workers > 1 and not settings.redis_url:
        # one dongle, one polling loop: the workers share it through Redis only
        typer.echo("error: --sim/--dongle with --workers > 1 needs NOVAEVO_REDIS_URL", err=True)
        raise typer.Exit(2)
    if sim or dongle:
        os.environ["NOVAEVO_LIVE_DEVICE"] = "sim" if sim else dongle
    if migrate:
        from api.database import upgrade

        engine = _engine()
        upgrade(engine)
        _garages_out_of_the_box(engine)
    if workers > 1:  # Prometheus figures of every worker, summed by /metrics
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="novaevo-prom-"))
    configure_logging(settings.log_level, settings.json_logs)
    typer.echo(
        f"NovaEvo API on http://{host}:{port} - interactive docs: http://{host}:{port}/docs",
        err=True,
    )
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )


def _garages_out_of_the_box(engine) -> None:  # noqa: ANN001 - Engine
    from api.garages.service import ensure_demo_directory

    report = ensure_demo_directory(engine)
    if report is not None:
        typer.echo(
            f"The garage directory was empty: loaded the generated DEMO directory "
            f"({report.created} fictional garages).",
            err=True,
        )


def parts_engine(database_url: str | None, migrate: bool):  # noqa: ANN201 - Engine
    """The engine lent to ``novaevo parts``: migrated when ``migrate`` (writing commands),
    else only checked to be current. Raises ``parts.errors.PartsError`` with the reason."""
    from api.database import SchemaNotReadyError, check_current, make_engine, upgrade
    from api.settings import Settings
    from parts.errors import PartsError

    engine = make_engine(database_url or Settings().resolved_database_url())
    try:
        upgrade(engine) if migrate else check_current(engine)
    except SchemaNotReadyError as exc:
        raise PartsError(str(exc)) from None
    return engine

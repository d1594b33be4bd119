"""Alembic environment for every package's tables (parts, api, garages, ...).

Two ways in: :func:`api.database.upgrade` hands over an open connection in
``config.attributes["connection"]``; the plain ``alembic`` command (``alembic.ini`` at the
repository root) gets an engine from the product settings (``NOVAEVO_DATABASE_URL``, else
the SQLite file in ``NOVAEVO_DATA_DIR``). Use ``alembic upgrade heads``: each package has
its own branch (``parts``, ``api``, ``garages``). No offline mode.
"""

from alembic import context

from api.database import all_metadata

target_metadata = all_metadata()


def _include_name(name, type_, _parent_names) -> bool:  # noqa: ANN001
    # The full-text index differs per dialect and is made by the migrations, not mapped.
    return not (type_ == "table" and name and name.startswith("parts_part_fts"))


def _configure_and_run(connection) -> None:  # noqa: ANN001 - sqlalchemy Connection
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=_include_name,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on the caller's connection, or on the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
        return
    from api.database import make_engine
    from api.settings import Settings

    engine = make_engine(Settings().resolved_database_url())
    try:
        with engine.begin() as conn:
            _configure_and_run(conn)
            from parts.db import seed_vocabulary

            if conn.dialect.has_table(conn, "parts_part_type"):
                seed_vocabulary(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported; run against a database")
run_migrations_online()

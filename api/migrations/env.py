"""Alembic environment for the catalogue schema.

Run programmatically by :func:`parts.db.upgrade`, which hands over an open connection in
``config.attributes["connection"]``; there is no alembic.ini and no offline mode.
"""

from alembic import context

from parts.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the connection given by the caller."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the migrations through parts.db.upgrade(engine)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()

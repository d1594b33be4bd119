"""Fresh test databases, one helper for every suite that runs on both backends.

SQLite: a file in the given directory. PostgreSQL: a schema of its own with a unique name
on the server of ``NOVAEVO_TEST_POSTGRES_URL``, else ``NOVAEVO_DATABASE_URL`` when it is a
PostgreSQL URL, else the local server; dropped afterwards, so an interrupted run never
breaks the next one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import make_url, text

from api.database import make_engine

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str:
    """The PostgreSQL server of the tests."""
    url = os.environ.get("NOVAEVO_TEST_POSTGRES_URL") or os.environ.get("NOVAEVO_DATABASE_URL", "")
    return url if url.startswith("postgresql") else DEFAULT_PG


@contextmanager
def fresh_database(kind: str, directory: Path, name: str = "test") -> Iterator[str]:
    """The URL of a new, empty database of ``kind`` (``sqlite`` or ``postgresql``);
    ``name`` prefixes the file or schema name so that a left-over one says whose it is."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'{name}.sqlite3'}"
        return
    schema = f"{name}_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    base = make_url(postgres_url())
    admin = make_engine(base.render_as_string(hide_password=False))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

"""parts: search text stored as words, a parser-free tsvector, no part-type index.

Why (measured, BENCHMARKS.md "parts import"): on PostgreSQL an imported article spent
6 us in ``to_tsvector`` (the text parser) and 2 us in an index that no query uses. The
search text is now stored already cut into words (``parts.normalize.build_search_text``),
so the generated ``tsvector`` is ``string_to_array`` + ``array_to_tsvector``: 1 us.

Upgrade rewrites every part's ``search_text`` into that form (SQLite's FTS5 triggers keep
its index in step), rebuilds PostgreSQL's generated column and GIN index, and drops
``ix_parts_part_part_type_code``. Downgrade restores the parsed ``tsvector`` and the index;
``search_text`` stays in words, which the text parser reads just as well.

Revision ID: 0002_parts_words
Revises: 0001_parts
Create Date: 2026-11-21
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0002_parts_words"
down_revision = "0001_parts"
branch_labels = None
depends_on = None

# Frozen copy of the word rule of parts.normalize at this revision (a migration must not
# change when the application does). The stored text is already lower case, no accents.
_WORD = re.compile(r"[^\W_]+")
_MAX_WORD_CHARS = 64
_BATCH = 20_000

_WORDS_TSVECTOR = "array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))"
_PARSED_TSVECTOR = "to_tsvector('simple', search_text)"


def upgrade() -> None:
    op.drop_index("ix_parts_part_part_type_code", table_name="parts_part")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:  # drop first: the rewrite below then maintains no GIN index
        _drop_tsvector()
    _rewrite_search_text()
    if postgres:
        _add_tsvector(_WORDS_TSVECTOR)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _drop_tsvector()
        _add_tsvector(_PARSED_TSVECTOR)
    op.create_index("ix_parts_part_part_type_code", "parts_part", ["part_type_code"])


def _drop_tsvector() -> None:
    op.execute("DROP INDEX ix_parts_part_search_tsv")
    op.execute("ALTER TABLE parts_part DROP COLUMN search_tsv")


def _add_tsvector(expression: str) -> None:
    op.execute(
        "ALTER TABLE parts_part ADD COLUMN search_tsv tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED"
    )
    op.execute("CREATE INDEX ix_parts_part_search_tsv ON parts_part USING gin (search_tsv)")


def _words(search_text: str) -> str:
    """The distinct words of a stored search text, in order, space-separated."""
    words = (w for w in _WORD.findall(search_text) if len(w) <= _MAX_WORD_CHARS)
    return " ".join(dict.fromkeys(words))


def _rewrite_search_text() -> None:
    """Rewrite ``search_text`` into words, a batch of parts at a time (keyset pages)."""
    conn = op.get_bind()
    page = sa.text("SELECT id, search_text FROM parts_part WHERE id > :last ORDER BY id LIMIT :n")
    update = sa.text("UPDATE parts_part SET search_text = :words WHERE id = :id")
    last = 0
    while rows := conn.execute(page, {"last": last, "n": _BATCH}).all():
        changed = [
            {"id": pid, "words": words} for pid, text in rows if (words := _words(text)) != text
        ]
        if changed:
            conn.execute(update, changed)
        last = rows[-1][0]

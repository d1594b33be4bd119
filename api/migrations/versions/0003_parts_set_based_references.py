"""parts, PostgreSQL only: references of the bulk-imported tables checked per statement.

Why (measured, BENCHMARKS.md "parts import"): a PostgreSQL foreign key is checked by one
query and one row lock per inserted row, 2.6-4.4 us each; a 1,000,000-row fitment import
spent 7.3 s of its 12.3 s of inserting there. The same guarantee checked once per
statement, over the statement's new rows (a transition table) with one anti-join, costs
0.5 s. So on PostgreSQL the foreign keys of the tables that imports fill are replaced by:

* after each INSERT and UPDATE on a child table: every new reference must exist in its
  parent, else ``foreign_key_violation`` (SQLSTATE 23503, like a foreign key);
* after each DELETE on a parent: its children are deleted (``CASCADE``) or the delete is
  refused while children exist (``RESTRICT``), as the foreign keys did. The trigger first
  locks the child table (``SHARE ROW EXCLUSIVE``): it waits for the transactions that are
  inserting children, whose rows it then sees and deletes, and holds back new ones, whose
  check then sees the parent gone. This needs READ COMMITTED (PostgreSQL's default, and
  what the importer uses): each statement of the check then reads a fresh snapshot;
* a parent's key never changes (refused), so no reference can be left behind by an UPDATE.

Not covered, unlike a foreign key: ``TRUNCATE`` of a parent alone (nothing here does it).
SQLite keeps its foreign keys: checked in-process, they cost little there. The models
still declare every foreign key (SQLite, and the order of ORM inserts).

Revision ID: 0003_parts_refs
Revises: 0002_parts_words
Create Date: 2026-11-21
"""

from alembic import op

revision = "0003_parts_refs"
down_revision = "0002_parts_words"
branch_labels = None
depends_on = None

# (child table, column, parent table, parent key, on delete) - frozen at this revision.
REFERENCES = (
    ("parts_part", "part_type_code", "parts_part_type", "code", "RESTRICT"),
    ("parts_oe_reference", "part_id", "parts_part", "id", "CASCADE"),
    ("parts_cross_reference", "part_id", "parts_part", "id", "CASCADE"),
    ("parts_cross_reference", "other_part_id", "parts_part", "id", "CASCADE"),
    ("parts_fitment", "vehicle_type_id", "parts_vehicle_type", "id", "CASCADE"),
    ("parts_fitment", "part_id", "parts_part", "id", "CASCADE"),
    ("parts_engine_fitment", "part_id", "parts_part", "id", "CASCADE"),
    ("parts_offer", "supplier_id", "parts_supplier", "id", "CASCADE"),
    ("parts_offer", "part_id", "parts_part", "id", "CASCADE"),
)
PARENTS = {parent: key for _, _, parent, key, _ in REFERENCES}

# TG_ARGV: column, parent table, parent key. The new rows are the statement's transition
# table; one anti-join finds a reference without its parent.
_CHECK_FUNCTION = """
CREATE FUNCTION parts_check_reference() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing text;
BEGIN
    EXECUTE format(
        'SELECT n.%1$I::text FROM new_rows n WHERE n.%1$I IS NOT NULL AND NOT EXISTS '
        '(SELECT 1 FROM %2$I.%3$I p WHERE p.%4$I = n.%1$I) LIMIT 1',
        TG_ARGV[0], TG_TABLE_SCHEMA, TG_ARGV[1], TG_ARGV[2]
    ) INTO missing;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "%" violates reference %.% -> %.%',
            TG_TABLE_NAME, TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[1], TG_ARGV[2]
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Key (%s)=(%s) is not present in table "%s".',
                                  TG_ARGV[0], missing, TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$
"""

# TG_ARGV: parent key, child table, child column, CASCADE or RESTRICT.
_DELETE_FUNCTION = """
CREATE FUNCTION parts_delete_references() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced boolean;
BEGIN
    EXECUTE format('LOCK TABLE %I.%I IN SHARE ROW EXCLUSIVE MODE',
                   TG_TABLE_SCHEMA, TG_ARGV[1]);
    IF TG_ARGV[3] = 'CASCADE' THEN
        EXECUTE format('DELETE FROM %1$I.%2$I c USING old_rows o WHERE c.%3$I = o.%4$I',
                       TG_TABLE_SCHEMA, TG_ARGV[1], TG_ARGV[2], TG_ARGV[0]);
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$I.%2$I c JOIN old_rows o '
                   'ON c.%3$I = o.%4$I)', TG_TABLE_SCHEMA, TG_ARGV[1], TG_ARGV[2], TG_ARGV[0])
        INTO referenced;
    IF referenced THEN
        RAISE EXCEPTION 'delete on table "%" violates reference %.% -> %.%',
            TG_TABLE_NAME, TG_ARGV[1], TG_ARGV[2], TG_TABLE_NAME, TG_ARGV[0]
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = format('Rows of "%s" still refer to it.', TG_ARGV[1]);
    END IF;
    RETURN NULL;
END $$
"""

# TG_ARGV: the key column. Fires only for UPDATEs that name the key column.
_KEY_FUNCTION = """
CREATE FUNCTION parts_keep_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF to_jsonb(NEW) -> TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD) -> TG_ARGV[0] THEN
        RAISE EXCEPTION 'the key %.% never changes: rows elsewhere refer to it',
            TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END $$
"""

_FUNCTIONS = ("parts_check_reference", "parts_delete_references", "parts_keep_key")


def _fk_name(child: str, column: str) -> str:
    return f"fk_{child}_{column}"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for ddl in (_CHECK_FUNCTION, _DELETE_FUNCTION, _KEY_FUNCTION):
        op.execute(ddl)
    for child, column, parent, key, on_delete in REFERENCES:
        op.drop_constraint(_fk_name(child, column), child, type_="foreignkey")
        args = f"'{column}', '{parent}', '{key}'"
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {child}_{column}_{event.lower()} AFTER {event} ON {child} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION parts_check_reference({args})"
            )
        op.execute(
            f"CREATE TRIGGER {child}_{column}_parent_delete AFTER DELETE ON {parent} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION parts_delete_references('{key}', '{child}', '{column}', "
            f"'{on_delete}')"
        )
    for parent, key in PARENTS.items():
        op.execute(
            f"CREATE TRIGGER {parent}_keep_key BEFORE UPDATE OF {key} ON {parent} "
            f"FOR EACH ROW EXECUTE FUNCTION parts_keep_key('{key}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for function in _FUNCTIONS:  # and every trigger that uses them
        op.execute(f"DROP FUNCTION {function}() CASCADE")
    for child, column, parent, key, on_delete in REFERENCES:
        op.create_foreign_key(
            _fk_name(child, column),
            child,
            parent,
            [column],
            [key],
            ondelete=None if on_delete == "RESTRICT" else on_delete,
        )

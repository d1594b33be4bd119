"""api, PostgreSQL only: the readings' references checked per statement, not per row.

Why (measured, BENCHMARKS.md "HTTP API"): a one-hour drive upload writes 43,200 readings
with one ``COPY``; their two foreign keys (session, upload) cost one query and one row
lock per row each, about three quarters of the COPY's time on the server. The same
guarantee, checked once per statement over the new rows, is what migration
``0003_parts_refs`` does for the catalogue's bulk tables; this revision reuses its
functions (``parts_check_reference``, ``parts_delete_references``, ``parts_keep_key``)
for ``api_reading``: a reading must name an existing session and upload (SQLSTATE 23503
otherwise), deleting a session or an upload deletes its readings, and their ids never
change.

SQLite keeps its foreign keys (cheap in-process); the models still declare them.

Revision ID: 0103_api_reading_refs
Revises: 0102_api_diagnoses
Create Date: 2026-12-02
"""

from alembic import op

revision = "0103_api_reading_refs"
down_revision = "0102_api_diagnoses"
branch_labels = None
depends_on = "0003_parts_refs"  # the trigger functions

# (child table, column, parent table, parent key) - every one ON DELETE CASCADE.
REFERENCES = (
    ("api_reading", "session_id", "api_session", "id"),
    ("api_reading", "upload_id", "api_session_upload", "id"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for child, column, parent, key in REFERENCES:
        op.drop_constraint(f"fk_{child}_{column}", child, type_="foreignkey")
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {child}_{column}_{event.lower()} AFTER {event} ON {child} "
                "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
                f"EXECUTE FUNCTION parts_check_reference('{column}', '{parent}', '{key}')"
            )
        op.execute(
            f"CREATE TRIGGER {child}_{column}_parent_delete AFTER DELETE ON {parent} "
            "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION parts_delete_references('{key}', '{child}', '{column}', "
            "'CASCADE')"
        )
        op.execute(
            f"CREATE TRIGGER {parent}_keep_key BEFORE UPDATE OF {key} ON {parent} "
            f"FOR EACH ROW EXECUTE FUNCTION parts_keep_key('{key}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for child, column, parent, key in REFERENCES:
        for trigger, table in (
            (f"{child}_{column}_insert", child),
            (f"{child}_{column}_update", child),
            (f"{child}_{column}_parent_delete", parent),
            (f"{parent}_keep_key", parent),
        ):
            op.execute(f"DROP TRIGGER {trigger} ON {table}")
        op.create_foreign_key(
            f"fk_{child}_{column}", child, parent, [column], [key], ondelete="CASCADE"
        )

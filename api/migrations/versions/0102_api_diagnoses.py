"""api: stored diagnoses and their history (answers, repair verifications).

Revision ID: 0102_api_diagnoses
Revises: 0101_api_core
Create Date: 2026-12-01 23:26:29.138771
"""

import sqlalchemy as sa
from alembic import op

revision = "0102_api_diagnoses"
down_revision = "0101_api_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_diagnosis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=400), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["api_user.id"],
            name=op.f("fk_api_diagnosis_owner_id"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["api_session.id"],
            name=op.f("fk_api_diagnosis_session_id"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["api_vehicle.id"],
            name=op.f("fk_api_diagnosis_vehicle_id"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_diagnosis")),
    )
    with op.batch_alter_table("api_diagnosis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_diagnosis_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_api_diagnosis_vehicle_id"), ["vehicle_id"], unique=False
        )

    op.create_table(
        "api_diagnosis_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["diagnosis_id"],
            ["api_diagnosis.id"],
            name=op.f("fk_api_diagnosis_event_diagnosis_id"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_diagnosis_event")),
    )
    with op.batch_alter_table("api_diagnosis_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_diagnosis_event_diagnosis_id"), ["diagnosis_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_diagnosis_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_diagnosis_event_diagnosis_id"))
    op.drop_table("api_diagnosis_event")
    with op.batch_alter_table("api_diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_diagnosis_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_api_diagnosis_owner_id"))
    op.drop_table("api_diagnosis")

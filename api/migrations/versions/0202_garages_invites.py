"""garages: one-time invite codes with which a user account claims a garage.

Revision ID: 0202_garages_invites
Revises: 0201_garages
Create Date: 2026-12-01 23:26:29.138771
"""

import sqlalchemy as sa
from alembic import op

revision = "0202_garages_invites"
down_revision = "0201_garages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "garages_invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("garage_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_by", sa.Integer(), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["garage_id"],
            ["garages_garage.id"],
            name=op.f("fk_garages_invite_garage_id"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["used_by"],
            ["api_user.id"],
            name=op.f("fk_garages_invite_used_by"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_garages_invite")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_garages_invite_code_hash")),
    )
    with op.batch_alter_table("garages_invite", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_garages_invite_garage_id"), ["garage_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("garages_invite", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_garages_invite_garage_id"))
    op.drop_table("garages_invite")

"""garages: directory, services, staff, bookings

Revision ID: 0201_garages
Revises: (own branch "garages", depends on 0101_api_core)
Create Date: 2026-12-01 19:22:49.601576
"""

import sqlalchemy as sa
from alembic import op

revision = "0201_garages"
down_revision = None
branch_labels = ("garages",)
depends_on = "0101_api_core"


def upgrade() -> None:
    op.create_table(
        "garages_garage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=False),
        sa.Column("city", sa.String(length=80), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("bays", sa.SmallInteger(), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("open_on_public_holidays", sa.Boolean(), nullable=False),
        sa.Column("closed_dates", sa.JSON(), nullable=False),
        sa.Column("labour_rate_cents", sa.Integer(), nullable=False),
        sa.Column("vat_bp", sa.SmallInteger(), nullable=False),
        sa.Column("makes", sa.JSON(), nullable=False),
        sa.Column("cancel_notice_hours", sa.SmallInteger(), nullable=False),
        sa.Column("booking_notice_hours", sa.SmallInteger(), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("booking_lock", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_garages_garage")),
        sa.UniqueConstraint("ref", name=op.f("uq_garages_garage_ref")),
    )
    with op.batch_alter_table("garages_garage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_garages_garage_latitude_longitude"),
            ["latitude", "longitude"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_garages_garage_postcode"), ["postcode"], unique=False)

    op.create_table(
        "garages_service",
        sa.Column("garage_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["garage_id"],
            ["garages_garage.id"],
            name=op.f("fk_garages_service_garage_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("garage_id", "code", name=op.f("pk_garages_service")),
    )
    with op.batch_alter_table("garages_service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_garages_service_code"), ["code"], unique=False)

    op.create_table(
        "garages_staff",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("garage_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["garage_id"],
            ["garages_garage.id"],
            name=op.f("fk_garages_staff_garage_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["api_user.id"], name=op.f("fk_garages_staff_user_id"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "garage_id", name=op.f("pk_garages_staff")),
    )
    with op.batch_alter_table("garages_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_garages_staff_garage_id"), ["garage_id"], unique=False)

    op.create_table(
        "garages_booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("garage_id", sa.Integer(), nullable=False),
        sa.Column("driver_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("diagnosis_id", sa.Integer(), nullable=True),
        sa.Column("diagnosis", sa.JSON(), nullable=True),
        sa.Column("vehicle", sa.JSON(), nullable=False),
        sa.Column("work", sa.JSON(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quote", sa.JSON(), nullable=False),
        sa.Column("pending_quote", sa.JSON(), nullable=True),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["driver_id"],
            ["api_user.id"],
            name=op.f("fk_garages_booking_driver_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["garage_id"],
            ["garages_garage.id"],
            name=op.f("fk_garages_booking_garage_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["api_vehicle.id"],
            name=op.f("fk_garages_booking_vehicle_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_garages_booking")),
    )
    with op.batch_alter_table("garages_booking", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_garages_booking_driver_id"), ["driver_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_garages_booking_garage_id_start_at"),
            ["garage_id", "start_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("garages_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_garages_booking_garage_id_start_at"))
        batch_op.drop_index(batch_op.f("ix_garages_booking_driver_id"))

    op.drop_table("garages_booking")
    with op.batch_alter_table("garages_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_garages_staff_garage_id"))

    op.drop_table("garages_staff")
    with op.batch_alter_table("garages_service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_garages_service_code"))

    op.drop_table("garages_service")
    with op.batch_alter_table("garages_garage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_garages_garage_postcode"))
        batch_op.drop_index(batch_op.f("ix_garages_garage_latitude_longitude"))

    op.drop_table("garages_garage")

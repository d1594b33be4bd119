"""parts: the known-vehicle table is per owner (plate unique per owner, not globally).

Rows remembered before this revision belong to the local CLI user (``owner = 'local'``).

Revision ID: 0004_parts_owner
Revises: 0003_parts_refs
Create Date: 2026-12-01 19:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_parts_owner"
down_revision = "0003_parts_refs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("parts_known_vehicle") as batch:
        batch.add_column(
            sa.Column("owner", sa.String(length=64), nullable=False, server_default="local")
        )
        batch.drop_constraint("uq_parts_known_vehicle_plate", type_="unique")
        batch.create_unique_constraint("uq_parts_known_vehicle_owner_plate", ["owner", "plate"])
        batch.create_index("ix_parts_known_vehicle_owner_vin", ["owner", "vin"])
    with op.batch_alter_table("parts_known_vehicle") as batch:
        batch.alter_column("owner", server_default=None)


def downgrade() -> None:
    # Going back to one global plate: keep the earliest row of each plate.
    op.execute(
        "DELETE FROM parts_known_vehicle WHERE id NOT IN "
        "(SELECT MIN(id) FROM parts_known_vehicle GROUP BY plate)"
    )
    with op.batch_alter_table("parts_known_vehicle") as batch:
        batch.drop_index("ix_parts_known_vehicle_owner_vin")
        batch.drop_constraint("uq_parts_known_vehicle_owner_plate", type_="unique")
        batch.create_unique_constraint("uq_parts_known_vehicle_plate", ["plate"])
        batch.drop_column("owner")

"""reporting plans: each person's plan and the latest check-in the server knew

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("reporting_plan", sa.Text(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("last_checkin_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("last_checkin_at")
        batch.drop_column("reporting_plan")

"""Leave rules: who approves a leave, and standing frequent-travel approvals.

Adds ``leaves.approval_level`` ("centre": the 司法所/centre approves; "county": the
county-level institution, i.e. an administrator) fixed when the request arrives from
the configuration in force (``leave_centre_max_days``), and ``leaves.frequent`` (a
standing approval for frequent cross-city travel, 经常性跨市县). Existing leaves were
all decided or filed under the centre, so they default to "centre" and not frequent.

Revision ID: 0010
Revises: 0011
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('leaves', sa.Column('approval_level', sa.String(length=10), nullable=False,
                                      server_default='centre'))
    op.add_column('leaves', sa.Column('frequent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('leaves', 'frequent')
    op.drop_column('leaves', 'approval_level')

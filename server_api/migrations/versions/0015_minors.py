"""Minors (未成年人, Arts 52, 54): a flag and the one staff member who sees their records.

Adds ``persons.is_minor`` (false for every existing person) and
``persons.assigned_staff_id``.

Revision ID: 0015
Revises: 0008
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0008'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: no table copy, as rows of other tables refer to
# persons (see revision 0008). Hence no foreign key on ``assigned_staff_id`` (SQLite
# cannot add one to an existing table): the console checks the account it names, and
# staff accounts are deactivated, never deleted.


def upgrade() -> None:
    op.add_column('persons', sa.Column('is_minor', sa.Boolean(), nullable=False,
                                       server_default=sa.false()))
    op.add_column('persons', sa.Column('assigned_staff_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('persons', 'assigned_staff_id')
    op.drop_column('persons', 'is_minor')

"""Terminals staff suspend for a while (暂停接入) without revoking them.

Adds ``terminals.disabled_at``: while set, every request of the terminal is refused
(``terminal_disabled``) and its key stays valid, so staff can let it back in without
provisioning it again (a revocation, by contrast, is final).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (no table copy: rows of other tables refer to
# terminals); dropping a column needs SQLite 3.35, as revision 0005 already does.


def upgrade() -> None:
    op.add_column('terminals', sa.Column('disabled_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column('terminals', 'disabled_at')

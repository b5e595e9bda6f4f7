"""Content updates (TUF): the terminal reports its download progress and last refusal.

Adds ``terminal_health.content_bytes_done``, ``content_bytes_total`` and
``content_error``; the content repository itself lives in files (``<data_dir>/tuf``).

Revision ID: 0016
Revises: 0009
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('terminal_health', sa.Column('content_bytes_done', sa.BigInteger(),
                                               nullable=False, server_default='0'))
    op.add_column('terminal_health', sa.Column('content_bytes_total', sa.BigInteger(),
                                               nullable=False, server_default='0'))
    op.add_column('terminal_health', sa.Column('content_error', sa.String(length=40),
                                               nullable=False, server_default=''))


def downgrade() -> None:
    op.drop_column('terminal_health', 'content_error')
    op.drop_column('terminal_health', 'content_bytes_total')
    op.drop_column('terminal_health', 'content_bytes_done')

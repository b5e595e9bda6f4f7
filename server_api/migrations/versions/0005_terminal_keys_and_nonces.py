"""Terminals sign their requests: their public keys, and the nonces already seen.

Adds ``terminals.public_key`` (base64 of the raw Ed25519 public key, unique index) and
the table ``terminal_nonces`` (terminal, nonce) with the time after which a nonce may be
forgotten, and drops ``terminals.secret_sha256``: bearer secrets are no longer accepted,
so a terminal enrolled before this revision has no key and must be provisioned again.

On SQLite the revision runs in one transaction, as 0003 and 0004 do; the columns are
dropped with ``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35 or newer; neither column has
a constraint or a foreign key, and the index of ``public_key`` goes first). The
downgrade drops the nonces and the keys and gives ``secret_sha256`` back as an empty
digest, which no secret matches: every terminal must then be enrolled again.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-27
"""
from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _begin_sqlite_transaction() -> None:
    """The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")


def _require_drop_column() -> None:
    if _sqlite() and sqlite3.sqlite_version_info < (3, 35, 0):
        raise RuntimeError(f"revision 0005 needs SQLite 3.35 or newer to drop a column "
                           f"(this is {sqlite3.sqlite_version})")


def upgrade() -> None:
    _require_drop_column()
    if _sqlite():
        _begin_sqlite_transaction()
    op.add_column('terminals', sa.Column('public_key', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_terminals_public_key'), 'terminals', ['public_key'], unique=True)
    op.drop_column('terminals', 'secret_sha256')
    op.create_table('terminal_nonces',
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_terminal_nonces_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('terminal_id', 'nonce', name=op.f('pk_terminal_nonces'))
    )
    op.create_index(op.f('ix_terminal_nonces_expires_at'), 'terminal_nonces', ['expires_at'], unique=False)


def downgrade() -> None:
    _require_drop_column()
    if _sqlite():
        _begin_sqlite_transaction()
    op.drop_index(op.f('ix_terminal_nonces_expires_at'), table_name='terminal_nonces')
    op.drop_table('terminal_nonces')
    op.add_column('terminals', sa.Column('secret_sha256', sa.String(length=64),
                                         server_default='', nullable=False))
    op.drop_index(op.f('ix_terminals_public_key'), table_name='terminals')
    op.drop_column('terminals', 'public_key')

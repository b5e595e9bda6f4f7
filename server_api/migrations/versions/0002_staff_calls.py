"""Staff calls from terminals; an event may have no person (an anonymous staff call).

Adds ``staff_calls`` and makes ``events.person_id`` nullable.

SQLite cannot drop a NOT NULL constraint in place, so ``events`` is rebuilt. The server
runs SQLite with foreign keys enforced, and ``PRAGMA foreign_keys`` cannot be switched
off inside the migration's transaction; dropping ``events`` while ``checkins`` rows point
at it would then fail. So the rebuild defers foreign-key enforcement for the transaction
(``PRAGMA defer_foreign_keys``), copies the rows out and back in again under the same
table name (re-inserting the parent rows settles the references the drop left dangling),
and checks with ``PRAGMA foreign_key_check`` that every reference still holds before
enforcement resumes. PostgreSQL alters the column in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

EVENT_COLUMNS = "id, terminal_id, idempotency_key, kind, person_id, occurred_at, received_at"
EVENTS_COPY = "_events_0002_copy"


def _create_events(person_nullable: bool) -> None:
    """The ``events`` table as 0001 created it, with ``person_id`` nullable or not."""
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=person_nullable),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_events_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_events_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('terminal_id', 'idempotency_key', name='uq_events_terminal_key')
    )
    op.create_index(op.f('ix_events_person_id'), 'events', ['person_id'], unique=False)


def _rebuild_sqlite_events(person_nullable: bool) -> None:
    bind = op.get_bind()
    if not bind.connection.dbapi_connection.in_transaction:
        # The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE;
        # the whole rebuild must be one transaction.
        op.execute("BEGIN")
    # The same declared types as ``events``, so every value comes back unchanged.
    op.execute(f"CREATE TABLE {EVENTS_COPY} (id INTEGER, terminal_id INTEGER, "
               "idempotency_key VARCHAR(64), kind VARCHAR(30), person_id INTEGER, "
               "occurred_at DATETIME, received_at DATETIME)")
    op.execute(f"INSERT INTO {EVENTS_COPY} ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM events")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.drop_index(op.f('ix_events_person_id'), table_name='events')
    op.drop_table('events')
    _create_events(person_nullable)
    op.execute(f"INSERT INTO events ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS} FROM {EVENTS_COPY}")
    op.execute(f"DROP TABLE {EVENTS_COPY}")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the events rebuild: {broken[:5]}")
    op.execute("PRAGMA defer_foreign_keys = OFF")


def _set_person_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_events(nullable)
    else:
        op.alter_column('events', 'person_id', existing_type=sa.Integer(), nullable=nullable)


def upgrade() -> None:
    _set_person_nullable(True)
    op.create_table('staff_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('screen', sa.String(length=50), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_staff_calls_event_id_events')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_staff_calls_person_id_persons')),
    sa.ForeignKeyConstraint(['resolved_by'], ['staff_users.id'], name=op.f('fk_staff_calls_resolved_by_staff_users')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_staff_calls_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_calls')),
    sa.UniqueConstraint('event_id', name=op.f('uq_staff_calls_event_id'))
    )
    op.create_index(op.f('ix_staff_calls_resolved_at'), 'staff_calls', ['resolved_at'], unique=False)
    op.create_index(op.f('ix_staff_calls_terminal_id'), 'staff_calls', ['terminal_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_staff_calls_terminal_id'), table_name='staff_calls')
    op.drop_index(op.f('ix_staff_calls_resolved_at'), table_name='staff_calls')
    op.drop_table('staff_calls')
    # Events without a person (anonymous staff calls) cannot exist before this revision.
    op.execute("DELETE FROM events WHERE person_id IS NULL")
    _set_person_nullable(False)

"""Verification failures for staff to review; face templates say where they came from.

Adds ``verification_failures`` and ``face_templates.source`` ("enrolment" or
"staff_confirmed"; existing templates are enrolment ones).

On SQLite the whole revision runs in one transaction (the ``sqlite3`` driver would
otherwise commit each DDL statement on its own). Adding a column with a default is done
in place. SQLite releases before 3.35 cannot drop a column, so the downgrade rebuilds
``face_templates`` the way 0002 rebuilds ``events``: rows copied out, the table dropped
and created as 0001 made it, rows copied back, then ``PRAGMA foreign_key_check``.
Nothing refers to ``face_templates``, but foreign-key enforcement is deferred all the
same, so the rebuild stays correct should that change. PostgreSQL alters in place.

The downgrade keeps the templates staff confirmed (they are the person's valid
references, and dropping them would make recognition worse); after it they count as
enrolment templates. The events of the failures stay, as they do for staff calls in 0002.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TEMPLATE_COLUMNS = "id, person_id, encoding_json, created_at"
TEMPLATES_COPY = "_face_templates_0003_copy"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _begin_sqlite_transaction() -> None:
    """The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE;
    this revision must be one transaction."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")


def _create_face_templates() -> None:
    """The ``face_templates`` table as 0001 created it."""
    op.create_table('face_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('encoding_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_face_templates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_templates'))
    )
    op.create_index(op.f('ix_face_templates_person_id'), 'face_templates', ['person_id'], unique=False)


def _rebuild_sqlite_face_templates_without_source() -> None:
    bind = op.get_bind()
    # The same declared types as ``face_templates``, so every value comes back unchanged.
    op.execute(f"CREATE TABLE {TEMPLATES_COPY} (id INTEGER, person_id INTEGER, "
               "encoding_json TEXT, created_at DATETIME)")
    op.execute(f"INSERT INTO {TEMPLATES_COPY} ({TEMPLATE_COLUMNS}) "
               f"SELECT {TEMPLATE_COLUMNS} FROM face_templates")
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.drop_index(op.f('ix_face_templates_person_id'), table_name='face_templates')
    op.drop_table('face_templates')
    _create_face_templates()
    op.execute(f"INSERT INTO face_templates ({TEMPLATE_COLUMNS}) "
               f"SELECT {TEMPLATE_COLUMNS} FROM {TEMPLATES_COPY}")
    op.execute(f"DROP TABLE {TEMPLATES_COPY}")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the face_templates rebuild: {broken[:5]}")
    op.execute("PRAGMA defer_foreign_keys = OFF")


def upgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
    op.add_column('face_templates', sa.Column('source', sa.String(length=20),
                                              server_default='enrolment', nullable=False))
    op.create_table('verification_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('claimed', sa.Boolean(), nullable=False),
    sa.Column('face_distance', sa.Float(), nullable=True),
    sa.Column('voice_score', sa.Float(), nullable=True),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('snapshot_path', sa.String(length=500), nullable=True),
    sa.Column('face_encoding_json', sa.Text(), nullable=True),
    sa.Column('review_status', sa.String(length=20), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_verification_failures_event_id_events')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_verification_failures_person_id_persons')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['staff_users.id'], name=op.f('fk_verification_failures_reviewed_by_staff_users')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_verification_failures_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_failures')),
    sa.UniqueConstraint('event_id', name=op.f('uq_verification_failures_event_id'))
    )
    op.create_index(op.f('ix_verification_failures_person_id'), 'verification_failures', ['person_id'], unique=False)
    op.create_index(op.f('ix_verification_failures_review_status'), 'verification_failures', ['review_status'], unique=False)
    op.create_index(op.f('ix_verification_failures_terminal_id'), 'verification_failures', ['terminal_id'], unique=False)


def downgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
    op.drop_index(op.f('ix_verification_failures_terminal_id'), table_name='verification_failures')
    op.drop_index(op.f('ix_verification_failures_review_status'), table_name='verification_failures')
    op.drop_index(op.f('ix_verification_failures_person_id'), table_name='verification_failures')
    op.drop_table('verification_failures')
    if _sqlite():
        _rebuild_sqlite_face_templates_without_source()
    else:
        op.drop_column('face_templates', 'source')

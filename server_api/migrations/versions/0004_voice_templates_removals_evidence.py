"""Voice templates, removal of persons, evidence of failed checks, confirmed references.

Adds ``voice_templates`` (the latest template of a person, an opaque blob),
``person_removals`` (staff removed a person: their biometrics are gone, their records
stay), the evidence columns of ``verification_failures`` and
``face_templates.verification_failure_id`` (the failed check a staff-confirmed template
came from).

As in 0003, on SQLite the revision runs in one transaction and the downgrade rebuilds
the two altered tables as 0003 left them (rows copied out, table dropped and created,
rows copied back, ``PRAGMA foreign_key_check``), since SQLite before 3.35 cannot drop a
column and none can drop one under a foreign key. PostgreSQL alters in place. The
downgrade loses the voice templates and the removals (removed persons return to the
roster, without biometrics) and the evidence figures; templates and failures stay.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-20
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

FK_TEMPLATE_FAILURE = 'fk_face_templates_verification_failure_id_verification_failures'
EVIDENCE_NAMES = ('stage', 'liveness_reason', 'challenges_json', 'voice_reason',
                  'voice_threshold', 'lipsync_decision', 'lipsync_r', 'face_ratio')
TEMPLATE_COLUMNS = "id, person_id, encoding_json, created_at, source"
FAILURE_COLUMNS = ("id, event_id, terminal_id, person_id, reason, claimed, face_distance, "
                   "voice_score, attempt, occurred_at, snapshot_path, face_encoding_json, "
                   "review_status, reviewed_at, reviewed_by, review_note")


def _evidence_columns() -> list[sa.Column]:
    return [
    sa.Column('stage', sa.String(length=10), nullable=True),
    sa.Column('liveness_reason', sa.String(length=40), nullable=True),
    sa.Column('challenges_json', sa.Text(), nullable=True),
    sa.Column('voice_reason', sa.String(length=40), nullable=True),
    sa.Column('voice_threshold', sa.Float(), nullable=True),
    sa.Column('lipsync_decision', sa.String(length=40), nullable=True),
    sa.Column('lipsync_r', sa.Float(), nullable=True),
    sa.Column('face_ratio', sa.Float(), nullable=True),
    ]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _begin_sqlite_transaction() -> None:
    """The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")


def upgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
    op.create_table('voice_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_voice_templates_event_id_events')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_voice_templates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_templates')),
    sa.UniqueConstraint('person_id', name=op.f('uq_voice_templates_person_id'))
    )
    op.create_table('person_removals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=False),
    sa.Column('removed_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_removals_person_id_persons')),
    sa.ForeignKeyConstraint(['removed_by'], ['staff_users.id'], name=op.f('fk_person_removals_removed_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_removals')),
    sa.UniqueConstraint('person_id', name=op.f('uq_person_removals_person_id'))
    )
    for column in _evidence_columns():
        op.add_column('verification_failures', column)
    if _sqlite():  # SQLite adds a foreign key only with the column itself
        op.execute(f"ALTER TABLE face_templates ADD COLUMN verification_failure_id INTEGER "
                   f"CONSTRAINT {FK_TEMPLATE_FAILURE} REFERENCES verification_failures (id)")
    else:
        op.add_column('face_templates', sa.Column('verification_failure_id', sa.Integer(),
                                                  nullable=True))
        op.create_foreign_key(op.f(FK_TEMPLATE_FAILURE), 'face_templates',
                              'verification_failures', ['verification_failure_id'], ['id'])


def _create_face_templates_0003() -> None:
    op.create_table('face_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('encoding_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=20), server_default='enrolment', nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_face_templates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_templates'))
    )
    op.create_index(op.f('ix_face_templates_person_id'), 'face_templates', ['person_id'], unique=False)


def _create_verification_failures_0003() -> None:
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


def _rebuild_sqlite(table: str, columns: str, indexes: list[str], create) -> None:
    """Copy ``columns`` out, drop the table, create it as 0003 had it, copy them back.

    The copy keeps every value as stored (CREATE TABLE AS keeps each column's affinity).
    """
    copy = f"_{table}_0004_copy"
    op.execute(f"CREATE TABLE {copy} AS SELECT {columns} FROM {table}")
    for index in indexes:
        op.drop_index(op.f(index), table_name=table)
    op.drop_table(table)
    create()
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {copy}")
    op.execute(f"DROP TABLE {copy}")


def downgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
    op.drop_table('person_removals')
    op.drop_table('voice_templates')
    if not _sqlite():
        op.drop_constraint(op.f(FK_TEMPLATE_FAILURE), 'face_templates', type_='foreignkey')
        op.drop_column('face_templates', 'verification_failure_id')
        for name in reversed(EVIDENCE_NAMES):
            op.drop_column('verification_failures', name)
        return
    op.execute("PRAGMA defer_foreign_keys = ON")
    _rebuild_sqlite('face_templates', TEMPLATE_COLUMNS, ['ix_face_templates_person_id'],
                    _create_face_templates_0003)
    _rebuild_sqlite('verification_failures', FAILURE_COLUMNS,
                    ['ix_verification_failures_terminal_id',
                     'ix_verification_failures_review_status',
                     'ix_verification_failures_person_id'],
                    _create_verification_failures_0003)
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the 0004 downgrade: {broken[:5]}")
    op.execute("PRAGMA defer_foreign_keys = OFF")

"""Written reports (思想汇报): photographed pages or a spoken recording, encrypted at rest.

Adds ``written_reports``; the files themselves live under the data folder, AES-GCM
encrypted (``server_api/server/report_vault.py``). The downgrade drops the table and
leaves the encrypted files (and their events) in place.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('written_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('form', sa.String(length=10), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('audio_seconds', sa.Float(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('files_json', sa.Text(), nullable=False),
    sa.Column('first_read_at', sa.DateTime(), nullable=True),
    sa.Column('first_read_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_written_reports_event_id_events')),
    sa.ForeignKeyConstraint(['first_read_by'], ['staff_users.id'], name=op.f('fk_written_reports_first_read_by_staff_users')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_written_reports_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_written_reports_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_written_reports')),
    sa.UniqueConstraint('event_id', name=op.f('uq_written_reports_event_id'))
    )
    op.create_index('ix_written_reports_person_time', 'written_reports', ['person_id', 'occurred_at'], unique=False)
    op.create_index(op.f('ix_written_reports_occurred_at'), 'written_reports', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_written_reports_occurred_at'), table_name='written_reports')
    op.drop_index('ix_written_reports_person_time', table_name='written_reports')
    op.drop_table('written_reports')

"""Initial tables of the central server.

Datetimes are naive UTC (the models' UTCDateTime adds the zone on reading).

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centres')),
    sa.UniqueConstraint('name', name=op.f('uq_centres_name'))
    )
    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_number', sa.String(length=18), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('reporting_obligation', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_persons_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons')),
    sa.UniqueConstraint('id_number', name=op.f('uq_persons_id_number'))
    )
    op.create_index(op.f('ix_persons_centre_id'), 'persons', ['centre_id'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_staff_users_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('username', name=op.f('uq_staff_users_username'))
    )
    op.create_table('terminals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_terminals_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_terminals')),
    sa.UniqueConstraint('public_id', name=op.f('uq_terminals_public_id'))
    )
    op.create_index(op.f('ix_terminals_centre_id'), 'terminals', ['centre_id'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=50), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_audit_log_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False)

    op.create_table('enrol_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_enrol_tokens_centre_id_centres')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_enrol_tokens_created_by_staff_users')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_enrol_tokens_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrol_tokens')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_enrol_tokens_token_sha256'))
    )
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_events_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_events_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('terminal_id', 'idempotency_key', name='uq_events_terminal_key')
    )
    op.create_index(op.f('ix_events_person_id'), 'events', ['person_id'], unique=False)

    op.create_table('face_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('encoding_json', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_face_templates_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_face_templates'))
    )
    op.create_index(op.f('ix_face_templates_person_id'), 'face_templates', ['person_id'], unique=False)

    op.create_table('leaves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('returned_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['staff_users.id'], name=op.f('fk_leaves_decided_by_staff_users')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_leaves_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_leaves_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leaves')),
    sa.UniqueConstraint('key', name=op.f('uq_leaves_key'))
    )
    op.create_index(op.f('ix_leaves_person_id'), 'leaves', ['person_id'], unique=False)
    op.create_index(op.f('ix_leaves_status'), 'leaves', ['status'], unique=False)

    op.create_table('lessons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['staff_users.id'], name=op.f('fk_lessons_uploaded_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lessons'))
    )
    op.create_table('voice_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_voice_samples_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_voice_samples'))
    )
    op.create_index(op.f('ix_voice_samples_person_id'), 'voice_samples', ['person_id'], unique=False)

    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('match_score', sa.Float(), nullable=False),
    sa.Column('snapshot_path', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkins_event_id_events')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_checkins_person_id_persons')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminals.id'], name=op.f('fk_checkins_terminal_id_terminals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins')),
    sa.UniqueConstraint('event_id', name=op.f('uq_checkins_event_id'))
    )
    op.create_index(op.f('ix_checkins_occurred_at'), 'checkins', ['occurred_at'], unique=False)
    op.create_index(op.f('ix_checkins_person_id'), 'checkins', ['person_id'], unique=False)

    op.create_table('lesson_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['staff_users.id'], name=op.f('fk_lesson_assignments_assigned_by_staff_users')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_assignments_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_lesson_assignments_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_assignments')),
    sa.UniqueConstraint('lesson_id', 'person_id', name='uq_lesson_assignments_lesson_person')
    )
    op.create_index(op.f('ix_lesson_assignments_person_id'), 'lesson_assignments', ['person_id'], unique=False)

    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('watched_seconds', sa.Float(), nullable=False),
    sa.Column('position_seconds', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_progress_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_lesson_progress_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_progress')),
    sa.UniqueConstraint('lesson_id', 'person_id', name='uq_lesson_progress_lesson_person')
    )


def downgrade() -> None:
    op.drop_table('lesson_progress')
    op.drop_table('lesson_assignments')
    op.drop_table('checkins')
    op.drop_table('voice_samples')
    op.drop_table('lessons')
    op.drop_table('leaves')
    op.drop_table('face_templates')
    op.drop_table('events')
    op.drop_table('enrol_tokens')
    op.drop_table('audit_log')
    op.drop_table('terminals')
    op.drop_table('staff_users')
    op.drop_table('persons')
    op.drop_table('centres')

"""Lesson credit: group assignments (a centre, or one case type there), quizzes, and
the learning time credited while the verified person watched (docs/LESSON_CREDIT.md).

Revision ID: 0014
Revises: 0016
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0014'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lesson_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('credited_seconds', sa.Float(), nullable=False),
    sa.Column('furthest_seconds', sa.Float(), nullable=False),
    sa.Column('position_seconds', sa.Float(), nullable=False),
    sa.Column('quiz_score', sa.Integer(), nullable=True),
    sa.Column('quiz_total', sa.Integer(), nullable=True),
    sa.Column('quiz_passed', sa.Boolean(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_credits_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_lesson_credits_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_credits')),
    sa.UniqueConstraint('lesson_id', 'person_id', name='uq_lesson_credits_lesson_person')
    )
    with op.batch_alter_table('lesson_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_credits_person_id'), ['person_id'], unique=False)

    op.create_table('lesson_group_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('case_type', sa.String(length=20), nullable=False),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by'], ['staff_users.id'], name=op.f('fk_lesson_group_assignments_assigned_by_staff_users')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_lesson_group_assignments_centre_id_centres')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_group_assignments_lesson_id_lessons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lesson_group_assignments')),
    sa.UniqueConstraint('lesson_id', 'centre_id', 'case_type', name='uq_lesson_group_assignments')
    )
    with op.batch_alter_table('lesson_group_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lesson_group_assignments_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lesson_group_assignments_lesson_id'), ['lesson_id'], unique=False)

    op.create_table('lesson_quizzes',
    sa.Column('lesson_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('quiz_json', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_lesson_quizzes_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'], name=op.f('fk_lesson_quizzes_updated_by_staff_users')),
    sa.PrimaryKeyConstraint('lesson_id', name=op.f('pk_lesson_quizzes'))
    )


def downgrade() -> None:
    op.drop_table('lesson_quizzes')
    with op.batch_alter_table('lesson_group_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_group_assignments_lesson_id'))
        batch_op.drop_index(batch_op.f('ix_lesson_group_assignments_centre_id'))

    op.drop_table('lesson_group_assignments')
    with op.batch_alter_table('lesson_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lesson_credits_person_id'))

    op.drop_table('lesson_credits')

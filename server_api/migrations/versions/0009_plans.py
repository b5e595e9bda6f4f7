"""Reporting plans (报到计划) and the date a judgment took effect (Art 21).

Adds ``reporting_plans`` (one plan per person: weekly, monthly or specific dates, each
with a window) and ``person_intakes`` (the judgment-effective date the first report is
counted from).

Revision ID: 0009
Revises: 0012
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'reporting_plans',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('due_day', sa.Integer(), nullable=False),
        sa.Column('dates_json', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_reporting_plans_person_id_persons')),
        sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'],
                                name=op.f('fk_reporting_plans_updated_by_staff_users')),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_reporting_plans')),
    )
    op.create_table(
        'person_intakes',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('effective_date', sa.Date(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['person_id'], ['persons.id'],
                                name=op.f('fk_person_intakes_person_id_persons')),
        sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'],
                                name=op.f('fk_person_intakes_updated_by_staff_users')),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_person_intakes')),
    )


def downgrade() -> None:
    op.drop_table('person_intakes')
    op.drop_table('reporting_plans')

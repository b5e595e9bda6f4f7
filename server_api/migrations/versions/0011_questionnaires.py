"""questionnaires (心理测评): assignments and results

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaire_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name="fk_questionnaire_assignments_person_id_persons"),
        sa.ForeignKeyConstraint(["assigned_by"], ["staff_users.id"],
                                name="fk_questionnaire_assignments_assigned_by_staff_users"),
        sa.PrimaryKeyConstraint("id", name="pk_questionnaire_assignments"),
    )
    op.create_index("ix_questionnaire_assignments_person_id", "questionnaire_assignments",
                    ["person_id"])
    op.create_index("ix_questionnaire_assignments_completed_at", "questionnaire_assignments",
                    ["completed_at"])
    op.create_table(
        "questionnaire_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("terminal_id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers_json", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=40), nullable=False),
        sa.Column("critical", sa.Boolean(), nullable=False),
        sa.Column("critical_json", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"],
                                name="fk_questionnaire_results_event_id_events"),
        sa.ForeignKeyConstraint(["assignment_id"], ["questionnaire_assignments.id"],
                                name="fk_questionnaire_results_assignment"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name="fk_questionnaire_results_person_id_persons"),
        sa.ForeignKeyConstraint(["terminal_id"], ["terminals.id"],
                                name="fk_questionnaire_results_terminal_id_terminals"),
        sa.PrimaryKeyConstraint("id", name="pk_questionnaire_results"),
        sa.UniqueConstraint("event_id", name="uq_questionnaire_results_event_id"),
        sa.UniqueConstraint("assignment_id", name="uq_questionnaire_results_assignment_id"),
    )
    op.create_index("ix_questionnaire_results_person_id", "questionnaire_results", ["person_id"])
    op.create_index("ix_questionnaire_results_occurred_at", "questionnaire_results",
                    ["occurred_at"])


def downgrade() -> None:
    op.drop_table("questionnaire_results")
    op.drop_table("questionnaire_assignments")

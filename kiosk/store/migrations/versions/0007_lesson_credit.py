"""lesson credit: credited time, furthest point and quiz result; cached quizzes

Revision ID: 0007
Revises: 0010
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lesson_credits",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.Integer(), nullable=False),
        sa.Column("credited_s", sa.Float(), nullable=False),
        sa.Column("furthest_s", sa.Float(), nullable=False),
        sa.Column("position_s", sa.Float(), nullable=False),
        sa.Column("quiz_score", sa.Integer(), nullable=True),
        sa.Column("quiz_total", sa.Integer(), nullable=True),
        sa.Column("quiz_passed", sa.Boolean(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("person_id", "lesson_id"),
    )
    op.create_table(
        "cached_lesson_quizzes",
        sa.Column("lesson_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("quiz_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("lesson_id"),
    )


def downgrade() -> None:
    op.drop_table("cached_lesson_quizzes")
    op.drop_table("lesson_credits")

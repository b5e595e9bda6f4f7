"""Sign-in lockout counters, and an audit log the database itself keeps append-only.

Adds the table ``login_throttles`` (failed sign-ins per account name and per client
address, with the time a lockout ends) and triggers on ``audit_log`` that refuse every
UPDATE and DELETE, on SQLite (``RAISE(ABORT)``) and on PostgreSQL (a PL/pgSQL function
raising an exception). The downgrade drops both.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
]
PG_FUNCTION = f"""
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}';
END;
$$"""
PG_TRIGGER = ("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
              "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()")
PG_TRUNCATE_TRIGGER = ("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _begin_sqlite_transaction() -> None:
    """The sqlite3 driver opens a transaction only at the first INSERT/UPDATE/DELETE."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")


def upgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
    op.create_table('login_throttles',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttles'))
    )
    if _sqlite():
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
        op.execute(PG_TRUNCATE_TRIGGER)


def downgrade() -> None:
    if _sqlite():
        _begin_sqlite_transaction()
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table('login_throttles')

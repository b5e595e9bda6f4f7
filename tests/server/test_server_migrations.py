"""Migrations: the models agree with the revisions, and upgrades keep existing rows."""
from __future__ import annotations

import datetime as dt

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from server_api.server.db import Database
from server_api.server.migrate import alembic_config, current_revision, head_revision, upgrade_to_head
from server_api.server.models import Base


def _migrate(db: Database, revision: str, down: bool = False) -> None:
    config = alembic_config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_the_models_match_the_migrations(database_url):
    db = Database(database_url)
    try:
        upgrade_to_head(db.engine)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()


ROWS = [
    "INSERT INTO centres (id, name, created_at) VALUES (1, '城关司法所', :t)",
    "INSERT INTO persons (id, centre_id, name, id_number, case_type, reporting_obligation, "
    "created_at) VALUES (1, 1, '张三', '11010519491231002X', '缓刑', '', :t)",
    "INSERT INTO terminals (id, public_id, name, centre_id, secret_sha256, created_at) "
    "VALUES (1, 'term-1', '大厅一号机', 1, 'x', :t)",
    "INSERT INTO events (id, terminal_id, idempotency_key, kind, person_id, occurred_at, "
    "received_at) VALUES (7, 1, 'checkin-0001', 'checkin', 1, :t, :t)",
    "INSERT INTO checkins (id, event_id, person_id, terminal_id, occurred_at, match_score) "
    "VALUES (1, 7, 1, 1, :t, 0.9)",
    "INSERT INTO face_templates (id, person_id, encoding_json, created_at) "
    "VALUES (3, 1, '[0.5]', :t)",
]


def test_upgrading_a_database_in_use_keeps_its_rows(database_url):
    """0001 with events referenced by check-ins, up to head, down again and up again
    (to 0002 with verification failures and staff-confirmed templates present, then 0001)."""
    at = dt.datetime(2025, 5, 1, 8, 30)
    db = Database(database_url)
    try:
        _migrate(db, "0001")
        with db.engine.begin() as connection:
            for statement in ROWS:
                connection.execute(text(statement), {"t": at})
        upgrade_to_head(db.engine)
        assert current_revision(db.engine) == head_revision()
        assert any(c["name"] == "person_id" and c["nullable"]
                   for c in inspect(db.engine).get_columns("events"))
        with db.engine.begin() as connection:
            assert connection.execute(text(
                "SELECT id, idempotency_key, person_id, occurred_at FROM events")).all() == [
                (7, "checkin-0001", 1, at if db.dialect == "postgresql" else str(at))]
            assert connection.execute(text("SELECT event_id FROM checkins")).scalar() == 7
            connection.execute(text(
                "INSERT INTO events (id, terminal_id, idempotency_key, kind, person_id, "
                "occurred_at, received_at) VALUES (8, 1, 'call-0001', 'staff_call', NULL, :t, :t)"),
                {"t": at})
            connection.execute(text(
                "INSERT INTO staff_calls (event_id, terminal_id, person_id, screen, occurred_at) "
                "VALUES (8, 1, NULL, 'idle', :t)"), {"t": at})

            # 0003: existing templates are enrolment ones; failures may have no person.
            assert connection.execute(text(
                "SELECT id, encoding_json, source FROM face_templates")).all() == [
                (3, "[0.5]", "enrolment")]
            connection.execute(text(
                "INSERT INTO face_templates (id, person_id, encoding_json, created_at, source) "
                "VALUES (4, 1, '[0.6]', :t, 'staff_confirmed')"), {"t": at})
            connection.execute(text(
                "INSERT INTO events (id, terminal_id, idempotency_key, kind, person_id, "
                "occurred_at, received_at) VALUES (9, 1, 'vf-00000001', 'verification_failure', "
                "1, :t, :t), (10, 1, 'vf-00000002', 'verification_failure', NULL, :t, :t)"),
                {"t": at})
            connection.execute(text(
                "INSERT INTO verification_failures (event_id, terminal_id, person_id, reason, "
                "claimed, attempt, occurred_at, face_encoding_json, review_status, review_note) "
                "VALUES (9, 1, 1, 'face_mismatch', :yes, 2, :t, '[0.6]', 'confirmed_genuine', ''),"
                " (10, 1, NULL, 'no_face', :no, 1, :t, NULL, 'open', '')"),
                {"t": at, "yes": True, "no": False})

        _migrate(db, "0002", down=True)
        assert "verification_failures" not in inspect(db.engine).get_table_names()
        assert "source" not in {c["name"] for c in inspect(db.engine).get_columns("face_templates")}
        assert "ix_face_templates_person_id" in {
            i["name"] for i in inspect(db.engine).get_indexes("face_templates")}
        with db.engine.begin() as connection:
            # Templates staff confirmed stay: they are valid references of the person.
            assert connection.execute(text(
                "SELECT id, person_id, encoding_json FROM face_templates ORDER BY id")).all() == [
                (3, 1, "[0.5]"), (4, 1, "[0.6]")]
            if db.dialect == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        upgrade_to_head(db.engine)
        assert "verification_failures" in inspect(db.engine).get_table_names()

        _migrate(db, "0001", down=True)
        assert not {"staff_calls", "verification_failures"} & set(inspect(db.engine).get_table_names())
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT id FROM events ORDER BY id")).scalars().all() == [7, 9]
            assert connection.execute(text("SELECT count(*) FROM face_templates")).scalar() == 2
        upgrade_to_head(db.engine)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT count(*) FROM checkins")).scalar() == 1
            assert connection.execute(text(
                "SELECT id, source FROM face_templates ORDER BY id")).all() == [
                (3, "enrolment"), (4, "enrolment")]
            if db.dialect == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
    finally:
        db.dispose()


ROWS_0003 = ROWS + [
    "INSERT INTO staff_users (id, username, password_hash, role, centre_id, active, created_at) "
    "VALUES (1, 'admin', 'x', 'admin', NULL, :yes, :t)",
    "INSERT INTO face_templates (id, person_id, encoding_json, created_at, source) "
    "VALUES (4, 1, '[0.6]', :t, 'staff_confirmed')",
    "INSERT INTO events (id, terminal_id, idempotency_key, kind, person_id, occurred_at, "
    "received_at) VALUES (9, 1, 'vf-00000001', 'verification_failure', 1, :t, :t)",
    "INSERT INTO verification_failures (id, event_id, terminal_id, person_id, reason, claimed, "
    "face_distance, attempt, occurred_at, face_encoding_json, review_status, reviewed_by, "
    "review_note) VALUES (5, 9, 1, 1, 'face_mismatch', :yes, 0.61, 2, :t, '[0.6]', "
    "'confirmed_genuine', 1, '本人')",
]


def test_0004_keeps_templates_and_failures_both_ways(database_url):
    """0003 with a confirmed template and a reviewed failure, up to head (voice template,
    removal, evidence added), down to 0003 again: templates and failures unchanged."""
    at = dt.datetime(2025, 5, 1, 8, 30)
    db = Database(database_url)
    failures = ("SELECT id, event_id, person_id, reason, claimed, face_distance, attempt, "
                "face_encoding_json, review_status, reviewed_by, review_note "
                "FROM verification_failures")
    try:
        _migrate(db, "0003")
        with db.engine.begin() as connection:
            for statement in ROWS_0003:
                connection.execute(text(statement), {"t": at, "yes": True})
            before = (connection.execute(text(failures)).all(), connection.execute(text(
                "SELECT id, person_id, encoding_json, source FROM face_templates ORDER BY id")).all())
        upgrade_to_head(db.engine)
        with db.engine.begin() as connection:
            assert connection.execute(text(
                "SELECT stage, challenges_json, face_ratio FROM verification_failures")).all() == [
                (None, None, None)]
            connection.execute(text("UPDATE verification_failures SET stage = 'face', "
                                    "face_ratio = 1.2, challenges_json = '[\"blink\"]'"))
            connection.execute(text(
                "UPDATE face_templates SET verification_failure_id = 5 WHERE id = 4"))
            connection.execute(text(
                "INSERT INTO voice_templates (person_id, event_id, blob, model, created_at) "
                "VALUES (1, 9, :blob, 'ge2e', :t)"), {"blob": b"PK\x03\x04\x00npz", "t": at})
            connection.execute(text(
                "INSERT INTO person_removals (person_id, removed_at, removed_by, reason) "
                "VALUES (1, :t, 1, '解除矫正')"), {"t": at})
            assert connection.execute(text("SELECT blob FROM voice_templates")).scalar() == \
                b"PK\x03\x04\x00npz"

        _migrate(db, "0003", down=True)
        tables = set(inspect(db.engine).get_table_names())
        assert not {"voice_templates", "person_removals"} & tables
        assert "stage" not in {c["name"] for c in inspect(db.engine).get_columns(
            "verification_failures")}
        assert {i["name"] for i in inspect(db.engine).get_indexes("verification_failures")} >= {
            "ix_verification_failures_person_id", "ix_verification_failures_review_status",
            "ix_verification_failures_terminal_id"}
        with db.engine.begin() as connection:
            after = (connection.execute(text(failures)).all(), connection.execute(text(
                "SELECT id, person_id, encoding_json, source FROM face_templates ORDER BY id")).all())
            assert after == before
            if db.dialect == "sqlite":
                assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        upgrade_to_head(db.engine)
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        db.dispose()

"""``kiosk-central``: run the central server, migrate its database, issue enrolment tokens.

    kiosk-central [--host 127.0.0.1] [--port 8800] [--database-url URL] [--data-dir DIR]
                  [--workers N]
    kiosk-central migrate [--database-url URL] [--data-dir DIR]
    kiosk-central issue-token --centre NAME [--database-url URL] [--data-dir DIR]

Options fall back to the environment (``KIOSK_CENTRAL_HOST``, ``_PORT``, ``_DATABASE_URL``,
``_DATA_DIR``, ...), then to the defaults: data folder ``./data/central`` and the SQLite
database ``<data-dir>/central.db``. ``issue-token`` prints only the token on stdout.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from server_api.server.settings import CentralSettings


def _database_options(parser: argparse.ArgumentParser, default=None) -> None:
    parser.add_argument("--database-url", default=default,
                        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
                             "(default: sqlite:///<data-dir>/central.db)")
    parser.add_argument("--data-dir", type=Path, default=default,
                        help="folder for the SQLite file, snapshots, voice samples and lessons "
                             "(default: ./data/central)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-central",
                                     description="Central server of the correction kiosks.")
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (default 8800)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default 1); more than one needs PostgreSQL "
                             "to scale, SQLite has a single writer")
    _database_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="{serve,migrate,issue-token,publish-content}")
    # SUPPRESS: a subcommand's unset option must not overwrite the same option given before it.
    serve = commands.add_parser("serve", help="run the server (the default)")
    serve.add_argument("--host", default=argparse.SUPPRESS)
    serve.add_argument("--port", type=int, default=argparse.SUPPRESS)
    serve.add_argument("--workers", type=int, default=argparse.SUPPRESS)
    _database_options(serve, argparse.SUPPRESS)
    migrate = commands.add_parser("migrate", help="bring the database to the newest schema")
    _database_options(migrate, argparse.SUPPRESS)
    token = commands.add_parser("issue-token", help="print a one-time terminal enrolment token")
    token.add_argument("--centre", required=True, help="centre name (created if missing)")
    token.add_argument("--ttl-hours", type=float, default=None, help="validity (default 24)")
    _database_options(token, argparse.SUPPRESS)
    publish = commands.add_parser("publish-content", help=(
        "sign a new content version (TUF) if lessons or centre configuration changed"))
    _database_options(publish, argparse.SUPPRESS)
    return parser


def settings_from(args: argparse.Namespace) -> CentralSettings:
    """Environment settings, overridden by the options given on the command line."""
    overrides = {name: getattr(args, name, None)
                 for name in ("host", "port", "workers", "database_url", "data_dir")}
    settings = CentralSettings()
    return settings.model_copy(update={k: v for k, v in overrides.items() if v is not None})


def migrate(settings: CentralSettings) -> int:
    from server_api.server.db import Database
    from server_api.server.migrate import current_revision, upgrade_to_head

    db = Database(settings.resolved_database_url())
    try:
        upgrade_to_head(db.engine)
        print(f"database at revision {current_revision(db.engine)}", file=sys.stderr)
    finally:
        db.dispose()
    return 0


def issue_token(settings: CentralSettings, centre_name: str, ttl_hours: float | None) -> int:
    from sqlalchemy import select

    from server_api.server.clock import utc_now
    from server_api.server.db import Database
    from server_api.server.migrate import upgrade_to_head
    from server_api.server.models import Centre
    from server_api.server.terminal_auth import issue_enrol_token

    name = centre_name.strip()
    if not name:
        print("kiosk-central: --centre must not be empty", file=sys.stderr)
        return 2
    db = Database(settings.resolved_database_url())
    try:
        upgrade_to_head(db.engine)
        with db.session() as session:
            centre = session.scalar(select(Centre).where(Centre.name == name))
            if centre is None:
                centre = Centre(name=name, created_at=utc_now())
                session.add(centre)
                session.flush()
            ttl = dt.timedelta(hours=ttl_hours or settings.enrol_token_ttl_hours)
            token, _row = issue_enrol_token(session, centre.id, utc_now(), ttl)
    finally:
        db.dispose()
    print(token, flush=True)
    return 0


def publish_content(settings: CentralSettings) -> int:
    from server_api.server.clock import utc_now
    from server_api.server.content_api import centre_config
    from server_api.server.content_repo import ContentRepository
    from server_api.server.db import Database
    from server_api.server.migrate import upgrade_to_head

    db = Database(settings.resolved_database_url())
    try:
        upgrade_to_head(db.engine)
        with db.session() as session:
            version = ContentRepository(Path(settings.data_dir).resolve()).publish(
                session, utc_now(), centre_config)
    finally:
        db.dispose()
    print(f"content version v{version} published", file=sys.stderr)
    return 0


def serve(settings: CentralSettings) -> int:
    import uvicorn

    from server_api.server.app import create_app

    if settings.workers <= 1:
        app = create_app(settings.resolved_database_url(), settings.data_dir, settings=settings)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
        return 0
    # Several processes: migrate, create the first admin and the session key once here,
    # then each worker builds the app from the same settings (passed by the environment).
    create_app(settings.resolved_database_url(), settings.data_dir, settings=settings)
    os.environ.update(worker_environment(settings))
    uvicorn.run("server_api.server.app:app_from_environment", factory=True,
                host=settings.host, port=settings.port, workers=settings.workers,
                log_level="info")
    return 0


def worker_environment(settings: CentralSettings) -> dict[str, str]:
    """The settings a worker process needs, as ``KIOSK_CENTRAL_*`` variables."""
    return {"KIOSK_CENTRAL_DATABASE_URL": settings.resolved_database_url(),
            "KIOSK_CENTRAL_DATA_DIR": str(Path(settings.data_dir).resolve())}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from(args)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "issue-token":
        return issue_token(settings, args.centre, args.ttl_hours)
    if args.command == "publish-content":
        return publish_content(settings)
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())

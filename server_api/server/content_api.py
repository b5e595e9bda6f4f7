"""The signed content repository as terminals fetch it (The Update Framework).

``GET /api/v1/content/metadata/{name}``: ``<N>.root.json``, ``root.json``,
``timestamp.json``, ``<N>.snapshot.json``, ``<N>.targets.json``.
``GET /api/v1/content/targets/{directory}/{sha256}.{name}``: a target file by its hash
(``lessons``, ``questionnaires``, ``config``)
(consistent snapshots), honouring ``Range: bytes=N-`` so a cut download resumes.
Both need a signed terminal request, like the rest of the terminal API. The terminal
trusts nothing it fetches here until TUF has verified it against the root it was given
at provisioning. ``publish_content`` is the publish step, called when lessons or a
centre's configuration change (and by ``kiosk-central publish-content``).
"""
from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import FileResponse
from sqlalchemy import select

from server_api import contract
from server_api.server.content_repo import TARGET_NAME, ContentRepository
from server_api.server.context import ServerContext, get_context
from server_api.server.errors import ApiError, error_responses
from server_api.server.fleet import effective_for
from server_api.server.models import Lesson
from server_api.server.terminal_api import _check_range
from server_api.server.terminal_auth import TerminalIdentity, authenticated_terminal

log = logging.getLogger(__name__)
router = APIRouter(prefix=contract.API_PREFIX + "/content", tags=["content"])
NO_CACHE = {"Cache-Control": "no-store"}


def repository(ctx: ServerContext) -> ContentRepository:
    return ContentRepository(ctx.storage.root)


def centre_config(session, centre_id: int) -> dict:
    """A centre's terminal configuration as published (no terminal override)."""
    return effective_for(session, centre_id, 0).config.model_dump(mode="json")


def publish_content(ctx: ServerContext) -> int | None:
    """Sign a new content version if lessons or configuration changed; its version.

    A failure is logged, never raised: the change staff made is kept, and the next
    publish (any later change, or the CLI) signs it."""
    try:
        with ctx.db.session() as session:
            return repository(ctx).publish(session, ctx.clock(), centre_config)
    except Exception:  # noqa: BLE001
        log.exception("content not published")
        return None


@router.get("/metadata/{name}", response_class=FileResponse, responses={
    200: {"description": "Signed TUF metadata: JSON bytes the terminal verifies with TUF "
                         "against its trusted root (not a model of this contract)",
          "content": {"application/octet-stream": {}}},
    **error_responses(401, 404, 422, s404="No such metadata file (`metadata_not_found`)")})
def metadata(name: Annotated[str, Path(max_length=40)],
             terminal: TerminalIdentity = Depends(authenticated_terminal),
             ctx: ServerContext = Depends(get_context)) -> FileResponse:
    """One signed metadata file of the content repository."""
    repo = repository(ctx)
    if name == "timestamp.json" and repo.initialised():
        try:
            repo.renew_timestamp(ctx.clock())
        except Exception:  # noqa: BLE001 - serve what is signed; terminals judge its expiry
            log.exception("timestamp not renewed")
    path = repo.metadata_file(name)
    if path is None:
        raise ApiError(404, "metadata_not_found", f"no metadata {name!r}")
    return FileResponse(path, media_type="application/octet-stream", headers=NO_CACHE)


@router.get("/targets/{directory}/{filename}", response_class=FileResponse, responses={
    200: {"description": "The target file", "content": {"application/octet-stream": {}}},
    206: {"description": "The rest of the target file (Range)",
          "content": {"application/octet-stream": {}}},
    **error_responses(400, 401, 404, 416, 422,
                      s400="A Range header other than 'bytes=N-' or 'bytes=N-M' (`range_invalid`)",
                      s404="No target with this hash for this terminal (`target_not_found`)")})
def target(directory: Annotated[str, Path(max_length=20)],
           filename: Annotated[str, Path(max_length=200)],
           range_header: Annotated[str | None, Header(alias="Range")] = None,
           terminal: TerminalIdentity = Depends(authenticated_terminal),
           ctx: ServerContext = Depends(get_context)) -> FileResponse:
    """A target file named by its sha256 (honours ``Range: bytes=N-``)."""
    match = TARGET_NAME.match(f"{directory}/{filename}")
    if match is None:
        raise ApiError(404, "target_not_found", "no such target")
    _, sha256, name = match.groups()
    path = None
    if directory == "lessons":
        with ctx.db.session() as session:
            lesson = session.scalar(select(Lesson).where(Lesson.sha256 == sha256).limit(1))
        if lesson is not None:
            candidate = ctx.storage.resolve(lesson.path)
            path = candidate if candidate.is_file() else None
    elif directory == "questionnaires" or name == f"centre-{terminal.centre_id}.json":
        # every questionnaire definition; of configurations, only its own centre's
        path = repository(ctx).blob(directory, sha256, name)
    if path is None:
        raise ApiError(404, "target_not_found", "no such target")
    _check_range(range_header, path.stat().st_size)
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"ETag": f'"{sha256}"', "Cache-Control": "private"})

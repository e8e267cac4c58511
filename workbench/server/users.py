"""External-user routes: ``GET .../users`` and ``DELETE .../users/{external_user_id}``."""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse, Response

from workbench.core.store.workspace import ExternalUser
from workbench.server import params
from workbench.server.context import ServerContext
from workbench.server.errors import ApiError
from workbench.server.pagination import SortKey, paginate
from workbench.server.routing import Call
from workbench.server.shapes import user_json


def _created_order(user: ExternalUser) -> SortKey:
    return (user.created_at, user.id)


async def list_users(ctx: ServerContext, call: Call) -> JSONResponse:
    """The external users with accounts in the request's environment; ``q`` matches part
    of the external id.

    Raises:
        ApiError: 400 for a bad ``limit``, cursor or environment.
    """
    query = call.request.query_params
    users = ctx.connections.workspace.list_users(
        call.params["project_id"],
        q=params.text(query, "q") or None,
        environment=params.environment(call.request.headers),
    )
    page = paginate(
        users,
        key=_created_order,
        kind="users",
        limit=params.limit(query),
        after=params.text(query, "after"),
        before=params.text(query, "before"),
    )
    return JSONResponse({"page_info": page.page_info(), "data": [user_json(u) for u in page.items]})


async def delete_user(ctx: ServerContext, call: Call) -> Response:
    """Delete a user's accounts in the request's environment, with their secrets; 204.

    The user record goes too once they have no account left in either environment.

    Raises:
        ApiError: 404 when the user has no account in this project and environment.
    """
    project_id, external_id = call.params["project_id"], call.params["external_user_id"]
    environment = params.environment(call.request.headers)
    if ctx.connections.workspace.get_user(project_id, external_id, environment=environment) is None:
        raise ApiError(404, f"External user {external_id[:100]!r} was not found")
    # In a thread: the change waits for other processes' writers, never the event loop.
    await asyncio.to_thread(
        ctx.connections.remove_user, project_id, external_id, environment=environment
    )
    return Response(status_code=204)

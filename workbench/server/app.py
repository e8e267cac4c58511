"""``build_app``: the Connect-compatible REST API as one ASGI app, state passed in."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Awaitable, Callable, Collection
from typing import TYPE_CHECKING

from starlette.datastructures import State
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from workbench.server import accounts, apps, users
from workbench.server.auth import TokenStore, grant_token, parse_token_request
from workbench.server.bodies import read_body
from workbench.server.context import ServerContext
from workbench.server.errors import error_response
from workbench.server.guards import DEFAULT_MAX_BODY_BYTES, BodyLimit, HostGuard, loopback_hosts
from workbench.server.proxy import PROXY_METHODS, proxy
from workbench.server.routing import Call, Handler, RawRouter, Route

if TYPE_CHECKING:
    from workbench.core.engine import ProxyEngine
    from workbench.core.store.connections import Connections

log = logging.getLogger(__name__)


async def issue_token(ctx: ServerContext, call: Call) -> JSONResponse:
    """``POST /v1/oauth/token``: the client-credentials grant (JSON or form body).

    Raises:
        ApiError: 400 for a malformed request or another grant, 401 for wrong credentials.
    """
    request = call.request
    body = await read_body(request)  # bounded: see server/limits.py
    fields = parse_token_request(body, request.headers.get("content-type", ""))
    issued = grant_token(fields, ctx.connections, ctx.tokens)
    return JSONResponse(issued.to_json(), headers={"cache-control": "no-store"})


def routes(ctx: ServerContext) -> list[Route]:
    """Every route, literal paths before parameterised ones where both could match."""

    def bind(handler: Callable[[ServerContext, Call], Awaitable[Response]]) -> Handler:
        return functools.partial(handler, ctx)

    project = "/v1/connect/{project_id}"
    return [
        Route("/v1/oauth/token", {"POST": bind(issue_token)}, public=True),
        Route("/v1/connect/apps", {"GET": bind(apps.list_apps)}),
        Route("/v1/apps", {"GET": bind(apps.list_apps)}),
        Route("/v1/connect/apps/{app_id}", {"GET": bind(apps.retrieve_app)}),
        Route("/v1/apps/{app_id}", {"GET": bind(apps.retrieve_app)}),
        Route(project + "/proxy/{url_64:raw}", dict.fromkeys(PROXY_METHODS, bind(proxy))),
        Route(project + "/accounts", {"GET": bind(accounts.list_accounts)}),
        Route(
            project + "/accounts/{account_id}",
            {"GET": bind(accounts.retrieve_account), "DELETE": bind(accounts.delete_account)},
        ),
        Route(project + "/apps/{app_id}/accounts", {"DELETE": bind(accounts.delete_app_accounts)}),
        Route(project + "/users", {"GET": bind(users.list_users)}),
        Route(project + "/users/{external_user_id}", {"DELETE": bind(users.delete_user)}),
        Route(
            project + "/users/{external_user_id}/accounts",
            {"GET": bind(accounts.list_user_accounts)},
        ),
    ]


class ConnectApi:
    """The REST API as one ASGI app: the Host guard, the body cap, then the raw-path router.

    Plain ASGI rather than a Starlette application: the router already maps every error
    to its answer, and Starlette's error, exception and routing layers around it cost
    time on every proxied request (``bench server_vs_direct``) for nothing. What is
    left of a last resort is here: a failure outside the router (a guard's bug) is
    logged without its text and answered 500 ``{"error": "internal error"}`` if no
    response has started.

    Attributes:
        state: ``tokens`` (the :class:`TokenStore`) and ``context`` (the
            :class:`ServerContext`), as on a Starlette app.
    """

    def __init__(self, app: ASGIApp, *, tokens: TokenStore, context: ServerContext) -> None:
        self._app = app
        self.state = State({"tokens": tokens, "context": context})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "internal error outside the router: %s\n%s",
                type(exc).__name__,
                "".join(traceback.format_tb(exc.__traceback__)),
            )
            if started or scope["type"] != "http":
                raise
            await error_response(500, "internal error")(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    """Nothing to start or stop: acknowledge both (for runners with lifespan on)."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_app(
    *,
    connections: Connections,
    engine: ProxyEngine,
    port_getter: Callable[[], int] | None = None,
    allowed_hosts: Collection[str] | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    allow_credentials: bool = False,
    tokens: TokenStore | None = None,
) -> ConnectApi:
    """Build the REST app over one workspace's connections and one engine.

    Args:
        connections: accounts, users, client credentials and secrets.
        engine: sends proxied requests; its catalog is the app list served.
        port_getter: the bound port, asked per request; the allowed Host values are
            ``127.0.0.1:PORT``, ``localhost:PORT`` and ``[::1]:PORT``.
        allowed_hosts: exact Host values to allow instead (lower case).
        max_body_bytes: request bodies above this get 413 (default 10 MiB).
        allow_credentials: let ``include_credentials=true`` return account secrets
            (off by default: such requests get 403).
        tokens: the token store; by default one recording tokens in the workspace, so
            that every server process on it shares them. ``app.state.tokens`` holds it.

    Raises:
        ValueError: when neither or both of ``port_getter`` and ``allowed_hosts`` are given.
    """
    if (port_getter is None) == (allowed_hosts is None):
        raise ValueError("give exactly one of port_getter and allowed_hosts")
    if port_getter is not None:
        getter = port_getter

        def hosts() -> Collection[str]:
            return loopback_hosts(getter())
    else:
        fixed = frozenset(h.lower() for h in allowed_hosts or ())

        def hosts() -> Collection[str]:
            return fixed

    store = tokens if tokens is not None else TokenStore(connections.workspace.tokens)
    ctx = ServerContext(connections, engine, store, allow_credentials=allow_credentials)
    guarded = HostGuard(BodyLimit(RawRouter(routes(ctx), store), max_bytes=max_body_bytes), hosts)
    return ConnectApi(guarded, tokens=store, context=ctx)

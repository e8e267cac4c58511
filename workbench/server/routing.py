"""A small router over the RAW request path, with auth and error mapping in one place.

Routing on ``scope["raw_path"]`` (still percent-encoded) keeps Node's ``%2F`` inside a
base64 segment or an external user id from being read as a separator; each segment is
then percent-decoded on its own, except ``{name:raw}`` ones, handed over untouched
(``rules.decode_url64`` decodes the proxy's url64 segment itself).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from workbench.core.accounts import CredentialsUnavailable
from workbench.core.errors import ProxyError
from workbench.core.store.filelock import StoreBusy
from workbench.core.store.vault import VaultError
from workbench.core.store.workspace import WorkspaceError
from workbench.server.auth import TokenStore, bearer_project
from workbench.server.errors import (
    ApiError,
    api_error_response,
    engine_error_response,
    error_response,
)

log = logging.getLogger(__name__)

MAX_PATH_CHARS = 16 * 1024
STORE_FAILURES = (CredentialsUnavailable, VaultError, WorkspaceError, StoreBusy)


@dataclass(frozen=True)
class Call:
    """One routed request.

    Attributes:
        request: the Starlette request (its body is capped by the ``BodyLimit`` guard).
        params: path parameters; percent-decoded unless declared ``{name:raw}``.
        project_id: the project of the bearer token (empty on public routes).
    """

    request: Request
    params: Mapping[str, str]
    project_id: str = ""


Handler = Callable[[Call], Awaitable[Response]]


@dataclass(frozen=True)
class Route:
    """A path pattern such as ``/v1/connect/{project_id}/accounts/{account_id}``.

    Attributes:
        path: literal segments and ``{name}`` / ``{name:raw}`` placeholders.
        handlers: one handler per HTTP method.
        public: True for the one route that needs no bearer token (the token endpoint).
    """

    path: str
    handlers: Mapping[str, Handler]
    public: bool = False
    _parts: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_parts", tuple(p for p in self.path.split("/") if p))

    @property
    def length(self) -> int:
        """The number of path segments this route matches."""
        return len(self._parts)

    def match(self, segments: Sequence[str]) -> dict[str, str] | None:
        """The path parameters when the raw ``segments`` fit this pattern, else None.

        Raises:
            ApiError: 400 when a matched segment is not valid percent-encoded UTF-8.
        """
        if len(segments) != len(self._parts):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(self._parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                name, _, kind = part[1:-1].partition(":")
                params[name] = segment if kind == "raw" else _decode_segment(segment)
            elif part != segment:
                return None
        return params


def _decode_segment(segment: str) -> str:
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "A path segment is not valid percent-encoded UTF-8") from exc


def raw_segments(scope: Scope) -> list[str]:
    """The non-empty segments of the request path, still percent-encoded.

    Empty segments are dropped, as the Python SDK collapses ``//`` on its side too.

    Raises:
        ApiError: 400 for a path that is overlong or not ASCII.
    """
    raw = scope.get("raw_path")
    if raw is None:  # servers that omit raw_path: rebuild it (loses %2F, nothing better)
        raw = quote(scope["path"]).encode("ascii")
    if len(raw) > MAX_PATH_CHARS:
        raise ApiError(414 if len(raw) > 4 * MAX_PATH_CHARS else 400, "The URL path is too long")
    try:
        path = bytes(raw).split(b"?", 1)[0].decode("ascii")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "The URL path must be ASCII; percent-encode other bytes") from exc
    return [segment for segment in path.split("/") if segment]


class RawRouter:
    """The ASGI app behind the guards: match, authenticate, dispatch, map errors.

    Order: a bearer token is required first (everything but public routes, even
    unknown paths, answers 401 without one), then 404 for no route, 405 for a method
    the route lacks, 403 when a path's ``{project_id}`` is not the token's project.
    ``ApiError`` and ``ProxyError`` become their JSON answers, a failing store (vault or
    workspace) a 503 naming it; anything else becomes a bare 500
    ``{"error": "internal error"}`` and a log line without the exception text.
    """

    def __init__(self, routes: Sequence[Route], tokens: TokenStore) -> None:
        self.routes = tuple(routes)
        self.tokens = tokens
        # Only routes with as many segments as the path can match it: try just those.
        self._by_length: dict[int, list[Route]] = {}
        for route in self.routes:
            self._by_length.setdefault(route.length, []).append(route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._dispatch(request)
        except ClientDisconnect:
            return
        await response(scope, receive, send)

    async def _dispatch(self, request: Request) -> Response:
        route: Route | None = None
        try:
            route, params = self._match(raw_segments(request.scope))
            project_id = ""
            if route is None or not route.public:
                project_id = bearer_project(request.headers, self.tokens)
            if route is None or params is None:
                raise ApiError(404, "Not found")
            handler = route.handlers.get(request.method)
            if handler is None:
                allow = ", ".join(sorted(route.handlers))
                raise ApiError(405, f"Method {request.method} is not allowed here ({allow})")
            if "project_id" in params and params["project_id"] != project_id:
                raise ApiError(403, "The access token is not valid for this project")
            return await handler(Call(request, params, project_id))
        except ApiError as error:
            return api_error_response(error)
        except ProxyError as error:
            return engine_error_response(error)
        except STORE_FAILURES as error:
            # The vault or the workspace failed (damaged, full, busy): say so, and that it
            # is the server's store, not the request; the messages hold no secret.
            return error_response(503, str(error))
        except ClientDisconnect:
            raise
        except Exception as exc:
            # The message may quote request data; log the frames and the type only.
            frames = "".join(traceback.format_tb(exc.__traceback__))
            where = route.path if route else "?"
            log.error(
                "internal error in %s %s: %s\n%s", request.method, where, type(exc).__name__, frames
            )
            return error_response(500, "internal error")

    def _match(self, segments: list[str]) -> tuple[Route | None, dict[str, str] | None]:
        for route in self._by_length.get(len(segments), ()):
            params = route.match(segments)
            if params is not None:
                return route, params
        return None, None

"""The sandbox upstream: a pretend third-party API for offline demos and tests.

Endpoints (see :data:`ENDPOINTS`, also served as JSON at ``/``):

- ``/echo`` and every path below it, any method: JSON of what arrived, with every
  credential (Authorization, key/token headers, ``api_key``/``key``/``token`` query
  parameters, basic auth) masked but visibly present, plus an ``auth`` summary.
- ``/tenants/{tenant}/...``: the echo, with the tenant named (account-specific bases).
- ``/v1/contacts?limit=&cursor=`` (cursor pages), ``/v1/tickets?page=&per_page=`` (page
  numbers and a ``Link`` header), ``/v1/me``; every ``/v1`` path answers 401 JSON when no
  credential arrived, so a missing injection is visible.
- ``/slow?seconds=``, ``/drip?bytes=&delay=&chunk=``, ``/ratelimited``, ``/large?bytes=&format=``,
  ``/image.png``, ``/image.svg``, ``/status/{code}``, ``/redirect?to=&status=``.

Errors the sandbox itself makes are JSON ``{"error": code, "message": ...}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from workbench.sandbox._api import (
    credential_required,
    echo,
    tenant_echo,
    v1_contacts,
    v1_echo,
    v1_me,
    v1_tickets,
)
from workbench.sandbox._behaviours import (
    CallerBudget,
    drip,
    image_png,
    image_svg,
    large,
    ratelimited,
    redirect,
    slow,
    status,
)
from workbench.sandbox._common import BadParameter, json_error

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
ENDPOINTS = {
    "/echo/...": "any method: what arrived (credentials masked)",
    "/tenants/{tenant}/...": "the echo, naming the tenant",
    "/v1/contacts?limit=&cursor=": "137 contacts, cursor pagination (credential required)",
    "/v1/tickets?page=&per_page=": "58 tickets, page numbers + Link header (credential required)",
    "/v1/me": "who the credential belongs to (credential required)",
    "/slow?seconds=S": "answers after S seconds (at most 60)",
    "/drip?bytes=N&delay=D&chunk=C": "sends headers, then C bytes every D seconds",
    "/ratelimited": "X-RateLimit-* headers; 429 + Retry-After after 5 calls/min per credential",
    "/large?bytes=N&format=json|text|binary": "a deterministic body of N bytes (at most 64 MiB)",
    "/image.png, /image.svg": "a small image",
    "/status/{code}": "answers with that status (200..599)",
    "/redirect?to=URL&status=302": "a redirect (301, 302, 303, 307 or 308)",
}


async def index(request: Request) -> Response:
    """List the endpoints."""
    return JSONResponse({"name": "Workbench sandbox API", "endpoints": ENDPOINTS})


async def _bad_parameter(request: Request, exc: Exception) -> Response:
    return json_error(400, "bad_request", str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    error = cast(HTTPException, exc)  # Starlette routes only HTTPException here
    path = request.url.path
    if error.status_code == 404:
        return json_error(404, "not_found", f"No sandbox endpoint at {path}; GET / lists them.")
    if error.status_code == 405:
        message = f"{request.method} is not supported at {path}."
        return json_error(405, "method_not_allowed", message, dict(error.headers or {}))
    return json_error(error.status_code, "http_error", error.detail, dict(error.headers or {}))


def build_sandbox_app(
    *, clock: Callable[[], float] = time.time, rate_limit: int = 5, rate_window: float = 60.0
) -> Starlette:
    """Build the sandbox upstream ASGI app.

    Args:
        clock: wall-clock seconds for ``/ratelimited`` (inject a fake one in tests).
        rate_limit: calls per window and per credential before ``/ratelimited`` says 429.
        rate_window: the ``/ratelimited`` window length in seconds.
    """
    v1 = [
        Route("/v1/me", credential_required(v1_me), methods=["GET"]),
        Route("/v1/contacts", credential_required(v1_contacts), methods=["GET"]),
        Route("/v1/tickets", credential_required(v1_tickets), methods=["GET"]),
        Route("/v1/{rest:path}", credential_required(v1_echo), methods=METHODS),
    ]
    routes = [
        Route("/", index, methods=["GET"]),
        Route("/echo", echo, methods=METHODS),
        Route("/echo/{rest:path}", echo, methods=METHODS),
        Route("/tenants/{tenant}", tenant_echo, methods=METHODS),
        Route("/tenants/{tenant}/{rest:path}", tenant_echo, methods=METHODS),
        *v1,
        Route("/slow", slow, methods=["GET", "POST"]),
        Route("/drip", drip, methods=["GET"]),
        Route("/ratelimited", ratelimited, methods=METHODS),
        Route("/large", large, methods=["GET"]),
        Route("/image.png", image_png, methods=["GET"]),
        Route("/image.svg", image_svg, methods=["GET"]),
        Route("/status/{code:int}", status, methods=METHODS),
        Route("/redirect", redirect, methods=METHODS),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={BadParameter: _bad_parameter, HTTPException: _http_error},
    )
    app.state.budget = CallerBudget(rate_limit, rate_window, clock)
    return app

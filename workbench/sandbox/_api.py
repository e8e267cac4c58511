"""The echo and the credential-guarded ``/v1`` API of the sandbox upstream.

The echo answers JSON with these keys: ``method``, ``path`` (decoded), ``raw_path`` (as
sent), ``tenant`` (tenant routes only), ``query_string`` (raw) and ``query`` (pairs),
``headers`` (pairs in arrival order, names lower-cased by HTTP/1.1), ``body`` (text, or
base64 when ``body_base64``), ``body_size``, ``auth`` (the first credential's masked
summary or null) and ``credentials`` (every credential's summary).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from workbench.sandbox._common import int_param, json_error
from workbench.sandbox._masking import MaskedRequest, mask_request
from workbench.sandbox._records import contacts_page, tickets_page

Endpoint = Callable[[Request], Awaitable[Response]]


def masked_view(request: Request) -> MaskedRequest:
    """The request's headers and query with every credential masked."""
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    return mask_request(headers, request.scope.get("query_string", b"").decode("latin-1"))


async def _echo_body(request: Request, masked: MaskedRequest, **extra: Any) -> Response:
    body = await request.body()
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    auth = [seen.to_dict() for seen in masked.credentials]
    raw_path = request.scope.get("raw_path") or request.url.path.encode()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "raw_path": raw_path.decode("latin-1"),
            **extra,
            "query_string": masked.query_string,
            "query": masked.query,
            "headers": masked.headers,
            "body": text,
            "body_base64": is_base64,
            "body_size": len(body),
            "auth": auth[0] if auth else None,
            "credentials": auth,
        }
    )


def _unauthorized() -> Response:
    return json_error(
        401,
        "unauthorized",
        "No credential arrived: send an Authorization header, an API-key header or an "
        "api_key query parameter.",
        {"WWW-Authenticate": 'Bearer realm="sandbox"'},
    )


def credential_required(
    endpoint: Callable[[Request, MaskedRequest], Awaitable[Response]],
) -> Endpoint:
    """Wrap an endpoint so that it answers 401 JSON unless a credential arrived."""

    async def guarded(request: Request) -> Response:
        masked = masked_view(request)
        if not masked.credentials:
            return _unauthorized()
        return await endpoint(request, masked)

    return guarded


async def echo(request: Request) -> Response:
    """Describe what arrived, credentials masked."""
    return await _echo_body(request, masked_view(request))


async def tenant_echo(request: Request) -> Response:
    """The echo under ``/tenants/{tenant}``; ``/v1`` below a tenant needs a credential."""
    masked = masked_view(request)
    tenant = request.path_params["tenant"]
    rest = request.path_params.get("rest", "")
    if rest == "v1" or rest.startswith("v1/"):
        if not masked.credentials:
            return _unauthorized()
        if rest == "v1/me" and request.method == "GET":
            return _identity(masked, tenant=tenant)
    return await _echo_body(request, masked, tenant=tenant)


async def v1_echo(request: Request, masked: MaskedRequest) -> Response:
    """Any other ``/v1`` path: the echo, once a credential arrived."""
    return await _echo_body(request, masked)


def _identity(masked: MaskedRequest, **extra: str) -> Response:
    auth = masked.credentials[0].to_dict()
    return JSONResponse({"id": "usr_sandbox", "name": "Sandbox User", **extra, "auth": auth})


async def v1_me(request: Request, masked: MaskedRequest) -> Response:
    """Who is calling: the credential's masked summary."""
    return _identity(masked)


async def v1_contacts(request: Request, masked: MaskedRequest) -> Response:
    """137 contacts, ``limit`` per page, ``next_cursor`` until the end."""
    limit = int_param(request, "limit", 25, 1, 100)
    return JSONResponse(contacts_page(limit, request.query_params.get("cursor") or None))


async def v1_tickets(request: Request, masked: MaskedRequest) -> Response:
    """58 tickets by page number, with ``Link: <...>; rel="next"`` while more remain."""
    page = int_param(request, "page", 1, 1, 1_000_000)
    per_page = int_param(request, "per_page", 20, 1, 100)
    result = tickets_page(page, per_page)
    links = []
    if page < result["total_pages"]:
        links.append(f'<{request.url.include_query_params(page=page + 1)}>; rel="next"')
    if 1 < page <= result["total_pages"]:
        links.append(f'<{request.url.include_query_params(page=page - 1)}>; rel="prev"')
    headers = {"Link": ", ".join(links)} if links else None
    return JSONResponse(result, headers=headers)

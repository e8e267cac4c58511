"""The proxy route: ``/v1/connect/{project_id}/proxy/{url_64}`` into ``engine.send``."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import Response

from workbench.core import rules
from workbench.core.errors import ProxyError, RuleError
from workbench.core.exchange import ProxyRequest, ProxyResult
from workbench.server import params
from workbench.server.context import ServerContext
from workbench.server.routing import Call

PROXY_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PROXY_HEADER_PREFIX = "x-pd-proxy-"
_PREFIX_BYTES = PROXY_HEADER_PREFIX.encode()
_CONTENT_TYPE = PROXY_HEADER_PREFIX + "content-type"
# Starlette computes the relayed body's length itself; the engine already decoded it.
_NOT_RELAYED = frozenset({"content-length"})


def upstream_headers(headers: Headers) -> list[tuple[str, str]]:
    """The headers meant for upstream, still wrapped as ``x-pd-proxy-<name>``.

    Everything else on the outer request (``Authorization``, ``x-pd-environment``, the
    SDK's ``x-fern-*``, ``sec-fetch-mode``...) is for this server. The engine unwraps and
    checks them with ``rules.check_headers``. The body's type is the wrapped
    ``x-pd-proxy-content-type`` when given, else the outer ``Content-Type`` (the SDKs
    send JSON bodies with a plain ``content-type``).
    """
    wrapped = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in headers.raw
        if name.lower().startswith(_PREFIX_BYTES)
    ]
    outer_type = headers.get("content-type")
    if outer_type and not any(name.lower() == _CONTENT_TYPE for name, _ in wrapped):
        wrapped.append((_CONTENT_TYPE, outer_type))
    return wrapped


def relay(result: ProxyResult) -> Response:
    """The upstream's answer as-is: status, headers (repeats kept), body bytes."""
    response = Response(content=result.body, status_code=result.status)
    length = [(k, v) for k, v in response.raw_headers if k == b"content-length"]
    response.raw_headers = length + [
        (name.lower().encode("latin-1"), _header_value(value))
        for name, value in result.headers
        if name.lower() not in _NOT_RELAYED
    ]
    return response


def _header_value(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        # The engine keeps upstream header bytes as Latin-1 text, so this is a value from
        # elsewhere (an injected or hand-built result): UTF-8 is the only faithful bytes.
        return value.encode("utf-8")


async def proxy(ctx: ServerContext, call: Call) -> Response:
    """Send the caller's request upstream through the engine and relay the answer.

    Raises:
        ProxyError: a malformed ``url_64`` (``bad_url64``) or any engine refusal.
        ApiError: missing ``external_user_id``/``account_id`` or a bad environment.
    """
    request = call.request
    try:
        url = rules.decode_url64(call.params["url_64"])
    except RuleError as error:
        raise ProxyError.from_rule(error) from error
    query = request.query_params
    external_user_id = params.required_text(query, "external_user_id")
    account_id = params.required_text(query, "account_id")
    environment = params.environment(request.headers)
    body = await request.body()
    result = await ctx.engine.send(
        ProxyRequest(
            project_id=call.params["project_id"],
            external_user_id=external_user_id,
            account_id=account_id,
            method=request.method,
            url=url,
            headers=tuple(upstream_headers(request.headers)),
            body=body or None,
            environment=environment,
            origin="rest",
        )
    )
    return relay(result)

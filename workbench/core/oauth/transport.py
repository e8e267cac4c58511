"""Token endpoint traffic on the engine's own wire: the network guard applies to it too.

Authlib's OAuth client is an httpx client; :class:`GuardedTransport` is the httpx
transport it is given, sending each request through a :class:`ConnectionPool` whose
dialer refuses private addresses unless the account (or the engine) allows them. A
token URL built from an account's custom fields (a Zendesk subdomain, a GitLab host)
can therefore reach no further than the account's own requests can, and no environment
proxy, ``.netrc`` or redirect is ever involved.
"""

from __future__ import annotations

import ssl

import httpx

from workbench.core.http.netguard import GuardedDialer, Resolver
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.transport import default_ssl_context, read_body
from workbench.core.http.wire import parse_target

MAX_TOKEN_RESPONSE = 1 * 2**20  # bytes; a token answer is a few hundred
_DROPPED_WHEN_DECODED = frozenset({b"content-encoding", b"content-length"})


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over the engine's guarded connection pool.

    Its errors are the engine wire's own (``HTTPError``, ``AddressRefused``, ``OSError``,
    ``ProxyError`` for an oversized answer); :mod:`workbench.core.oauth.client` names them.
    """

    def __init__(
        self,
        *,
        allow_private_networks: bool = False,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Open no connection yet.

        Args:
            allow_private_networks: let the token URL be a private address.
            resolver: async ``(host, port) -> [ip, ...]``; ``getaddrinfo`` by default.
            ssl_context: TLS settings; httpx's verified default when None.
        """
        self._pool = ConnectionPool(
            dialer=GuardedDialer(check=not allow_private_networks, resolver=resolver),
            ssl_context=ssl_context or default_ssl_context,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and read the whole answer (bounded)."""
        target = parse_target(str(request.url))
        body = await request.aread()
        # The wire wants Host exactly as the target's authority (httpx drops a default port).
        sent = [(b"Host", target.authority.encode("ascii"))]
        sent += [(name, value) for name, value in request.headers.raw if name.lower() != b"host"]
        response = await self._pool.request(request.method, target, sent, body)
        try:
            data, decoded = await read_body(
                response, limit=MAX_TOKEN_RESPONSE, host=target.authority
            )
        finally:
            response.close()
        headers = [
            (name, value)
            for name, value in response.headers
            if not (decoded and name.lower() in _DROPPED_WHEN_DECODED)
        ]
        return httpx.Response(response.status, headers=headers, content=data, request=request)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._pool.aclose()

"""The engine's HTTP plumbing: an httpx transport on a guarded httpcore pool, and log scrubbing.

httpx's own ``AsyncHTTPTransport`` cannot take a custom network backend, so this
transport wraps ``httpcore.AsyncConnectionPool(network_backend=GuardedNetworkBackend(...))``
directly, the same way httpx's transport does, through public APIs only.
"""

from __future__ import annotations

import functools
import http.cookiejar
import logging
import ssl
from collections.abc import AsyncIterable, AsyncIterator
from contextvars import ContextVar, Token
from typing import Any

import httpcore
import httpx

from workbench.core.errors import ProxyError
from workbench.core.injection import Scrubber
from workbench.core.netguard import AddressRefused, GuardedNetworkBackend, Resolver

# Most specific first: the first match wins.
_EXCEPTIONS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


class _MappedErrors:
    """Re-raises httpcore errors as their httpx counterparts (what httpx callers expect)."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, exc_type: type[BaseException] | None, error: BaseException | None, _: object
    ) -> None:
        if isinstance(error, Exception):
            for source, target in _EXCEPTIONS:
                if isinstance(error, source):
                    raise target(str(error)) from error


_mapped_errors = _MappedErrors()


class _ResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped_errors:
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        close = getattr(self._stream, "aclose", None)
        if close is not None:
            with _mapped_errors:
                await close()


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """httpx's verified TLS defaults (certifi), built once per process.

    Loading the CA bundle takes about 0.2 s; an SSLContext is safe to share.
    """
    return httpx.create_ssl_context()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport whose every connection goes through the network guard.

    One transport owns one connection pool; the engine keeps one with the address check
    and one without it (private networks allowed), so a connection opened for a private
    account is never reused for a public one.
    """

    def __init__(
        self,
        *,
        check: bool,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
        max_keepalive_connections: int = 20,
        keepalive_expiry: float = 5.0,
    ) -> None:
        """Create the transport and its (lazy, connectionless) pool.

        Args:
            check: refuse non-public addresses (see :class:`GuardedNetworkBackend`).
            resolver: the async resolver; the system's ``getaddrinfo`` by default.
            ssl_context: TLS settings; httpx's default (certifi, verification on) if None.
            max_connections: the pool's connection cap.
            max_keepalive_connections: idle connections kept for reuse.
            keepalive_expiry: seconds an idle connection is kept.
        """
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context or default_ssl_context(),
            max_connections=max_connections,
            max_keepalive_connections=max_keepalive_connections,
            keepalive_expiry=keepalive_expiry,
            network_backend=GuardedNetworkBackend(check=check, resolver=resolver),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request through the guarded pool."""
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=dict(request.extensions),
        )
        with _mapped_errors:
            response = await self._pool.handle_async_request(core_request)
        # A trace callback times the phases up to the response head; the engine times the
        # body itself. httpcore looks the callback up as each phase starts, so dropping it
        # now spares the body and close phases their callbacks (4 of 10 per request).
        core_request.extensions.pop("trace", None)
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self._pool.aclose()


def _refusing_jar() -> http.cookiejar.CookieJar:
    """A jar whose policy accepts no cookie."""
    return http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


class _NoCookies(httpx.Cookies):
    """A cookie store that stays empty: Set-Cookie headers are ignored, not even parsed."""

    def __init__(self) -> None:
        super().__init__(_refusing_jar())

    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep no cookie from ``response`` (httpx calls this for every response)."""


class CookielessClient(httpx.AsyncClient):
    """An httpx client that neither keeps nor sends cookies.

    The engine's connection pools serve every account, so a cookie an upstream sets for
    one account must never be sent for another. The jar handed to httpx refuses every
    cookie, and the store the client consults ignores Set-Cookie headers outright:
    httpx would otherwise parse every response's cookies only for the jar to drop them,
    which costs more than all of the engine's own checks.
    """

    def __init__(self, **options: Any) -> None:
        """Create the client; ``options`` are :class:`httpx.AsyncClient`'s, less ``cookies``."""
        super().__init__(cookies=_refusing_jar(), **options)
        self._no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        """Always empty."""
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise AttributeError("The proxy engine's HTTP clients keep no cookies")


# httpx logs every request URL at INFO and httpcore logs response headers at DEBUG; both
# can carry an injected secret (a query credential, a Location echoing it). A filter on
# exactly those loggers scrubs the secrets of the request being sent in the current task.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_scrubber: ContextVar[Scrubber | None] = ContextVar("workbench_log_scrubber", default=None)


class _SecretScrubber(logging.Filter):
    """Rewrites a record's message when it contains the current request's secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrubber = _scrubber.get()
        if scrubber:
            message = record.getMessage()
            cleaned = scrubber.redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
        return True


_SCRUBBER = _SecretScrubber()


def install_log_scrubber() -> None:
    """Attach the scrubber to the HTTP stack's loggers (idempotent)."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _SCRUBBER not in logger.filters:
            logger.addFilter(_SCRUBBER)


class Scrubbing:
    """Scrub the request's secrets from HTTP-stack log records emitted in this context."""

    def __init__(self, scrubber: Scrubber) -> None:
        self._scrubber = scrubber
        self._token: Token[Scrubber | None] | None = None

    def __enter__(self) -> None:
        self._token = _scrubber.set(self._scrubber)

    def __exit__(self, *exc_info: object) -> None:
        assert self._token is not None
        _scrubber.reset(self._token)


# Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the message: the
# front door that relays the response frames it itself.
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
)


def relay_headers(
    headers: list[tuple[str, str]],
    *,
    body_length: int,
    bodyless: bool,
    scrubber: Scrubber,
) -> tuple[tuple[str, str], ...]:
    """The upstream's response headers as the engine relays them.

    Removes hop-by-hop headers (the fixed list, ``Proxy-*`` and names listed in
    ``Connection``). The body was decoded, so ``Content-Encoding`` goes and
    ``Content-Length`` is set to the relayed length; for a response that has no body by
    definition (HEAD, 204, 304) the upstream's length is kept unless an encoding changed
    its meaning. Every value is scrubbed of the request's secrets (a ``Location`` echoing a query
    credential).
    """
    lowered = [name.lower() for name, _ in headers]
    listed = {
        token.strip().lower()
        for lower, (_, value) in zip(lowered, headers, strict=True)
        if lower == "connection"
        for token in value.split(",")
    }
    encoded = "content-encoding" in lowered
    relayed: list[tuple[str, str]] = []
    for lower, (name, value) in zip(lowered, headers, strict=True):
        if lower in _HOP_BY_HOP or lower in listed or lower.startswith("proxy-"):
            continue
        if lower == "content-encoding" or (lower == "content-length" and (encoded or not bodyless)):
            continue
        relayed.append((name, scrubber.redact(value)))
    if not bodyless:
        relayed.append(("content-length", str(body_length)))
    return tuple(relayed)


def upstream_failure(
    error: BaseException, *, host: str, deadline: float, scrubber: Scrubber
) -> ProxyError:
    """The engine's answer for an exception raised while talking to the upstream."""
    if isinstance(error, AddressRefused):
        return ProxyError(
            400,
            "private_address",
            f"{error}; private networks are not allowed for this account",
            field="url",
        )
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return ProxyError(504, "upstream_timeout", f"{host} did not answer within {deadline:g} s")
    reason = scrubber.redact(str(error)) or type(error).__name__
    if isinstance(error, httpx.ConnectError | OSError):
        return ProxyError(502, "upstream_unreachable", f"Could not connect to {host}: {reason}")
    return ProxyError(502, "upstream_error", f"The exchange with {host} failed: {reason}")

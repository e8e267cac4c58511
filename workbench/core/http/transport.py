"""The engine's side of an upstream exchange: headers sent, body read, headers relayed, failures."""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Callable, Sequence

import certifi

from workbench import __version__
from workbench.core.errors import ProxyError
from workbench.core.http.decoding import DecodingError, TooLarge, decoder_for
from workbench.core.http.netguard import AddressRefused
from workbench.core.http.pool import Response
from workbench.core.http.wire import ConnectError, Header, LocalProtocolError, Target
from workbench.core.injection import Scrubber


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """Verified TLS defaults, built once per process, as httpx builds them.

    The CA bundle named by ``SSL_CERT_FILE`` or ``SSL_CERT_DIR`` when set (a machine or a
    company proxy may need its own), else certifi's. Loading it takes about 0.2 s; an
    SSLContext is safe to share.
    """
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    return ssl.create_default_context(cafile=certifi.where())


# Sent unless the caller sends its own; a body is only ever decoded for these codings.
_DEFAULT_HEADERS = (
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Connection", "keep-alive"),
    ("User-Agent", f"connect-proxy-workbench/{__version__}"),
)
_EMPTY_BODY_LENGTH = frozenset({"POST", "PUT", "PATCH"})  # methods that expect a body


def outgoing_headers(
    target: Target, method: str, headers: Sequence[tuple[str, str]], body: bytes
) -> list[tuple[str, str]]:
    """Every header sent upstream, in the order sent.

    ``Host`` first; the defaults the caller did not set; the caller's (checked and
    injected) headers; ``Content-Length`` for a body, or 0 for an empty POST, PUT or
    PATCH. The rules refuse ``Host`` and ``Content-Length`` from callers.
    """
    given = {name.lower() for name, _ in headers}
    sent = [("Host", target.authority)]
    sent += [pair for pair in _DEFAULT_HEADERS if pair[0].lower() not in given]
    sent += headers
    if body or method in _EMPTY_BODY_LENGTH:
        sent.append(("Content-Length", str(len(body))))
    return sent


def encode_headers(headers: Sequence[tuple[str, str]]) -> list[Header]:
    """Headers as bytes (values Latin-1, what HTTP/1.1 fields may carry).

    Raises:
        LocalProtocolError: a value with a character beyond Latin-1 (only an injected
            secret can have one: the rules keep callers' values to printable ASCII).
    """
    try:
        return [(name.encode("ascii"), value.encode("latin-1")) for name, value in headers]
    except UnicodeEncodeError:
        raise LocalProtocolError("A header value has characters HTTP cannot carry") from None


def decode_headers(headers: Sequence[Header]) -> list[tuple[str, str]]:
    """Response headers as text, byte for byte (Latin-1), so relaying restores the bytes."""
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


async def read_body(
    response: Response,
    *,
    limit: int,
    host: str,
    on_chunk: Callable[[int], None] | None = None,
) -> tuple[bytes, bool]:
    """The response body, decoded when every coding it names is known, and whether it was.

    ``on_chunk`` is called with the size of every chunk read from the wire (before
    decoding), so a front door can show how much of a slow or large body has arrived.

    Raises:
        ProxyError: 502 ``response_too_large`` past ``limit`` decoded bytes.
        DecodingError: the body does not decode as its headers say.
    """
    decoder = decoder_for(response.headers)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.chunks():
            if on_chunk is not None:
                on_chunk(len(chunk))
            data = chunk if decoder is None else decoder.decode(chunk, limit - size)
            size += len(data)
            if size > limit:
                raise TooLarge
            chunks.append(data)
        if decoder is not None:
            chunks.append(decoder.flush(limit - size))
    except TooLarge:
        raise ProxyError(
            502, "response_too_large", f"The response from {host} is larger than {limit} bytes"
        ) from None
    return b"".join(chunks), decoder is not None


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
    decoded: bool,
    scrubber: Scrubber,
) -> tuple[tuple[str, str], ...]:
    """The upstream's response headers as the engine relays them.

    Removes hop-by-hop headers (the fixed list, ``Proxy-*`` and names listed in
    ``Connection``). ``Content-Length`` is set to the relayed length; when the body was
    ``decoded``, ``Content-Encoding`` goes too. For a response that has no body by
    definition (HEAD, 204, 304) the upstream's length is kept unless decoding changed
    its meaning. Every value is scrubbed of the request's secrets (a ``Location`` echoing
    a query credential), and a header whose name carries one is dropped.
    """
    lowered = [name.lower() for name, _ in headers]
    listed = {
        token.strip().lower()
        for lower, (_, value) in zip(lowered, headers, strict=True)
        if lower == "connection"
        for token in value.split(",")
    }
    relayed: list[tuple[str, str]] = []
    for lower, (name, value) in zip(lowered, headers, strict=True):
        if lower in _HOP_BY_HOP or lower in listed or lower.startswith("proxy-"):
            continue
        if scrubber.in_name(name):
            continue
        if (lower == "content-encoding" and decoded) or (
            lower == "content-length" and (decoded or not bodyless)
        ):
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
    if isinstance(error, TimeoutError):
        return ProxyError(504, "upstream_timeout", f"{host} did not answer within {deadline:g} s")
    reason = scrubber.redact(str(error)) or type(error).__name__
    if isinstance(error, ConnectError | OSError):
        return ProxyError(502, "upstream_unreachable", f"Could not connect to {host}: {reason}")
    if isinstance(error, DecodingError):
        return ProxyError(502, "upstream_error", f"The response from {host} is malformed: {reason}")
    return ProxyError(502, "upstream_error", f"The exchange with {host} failed: {reason}")

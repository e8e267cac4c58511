"""Every limit the REST server enforces on what a client may send or hold open, in one place.

The server enforces these itself (``server/protocol.py``, the guards and the body
readers), whatever the uvicorn in use does by default, so that no local process can make
it buffer without bound, hold its descriptors or keep other clients waiting.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024
"""A request line plus headers larger than this gets 431 and the connection is closed."""

HEAD_TIMEOUT = 10.0
"""Seconds from the first byte of a request head to its end; then 408 and close."""

KEEP_ALIVE_TIMEOUT = 5.0
"""Seconds an open connection may wait for the first byte of its next request; then close."""

BODY_TIMEOUT = 30.0
"""Seconds from the end of a request head to the end of its body; then close."""

MAX_CONNECTIONS = 256
"""Open connections at once. At the cap, the connection that has waited longest on its
client (idle, or sending a head or body) is closed to make room; when every connection is
waiting on the server instead, the newcomer gets 503 and is closed."""

MAX_BODY_BYTES = 10 * 2**20
"""Any request body above this gets 413 (``BodyLimit``); the default of ``build_app``."""

MAX_PARSED_BODY_BYTES = 64 * 1024
"""A body the server itself parses (the token request) above this gets 413."""

MAX_JSON_DEPTH = 32
"""Nesting deeper than this in a parsed JSON body is a 400, before the parser runs."""

MAX_FORM_FIELDS = 100
"""A form-encoded body with more fields than this is a 400."""


@dataclass(frozen=True)
class ConnectionLimits:
    """The per-connection limits one server runs with (tests shrink them).

    Attributes:
        max_head_bytes: see :data:`MAX_HEAD_BYTES`.
        head_timeout: see :data:`HEAD_TIMEOUT`.
        keep_alive_timeout: see :data:`KEEP_ALIVE_TIMEOUT`.
        body_timeout: see :data:`BODY_TIMEOUT`.
        max_connections: see :data:`MAX_CONNECTIONS`.
    """

    max_head_bytes: int = MAX_HEAD_BYTES
    head_timeout: float = HEAD_TIMEOUT
    keep_alive_timeout: float = KEEP_ALIVE_TIMEOUT
    body_timeout: float = BODY_TIMEOUT
    max_connections: int = MAX_CONNECTIONS

"""One proxied exchange: the request a front door asks for, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.core.accounts import Environment

DEFAULT_DEADLINE = 30.0  # seconds; the product's maximum


@dataclass(frozen=True)
class ProxyRequest:
    """What a caller asks the engine to send on behalf of an end user.

    ``url`` is a full ``https://`` URL or a path relative to the app's base. ``headers``
    are the ones meant for upstream, either plain or wrapped as ``x-pd-proxy-<name>``.
    ``timeout`` may lower the 30 s deadline, never raise it.
    """

    project_id: str
    external_user_id: str
    account_id: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    environment: Environment = "development"
    timeout: float | None = None
    origin: str = "api"  # "gui", "cli", "rest", "api"


@dataclass(frozen=True)
class Timings:
    """Where the time went, in milliseconds, and how many bytes moved.

    ``engine_ms`` is the engine's own work before the first byte is sent (checks,
    budget, injection, DNS and address checks excluded from it are in ``dns_ms``).
    Phases that did not happen (a reused connection has no connect or TLS) are 0.
    ``refresh_ms`` is the time spent renewing an OAuth token, when the request needed
    one (before sending, or after a 401 and before the one retry); it is not part of
    ``engine_ms``, and after a retry the network phases add up both attempts.
    """

    engine_ms: float = 0.0
    dns_ms: float = 0.0
    connect_ms: float = 0.0
    tls_ms: float = 0.0
    send_ms: float = 0.0
    wait_ms: float = 0.0
    download_ms: float = 0.0
    total_ms: float = 0.0
    request_bytes: int = 0
    response_bytes: int = 0
    reused_connection: bool = False
    refresh_ms: float = 0.0

    def to_dict(self) -> dict[str, float | int | bool]:
        """The timings as plain JSON-ready values."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class BudgetSnapshot:
    """A project's rate budget at one moment.

    ``resets_at`` is the wall-clock time (Unix seconds) when the oldest request in the
    window leaves it, that is when ``remaining`` next grows; ``None`` when nothing is spent.
    """

    limit: int
    remaining: int
    window_seconds: float
    resets_at: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        """The snapshot as plain JSON-ready values."""
        return {
            "limit": self.limit,
            "remaining": self.remaining,
            "window_seconds": self.window_seconds,
            "resets_at": self.resets_at,
        }


@dataclass(frozen=True)
class ProxyResult:
    """The upstream's answer as the engine relays it.

    ``headers`` have hop-by-hop headers removed and secrets scrubbed (a ``Location``
    echoing a query credential). ``url`` is the upstream URL with credentials masked;
    ``request_headers`` are the headers sent upstream, injected ones masked.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    url: str
    method: str
    request_headers: tuple[tuple[str, str], ...] = ()
    timings: Timings = field(default_factory=Timings)
    budget: BudgetSnapshot | None = None

    def header(self, name: str) -> str | None:
        """The first response header with this name (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

"""Exchange events: every request the engine handles, published to whoever listens.

The GUI's live history, a history store and tests subscribe to one :class:`EventBus`;
the engine publishes one :class:`ExchangeEvent` per request, whether it succeeded,
was refused by the engine, or failed upstream. Events carry no secret: request URL and
headers are already masked by the engine.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from workbench.core.exchange import BudgetSnapshot, Timings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExchangeEvent:
    """A summary of one exchange, safe to show, store and export."""

    origin: str  # "gui", "cli", "rest", "api"
    project_id: str
    environment: str
    external_user_id: str
    account_id: str
    app_slug: str
    method: str
    url: str  # as sent upstream (masked), or as asked when refused before resolving
    request_headers: tuple[tuple[str, str], ...]
    request_bytes: int
    status: int | None  # None when no HTTP status exists (never: engine errors carry one)
    error_code: str | None  # set when the engine refused or failed the request
    error_message: str | None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_bytes: int = 0
    timings: Timings = field(default_factory=Timings)
    budget: BudgetSnapshot | None = None
    at: float = field(default_factory=time.time)

    @property
    def is_engine_error(self) -> bool:
        """True when the engine itself produced the status (not the upstream)."""
        return self.error_code is not None


Listener = Callable[[ExchangeEvent], None]


class EventBus:
    """A tiny thread-safe publish/subscribe hub for exchange events.

    Listeners are called synchronously in the publisher's thread; a listener that
    raises is logged and does not stop the others (a broken view must not break sends).
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` for every event; returns a function that unsubscribes."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    @property
    def has_listeners(self) -> bool:
        """Whether anyone listens: an event nobody would receive need not be built."""
        return bool(self._listeners)

    def publish(self, event: ExchangeEvent) -> None:
        """Deliver ``event`` to every listener."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:
                log.exception("exchange listener %r failed", listener)

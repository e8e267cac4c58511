"""What the engine has learnt about one request so far, and the event it becomes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from workbench.core.events import ExchangeEvent
from workbench.core.exchange import BudgetSnapshot, ProxyRequest, Timings
from workbench.core.http.timing import PhaseRecorder
from workbench.core.injection import Scrubber, mask_secret

_ALWAYS_MASKED = frozenset({"authorization", "proxy-authorization", "cookie"})
_NOTHING_TO_SCRUB = Scrubber(())  # until credentials are injected (immutable after init)


def masked_caller_headers(headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """The caller's own headers for an event, credential-like values masked.

    Used until the request is injected (a refused request still shows what was asked).
    """
    masked = []
    for name, value in headers:
        bare = name.lower().removeprefix("x-pd-proxy-")
        masked.append((name, mask_secret(value) if bare in _ALWAYS_MASKED else value))
    return tuple(masked)


@dataclass
class Progress:
    """One send() in flight: filled in step by step, published as one event at the end.

    ``url`` and ``headers`` always hold display-safe values: the request as asked until
    credentials are injected, then what is sent upstream with the secrets masked.
    """

    request: ProxyRequest
    app_slug: str = ""
    allow_private: bool = False
    url: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    scrubber: Scrubber = _NOTHING_TO_SCRUB
    budget: BudgetSnapshot | None = None
    recorder: PhaseRecorder = field(default_factory=PhaseRecorder)

    @classmethod
    def start(cls, request: ProxyRequest) -> Progress:
        """Begin tracking ``request`` (starts its clock)."""
        return cls(request, url=request.url, headers=masked_caller_headers(request.headers))

    def event(
        self,
        *,
        status: int | None,
        error_code: str | None = None,
        error_message: str | None = None,
        response_headers: tuple[tuple[str, str], ...] = (),
        response_bytes: int = 0,
        timings: Timings | None = None,
    ) -> ExchangeEvent:
        """The exchange event for this request as it stands."""
        request = self.request
        request_bytes = len(request.body or b"")
        self.recorder.finish()
        return ExchangeEvent(
            origin=request.origin,
            project_id=request.project_id,
            environment=request.environment,
            external_user_id=request.external_user_id,
            account_id=request.account_id,
            app_slug=self.app_slug,
            method=request.method,
            url=self.url,
            request_headers=self.headers,
            request_bytes=request_bytes,
            status=status,
            error_code=error_code,
            error_message=error_message,
            response_headers=response_headers,
            response_bytes=response_bytes,
            timings=timings or self.recorder.timings(request_bytes=request_bytes),
            budget=self.budget,
        )

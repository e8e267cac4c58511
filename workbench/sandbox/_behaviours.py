"""HTTP behaviours of the sandbox upstream: slowness, trickles, rate limits, sizes, statuses."""

from __future__ import annotations

import asyncio
import http
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from workbench.sandbox._api import masked_view
from workbench.sandbox._common import BadParameter, float_param, int_param, json_error
from workbench.sandbox._payloads import (
    LARGE_FORMATS,
    MAX_LARGE_BYTES,
    SVG_IMAGE,
    large_body,
    large_body_size,
    png_image,
)

MAX_SLOW_SECONDS = 60.0
MAX_DRIP_BYTES = 10 * 2**20
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


async def slow(request: Request) -> Response:
    """Answer after ``seconds`` (default 5, at most 60)."""
    seconds = float_param(request, "seconds", 5.0, MAX_SLOW_SECONDS)
    await asyncio.sleep(seconds)
    return JSONResponse({"slept_seconds": seconds})


async def drip(request: Request) -> Response:
    """Send the headers at once, then ``chunk`` bytes every ``delay`` seconds."""
    size = int_param(request, "bytes", 10, 0, MAX_DRIP_BYTES)
    delay = float_param(request, "delay", 0.5, 10.0)
    chunk = int_param(request, "chunk", 1, 1, MAX_DRIP_BYTES)

    async def trickle() -> AsyncIterator[bytes]:
        for start in range(0, size, chunk):
            if start:
                await asyncio.sleep(delay)
            yield b"*" * min(chunk, size - start)

    return StreamingResponse(
        trickle(), media_type="application/octet-stream", headers={"Content-Length": str(size)}
    )


@dataclass(frozen=True)
class BudgetState:
    """The outcome of one call to ``/ratelimited``."""

    allowed: bool
    limit: int
    remaining: int
    resets_at: float  # clock seconds when the caller's window ends
    retry_after: int  # whole seconds until a call can succeed again (>= 1)


class CallerBudget:
    """A fixed window of calls per caller (keyed by credential), with an injectable clock."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def take(self, caller: str) -> BudgetState:
        """Spend one call for ``caller`` if any is left in its current window."""
        now = self._clock()
        start, used = self._windows.get(caller, (now, 0))
        if now >= start + self.window:
            start, used = now, 0
        allowed = used < self.limit
        used += allowed
        self._windows[caller] = (start, used)
        resets_at = start + self.window
        retry_after = max(1, math.ceil(resets_at - now))
        return BudgetState(allowed, self.limit, self.limit - used, resets_at, retry_after)


async def ratelimited(request: Request) -> Response:
    """Rate-limit headers on every call; 429 with Retry-After once the budget is spent."""
    budget: CallerBudget = request.app.state.budget
    state = budget.take(masked_view(request).caller_key)
    headers = {
        "X-RateLimit-Limit": str(state.limit),
        "X-RateLimit-Remaining": str(state.remaining),
        "X-RateLimit-Reset": str(math.ceil(state.resets_at)),
    }
    if not state.allowed:
        headers["Retry-After"] = str(state.retry_after)
        message = (
            f"Rate limit of {state.limit} calls per {budget.window:g} s reached; "
            f"retry in {state.retry_after} s."
        )
        return json_error(429, "rate_limited", message, headers)
    return JSONResponse({"limit": state.limit, "remaining": state.remaining}, headers=headers)


async def large(request: Request) -> Response:
    """A deterministic body of ``bytes`` bytes in ``format`` json, text or binary."""
    size = int_param(request, "bytes", 100_000, 0, MAX_LARGE_BYTES)
    fmt = request.query_params.get("format", "json")
    if fmt not in LARGE_FORMATS:
        raise BadParameter(f"'format' must be one of {', '.join(LARGE_FORMATS)}, got {fmt[:40]!r}")
    length = str(large_body_size(size, fmt))
    return StreamingResponse(
        large_body(size, fmt), media_type=LARGE_FORMATS[fmt], headers={"Content-Length": length}
    )


async def image_png(request: Request) -> Response:
    """A small PNG generated in code."""
    return Response(png_image(), media_type="image/png")


async def image_svg(request: Request) -> Response:
    """A small SVG."""
    return Response(SVG_IMAGE, media_type="image/svg+xml")


def _explain(code: int) -> str:
    classes = {2: "success", 3: "redirection", 4: "client error", 5: "server error"}
    kind = classes[code // 100]
    return f"The sandbox answered {code} because /status/{code} was asked for ({kind})."


async def status(request: Request) -> Response:
    """Answer with the status in the path and a JSON body explaining it."""
    code: int = request.path_params["code"]
    if 100 <= code < 200:
        raise BadParameter(
            f"{code} is informational: HTTP/1.1 cannot use it as a final status; pick 200..599"
        )
    if not 200 <= code <= 599:
        raise BadParameter(f"status must be between 200 and 599, got {code}")
    headers = {}
    if code == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
    elif code in (429, 503):
        headers["Retry-After"] = "5"
    if code in (204, 205, 304):  # these statuses never carry a body
        return Response(status_code=code, headers=headers)
    try:
        reason = http.HTTPStatus(code).phrase
    except ValueError:
        reason = "Unassigned"
    body = {"status": code, "reason": reason, "message": _explain(code)}
    return JSONResponse(body, status_code=code, headers=headers)


async def redirect(request: Request) -> Response:
    """A redirect to ``to`` (default ``/echo``) with ``status`` 301/302/303/307/308."""
    target = request.query_params.get("to", "/echo")
    code = int_param(request, "status", 302, 300, 399)
    if code not in REDIRECT_STATUSES:
        raise BadParameter(f"'status' must be one of {REDIRECT_STATUSES}, got {code}")
    if not target or not all(33 <= ord(c) <= 126 for c in target):
        raise BadParameter("'to' must be a non-empty URL of printable ASCII without spaces")
    return JSONResponse({"redirect_to": target}, status_code=code, headers={"Location": target})

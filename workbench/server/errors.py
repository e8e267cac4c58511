"""Error responses of the REST server: Pipedream's ``{"error": ...}`` shape everywhere."""

from __future__ import annotations

import math
from collections.abc import Mapping

from starlette.responses import JSONResponse

from workbench.core.errors import ProxyError

ENGINE_ERROR_HEADER = "x-workbench-error"


class ApiError(Exception):
    """A request the server refuses with ``status`` and ``{"error": message}``.

    Raised anywhere below a route handler; the router turns it into the response.

    Attributes:
        status: the HTTP status to answer with (400, 401, 403, 404, 405, 413, 421...).
        message: a sentence naming the problem; never contains a secret.
        headers: extra response headers (``WWW-Authenticate``, ``Allow``).
    """

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def error_response(
    status: int, message: str, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The server's own error: ``{"error": message}`` with ``status``."""
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


def api_error_response(error: ApiError) -> JSONResponse:
    """The response for a raised :class:`ApiError`."""
    return error_response(error.status, error.message, headers=error.headers)


def engine_error_response(error: ProxyError) -> JSONResponse:
    """The response for an engine refusal, marked as the engine's.

    The body is :meth:`ProxyError.to_dict` (``error``, ``code``, ``origin``...), and the
    ``x-workbench-error`` header carries the code, so a caller can tell an engine 429 or 404
    from the same status relayed from upstream. A 429 also gets ``Retry-After`` in whole
    seconds (at least 1), which both SDKs read.
    """
    headers = {ENGINE_ERROR_HEADER: error.code}
    if error.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(error.retry_after)))
    return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)

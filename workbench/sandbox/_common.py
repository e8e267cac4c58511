"""Small HTTP helpers shared by the sandbox endpoints: JSON errors and query parameters."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response


class BadParameter(ValueError):
    """A query or path parameter the sandbox cannot honour (answered with a 400)."""


def json_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """A JSON error of the sandbox's own: ``{"error": code, "message": message}``."""
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """The whole-number query parameter ``name``, ``default`` when absent; low..high."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"'{name}' must be a whole number, got {raw[:40]!r}") from None
    if not low <= value <= high:
        raise BadParameter(f"'{name}' must be between {low} and {high}, got {value}")
    return value


def float_param(request: Request, name: str, default: float, high: float) -> float:
    """The seconds query parameter ``name``, ``default`` when absent; 0..high."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(f"'{name}' must be a number of seconds, got {raw[:40]!r}") from None
    if not 0 <= value <= high:  # also refuses nan
        raise BadParameter(f"'{name}' must be between 0 and {high:g}, got {raw[:40]!r}")
    return value

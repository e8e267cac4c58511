"""Strict parsing of query parameters and Pipedream headers: bad input is a 400, never a 500."""

from __future__ import annotations

from starlette.datastructures import Headers, QueryParams

from workbench.core.accounts import ENVIRONMENTS, Environment
from workbench.server.errors import ApiError

DEFAULT_LIMIT = 10  # Pipedream's list endpoints answer 10 items when no limit is given
MAX_LIMIT = 100
DEFAULT_ENVIRONMENT: Environment = "production"  # both SDKs' default
ENVIRONMENT_HEADER = "x-pd-environment"
MAX_PARAM_CHARS = 1024


def text(query: QueryParams, name: str) -> str | None:
    """The single value of ``name``, or None when absent.

    Raises:
        ApiError: 400 when it is given more than once or is overlong.
    """
    values = query.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"Query parameter '{name}' must be given once")
    if len(values[0]) > MAX_PARAM_CHARS:
        raise ApiError(400, f"Query parameter '{name}' is too long")
    return values[0]


def required_text(query: QueryParams, name: str) -> str:
    """The single, non-empty value of ``name``.

    Raises:
        ApiError: 400 when it is missing, empty or repeated.
    """
    value = text(query, name)
    if not value:
        raise ApiError(400, f"Query parameter '{name}' is required")
    return value


def limit(query: QueryParams) -> int:
    """The page size: default 10, values above 100 capped to 100.

    Raises:
        ApiError: 400 when it is not a whole number of at least 1.
    """
    value = text(query, "limit")
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise ApiError(400, "Query parameter 'limit' must be a whole number of at least 1")
    return min(int(value), MAX_LIMIT)


def flag(query: QueryParams, name: str) -> bool | None:
    """A boolean parameter as the SDKs send it (``true``/``false``), or None when absent.

    Raises:
        ApiError: 400 for any other value.
    """
    value = text(query, name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise ApiError(400, f"Query parameter '{name}' must be 'true' or 'false'")
    return lowered == "true"


def choice(query: QueryParams, name: str, options: tuple[str, ...], default: str) -> str:
    """A parameter restricted to ``options`` (``default`` when absent).

    Raises:
        ApiError: 400 naming the allowed values.
    """
    value = text(query, name)
    if value is None or value == "":
        return default
    if value not in options:
        allowed = ", ".join(options)
        raise ApiError(400, f"Query parameter '{name}' must be one of: {allowed}")
    return value


def environment(headers: Headers) -> Environment:
    """The environment named by ``x-pd-environment`` (``production`` when absent).

    Raises:
        ApiError: 400 for any value but ``development`` or ``production``.
    """
    value = headers.get(ENVIRONMENT_HEADER)
    if value is None or value == "":
        return DEFAULT_ENVIRONMENT
    for known in ENVIRONMENTS:
        if value.strip().lower() == known:
            return known
    raise ApiError(400, "Header 'x-pd-environment' must be 'development' or 'production'")

"""What a caller may send upstream besides the URL: the method and the headers (policy 3.4).

Header names are unwrapped once from ``x-pd-proxy-`` and then judged by the name that
would reach the upstream, read case-insensitively and with ``_`` as ``-`` (servers and
frameworks often treat them alike). Values are trimmed of leading and trailing spaces
and tabs, as RFC 9110 parsers do, so the forwarded value is what the upstream reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from workbench.core.errors import RuleError
from workbench.core.rules.hosts import show

if TYPE_CHECKING:  # the catalog builds on the rules, so the rules name its model for types only
    from workbench.core.catalog.model import Injection

ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
PROXY_PREFIX = "x-pd-proxy-"
MAX_HEADERS = 100
MAX_VALUE_LENGTH = 8192

# The product document's restricted list (the Fetch standard's forbidden names plus NOTE).
RESTRICTED_HEADERS = frozenset(
    {
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "connection",
        "content-length",
        "cookie",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "permissions-policy",
        "referer",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "via",
        "note",
    }
)
RESTRICTED_PREFIXES = ("proxy-", "sec-")
# Our additions: the credential header, httpoxy, and the names that forge client identity.
POLICY_HEADERS = frozenset({"authorization", "proxy", "forwarded", "x-real-ip"})
POLICY_PREFIXES = ("x-forwarded-",)
METHOD_OVERRIDE_HEADERS = frozenset(
    {"x-http-method", "x-http-method-override", "x-method-override"}
)

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_VALUE = re.compile(r"[\t\x20-\x7e]*\Z")


def check_method(method: str) -> str:
    """The method in upper case, if it is one of GET POST PUT PATCH DELETE HEAD OPTIONS.

    Raises:
        RuleError: ``method_not_allowed`` (CONNECT, TRACE, TRACK and anything else).
    """
    upper = method.upper() if isinstance(method, str) and method.isascii() else None
    if upper not in ALLOWED_METHODS:
        raise RuleError(
            "method_not_allowed",
            f"Method {show(method)} is not allowed; use one of {', '.join(ALLOWED_METHODS)}",
            field="method",
        )
    return upper


def normalise_name(name: str) -> str:
    """A header name as servers may read it: lower case, ``_`` as ``-``."""
    return name.lower().replace("_", "-")


def _restriction(norm: str) -> str | None:
    """Why a normalised header name may not be sent, or None."""
    if norm in RESTRICTED_HEADERS or norm.startswith(RESTRICTED_PREFIXES):
        return "is restricted and cannot be sent through the proxy"
    if norm in POLICY_HEADERS or norm.startswith(POLICY_PREFIXES):
        return "is set by the proxy alone and cannot be sent through it"
    return None


def check_header_row(
    index: int, row: Sequence[str], reserved: Iterable[str] = ()
) -> tuple[str, str]:
    """Check one caller header row and return the ``(name, value)`` to forward.

    Args:
        index: the row's position, reported as ``RuleError.row``.
        row: ``(name, value)``; the name may carry the ``x-pd-proxy-`` wrapper.
        reserved: header names the app injects its credential into.

    Raises:
        RuleError: ``bad_header_name``, ``bad_proxy_prefix``, ``restricted_header``,
            ``reserved_header`` or ``bad_header_value``, with ``field="headers"``.
    """

    def fail(code: str, message: str) -> RuleError:
        return RuleError(code, message, field="headers", row=index)

    if not isinstance(row, tuple | list) or len(row) != 2:
        raise fail("bad_header_name", f"Header row {index} is not a (name, value) pair")
    name, value = row
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise fail("bad_header_name", f"Header name {show(name)} is not a valid HTTP token")
    forwarded = name
    if name.lower().startswith(PROXY_PREFIX):
        forwarded = name[len(PROXY_PREFIX) :]
        if not forwarded:
            raise fail("bad_proxy_prefix", f"Header {show(name)} has nothing after the prefix")
    if normalise_name(forwarded).startswith(PROXY_PREFIX.rstrip("-")):
        raise fail("bad_proxy_prefix", f"Header {show(name)} wraps the x-pd-proxy- prefix badly")
    norm = normalise_name(forwarded)
    reason = _restriction(norm)
    if reason is not None:
        raise fail("restricted_header", f"Header '{forwarded}' {reason}")
    if norm in {normalise_name(r) for r in reserved}:
        raise fail(
            "reserved_header",
            f"Header '{forwarded}' carries this app's credential; the proxy sets it",
        )
    if not isinstance(value, str) or not _VALUE.match(value):
        raise fail(
            "bad_header_value",
            f"Header '{forwarded}' has a value with control or non-ASCII characters",
        )
    if len(value) > MAX_VALUE_LENGTH:
        raise fail("bad_header_value", f"Header '{forwarded}' is longer than {MAX_VALUE_LENGTH}")
    value = value.strip(" \t")
    if norm in METHOD_OVERRIDE_HEADERS:
        named = {part.strip().upper() for part in value.split(",")}
        if named & FORBIDDEN_METHODS:
            raise fail(
                "restricted_header",
                f"Header '{forwarded}' may not name {', '.join(sorted(named & FORBIDDEN_METHODS))}",
            )
    return forwarded, value


def duplicate_rows(forwarded: Sequence[tuple[int, str]]) -> list[RuleError]:
    """One ``duplicate_header`` error per repeated name among ``(row, name)`` pairs."""
    seen: set[str] = set()
    errors: list[RuleError] = []
    for index, name in forwarded:
        norm = normalise_name(name)
        if norm in seen:
            errors.append(
                RuleError(
                    "duplicate_header",
                    f"Header '{name}' appears more than once",
                    field="headers",
                    row=index,
                )
            )
        seen.add(norm)
    return errors


def reserved_headers(injection: Iterable[Injection]) -> list[str]:
    """Header names an app's injection spec puts a credential into (callers may not send them).

    Pass the result to ``check_headers(reserved=...)``. Basic auth owns ``Authorization``.
    """
    names: dict[str, str] = {}
    for spec in injection:
        if spec.kind == "header" and spec.name:
            names.setdefault(spec.name.lower(), spec.name)
        elif spec.kind == "basic":
            names.setdefault("authorization", "Authorization")
    return list(names.values())


def check_headers(
    headers: Sequence[tuple[str, str]], *, reserved: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """The caller's headers as they go upstream: unwrapped, checked, trimmed.

    Args:
        headers: ``(name, value)`` rows in the caller's order.
        reserved: extra header names the app injects its credential into (refused with
            ``reserved_header``, case-insensitively).

    Returns:
        The rows to forward, in order, each name's case kept.

    Raises:
        RuleError: the first broken rule, ``field="headers"`` and ``row`` set.
    """
    if len(headers) > MAX_HEADERS:
        raise RuleError(
            "too_many_headers", f"At most {MAX_HEADERS} headers may be sent", field="headers"
        )
    reserved = tuple(reserved)
    result = [check_header_row(index, row, reserved) for index, row in enumerate(headers)]
    duplicates = duplicate_rows([(index, name) for index, (name, _) in enumerate(result)])
    if duplicates:
        raise duplicates[0]
    return result

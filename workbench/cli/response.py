"""How the CLI shows one proxied exchange: the ``send --json`` object and the text view."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from workbench.cli.output import pretty_json, printable
from workbench.core.errors import ProxyError
from workbench.core.exchange import BudgetSnapshot, ProxyResult, Timings

_TEXT_TYPES = (
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/graphql",
)
_BINARY_PREFIXES = ("image/", "audio/", "video/", "font/")


@dataclass(frozen=True)
class Body:
    """A response body as the CLI shows it: text, parsed JSON, or base64 for binary data.

    ``json_value`` is meaningful only when ``is_json`` (a JSON ``null`` body is None too).
    """

    text: str | None
    base64: str | None
    json_value: Any
    is_json: bool
    media_type: str
    size: int


def _media_type(content_type: str | None) -> tuple[str, str]:
    """The lower-cased media type and the charset (utf-8 unless named)."""
    media, *params = (content_type or "").split(";")
    charset = "utf-8"
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def _decode(data: bytes, charset: str) -> str | None:
    try:
        text = data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return None
    # NUL or other control bytes in "text" mean it is really binary.
    if any(ch < " " and ch not in "\t\n\r\f" for ch in text):
        return None
    return text


def read_body(data: bytes, content_type: str | None) -> Body:
    """Classify and decode a response body by its Content-Type and content."""
    media, charset = _media_type(content_type)
    is_json_type = media == "application/json" or media.endswith("+json")
    binary_type = media.startswith(_BINARY_PREFIXES) or media == "application/octet-stream"
    text = None if binary_type else _decode(data, charset)
    if text is None:
        encoded = base64.b64encode(data).decode("ascii")
        return Body(None, encoded, None, False, media, len(data))
    if is_json_type and text.strip():
        try:
            return Body(text, None, json.loads(text), True, media, len(data))
        except ValueError:
            pass  # a server that lies about JSON: show its text as it is
    return Body(text, None, None, False, media, len(data))


def result_json(result: ProxyResult) -> dict[str, Any]:
    """The one object ``send --json`` prints for an upstream answer."""
    body = read_body(result.body, result.header("content-type"))
    return {
        "status": result.status,
        "method": result.method,
        "url": result.url,
        "request_headers": [list(pair) for pair in result.request_headers],
        "headers": [list(pair) for pair in result.headers],
        "body": body.text,
        "body_base64": body.base64,
        "json": body.json_value if body.is_json else None,
        "timings": result.timings.to_dict(),
        "budget": result.budget.to_dict() if result.budget else None,
        "error": None,
    }


def error_json(
    error: ProxyError, *, method: str, url: str, budget: BudgetSnapshot
) -> dict[str, Any]:
    """The one object ``send --json`` prints when the engine refused or failed."""
    detail: dict[str, Any] = {"code": error.code, "message": error.message, "origin": "engine"}
    if error.retry_after is not None:
        detail["retry_after"] = error.retry_after
    return {
        "status": error.status,
        "method": method,
        "url": url,
        "request_headers": [],
        "headers": [],
        "body": None,
        "body_base64": None,
        "json": None,
        "timings": None,
        "budget": budget.to_dict(),
        "error": detail,
    }


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def body_text(body: Body) -> str:
    """The body for a terminal: pretty JSON, escaped text, or a one-line binary summary."""
    if body.is_json:
        return printable(pretty_json(body.json_value))
    if body.text is not None:
        return printable(body.text)
    kind = body.media_type or "unknown type"
    return f"[binary body: {body.size} bytes, {kind}; use --json for it in base64]"


def timings_text(timings: Timings) -> str:
    """One line: total, then each phase, then the bytes moved."""
    phases = ("engine", "dns", "connect", "tls", "send", "wait", "download")
    if timings.refresh_ms:  # an OAuth token was renewed for this request
        phases = ("engine", "refresh", *phases[1:])
    parts = ", ".join(f"{name} {getattr(timings, name + '_ms'):.1f}" for name in phases)
    reused = ", reused connection" if timings.reused_connection else ""
    return (
        f"timings: total {timings.total_ms:.1f} ms ({parts}){reused}; "
        f"{timings.request_bytes} B sent, {timings.response_bytes} B received"
    )


def budget_text(budget: BudgetSnapshot, *, now: float | None = None) -> str:
    """One line: how much of the project's rate budget is left and when it grows."""
    line = (
        f"budget: {budget.remaining} of {budget.limit} requests left "
        f"in the {budget.window_seconds:g} s window"
    )
    if budget.resets_at is not None:
        wait = max(0.0, budget.resets_at - (time.time() if now is None else now))
        line += f" (next one frees up in {wait:.0f} s)"
    return line


def result_text(result: ProxyResult) -> str:
    """The text view: request sent (credentials masked), response, body, timings, budget."""
    lines = [f"> {result.method} {printable(result.url)}"]
    lines += [f"> {printable(k)}: {printable(v)}" for k, v in result.request_headers]
    lines += ["", f"< HTTP {result.status} {_reason(result.status)}".rstrip()]
    lines += [f"< {printable(k)}: {printable(v)}" for k, v in result.headers]
    body = read_body(result.body, result.header("content-type"))
    if body.size:
        lines += ["", body_text(body)]
    lines += ["", timings_text(result.timings)]
    if result.budget is not None:
        lines.append(budget_text(result.budget))
    return "\n".join(lines)

"""Reading and parsing the request bodies the server itself interprets, within fixed bounds.

Every body parsed here is read up to :data:`~workbench.server.limits.MAX_PARSED_BODY_BYTES`
(413 beyond), and JSON is refused before parsing when nested deeper than
:data:`~workbench.server.limits.MAX_JSON_DEPTH`: a page in a browser may send the token
endpoint anything, and Python's parser answers deep nesting with ``RecursionError``.
Anything that does not parse is a 400, never a 500.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

from starlette.requests import Request

from workbench.server.errors import ApiError
from workbench.server.limits import MAX_FORM_FIELDS, MAX_JSON_DEPTH, MAX_PARSED_BODY_BYTES

# A JSON string (escapes included): brackets inside one do not nest anything.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


async def read_body(request: Request, limit: int = MAX_PARSED_BODY_BYTES) -> bytes:
    """The request body, read no further than ``limit`` bytes.

    Raises:
        ApiError: 413 when the body is longer.
    """
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"The request body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in ``body`` (0 for a scalar), strings skipped."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b'""', body)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def parse_json(body: bytes, *, what: str) -> object:
    """``body`` as JSON, refused when malformed or nested deeper than :data:`MAX_JSON_DEPTH`.

    Args:
        body: the raw body (UTF-8).
        what: how to name the body in an error ("The token request body").

    Raises:
        ApiError: 400 naming the problem.
    """
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ApiError(400, f"{what} nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, f"{what} is not valid JSON") from exc


def parse_form(body: bytes, *, what: str) -> dict[str, str]:
    """A form-encoded ``body`` as a dict (a repeated name keeps its last value).

    Raises:
        ApiError: 400 when it is malformed, not UTF-8 or has over :data:`MAX_FORM_FIELDS` fields.
    """
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            max_num_fields=MAX_FORM_FIELDS,
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(
            400, f"{what} is not a valid form of at most {MAX_FORM_FIELDS} fields"
        ) from exc
    return dict(pairs)

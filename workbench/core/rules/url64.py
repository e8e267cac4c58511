"""The ``{url_64}`` path segment of the REST proxy route (security-policy 3.8, REST 4.1).

The Python SDK sends URL-safe base64 with ``=`` padding; the Node SDK sends the standard
alphabet percent-encoded (``%2B``, ``%2F``, ``%3D``); the docs show URL-safe without
padding. All three decode here. Decoding is strict, because Python's base64 silently
skips junk and ignores data after padding: one alphabet per segment, padding only at
the end and only as much as the length needs, canonical trailing bits, UTF-8 that is
plain ASCII.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote_to_bytes

from workbench.core.errors import RuleError

# A 8 KiB URL is at most 10,924 base64 characters; percent-encoding can triple that.
MAX_SEGMENT_LENGTH = 3 * 11_000

_URLSAFE = re.compile(r"[A-Za-z0-9_-]*={0,2}\Z")
_STANDARD = re.compile(r"[A-Za-z0-9+/]*={0,2}\Z")


def _fail(reason: str) -> RuleError:
    return RuleError("bad_url64", f"The url_64 segment {reason}", field="url")


def decode_url64(segment: str) -> str:
    """Decode a raw (still percent-encoded) ``{url_64}`` segment to the caller's URL.

    Args:
        segment: the path segment after ``/proxy/``, as it arrived on the wire.

    Returns:
        The decoded URL (ASCII); it still has to pass ``resolve_target``.

    Raises:
        RuleError: ``bad_url64`` for anything but one clean base64 string of ASCII text.
    """
    if not isinstance(segment, str) or not segment:
        raise _fail("is empty")
    if len(segment) > MAX_SEGMENT_LENGTH or not segment.isascii():
        raise _fail("is too long or not ASCII")
    raw = unquote_to_bytes(segment)
    if not raw.isascii():
        raise _fail("percent-decodes to non-ASCII bytes")
    text = raw.decode("ascii")
    if not (_URLSAFE.match(text) or _STANDARD.match(text)):
        raise _fail("holds characters outside one base64 alphabet, or data after padding")
    data = text.rstrip("=")
    padding = len(text) - len(data)
    if not data or len(data) % 4 == 1 or (padding and (len(data) + padding) % 4):
        raise _fail("has a length no base64 encoder produces")
    standard = data.replace("-", "+").replace("_", "/")
    # Cannot fail: one alphabet, a length an encoder produces, the padding it needs.
    decoded = base64.b64decode(standard + "=" * (-len(data) % 4), validate=True)
    if base64.b64encode(decoded).decode("ascii").rstrip("=") != standard:
        raise _fail("is not canonical base64 (stray trailing bits)")
    try:
        url = decoded.decode("utf-8")
    except UnicodeDecodeError:
        raise _fail("does not decode to UTF-8 text") from None
    if not url.isascii():
        raise _fail("decodes to a URL with non-ASCII characters")
    return url


def encode_url64(url: str) -> str:
    """Encode ``url`` the way the docs show it: URL-safe alphabet, no padding.

    Raises:
        RuleError: ``bad_url64`` for a non-ASCII URL (it could never be decoded back).
    """
    if not isinstance(url, str) or not url.isascii():
        raise RuleError("bad_url64", "Only an ASCII URL can be encoded as url_64", field="url")
    return base64.urlsafe_b64encode(url.encode("ascii")).decode("ascii").rstrip("=")

"""Spot the credentials in a request that reached the sandbox, and mask them for display."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

MASK = "•" * 8

# A header or query parameter is treated as a credential when one of the words of its
# name (split on "-", "_" or ".") is one of these. Word matching, not substring matching,
# so "keyword" or "monkey" stay visible while "x-api-key" and "access_token" are masked.
_SECRET_WORDS = frozenset(
    {"key", "apikey", "token", "secret", "password", "passwd", "auth", "signature", "sig"}
)
_WORD_SPLIT = re.compile(r"[-_.]")
_AUTHORIZATION_HEADERS = ("authorization", "proxy-authorization")


def mask_value(value: str) -> str:
    """Keep the first few characters of a secret and hide the rest behind a fixed mask.

    Four characters stay visible (enough to recognise ``sk_demo_...``), fewer for short
    values so that a short secret is never mostly shown; the mask length is fixed so it
    does not reveal the secret's length either.
    """
    visible = 4 if len(value) >= 8 else len(value) // 2
    return value[:visible] + MASK


def is_secret_name(name: str) -> bool:
    """True when a header or query parameter name looks like it carries a credential."""
    lowered = name.lower()
    if lowered in _AUTHORIZATION_HEADERS:
        return True
    return any(word in _SECRET_WORDS for word in _WORD_SPLIT.split(lowered))


@dataclass(frozen=True)
class SeenCredential:
    """One credential that arrived, described without revealing it.

    Attributes:
        scheme: ``bearer``, ``basic``, another Authorization scheme, ``api-key`` for a
            key header, or ``query`` for a query parameter.
        where: a human-readable location such as ``header authorization`` or
            ``query api_key`` (HTTP/1.1 header names arrive lower-cased).
        masked: the masked secret value (the password for basic auth).
        username: the masked basic-auth username, when the scheme is basic.
        fingerprint: a hash of the raw value, to tell callers apart without storing it.
    """

    scheme: str
    where: str
    masked: str
    username: str | None = None
    fingerprint: str = field(default="", repr=False)

    def to_dict(self) -> dict[str, str]:
        """The summary shown in the echo (no fingerprint, no raw value)."""
        summary = {"scheme": self.scheme, "where": self.where, "masked": self.masked}
        if self.username is not None:
            summary["username"] = self.username
        return summary


@dataclass(frozen=True)
class MaskedRequest:
    """Headers and query of one request with every credential masked, plus what was found."""

    headers: list[tuple[str, str]]
    query_string: str
    query: list[tuple[str, str]]
    credentials: list[SeenCredential]

    @property
    def caller_key(self) -> str:
        """A stable key for "who is calling": the credentials' fingerprints, or anonymous."""
        return "+".join(c.fingerprint for c in self.credentials) or "anonymous"


def _fingerprint(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def _authorization(name: str, value: str) -> tuple[str, SeenCredential]:
    """Mask an Authorization-style header value, keeping its scheme readable."""
    where = f"header {name}"
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if not token:  # no scheme: the whole value is the secret
        return mask_value(value), SeenCredential(
            "token", where, mask_value(value), None, _fingerprint(value)
        )
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(token, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            user, _, password = decoded.partition(":")
            seen = SeenCredential(
                "basic", where, mask_value(password), mask_value(user), _fingerprint(value)
            )
            return f"{scheme} {mask_value(token)}", seen
    seen = SeenCredential(scheme.lower(), where, mask_value(token), None, _fingerprint(value))
    return f"{scheme} {mask_value(token)}", seen


def _mask_headers(
    headers: Iterable[tuple[str, str]], found: list[SeenCredential]
) -> list[tuple[str, str]]:
    masked: list[tuple[str, str]] = []
    for name, value in headers:
        if not is_secret_name(name):
            masked.append((name, value))
            continue
        if name.lower() in _AUTHORIZATION_HEADERS:
            shown, seen = _authorization(name, value)
        else:
            shown = mask_value(value)
            seen = SeenCredential("api-key", f"header {name}", shown, None, _fingerprint(value))
        found.append(seen)
        masked.append((name, shown))
    return masked


def _mask_query(
    query_string: str, found: list[SeenCredential]
) -> tuple[str, list[tuple[str, str]]]:
    raw_parts: list[str] = []
    for part in query_string.split("&") if query_string else []:
        raw_name, sep, raw_value = part.partition("=")
        name = unquote_plus(raw_name)
        if sep and is_secret_name(name):
            value = unquote_plus(raw_value)
            found.append(
                SeenCredential(
                    "query", f"query {name}", mask_value(value), None, _fingerprint(value)
                )
            )
            raw_parts.append(f"{raw_name}={mask_value(value)}")
        else:
            raw_parts.append(part)
    pairs = [
        (name, mask_value(value) if is_secret_name(name) else value)
        for name, value in parse_qsl(query_string, keep_blank_values=True)
    ]
    return "&".join(raw_parts), pairs


def mask_request(headers: Iterable[tuple[str, str]], query_string: str) -> MaskedRequest:
    """Mask every credential in a request's headers and query string.

    Args:
        headers: header pairs as they arrived (order kept).
        query_string: the raw query string, without the leading ``?``.

    Returns:
        The masked headers, raw query, parsed query pairs and a summary per credential.
    """
    found: list[SeenCredential] = []
    masked_headers = _mask_headers(headers, found)
    masked_raw, pairs = _mask_query(query_string, found)
    return MaskedRequest(masked_headers, masked_raw, pairs, found)

"""Target resolution: the narrow URL grammar of security-policy 3.2 and the exact URL sent.

The validator and the sender must read a URL the same way, so the grammar accepted here
is deliberately narrower than any real parser's: printable ASCII without ``\\``, ``{``,
``}``; ``https://host[:443]/path?query`` or ``/path?query``; no userinfo, no IP literal,
no fragment, no dot segment in any percent-encoded disguise. The returned string is
canonical (lower-case scheme and host, no default port, the four characters httpx would
percent-encode already encoded), so ``str(httpx.URL(result)) == result``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple, TypeVar

from workbench.core.errors import RuleError
from workbench.core.rules.hosts import (
    Entry,
    host_problem,
    match_kind,
    render,
    show,
    usable_entries,
)

MAX_URL_LENGTH = 8192

Field = Literal["url", "custom_fields"]
Domains = tuple[str, ...] | str | None  # an app's allowlist, as a cache key
Fields = tuple[tuple[str, str], ...]  # an account's custom fields, as a cache key
_T = TypeVar("_T")

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
# Printable ASCII (0x21-0x7e) except backslash and braces: what rule 1 accepts.
_CLEAN_URL = re.compile(r"[\x21-\x5b\x5d-\x7a\x7c\x7e]*")
_AUTHORITY_END = re.compile(r"[/?#]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CONTROL_ESCAPE = re.compile(r"%(?:[01][0-9A-Fa-f]|7[Ff])")
_DOT_ESCAPE = re.compile(r"%2[Ee]")
_SEPARATOR = re.compile(r"/|%2[Ff]|%5[Cc]")
_PERCENT_ESCAPE = re.compile(r"%25")
# httpx 0.28 percent-encodes exactly these printable characters in a path or query.
_HTTPX_ENCODES = {'"': "%22", "<": "%3C", ">": "%3E", "`": "%60"}


class _Target(NamedTuple):
    """An absolute URL split by our own grammar (authority still raw)."""

    scheme: str
    authority: str
    path: str
    query: str | None


def check_characters(url: object) -> str:
    """Rule 1: a non-empty string of printable ASCII, capped, without ``\\ { }``."""
    if not isinstance(url, str) or not url:
        raise RuleError("bad_url", "The URL is empty or not text", field="url")
    if len(url) > MAX_URL_LENGTH:
        raise RuleError(
            "url_too_long", f"The URL is longer than {MAX_URL_LENGTH} characters", field="url"
        )
    if _CLEAN_URL.fullmatch(url):
        return url
    # Refused: find the first offending character to name it in the message.
    for index, char in enumerate(url):
        if char in "\\{}":
            what = "a backslash" if char == "\\" else "a brace (templates are not expanded)"
        elif not "\x21" <= char <= "\x7e":
            what = f"the character {show(char)} (spaces, controls and non-ASCII are refused)"
        else:
            continue
        raise RuleError("bad_url", f"The URL contains {what} at position {index}", field="url")
    return url


def classify(url: str, *, allow_private_networks: bool = False) -> Literal["relative", "absolute"]:
    """Rule 2: ``/path`` is relative, ``https://`` absolute; anything else is refused."""
    if url.startswith("/") and not url.startswith("//"):
        return "relative"
    scheme = _SCHEME.match(url)
    if scheme is None:
        raise RuleError(
            "bad_url",
            "The URL must be a full https:// URL or a path starting with a single /",
            field="url",
        )
    name = scheme.group(1).lower()
    allowed = ("https", "http") if allow_private_networks else ("https",)
    if name not in allowed:
        raise RuleError(
            "scheme_not_allowed", f"Scheme {show(name)} is not allowed; use https://", field="url"
        )
    if not url.startswith("//", scheme.end()):
        raise RuleError("bad_url", "The URL must be written as https://host/path", field="url")
    return "absolute"


def check_path(path: str, *, field: Field = "url") -> None:
    """Rule 6 for a path: escapes well formed, no control escapes, no dot segments.

    ``%25`` is undone layer by layer (so ``%252e`` is seen as ``%2e``), ``%2e`` is read
    as ``.`` and ``%2f``/``%5c`` as separators, and every layer is checked.
    """
    if "%" not in path:
        # No escape to undo or misread: one layer, split by "/" alone (the common case).
        _check_segments(path.split("/"), field)
        return
    if _BAD_ESCAPE.search(path):
        raise RuleError("bad_path", "The path holds a malformed % escape", field=field)
    layer = path
    while True:
        if _CONTROL_ESCAPE.search(layer):
            raise RuleError(
                "bad_path", "The path holds a percent-encoded control character", field=field
            )
        _check_segments(_SEPARATOR.split(_DOT_ESCAPE.sub(".", layer)), field)
        unescaped = _PERCENT_ESCAPE.sub("%", layer)
        if unescaped == layer:
            return
        layer = unescaped


def _check_segments(segments: list[str], field: Field) -> None:
    if "." in segments or ".." in segments:
        raise RuleError("dot_segments", "The path may not contain . or .. segments", field=field)


def _split(url: str) -> _Target:
    """Split an absolute URL (rule 2 passed) into scheme, authority, path and query.

    The authority ends at the first ``/``, ``?`` or ``#``, as in every RFC 3986 parser;
    a fragment stays in the path or query and is refused by rule 6.
    """
    scheme, _, rest = url.partition("://")
    end = _AUTHORITY_END.search(rest)
    authority_end = end.start() if end else len(rest)
    authority, rest = rest[:authority_end], rest[authority_end:]
    path, mark, query = rest.partition("?")
    return _Target(scheme.lower(), authority, path or "/", query if mark else None)


def _check_authority(
    target: _Target,
    entries: Sequence[Entry],
    *,
    allow_private_networks: bool,
    field: Field,
) -> str:
    """Rules 4-5: the canonical authority of ``target``, or the reason it is refused."""
    authority = target.authority
    if "@" in authority:
        raise RuleError("userinfo_not_allowed", "The URL may not contain user@ info", field=field)
    if "[" in authority or "]" in authority:
        raise RuleError(
            "ip_literal_not_allowed", "IPv6 literals are not allowed as hosts", field=field
        )
    lowered = authority.lower()
    if allow_private_networks and match_kind(lowered, entries, allow_private_networks=True) == (
        "private"
    ):
        return lowered
    if target.scheme != "https":
        raise RuleError(
            "scheme_not_allowed", f"Scheme {show(target.scheme)} is not allowed", field=field
        )
    host, colon, port = lowered.partition(":")
    if colon and port != "443":
        shown = f"Port {show(port)}" if port else "An empty port"
        raise RuleError("port_not_allowed", f"{shown} is not allowed; only 443", field=field)
    problem = host_problem(host)
    if problem is not None:
        code, reason = problem
        raise RuleError(code, f"Host {show(host)} {reason}", field=field)
    if not entries:
        raise RuleError("no_allowed_domains", "This app has no usable allowed domains", field=field)
    if match_kind(host, entries) is None:
        raise RuleError(
            "domain_not_allowed", f"Domain {host} is not allowed for this app", field=field
        )
    return host


def _canonical(target: _Target, authority: str) -> str:
    """The exact string the engine sends for an accepted target."""
    tail = target.path if target.query is None else f"{target.path}?{target.query}"
    for char, escape in _HTTPX_ENCODES.items():
        tail = tail.replace(char, escape)
    return f"{target.scheme}://{authority}{tail}"


def _accept(
    url: str,
    entries: Sequence[Entry],
    *,
    allow_private_networks: bool,
    field: Field,
) -> tuple[_Target, str]:
    """Rules 4-6 on an absolute URL: its parts and canonical authority."""
    target = _split(url)
    authority = _check_authority(
        target, entries, allow_private_networks=allow_private_networks, field=field
    )
    if "#" in target.path or "#" in (target.query or ""):
        raise RuleError("fragment_not_allowed", "The URL may not contain a # fragment", field=field)
    check_path(target.path, field=field)
    return target, authority


def check_input(
    url: str, *, dynamic: bool, allow_private_networks: bool = False
) -> Literal["relative", "absolute"]:
    """Rules 1-3, plus rule 6 for a relative path: what can be said of ``url`` alone.

    Returns:
        Whether ``url`` is a relative path or an absolute URL.
    """
    check_characters(url)
    kind = classify(url, allow_private_networks=allow_private_networks)
    if kind == "absolute" and dynamic:
        raise RuleError(
            "relative_path_required",
            "This app's domain comes from the account: use a path starting with /",
            field="url",
        )
    if kind == "relative":
        path = url.partition("?")[0]
        if "#" in url:
            raise RuleError(
                "fragment_not_allowed", "The URL may not contain a # fragment", field="url"
            )
        check_path(path)
    return kind


def resolve_target(
    url: str,
    *,
    base_proxy_target_url: str,
    allowed_domains: Iterable[str],
    custom_fields: Mapping[str, str],
    allow_private_networks: bool = False,
) -> str:
    """The exact upstream URL for a caller's ``url``, before credential injection.

    Args:
        url: a full ``https://`` URL, or a path starting with ``/`` resolved against
            the app's base.
        base_proxy_target_url: the app's base; ``{{custom_fields.X}}`` placeholders make
            it dynamic, and then only relative paths are accepted.
        allowed_domains: the app's allowlist; empty or unusable fails closed.
        custom_fields: the account's custom-field values.
        allow_private_networks: also accept ``http://`` and private hosts with a port,
            when an allowlist entry names that exact authority.

    Returns:
        The canonical URL string the engine sends.

    Raises:
        RuleError: with ``field`` ``"url"`` or ``"custom_fields"``.
    """
    # Every check reads this flag only for its truth value (and it is part of a cache key).
    private = bool(allow_private_networks)
    dynamic = "{{" in base_proxy_target_url
    kind = check_input(url, dynamic=dynamic, allow_private_networks=private)
    domains: Domains
    if allowed_domains is None or isinstance(allowed_domains, str):
        domains = allowed_domains  # the allowlist checks read both as "no usable entry"
    else:
        domains = tuple(allowed_domains)  # iterated once, as the checks would
    fields: Fields = tuple(custom_fields.items()) if custom_fields else ()
    if kind == "absolute":
        entries = _from_cache(_app_entries, domains, fields, private)
        return _canonical(*_accept(url, entries, allow_private_networks=private, field="url"))
    base = _from_cache(_app_base, base_proxy_target_url, domains, fields, private)
    final = check_characters(base.prefix + url)
    target, authority = _accept(final, base.entries, allow_private_networks=private, field="url")
    if authority != base.authority:
        raise RuleError("domain_not_allowed", "The path changed the host", field="url")
    return _canonical(target, authority)


# The app's side of the policy (its allowlist and its base URL, rendered with the
# account's custom fields) is the same for every request of an account, and checking it
# costs more than checking the caller's URL. Both functions below are pure functions of
# their arguments, so they are cached on exactly those values: a changed allowlist, base
# or field value is a different key, results are immutable, and a refusal (an exception)
# is never cached, so a bad base is checked again and refused on every request. Custom
# fields are not secrets, so the cache holds none. The caller's URL is never cached.
_APP_CACHE_SIZE = 512


@dataclass(frozen=True)
class _Base:
    """An app's checked base: what a relative path is appended to, and the allowlist."""

    prefix: str
    authority: str
    entries: tuple[Entry, ...]


def _from_cache(function: functools._lru_cache_wrapper[_T], *key: Hashable) -> _T:
    """``function(*key)``, computed afresh when a value in ``key`` cannot be hashed."""
    try:
        hash(key)
    except TypeError:  # e.g. a custom field holding a list: refused, but not by us
        return function.__wrapped__(*key)
    return function(*key)


@functools.lru_cache(maxsize=_APP_CACHE_SIZE)
def _app_entries(domains: Domains, fields: Fields, private: bool) -> tuple[Entry, ...]:
    """The usable allowlist entries (templates rendered with ``fields``)."""
    return tuple(usable_entries(domains, dict(fields), allow_private_networks=private))


@functools.lru_cache(maxsize=_APP_CACHE_SIZE)
def _app_base(template: str, domains: Domains, fields: Fields, private: bool) -> _Base:
    """Render and check an app's base URL: a full URL on the allowlist, without a query."""
    entries = _from_cache(_app_entries, domains, fields, private)
    base_field: Field = "custom_fields" if "{{" in template else "url"
    base = render(template, dict(fields), allow_private_networks=private)
    if check_input(base, dynamic=False, allow_private_networks=private) != "absolute":
        raise RuleError("bad_url", "The app's base URL is not a full URL", field=base_field)
    target, authority = _accept(base, entries, allow_private_networks=private, field=base_field)
    if target.query is not None:
        raise RuleError("bad_url", "The app's base URL may not have a query", field=base_field)
    prefix = f"{target.scheme}://{authority}{target.path.rstrip('/')}"
    return _Base(prefix, authority, entries)

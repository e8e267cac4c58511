"""Credential injection: put an account's secrets where its app expects them, and hide them.

The catalog's ``injection`` spec says where each credential goes (a header, a query
parameter, HTTP Basic, a path prefix). This module renders those templates, applies them
to the final URL and headers, and remembers every secret form that went out so that
logs, errors, events and relayed response headers can be scrubbed of them.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote, quote_plus, unquote_plus, urlencode

from workbench.core.catalog.model import App
from workbench.core.errors import RuleError

_PLACEHOLDER = re.compile(r"\{\{(credentials|custom_fields)\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
# RFC 9110 field-value: visible ASCII plus SP/HTAB inside, no whitespace at either end.
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?")
# RFC 3986 pchar minus "%": a credential in a path prefix stays one segment, never "/..".
_PATH_SAFE = "!$&'()*+,;=:@-._~"
_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]+")  # unchanged by every percent-encoding
MASK = "••••••"
REDACTED = "[REDACTED]"


@dataclass(frozen=True)
class Injected:
    """A request with the account's credentials applied.

    Attributes:
        url: the URL to send, query or path credentials included.
        headers: the headers to send, injected ones set after the caller's.
        secrets: every secret string that may now appear in the URL or headers (raw
            credential values, their encoded forms, Basic blobs), for :func:`redact`.
    """

    url: str
    headers: list[tuple[str, str]]
    secrets: tuple[str, ...]


def render_template(
    template: str,
    *,
    custom_fields: Mapping[str, str],
    credentials: Mapping[str, str],
    escape: Callable[[str], str] | None = None,
) -> str:
    """Fill ``{{credentials.x}}`` and ``{{custom_fields.x}}`` placeholders.

    Args:
        template: the catalog template, e.g. ``"Bearer {{credentials.oauth_access_token}}"``.
        custom_fields: the account's non-secret values.
        credentials: the account's secret values.
        escape: applied to each substituted value (e.g. percent-encoding for a path).

    Raises:
        RuleError: ``missing_credential`` / ``missing_custom_field`` when a value is absent
            or empty (never rendered as an empty string); ``bad_template`` for any other
            ``{{...}}`` form.
    """

    parsed = _parse_template(template)
    parts = [parsed.literals[0]]
    for (scope, name), literal in zip(parsed.slots, parsed.literals[1:], strict=True):
        value = (credentials if scope == "credentials" else custom_fields).get(name)
        if not value:
            if scope == "credentials":
                raise RuleError(
                    "missing_credential",
                    f"This account has no credential '{name}'; reconnect the account",
                    field="credentials",
                )
            raise RuleError(
                "missing_custom_field",
                f"This account has no value for custom field '{name}'",
                field="custom_fields",
            )
        parts.append(escape(value) if escape else value)
        parts.append(literal)
    if parsed.malformed:
        raise RuleError(
            "bad_template",
            "The app's injection template has a placeholder other than "
            "{{credentials.NAME}} or {{custom_fields.NAME}}",
            field="app",
        )
    return "".join(parts)


def referenced_credentials(template: str) -> list[str]:
    """Names of the credentials a template uses, in order of appearance."""
    return [name for scope, name in _parse_template(template).slots if scope == "credentials"]


class _Template(NamedTuple):
    """A template split at its placeholders: ``literals`` has one more item than ``slots``."""

    literals: tuple[str, ...]
    slots: tuple[tuple[str, str], ...]  # (scope, name) of each placeholder, in order
    malformed: bool  # a ``{{`` or ``}}`` outside the recognised placeholders


# Templates come from the catalog (a handful per app) and hold placeholders, not account
# values: parsing each once is safe, and every render still fills in the current values.
@functools.lru_cache(maxsize=256)
def _parse_template(template: str) -> _Template:
    literals: list[str] = []
    slots: list[tuple[str, str]] = []
    end = 0
    for match in _PLACEHOLDER.finditer(template):
        literals.append(template[end : match.start()])
        slots.append((match.group(1), match.group(2)))
        end = match.end()
    literals.append(template[end:])
    leftover = "".join(literals)
    return _Template(tuple(literals), tuple(slots), "{{" in leftover or "}}" in leftover)


def inject(
    app: App,
    url: str,
    headers: Sequence[tuple[str, str]],
    *,
    custom_fields: Mapping[str, str],
    credentials: Mapping[str, str],
) -> Injected:
    """Apply the app's injection spec (and static headers) to a validated request.

    Header credentials replace any same-named header (callers were already refused one by
    the header rules). Query credentials are appended to the caller's query, which is kept
    byte for byte; a caller parameter with the credential's name is refused. Basic
    credentials become ``Authorization: Basic <base64>``. A path prefix goes in front of
    the path, its values percent-encoded so that it stays within its segment. Static
    headers from the catalog are added unless the caller sent the same header.

    Args:
        app: the catalog app.
        url: the final upstream URL from ``rules.resolve_target``.
        headers: the forwarded headers from ``rules.check_headers``.
        custom_fields: the account's custom field values.
        credentials: the account's secrets.

    Raises:
        RuleError: ``missing_credential``, ``missing_custom_field``, ``bad_template``,
            ``credential_param_conflict`` or ``bad_credential``.
    """
    # The URL is the canonical string rules.resolve_target returned (no fragment): it is
    # edited as a string rather than re-parsed, so what was validated is what is sent.
    edits_url = any(spec.kind in ("query", "path_prefix") for spec in app.injection)
    origin, path, query = _split_url(url) if edits_url else (url, "", None)
    caller_params = _param_names(query)
    out = list(headers)
    secrets: list[str] = []

    def render(template: str | None, escape: Callable[[str], str] | None = None) -> str:
        return render_template(
            template or "", custom_fields=custom_fields, credentials=credentials, escape=escape
        )

    for spec in app.injection:
        used = [
            credentials[name]
            for template in (spec.template, spec.username, spec.password)
            if template
            for name in referenced_credentials(template)
            if credentials.get(name)
        ]
        if spec.kind == "header":
            name = spec.name or ""
            out = _set_header(out, name, _header_value(name, render(spec.template)))
        elif spec.kind == "basic":
            username, password = render(spec.username), render(spec.password)
            if ":" in username:
                raise RuleError(
                    "bad_credential",
                    "The account's Basic username contains ':', which Basic auth cannot carry",
                    field="credentials",
                )
            blob = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            out = _set_header(out, "Authorization", f"Basic {blob}")
            secrets.append(blob)
        elif spec.kind == "query":
            name = spec.name or ""
            if name.lower() in caller_params:
                raise RuleError(
                    "credential_param_conflict",
                    f"Query parameter '{name}' is set by the proxy from the account's "
                    "credential; remove it from the URL",
                    field="url",
                )
            # Appended, so the caller's query is kept byte for byte (URL.copy_set_param
            # re-encodes it: `%20` -> `+`, `flag` -> `flag=`). A same-named caller param
            # was refused above, so the credential appears exactly once.
            encoded = urlencode([(name, render(spec.template))])
            query = f"{query}&{encoded}" if query else encoded
            secrets.extend(quote_plus(value) for value in used)  # as urlencode wrote it
        elif spec.kind == "path_prefix":
            prefix = render(spec.template, _quote_path).rstrip("/")
            if not prefix.startswith("/"):
                raise RuleError(
                    "bad_template", "The app's path prefix must start with '/'", field="app"
                )
            path = prefix + path
            secrets.extend(_quote_path(value) for value in used)
        secrets.extend(used)
    if app.static_headers:
        present = {name.lower() for name, _ in out}
        out.extend((k, v) for k, v in app.static_headers if k.lower() not in present)
    target = f"{origin}{path}?{query}" if query is not None else f"{origin}{path}"
    return Injected(url=target, headers=out, secrets=_unique_secrets(secrets))


def _set_header(headers: list[tuple[str, str]], name: str, value: str) -> list[tuple[str, str]]:
    wanted = name.lower()
    return [(k, v) for k, v in headers if k.lower() != wanted] + [(name, value)]


def _header_value(name: str, value: str) -> str:
    if not _HEADER_VALUE.fullmatch(value):
        # Never echo the value: it holds the credential.
        raise RuleError(
            "bad_credential",
            f"The value for header '{name}' has characters a header cannot carry; "
            "check the account's credential",
            field="credentials",
        )
    return value


def _split_url(url: str) -> tuple[str, str, str | None]:
    """``scheme://authority``, the path, and the query (None when there is no ``?``)."""
    authority_at = url.index("://") + 3
    path_at = next((i for i in range(authority_at, len(url)) if url[i] in "/?"), len(url))
    rest = url[path_at:]
    path, mark, query = rest.partition("?")
    return url[:path_at], path or "/", query if mark else None


def _param_names(query: str | None) -> set[str]:
    """The caller's query parameter names, decoded and lower-cased."""
    if not query:
        return set()
    return {unquote_plus(pair.partition("=")[0]).lower() for pair in query.split("&")}


def _quote_path(value: str) -> str:
    return quote(value, safe=_PATH_SAFE)


def _unique_secrets(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(filter(None, dict.fromkeys(values)))  # first-seen order, no empty string


def mask_secret(value: str) -> str:
    """A display form of a secret: at most 4 leading characters, then a fixed mask.

    Short secrets show fewer characters (a quarter of their length), and the mask has a
    fixed width so it does not reveal the length: ``"sk_test_51H..."`` -> ``"sk_t••••••"``.
    """
    if not value:
        return ""
    return value[: min(4, len(value) // 4)] + MASK


class Scrubber:
    """Finds one request's secrets in text, raw or percent-encoded, and hides them.

    Build it once per request: the encoded forms are computed up front, so scrubbing
    each header value afterwards is a few substring checks.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        """Prepare the forms of ``secrets`` (empty strings are ignored)."""
        self.secrets = tuple(secrets)
        masks: dict[str, str] = {}
        for secret in self.secrets:
            if secret and _URL_SAFE.fullmatch(secret):
                masks.setdefault(secret, mask_secret(secret))  # every encoding is the same
            elif secret:
                masked = mask_secret(secret)
                for form in (
                    secret,
                    quote(secret, safe=""),
                    quote_plus(secret),
                    _quote_path(secret),
                ):
                    masks.setdefault(form, masked)
        # Longest first, so a form never leaves part of a longer one behind.
        self._forms = sorted(masks.items(), key=lambda item: len(item[0]), reverse=True)
        self._lowered = tuple({form.lower() for form in masks})  # for header names

    def __bool__(self) -> bool:
        return bool(self._forms)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``[REDACTED]`` (ASCII: header-safe)."""
        for form, _ in self._forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text

    def in_name(self, name: str) -> bool:
        """Whether a header name carries a secret, in any letter case.

        Names are case-insensitive (and lower-cased by many proxies), and a name cannot be
        redacted and still mean anything: a header whose name this finds is dropped.
        """
        if self._lowered:
            lowered = name.lower()
            for form in self._lowered:
                if form in lowered:
                    return True
        return False

    def mask(self, text: str) -> str:
        """``text`` with every secret replaced by its :func:`mask_secret` form, for display."""
        for form, masked in self._forms:
            if form in text:
                text = text.replace(form, masked)
        return text

    def mask_headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        """``(name, value)`` rows with every value masked as by :meth:`mask`, for display."""
        return tuple([(name, self.mask(value)) for name, value in headers])


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (raw or percent-encoded) in ``text`` with ``[REDACTED]``.

    The result is plain ASCII where the input was, so it is safe in a header value.
    """
    return Scrubber(secrets).redact(text)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` by its :func:`mask_secret` form, for display."""
    return Scrubber(secrets).mask(text)


@dataclass(frozen=True)
class InjectionPreview:
    """Where an app's credentials will be added to a request, every value masked.

    Attributes:
        url: the upstream URL with query or path-prefix credentials shown as the mask.
        headers: the headers the injection sets (names kept, credential values masked).
    """

    url: str
    headers: tuple[tuple[str, str], ...]


# Stands in for each credential: alphanumeric, so every encoding leaves it unchanged and it
# can be found again in the URL and headers and replaced by the mask.
_STAND_IN = "WORKBENCHCREDENTIAL"


def preview_injection(app: App, url: str, *, custom_fields: Mapping[str, str]) -> InjectionPreview:
    """Apply the app's injection to ``url`` with stand-in credentials, then mask them.

    This is :func:`inject` itself, so what a composer shows is where the engine will put
    the credential; no secret is read. Basic credentials mask the whole blob.

    Raises:
        RuleError: as :func:`inject` (a missing custom field, a bad template...).
    """
    names = {
        name
        for spec in app.injection
        for template in (spec.template, spec.username, spec.password)
        if template
        for name in referenced_credentials(template)
    }
    injected = inject(
        app, url, [], custom_fields=custom_fields, credentials=dict.fromkeys(names, _STAND_IN)
    )
    headers = []
    for name, value in injected.headers:
        if name.lower() == "authorization" and value.startswith("Basic "):
            value = f"Basic {MASK}"
        headers.append((name, value.replace(_STAND_IN, MASK)))
    return InjectionPreview(injected.url.replace(_STAND_IN, MASK), tuple(headers))

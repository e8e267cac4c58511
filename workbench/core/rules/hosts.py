"""Where a credential may go: host grammar, custom-field values, templates, allowlists.

Implements security-policy sections 3.1 and 3.3 and the host part of 3.2 (rule 4). Every
function here works on ASCII strings only and compares hosts in lower case; anything
else is refused rather than cleaned. Private-network forms (IPv4 literals, ``localhost``,
single-label names, ``:port``) are accepted only where a caller passes
``allow_private_networks=True``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from typing import Literal

from workbench.core.errors import RuleError

EntryKind = Literal["domain", "wildcard", "template", "private"]
SlotKind = Literal["label", "host", "text"]
Entry = tuple[EntryKind, str]

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_NUMERIC_LABEL = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)\Z")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}\Z")
_PORT = re.compile(r"[1-9][0-9]{0,4}\Z")
_TEXT = re.compile(r"[A-Za-z0-9._~-]{1,255}\Z")
_PLACEHOLDER = re.compile(r"\{\{custom_fields\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
_ENTRY_RESIDUE = re.compile(r"[A-Za-z0-9.-]*\Z")


def show(value: object, limit: int = 40) -> str:
    """A short, printable rendering of untrusted input for an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _looks_numeric(labels: list[str]) -> bool:
    """True for the numeric host spellings inet_aton accepts (``0x7f.1``, ``2130706433``)."""
    filled = [label for label in labels if label]
    return bool(filled) and all(_NUMERIC_LABEL.match(label) for label in filled)


# A pure function of one string, asked several times per request about the same host.
@functools.lru_cache(maxsize=1024)
def host_problem(host: str) -> tuple[str, str] | None:
    """Why ``host`` (already lower case) is not a public DNS name, or None when it is.

    Returns:
        ``(code, reason)``: ``ip_literal_not_allowed`` for numeric hosts in any spelling
        the C resolver accepts (``2130706433``, ``0x7f.0.0.1``, ``127.1``), else
        ``bad_host``.
    """
    if not host or not host.isascii():
        return "bad_host", "is empty or not ASCII"
    labels = host.split(".")
    if _looks_numeric(labels):
        return "ip_literal_not_allowed", "is a numeric address, not a domain name"
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return "bad_host", "is not a valid DNS name (letters, digits, hyphens, dots)"
    if len(labels) < 2:
        return "bad_host", "needs at least two labels"
    if labels[-1].isdigit():
        return "ip_literal_not_allowed", "ends in a numeric label"
    if labels[-1] == "localhost":
        return "bad_host", "is a loopback name"
    return None


def private_authority(authority: str) -> str | None:
    """``authority`` normalised when it is a private-network host with optional port.

    Accepts an IPv4 literal, ``localhost`` or any LDH name (single labels too), then an
    optional ``:port`` (1-65535, no leading zero). Returns None for anything else.
    """
    if not authority.isascii():
        return None
    host, sep, port = authority.lower().partition(":")
    if sep and (not _PORT.match(port) or int(port) > 65535):
        return None
    if not _IPV4.match(host):
        labels = host.split(".")
        if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
            return None
        if _looks_numeric(labels):
            return None
    return host + sep + port


def check_custom_field_value(
    name: str, value: str, kind: str = "host", *, allow_private_networks: bool = False
) -> str:
    """Validate and normalise one custom-field value (security-policy 3.3).

    Args:
        name: the field's name, used in the message.
        value: the value an end user stored with the account.
        kind: ``label`` (one DNS label), ``host`` (a dotted DNS name) or ``text`` (a
            path-safe segment ``[A-Za-z0-9._~-]+``, not ``.``/``..``, case kept).
        allow_private_networks: let ``host`` also be an IPv4 literal, ``localhost``, a
            single label, with an optional ``:port``.

    Returns:
        The value, lower-cased for ``label`` and ``host``.

    Raises:
        RuleError: ``bad_custom_field`` naming the field.
    """

    def fail(reason: str) -> RuleError:
        return RuleError(
            "bad_custom_field",
            f"Custom field '{name}' {reason}, got {show(value)}",
            field="custom_fields",
        )

    if not isinstance(value, str) or not value:
        raise fail("must be a non-empty string")
    if not value.isascii():
        raise fail("must be ASCII")
    if kind == "label":
        if not _LABEL.match(value.lower()):
            raise fail("must be one DNS label (letters, digits, inner hyphens; at most 63)")
        return value.lower()
    if kind == "host":
        if host_problem(value.lower()) is None:
            return value.lower()
        normalised = private_authority(value) if allow_private_networks else None
        if normalised is None:
            raise fail("must be a domain name such as example.com (no scheme, path or port)")
        return normalised
    if kind == "text":
        if not _TEXT.match(value) or value in (".", ".."):
            raise fail("may only hold letters, digits and . _ ~ - (not . or ..)")
        return value
    raise fail(f"has an unknown kind {show(kind)}")


def placeholders(template: str) -> list[str]:
    """The names of the ``{{custom_fields.NAME}}`` placeholders in ``template``, in order.

    Raises:
        RuleError: ``bad_template`` when the template holds any other ``{{...}}`` form or
            a stray brace.
    """
    residue = _PLACEHOLDER.sub("", template)
    if "{" in residue or "}" in residue:
        raise RuleError(
            "bad_template",
            f"Template {show(template, 80)} may only use {{{{custom_fields.NAME}}}} placeholders",
            field="app",
        )
    return list(dict.fromkeys(_PLACEHOLDER.findall(template)))


def placeholder_slots(template: str, *, host_only: bool = False) -> list[tuple[str, SlotKind]]:
    """Each placeholder of a URL (or, with ``host_only``, a host) template and its kind.

    A placeholder followed by ``.`` must be a ``label``; any other one in the authority a
    ``host``; one in the path ``text``.

    Raises:
        RuleError: ``bad_template`` for bad syntax or a placeholder in the scheme.
    """
    placeholders(template)
    authority_start, path_start = 0, len(template)
    if not host_only:
        scheme_end = template.find("://")
        # Without "://" there is no host or path a value could safely land in.
        authority_start = scheme_end + 3 if scheme_end >= 0 else len(template) + 1
        slash = template.find("/", authority_start)
        path_start = slash if slash >= 0 else len(template)
    slots: list[tuple[str, SlotKind]] = []
    for match in _PLACEHOLDER.finditer(template):
        if match.start() < authority_start:
            raise RuleError(
                "bad_template",
                f"Placeholder {match.group(0)} must sit in the host or the path",
                field="app",
            )
        kind: SlotKind = "text"
        if match.start() < path_start:
            kind = "label" if template.startswith(".", match.end()) else "host"
        slots.append((match.group(1), kind))
    return slots


def render(
    template: str,
    custom_fields: Mapping[str, str] | None,
    *,
    allow_private_networks: bool = False,
    host_only: bool = False,
) -> str:
    """Fill the placeholders of ``template`` with checked custom-field values.

    Raises:
        RuleError: ``missing_custom_field`` (a missing or empty value is never rendered
            as ""), ``bad_custom_field`` or ``bad_template``.
    """
    values = iter(
        [
            field_value(name, kind, custom_fields, allow_private_networks=allow_private_networks)
            for name, kind in placeholder_slots(template, host_only=host_only)
        ]
    )
    return _PLACEHOLDER.sub(lambda _match: next(values), template)


def field_value(
    name: str,
    kind: SlotKind,
    custom_fields: Mapping[str, str] | None,
    *,
    allow_private_networks: bool = False,
) -> str:
    """The checked value of one placeholder slot (``missing_custom_field`` when absent)."""
    value = (custom_fields or {}).get(name)
    if value is None or value == "":
        raise RuleError(
            "missing_custom_field",
            f"Custom field '{name}' is required by this app but the account has no value",
            field="custom_fields",
        )
    return check_custom_field_value(
        name, value, kind, allow_private_networks=allow_private_networks
    )


def render_base(
    base_proxy_target_url: str,
    custom_fields: Mapping[str, str],
    *,
    allow_private_networks: bool = False,
) -> str:
    """Render an app's ``base_proxy_target_url`` with an account's custom fields.

    Raises:
        RuleError: see :func:`render`.
    """
    return render(
        base_proxy_target_url, custom_fields, allow_private_networks=allow_private_networks
    )


def classify_entry(entry: str) -> Entry:
    """Validate one ``allowed_domains`` entry and return its kind and normal form.

    Raises:
        RuleError: ``bad_allowed_domain``.
    """

    def fail(reason: str) -> RuleError:
        return RuleError(
            "bad_allowed_domain", f"Allowed domain {show(entry)} {reason}", field="app"
        )

    if not isinstance(entry, str) or not entry or not entry.isascii():
        raise fail("must be a non-empty ASCII string")
    if "{" in entry or "}" in entry:
        try:
            names = placeholders(entry)
        except RuleError:
            raise fail("may only use {{custom_fields.NAME}} placeholders") from None
        if not names or not _ENTRY_RESIDUE.match(_PLACEHOLDER.sub("", entry)):
            raise fail("may only combine placeholders with letters, digits, dots, hyphens")
        return "template", entry
    lowered = entry.lower()
    if lowered.startswith("*.") and host_problem(lowered[2:]) is None:
        return "wildcard", lowered[2:]
    if "*" in lowered:
        raise fail("may only use a wildcard as a whole left-most label, as in *.example.com")
    if host_problem(lowered) is None:
        return "domain", lowered
    normalised = private_authority(lowered)
    host = normalised.partition(":")[0] if normalised else ""
    if normalised and (":" in normalised or host == "localhost" or _IPV4.match(host)):
        return "private", normalised
    raise fail("must be a domain name with at least two labels (no IP, port or localhost)")


def check_allowed_domain_entry(entry: str) -> None:
    """Catalog-load validation of one ``allowed_domains`` entry.

    Accepts a static domain (two or more labels), ``*.domain``, a template of
    ``{{custom_fields.X}}`` placeholders, or a private entry (IPv4, ``localhost``,
    ``host:port``) that only matches when private networks are allowed.

    Raises:
        RuleError: ``bad_allowed_domain``.
    """
    classify_entry(entry)


def usable_entries(
    allowed_domains: Iterable[str] | None,
    custom_fields: Mapping[str, str] | None,
    *,
    allow_private_networks: bool = False,
) -> list[Entry]:
    """The entries that can match anything: valid ones, templates rendered.

    An invalid entry, a template whose fields are missing or bad, and a private entry
    while private networks are not allowed are dropped, so a list with nothing usable
    fails closed.
    """
    if allowed_domains is None or isinstance(allowed_domains, str):
        return []
    usable: list[Entry] = []
    for entry in allowed_domains:
        try:
            kind, normal = classify_entry(entry)
            if kind == "template":
                rendered = render(
                    normal,
                    custom_fields,
                    allow_private_networks=allow_private_networks,
                    host_only=True,
                )
                kind, normal = classify_entry(rendered)
        except RuleError:
            continue
        if kind != "private" or allow_private_networks:
            usable.append((kind, normal))
    return usable


def match_kind(
    authority: str,
    entries: Iterable[Entry],
    *,
    allow_private_networks: bool = False,
) -> Literal["public", "private"] | None:
    """Which kind of entry admits ``authority`` (lower case): public, private, or none.

    Public entries match a public host at a dot boundary (``*.d`` strict subdomains
    only); private entries match only exactly, and only with private networks allowed.
    """
    public = host_problem(authority) is None
    for kind, normal in entries:
        if kind == "private":
            if allow_private_networks and authority == normal:
                return "private"
        elif public and (
            authority.endswith("." + normal) or (kind == "domain" and authority == normal)
        ):
            return "public"
    return None


def host_allowed(
    host: str,
    allowed_domains: Iterable[str] | None,
    custom_fields: Mapping[str, str] | None = None,
    *,
    allow_private_networks: bool = False,
) -> bool:
    """True when ``host`` (or a private ``host:port`` authority) is on the allowlist.

    Fails closed on an empty, None or wholly invalid list and on a malformed host.
    """
    if not isinstance(host, str) or not host.isascii():
        return False
    entries = usable_entries(
        allowed_domains, custom_fields, allow_private_networks=allow_private_networks
    )
    return (
        match_kind(host.lower(), entries, allow_private_networks=allow_private_networks) is not None
    )

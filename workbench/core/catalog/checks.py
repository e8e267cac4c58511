"""The cross-field checks of a catalog entry: templates, domains, base URL, injection.

Every failure is an :class:`~workbench.core.catalog.jsonobj.Invalid` carrying the dotted
path of the field at fault. URL, domain, header and field-value rules are not restated
here: they are the ones in :mod:`workbench.core.rules`, applied at load time.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from workbench.core.catalog.jsonobj import Invalid, JsonObject
from workbench.core.catalog.model import FieldKind, FieldSpec, Injection, TokenField
from workbench.core.errors import RuleError
from workbench.core.rules.headers import check_headers, check_method, reserved_headers
from workbench.core.rules.hosts import (
    check_allowed_domain_entry,
    check_custom_field_value,
    host_allowed,
    placeholders,
    render_base,
)
from workbench.core.rules.urls import resolve_target

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}\Z")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")
_QUERY_NAME = re.compile(r"[A-Za-z0-9._~-]+\Z")
_PRINTABLE = re.compile(r"[\x20-\x7e]*\Z")
_TEMPLATE = re.compile(r"\{\{(credentials|custom_fields)\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
_LENIENT_PLACEHOLDER = re.compile(r"\{\{custom_fields\.([A-Za-z_][A-Za-z0-9_]*)\}\}")
# Headers the engine derives from the connection and the body it sends; a credential
# placed in one of them would break the request or smuggle a second one.
_ENGINE_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "te",
     "trailer", "upgrade", "expect"}
)  # fmt: skip
# Values that satisfy exactly one kind, so a field whose kind does not fit the place its
# placeholder sits in makes rendering fail at load time instead of at request time.
_SAMPLES: dict[str, str] = {"label": "example", "host": "example.com", "text": "Ex_ample"}


def field_name(obj: JsonObject) -> str:
    """The ``name`` of a custom field or credential, in placeholder syntax."""
    name = obj.text("name")
    if not _NAME.match(name):
        raise Invalid(obj.where("name"), "must be a letter or _ then letters, digits, _ (<= 64)")
    return name


def pattern(obj: JsonObject) -> str | None:
    """A custom field's optional ``pattern``, which must be a valid regular expression."""
    if "pattern" not in obj:
        return None
    text = obj.text("pattern")
    try:
        re.compile(text)
    except re.error as error:
        raise Invalid(
            obj.where("pattern"), f"is not a valid regular expression ({error})"
        ) from None
    return text


def method(obj: JsonObject) -> str:
    """A verification's HTTP method, upper-cased, from the proxy's allowlist."""
    try:
        return check_method(obj.text("method"))
    except RuleError as error:
        raise Invalid(obj.where("method"), error.message) from None


def unique_names(list_name: str, specs: Sequence[FieldSpec]) -> None:
    """Refuse two custom fields (or two credentials) with one name."""
    seen: set[str] = set()
    for index, spec in enumerate(specs):
        if spec.name in seen:
            raise Invalid(f"{list_name}[{index}].name", f"duplicate name {spec.name!r}")
        seen.add(spec.name)


def url_slots(base: str, domains: Iterable[str]) -> dict[str, set[FieldKind]]:
    """Where each custom field's placeholder sits in the base URL and allowed domains.

    Used only to infer a field's ``kind`` when the entry does not state it; whether the
    kind fits is then checked by rendering through :mod:`workbench.core.rules`.
    """
    slots: dict[str, set[FieldKind]] = {}
    scheme_end = base.find("://")
    authority_end = base.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    templates = [(base, authority_end if authority_end >= 0 else len(base))]
    templates += [(entry, len(entry)) for entry in domains]
    for template, host_end in templates:
        for match in _LENIENT_PLACEHOLDER.finditer(template):
            kind: FieldKind = "text"
            if match.start() < host_end:
                kind = "label" if template.startswith(".", match.end()) else "host"
            slots.setdefault(match.group(1), set()).add(kind)
    return slots


def infer_kind(kinds: Collection[FieldKind]) -> FieldKind:
    """The kind a field needs for the places it is used (``text`` when in none)."""
    strictest_first: tuple[FieldKind, ...] = ("label", "host")
    return next((kind for kind in strictest_first if kind in kinds), "text")


def check_connect(
    proxy_enabled: bool,
    base: str,
    domains: Sequence[str],
    custom_fields: Sequence[FieldSpec],
    *,
    field_slots: Mapping[str, Collection[FieldKind]],
) -> bool:
    """Check ``connect`` against the rules the engine applies; True for a private app.

    A private app (``http://`` or an address-literal base, such as the demo sandbox or a
    LAN server) is accepted only when ``allowed_domains`` names its authority literally,
    and is then usable only where private networks are allowed.
    """
    declared = {spec.name for spec in custom_fields}
    samples = {spec.name: _SAMPLES[spec.kind] for spec in custom_fields}
    for index, entry in enumerate(domains):
        where = f"connect.allowed_domains[{index}]"
        _rule(where, check_allowed_domain_entry, entry)
        _check_declared(where, _rule(where, placeholders, entry), declared)
        if "{{" in entry and not host_allowed(_fill(entry, samples), [entry], samples):
            raise Invalid(where, _kind_hint(entry, field_slots))
    if proxy_enabled and not domains:
        raise Invalid(
            "connect.allowed_domains",
            "is empty: a proxy-enabled app needs at least one domain (it fails closed)",
        )
    where = "connect.base_proxy_target_url"
    if not base:
        if proxy_enabled:
            raise Invalid(where, "is required for a proxy-enabled app")
        return False
    _check_declared(where, _rule(where, placeholders, base), declared)
    scheme, sep, rest = base.partition("://")
    if not sep or scheme.lower() not in ("https", "http"):
        raise Invalid(where, "must start with https://")
    if "?" in base or "#" in base:
        raise Invalid(where, "may not hold a query or a fragment")
    authority = rest.split("/", 1)[0]
    if not authority:
        raise Invalid(where, "has no host")
    private = scheme.lower() == "http" or ("{{" not in authority and not _is_public(authority))
    if private and authority.lower() not in {entry.lower() for entry in domains}:
        raise Invalid(
            where,
            f"an http:// or private-address base needs its authority {authority!r} "
            "listed literally in connect.allowed_domains",
        )
    try:
        rendered = render_base(base, samples, allow_private_networks=private)
    except RuleError:
        raise Invalid(where, _kind_hint(base, field_slots)) from None
    # A host that comes from an account value is only known per account; a static host
    # must be on the allowlist now, or no relative path could ever be sent.
    if proxy_enabled and "{{" not in authority:
        _rule(
            where,
            lambda url: resolve_target(
                "/",
                base_proxy_target_url=url,
                allowed_domains=list(domains),
                custom_fields={},
                allow_private_networks=private,
            ),
            rendered,
        )
    return private


def check_defaults(custom_fields: Sequence[FieldSpec], *, allow_private_networks: bool) -> None:
    """A custom field's default must be a valid value of its kind and match its pattern."""
    for index, spec in enumerate(custom_fields):
        if spec.default is None:
            continue
        where = f"custom_fields[{index}].default"
        try:
            check_custom_field_value(
                spec.name, spec.default, spec.kind, allow_private_networks=allow_private_networks
            )
        except RuleError as error:
            raise Invalid(where, error.message) from None
        if spec.pattern is not None and not re.fullmatch(spec.pattern, spec.default):
            raise Invalid(where, f"does not match the field's pattern {spec.pattern!r}")


def check_injection(
    injection: Sequence[Injection],
    custom_fields: Sequence[FieldSpec],
    credentials: Sequence[FieldSpec],
) -> None:
    """Check every injection's shape and that its templates name declared fields."""
    declared = {
        "custom_fields": {spec.name for spec in custom_fields},
        "credentials": {spec.name for spec in credentials},
    }
    targets: set[str] = set()
    for index, item in enumerate(injection):
        where = f"injection[{index}]"
        if item.kind == "basic":
            templates = {"username": item.username or "", "password": item.password or ""}
            target = "header:authorization"
        else:
            templates = {"template": item.template or ""}
            target = f"{item.kind}:{(item.name or '').lower()}"
        for key, template in templates.items():
            _check_template(f"{where}.{key}", template, declared)
        if item.kind == "header":
            _check_header_name(f"{where}.name", item.name or "")
        elif item.kind == "query" and not _QUERY_NAME.match(item.name or ""):
            raise Invalid(f"{where}.name", "must be a query parameter name of A-Z a-z 0-9 . _ ~ -")
        elif item.kind == "path_prefix":
            prefix = item.template or ""
            if not prefix.startswith("/") or prefix.startswith("//") or set("?#") & set(prefix):
                raise Invalid(f"{where}.template", "must be a path starting with one /")
        if target in targets:
            raise Invalid(where, f"puts a second credential in the same place ({target})")
        targets.add(target)


def static_headers(
    obj: JsonObject | None, injection: Sequence[Injection]
) -> tuple[tuple[str, str], ...]:
    """The app's fixed headers, checked with the same header rules as a caller's."""
    if obj is None:
        return ()
    pairs: list[tuple[str, str]] = []
    for name in obj.data:
        value = obj.text(name, allow_empty=True)
        if name.lower().startswith("x-pd-proxy-") or "{{" in value:
            raise Invalid(obj.where(name), "is sent as written: no x-pd-proxy- prefix, no {{...}}")
        pairs.append((name, value))
    try:
        check_headers(pairs, reserved=reserved_headers(injection))
    except RuleError as error:
        where = obj.where(pairs[error.row][0]) if error.row is not None else obj.path
        raise Invalid(where, error.message) from None
    return tuple(pairs)


# Authorize parameters the flow sets itself; an app's fixed ones may not replace them.
FLOW_PARAMS = frozenset(
    {"client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
     "code_challenge_method"}
)  # fmt: skip


def check_oauth_url(
    where: str, url: str, declared: Collection[str], domains: Sequence[str], *, private: bool
) -> None:
    """An OAuth endpoint: https, with only declared custom-field placeholders.

    ``http://`` is accepted only on a private app (a LAN server, the tests' local
    authorization server) whose ``allowed_domains`` name the endpoint's authority
    literally, as its base URL must: it is then reachable only where private networks
    are allowed, like the app itself.
    """
    scheme, _, rest = url.partition("://")
    authority = rest.split("/", 1)[0].lower()
    literal = {entry.lower() for entry in domains}
    if scheme.lower() != "https" and not (
        scheme.lower() == "http" and private and authority in literal
    ):
        raise Invalid(where, "must start with https://")
    _check_declared(where, _rule(where, placeholders, url), declared)


def check_token_fields(
    where: str,
    tokens: Sequence[TokenField],
    custom_fields: Sequence[FieldSpec],
    domains: Sequence[str],
) -> None:
    """Each token field fills a declared custom field once, and is bounded.

    A value from the network decides where the account's credential goes, so it must be
    held in by something the catalog states: a ``pattern``, or ``allowed_domains`` that
    do not take their host from that very field (Salesforce's do, so its field needs a
    pattern).
    """
    specs = {spec.name: spec for spec in custom_fields}
    seen: set[str] = set()
    for index, token in enumerate(tokens):
        at = f"{where}[{index}]"
        spec = specs.get(token.field)
        if spec is None:
            raise Invalid(
                f"{at}.field", f"names {token.field!r}, which custom_fields does not declare"
            )
        if token.field in seen:
            raise Invalid(f"{at}.field", f"fills {token.field!r} a second time")
        seen.add(token.field)
        in_domains = any(token.field in placeholders(entry) for entry in domains if "{{" in entry)
        if spec.pattern is None and in_domains:
            raise Invalid(
                f"{at}.field",
                f"{token.field!r} comes from the token response and names the allowed domain: "
                "give it a pattern that bounds it",
            )


def check_verification_path(where: str, path: str) -> None:
    """A verification request's path: relative to the base, printable, no templates."""
    if not path.startswith("/") or path.startswith("//"):
        raise Invalid(where, "must be a path starting with one /")
    if not re.fullmatch(r"[\x21-\x7e]+", path) or set("#{}\\") & set(path):
        raise Invalid(where, "must be printable ASCII without #, braces or backslashes")


def _check_template(where: str, template: str, declared: Mapping[str, set[str]]) -> None:
    if not _PRINTABLE.match(template):
        raise Invalid(where, "must be printable ASCII (no control characters)")
    if "{" in _TEMPLATE.sub("", template) or "}" in _TEMPLATE.sub("", template):
        raise Invalid(
            where, "may only use {{credentials.NAME}} and {{custom_fields.NAME}} placeholders"
        )
    for namespace, name in _TEMPLATE.findall(template):
        if name not in declared[namespace]:
            raise Invalid(where, f"uses {namespace}.{name}, which {namespace} does not declare")


def _check_header_name(where: str, name: str) -> None:
    if not _TOKEN.match(name):
        raise Invalid(where, "must be a header name (an RFC 9110 token)")
    if name.lower() in _ENGINE_HEADERS:
        raise Invalid(where, f"{name} is set by the engine and cannot carry a credential")


def _check_declared(where: str, names: Iterable[str], declared: Collection[str]) -> None:
    for name in names:
        if name not in declared:
            raise Invalid(
                where, f"uses custom field {name!r}, which custom_fields does not declare"
            )


def _rule(where: str, check: Any, value: str) -> Any:
    try:
        return check(value)
    except RuleError as error:
        raise Invalid(where, error.message) from None


def _is_public(authority: str) -> bool:
    try:
        check_custom_field_value("host", authority, "host")
    except RuleError:
        return False
    return True


def _fill(template: str, values: Mapping[str, str]) -> str:
    return _LENIENT_PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), template)


def _kind_hint(template: str, field_slots: Mapping[str, Collection[FieldKind]]) -> str:
    needed = ", ".join(
        f"{name!r} needs kind {infer_kind(field_slots.get(name, ()))!r}"
        for name in placeholders(template)
    )
    return (
        f"a custom field's kind does not fit where its placeholder sits ({needed}: "
        "before a '.' a label, elsewhere in the host a host, in the path any)"
    )

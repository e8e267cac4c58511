"""Account input checks: custom field values and secrets, validated against the catalog.

Used by ``Connections.add_account`` before anything is stored, and by front doors that
want to validate a connect form field by field. Errors name the field, never a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from workbench.core.catalog import App, FieldSpec, TokenField
from workbench.core.errors import RuleError
from workbench.core.rules import check_custom_field_value
from workbench.core.rules.hosts import host_allowed, show

__all__ = [
    "check_custom_field",
    "check_custom_fields",
    "check_secret",
    "check_secrets",
    "check_token_fields",
    "check_typed_fields",
]


def _names(specs: Iterable[FieldSpec]) -> str:
    return ", ".join(spec.name for spec in specs) or "none"


def check_custom_fields(
    app: App, values: Mapping[str, str], *, allow_private_network: bool = False
) -> dict[str, str]:
    """Validate an account's custom field values against its app; return them normalised.

    Defaults fill missing optional fields; each value passes
    ``rules.check_custom_field_value`` for its kind and then the field's ``pattern``.

    Raises:
        RuleError: an unknown field, a missing required one, or a bad value; the message
            names the field (``field="custom_fields"``).
    """
    _refuse_unknown(app, values)
    checked: dict[str, str] = {}
    for spec in app.custom_fields:
        value = check_custom_field(
            app, spec, values.get(spec.name, ""), allow_private_network=allow_private_network
        )
        if value is not None:
            checked[spec.name] = value
    return checked


def _refuse_unknown(app: App, values: Mapping[str, str]) -> None:
    names = {spec.name for spec in app.custom_fields}
    for name in values:
        if name not in names:
            raise RuleError(
                "unknown_custom_field",
                f"App '{app.name_slug}' has no custom field '{name}' "
                f"(its custom fields: {_names(app.custom_fields)})",
                field="custom_fields",
            )


def check_custom_field(
    app: App, spec: FieldSpec, value: str, *, allow_private_network: bool = False
) -> str | None:
    """Validate one custom field's value (a connect form checks each as it is typed).

    Returns:
        The normalised value, or None for an empty optional field without a default.

    Raises:
        RuleError: a missing required value or a bad one (``field="custom_fields"``).
    """
    value = value or spec.default or ""
    if not value:
        if spec.required:
            raise RuleError(
                "missing_custom_field",
                f"Custom field '{spec.name}' ({spec.label}) is required for {app.name}",
                field="custom_fields",
            )
        return None
    value = check_custom_field_value(
        spec.name, value, spec.kind, allow_private_networks=allow_private_network
    )
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        raise RuleError(
            "bad_custom_field",
            f"Custom field '{spec.name}' must match {spec.pattern}, got {value!r}",
            field="custom_fields",
        )
    return value


def check_secrets(app: App, secrets: Mapping[str, str]) -> dict[str, str]:
    """Validate an account's secrets against its app's credentials; return the non-empty ones.

    Raises:
        RuleError: an unknown name, a missing required secret, or a value with a line
            break or control character; the message names the credential, never its value.
    """
    specs = {spec.name: spec for spec in app.credentials}
    for name in secrets:
        if name not in specs:
            raise RuleError(
                "unknown_credential",
                f"App '{app.name_slug}' has no credential '{name}' "
                f"(its credentials: {_names(app.credentials)})",
                field="credentials",
            )
    checked: dict[str, str] = {}
    for spec in app.credentials:
        value = check_secret(app, spec, secrets.get(spec.name, ""))
        if value:
            checked[spec.name] = value
    return checked


def check_secret(app: App, spec: FieldSpec, value: str) -> str:
    """Validate one secret's value (never echoed); returns it, "" for an empty optional one.

    Raises:
        RuleError: a missing required secret or a line break or control character in it.
    """
    if not isinstance(value, str) or not value.isprintable():
        raise RuleError(
            "bad_credential",
            f"Credential '{spec.name}' ({spec.label}) must be text without line breaks "
            "or control characters",
            field="credentials",
        )
    if not value and spec.required:
        raise RuleError(
            "missing_credential",
            f"Credential '{spec.name}' ({spec.label}) is required for {app.name}",
            field="credentials",
        )
    return value


def check_typed_fields(
    app: App, values: Mapping[str, str], *, allow_private_network: bool = False
) -> dict[str, str]:
    """Validate what a person typed before an OAuth sign-in; return it normalised.

    Like :func:`check_custom_fields`, but the fields the token response fills are left
    for it: giving one is refused, and they are not required yet.

    Raises:
        RuleError: an unknown field, one the token response fills, a missing required
            one or a bad value (``field="custom_fields"``).
    """
    _refuse_unknown(app, values)
    checked: dict[str, str] = {}
    for spec in app.custom_fields:
        if spec.source == "oauth":
            if spec.name in values:
                raise RuleError(
                    "bad_custom_field",
                    f"Custom field '{spec.name}' comes from {app.name}'s token response; "
                    "do not give it",
                    field="custom_fields",
                )
            continue
        value = check_custom_field(
            app, spec, values.get(spec.name, ""), allow_private_network=allow_private_network
        )
        if value is not None:
            checked[spec.name] = value
    return checked


def check_token_fields(
    app: App,
    response: Mapping[str, object],
    typed: Mapping[str, str],
    *,
    allow_private_network: bool = False,
) -> dict[str, str]:
    """The custom fields a token response fills, checked like typed ones, and more.

    Each value passes :func:`check_custom_field` (kind and pattern), and a host taken from
    the response must also be one the app's ``allowed_domains`` allow: a hostile token
    response cannot point the account at another domain. Members the response lacks are
    left out (the field's default or a "required" error follows when the account is
    stored).

    Args:
        app: an OAuth app (others fill nothing).
        response: the token endpoint's JSON object.
        typed: the fields a person typed (some allowed domains are built from them).
        allow_private_network: the account may reach private addresses.

    Raises:
        RuleError: ``bad_custom_field`` or ``domain_not_allowed``, naming the member and
            the field (never a token).
    """
    if app.oauth is None:
        return {}
    specs = {spec.name: spec for spec in app.custom_fields}
    filled: dict[str, str] = {}
    for token in app.oauth.token_fields:
        raw = response.get(token.key)
        if raw is None or raw == "":
            continue
        value = _token_value(app, token, raw, allow_private_network=allow_private_network)
        checked = check_custom_field(
            app, specs[token.field], value, allow_private_network=allow_private_network
        )
        if checked is not None:
            filled[token.field] = checked
    merged = {**typed, **filled}
    for token in app.oauth.token_fields:
        spec = specs[token.field]
        host = filled.get(token.field)
        if (
            host is not None
            and spec.kind == "host"
            and not host_allowed(
                host,
                app.connect.allowed_domains,
                merged,
                allow_private_networks=allow_private_network,
            )
        ):
            raise RuleError(
                "domain_not_allowed",
                f"{app.name}'s token response names {show(host)} in '{token.key}', which is "
                f"outside the app's allowed domains; the account was not connected",
                field="custom_fields",
            )
    return filled


def _token_value(app: App, token: TokenField, raw: object, *, allow_private_network: bool) -> str:
    """The text a token-response member gives its field (``take: host`` parses a URL)."""

    def bad(reason: str) -> RuleError:
        return RuleError(
            "bad_custom_field",
            f"{app.name}'s token response has '{token.key}' {reason}, got {show(raw)}",
            field="custom_fields",
        )

    if not isinstance(raw, str) or not raw.isascii() or not raw.isprintable():
        raise bad("that is not printable ASCII text")
    if token.take == "value":
        return raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise bad("that is not a URL") from None
    schemes = ("https", "http") if allow_private_network else ("https",)
    if (
        parts.scheme.lower() not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise bad("that is not a bare https:// origin")
    return parts.hostname + (f":{port}" if port is not None and port != 443 else "")

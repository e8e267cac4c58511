"""Account input checks: custom field values and secrets, validated against the catalog.

Used by ``Connections.add_account`` before anything is stored, and by front doors that
want to validate a connect form field by field. Errors name the field, never a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from workbench.core.catalog import App, FieldSpec
from workbench.core.errors import RuleError
from workbench.core.rules import check_custom_field_value

__all__ = ["check_custom_field", "check_custom_fields", "check_secret", "check_secrets"]


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
    specs = {spec.name: spec for spec in app.custom_fields}
    for name in values:
        if name not in specs:
            raise RuleError(
                "unknown_custom_field",
                f"App '{app.name_slug}' has no custom field '{name}' "
                f"(its custom fields: {_names(app.custom_fields)})",
                field="custom_fields",
            )
    checked: dict[str, str] = {}
    for spec in app.custom_fields:
        value = check_custom_field(
            app, spec, values.get(spec.name, ""), allow_private_network=allow_private_network
        )
        if value is not None:
            checked[spec.name] = value
    return checked


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

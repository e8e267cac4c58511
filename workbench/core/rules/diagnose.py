"""Live validation for the composer: every finding about a request at once, with fix hints.

It runs the very checks the engine runs (the same per-row header check, the same target
resolution), but keeps going after the first failure so a person sees every problem.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workbench.core.errors import RuleError
from workbench.core.rules.headers import (
    ALLOWED_METHODS,
    MAX_HEADERS,
    check_header_row,
    check_method,
    duplicate_rows,
    reserved_headers,
)
from workbench.core.rules.hosts import field_value, placeholder_slots
from workbench.core.rules.urls import MAX_URL_LENGTH, check_input, resolve_target

if TYPE_CHECKING:  # the catalog builds on the rules, so the rules name its model for types only
    from workbench.core.catalog.model import App

Severity = Literal["error", "warning", "info"]
FindingField = Literal["method", "url", "headers", "custom_fields", "app"]

_HINTS = {
    "method_not_allowed": f"Use one of {', '.join(ALLOWED_METHODS)}.",
    "bad_url": "Write a full https:// URL or a path starting with a single /.",
    "url_too_long": f"Shorten the URL to at most {MAX_URL_LENGTH} characters.",
    "scheme_not_allowed": "Use https://.",
    "userinfo_not_allowed": "Remove the user@ part; the proxy adds the account's credential.",
    "ip_literal_not_allowed": "Use the API's domain name, not an address.",
    "port_not_allowed": "Remove the port; only the https default (443) is used.",
    "bad_host": "Use the API's domain name, such as api.example.com.",
    "no_allowed_domains": "The app's catalog entry must list its allowed domains.",
    "dot_segments": "Write the path without . or .. segments.",
    "fragment_not_allowed": "Remove the # part; it is never sent to a server.",
    "bad_path": "Fix or remove the % escapes in the path.",
    "missing_custom_field": "Set this field on the account.",
    "bad_custom_field": "Fix this field's value on the account.",
    "bad_template": "The app's catalog entry has a malformed template.",
    "bad_allowed_domain": "The app's catalog entry has a malformed allowed domain.",
    "restricted_header": "Remove this header; the proxy manages it.",
    "reserved_header": "Remove this header; the proxy puts the account's credential there.",
    "bad_header_name": "Use a plain header name (letters, digits, hyphens).",
    "bad_header_value": "Use printable ASCII in the value.",
    "duplicate_header": "Keep one row per header name.",
    "bad_proxy_prefix": "Write the header name once, with at most one x-pd-proxy- prefix.",
    "too_many_headers": f"Send at most {MAX_HEADERS} headers.",
    "app_required": "Choose an app.",
    "app_not_proxy_enabled": "Choose an app whose catalog entry enables the proxy.",
}


@dataclass(frozen=True)
class Finding:
    """One observation about a request.

    Attributes:
        severity: ``error`` (the engine would refuse), ``warning`` or ``info``.
        field: the input at fault: ``method``, ``url``, ``headers``, ``custom_fields``, ``app``.
        row: the header row index, for header findings.
        code: the same machine code the strict functions raise (plus ``app_required``,
            ``relative_path_possible``, ``header_value_trimmed``, ``resolved_url``).
        message: what is wrong (or what was found).
        hint: how to fix it.
    """

    severity: Severity
    field: FindingField
    row: int | None
    code: str
    message: str
    hint: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """Everything :func:`diagnose` found.

    Attributes:
        findings: every finding, in input order (method, app, headers, then the URL and
            custom fields).
        resolved_url: the exact upstream URL when the URL resolves, else None.
        forwarded_headers: the rows that passed, as they would go upstream.
        ok: True when no finding is an error.
    """

    findings: list[Finding]
    resolved_url: str | None
    forwarded_headers: list[tuple[str, str]]
    ok: bool


_ERROR_FIELDS: dict[str | None, FindingField] = {
    "method": "method",
    "url": "url",
    "headers": "headers",
    "custom_fields": "custom_fields",
    "app": "app",
}


def _finding(error: RuleError, field: FindingField, hint: str | None = None) -> Finding:
    """An error finding from a broken rule; ``field`` when the error names none."""
    return Finding(
        "error",
        _ERROR_FIELDS.get(error.field, field),
        error.row,
        error.code,
        error.message,
        _HINTS.get(error.code, "") if hint is None else hint,
    )


def _header_findings(
    headers: Sequence[tuple[str, str]], reserved: list[str]
) -> tuple[list[Finding], list[tuple[str, str]]]:
    """Findings for each header row, then duplicates; and the rows that would be sent."""
    findings: list[Finding] = []
    passed: list[tuple[int, tuple[str, str]]] = []
    if len(headers) > MAX_HEADERS:
        findings.append(
            _finding(RuleError("too_many_headers", "Too many headers", field="headers"), "headers")
        )
    for index, row in enumerate(headers):
        try:
            passed.append((index, check_header_row(index, row, reserved)))
        except RuleError as error:
            findings.append(_finding(error, "headers"))
            continue
        if passed[-1][1][1] != row[1]:
            findings.append(
                Finding(
                    "warning",
                    "headers",
                    index,
                    "header_value_trimmed",
                    f"Spaces around the value of '{passed[-1][1][0]}' are removed",
                )
            )
    duplicates = duplicate_rows([(index, pair[0]) for index, pair in passed])
    findings.extend(_finding(error, "headers") for error in duplicates)
    dropped = {error.row for error in duplicates}
    return findings, [pair for index, pair in passed if index not in dropped]


def _url_findings(
    url: str,
    app: App,
    custom_fields: Mapping[str, str] | None,
    private: bool,
) -> tuple[list[Finding], str | None]:
    """Findings for the custom fields and the URL; and the resolved URL, if any."""
    connect = app.connect
    fields = dict(custom_fields or {})
    relative_hint = f"Use a path relative to {connect.base_proxy_target_url}."
    hints = {
        "relative_path_required": relative_hint,
        "domain_not_allowed": f"This app allows: {', '.join(connect.allowed_domains) or 'none'}.",
    }
    findings: list[Finding] = []
    try:
        slots = placeholder_slots(connect.base_proxy_target_url)
    except RuleError as error:
        return [_finding(error, "app")], None
    for name, kind in dict.fromkeys(slots):
        try:
            field_value(name, kind, fields, allow_private_networks=private)
        except RuleError as error:
            findings.append(_finding(error, "custom_fields"))
    try:
        if findings:
            check_input(url, dynamic=app.is_dynamic, allow_private_networks=private)
            return findings, None
        resolved = resolve_target(
            url,
            base_proxy_target_url=connect.base_proxy_target_url,
            allowed_domains=connect.allowed_domains,
            custom_fields=fields,
            allow_private_networks=private,
        )
    except RuleError as error:
        return [*findings, _finding(error, "url", hints.get(error.code))], None
    findings.append(Finding("info", "url", None, "resolved_url", f"Sends to {resolved}"))
    relative = _relative_form(resolved, app, private)
    if relative is not None and not url.startswith("/"):
        findings.append(
            Finding(
                "info",
                "url",
                None,
                "relative_path_possible",
                f"A relative path works too: {relative}",
                relative_hint,
            )
        )
    return findings, resolved


def _relative_form(resolved: str, app: App, private: bool) -> str | None:
    """The relative path that resolves to ``resolved`` on a static base, if there is one."""
    if app.is_dynamic:
        return None
    try:
        prefix = resolve_target(
            "/",
            base_proxy_target_url=app.connect.base_proxy_target_url,
            allowed_domains=app.connect.allowed_domains,
            custom_fields={},
            allow_private_networks=private,
        )[:-1]
    except RuleError:
        return None
    return resolved[len(prefix) :] if resolved.startswith(prefix + "/") else None


def diagnose(
    *,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    app: App | None,
    custom_fields: Mapping[str, str] | None = None,
    allow_private_networks: bool = False,
) -> Diagnosis:
    """Every finding about a request the composer is editing, not just the first.

    Args:
        method: the HTTP method.
        url: the full URL or relative path, as typed.
        headers: the header rows, as typed (``x-pd-proxy-`` wrapping optional).
        app: the chosen app, or None when none is chosen yet.
        custom_fields: the chosen account's custom-field values.
        allow_private_networks: as the engine would be configured for this account.

    Returns:
        A :class:`Diagnosis`; ``ok`` says whether the engine would accept the request
        (the account and rate budget aside).
    """
    findings: list[Finding] = []
    try:
        check_method(method)
    except RuleError as error:
        findings.append(_finding(error, "method"))
    if app is None:
        findings.append(
            Finding(
                "error", "app", None, "app_required", "No app is chosen", _HINTS["app_required"]
            )
        )
    elif not app.connect.proxy_enabled:
        findings.append(
            Finding(
                "error",
                "app",
                None,
                "app_not_proxy_enabled",
                f"App '{app.name}' does not support the proxy",
                _HINTS["app_not_proxy_enabled"],
            )
        )
    header_findings, forwarded = _header_findings(
        headers, reserved_headers(app.injection) if app is not None else []
    )
    findings.extend(header_findings)
    resolved: str | None = None
    if app is None:
        try:
            check_input(url, dynamic=False, allow_private_networks=allow_private_networks)
        except RuleError as error:
            findings.append(_finding(error, "url"))
    else:
        url_findings, resolved = _url_findings(url, app, custom_fields, allow_private_networks)
        findings.extend(url_findings)
    ok = not any(finding.severity == "error" for finding in findings)
    return Diagnosis(findings, resolved, forwarded, ok)

"""Live validation: every finding at once, with the same codes as the strict functions."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.core.catalog import App, ConnectSpec, FieldSpec, Injection
from workbench.core.rules import (
    Diagnosis,
    RuleError,
    check_headers,
    diagnose,
    resolve_target,
)

SLACK = App(
    name_slug="slack",
    name="Slack",
    auth_type="oauth",
    connect=ConnectSpec(True, ("slack.com",), "https://slack.com"),
    injection=(Injection("header", name="Authorization", template="Bearer {{credentials.token}}"),),
)
ZENDESK = App(
    name_slug="zendesk",
    name="Zendesk",
    auth_type="oauth",
    connect=ConnectSpec(True, ("zendesk.com",), "https://{{custom_fields.subdomain}}.zendesk.com"),
    custom_fields=(FieldSpec("subdomain", "Subdomain", kind="label"),),
)
SHOPIFY = App(
    name_slug="shopify",
    name="Shopify",
    auth_type="keys",
    connect=ConnectSpec(
        True,
        ("myshopify.com",),
        "https://{{custom_fields.shop}}.myshopify.com/admin/api/{{custom_fields.version}}",
    ),
    injection=(Injection("header", name="X-Shopify-Access-Token", template="{{credentials.t}}"),),
)
BASIC = App(
    name_slug="jira",
    name="Jira",
    auth_type="keys",
    connect=ConnectSpec(True, ("atlassian.net",), "https://{{custom_fields.site}}.atlassian.net"),
    injection=(Injection("basic", username="{{credentials.u}}", password="{{credentials.p}}"),),
)


def codes(diagnosis: Diagnosis, severity: str = "error") -> list[tuple[str, str, int | None]]:
    return [(f.code, f.field, f.row) for f in diagnosis.findings if f.severity == severity]


def test_clean_request_is_ok_and_resolved() -> None:
    result = diagnose(
        method="post",
        url="/api/chat.postMessage",
        headers=[("x-pd-proxy-Content-Type", "application/json")],
        app=SLACK,
    )
    assert result.ok
    assert codes(result) == []
    assert result.resolved_url == "https://slack.com/api/chat.postMessage"
    assert result.forwarded_headers == [("Content-Type", "application/json")]
    [resolved] = [f for f in result.findings if f.code == "resolved_url"]
    assert (resolved.severity, resolved.field) == ("info", "url")
    assert "https://slack.com/api/chat.postMessage" in resolved.message


def test_every_problem_reported_at_once() -> None:
    result = diagnose(
        method="TRACE",
        url="https://slack.com@evil.com/x",
        headers=[
            ("Accept", "application/json"),
            ("x-pd-proxy-Host", "evil.com"),
            ("Authorization", "Bearer mine"),
            ("X-A", "a\r\nb"),
            ("accept", "text/plain"),
        ],
        app=SLACK,
    )
    assert not result.ok
    assert codes(result) == [
        ("method_not_allowed", "method", None),
        ("restricted_header", "headers", 1),
        ("restricted_header", "headers", 2),
        ("bad_header_value", "headers", 3),
        ("duplicate_header", "headers", 4),
        ("userinfo_not_allowed", "url", None),
    ]
    assert result.resolved_url is None
    assert result.forwarded_headers == [("Accept", "application/json")]
    assert all(f.hint for f in result.findings if f.severity == "error")


@pytest.mark.parametrize(
    ("url", "headers", "fields"),
    [
        ("https://evil.com/x", [("Cookie", "a=b")], {}),
        ("/a/%2e%2e/b", [("x-pd-proxy-", "v")], {}),
        ("//evil.com", [("X-Id", "1"), ("x_id", "2")], {}),
        ("/x#f", [("X-HTTP-Method-Override", "TRACK")], {}),
    ],
)
def test_codes_match_strict_functions(url: str, headers: list, fields: dict) -> None:
    result = diagnose(method="GET", url=url, headers=headers, app=SLACK, custom_fields=fields)
    with pytest.raises(RuleError) as url_error:
        resolve_target(
            url,
            base_proxy_target_url="https://slack.com",
            allowed_domains=["slack.com"],
            custom_fields=fields,
        )
    with pytest.raises(RuleError) as header_error:
        check_headers(headers)
    assert {f.code for f in result.findings if f.field == "url" and f.severity == "error"} == {
        url_error.value.code
    }
    header_findings = [f for f in result.findings if f.field == "headers"]
    assert (header_findings[0].code, header_findings[0].row) == (
        header_error.value.code,
        header_error.value.row,
    )


def test_full_url_for_static_app_suggests_relative_path() -> None:
    result = diagnose(
        method="GET", url="https://slack.com/api/users.list?limit=5", headers=[], app=SLACK
    )
    assert result.ok
    info = [f for f in result.findings if f.code == "relative_path_possible"]
    assert len(info) == 1
    assert info[0].severity == "info"
    assert "/api/users.list?limit=5" in info[0].message


def test_subdomain_url_for_static_app_has_no_relative_suggestion() -> None:
    result = diagnose(method="GET", url="https://files.slack.com/x", headers=[], app=SLACK)
    assert result.ok
    assert "relative_path_possible" not in {f.code for f in result.findings}


def test_dynamic_app_full_url_hint_names_base() -> None:
    result = diagnose(
        method="GET",
        url="https://acme.zendesk.com/api/v2/users",
        headers=[],
        app=ZENDESK,
        custom_fields={"subdomain": "acme"},
    )
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.code == "relative_path_required"
    assert finding.hint == "Use a path relative to https://{{custom_fields.subdomain}}.zendesk.com."


def test_every_missing_custom_field_named() -> None:
    result = diagnose(
        method="GET", url="/orders.json", headers=[], app=SHOPIFY, custom_fields={"version": ""}
    )
    errors = [f for f in result.findings if f.severity == "error"]
    assert [(f.code, f.field) for f in errors] == [
        ("missing_custom_field", "custom_fields"),
        ("missing_custom_field", "custom_fields"),
    ]
    assert "'shop'" in errors[0].message
    assert "'version'" in errors[1].message


def test_missing_field_and_bad_url_both_reported() -> None:
    result = diagnose(method="GET", url="https://x.myshopify.com/a", headers=[], app=SHOPIFY)
    assert [c for c, _, _ in codes(result)] == [
        "missing_custom_field",
        "missing_custom_field",
        "relative_path_required",
    ]


def test_bad_custom_field_value_reported() -> None:
    result = diagnose(
        method="GET",
        url="/orders.json",
        headers=[],
        app=SHOPIFY,
        custom_fields={"shop": "evil.com#", "version": "2024-01"},
    )
    assert codes(result) == [("bad_custom_field", "custom_fields", None)]


@pytest.mark.parametrize(
    ("app", "header", "code"),
    [
        (SHOPIFY, "x-pd-proxy-x-shopify-access-token", "reserved_header"),
        (SHOPIFY, "X_Shopify_Access_Token", "reserved_header"),
        (BASIC, "Authorization", "restricted_header"),
        (SLACK, "x-pd-proxy-AUTHORIZATION", "restricted_header"),
    ],
)
def test_injected_header_present_is_error(app: App, header: str, code: str) -> None:
    result = diagnose(
        method="GET",
        url="/x",
        headers=[("Accept", "*/*"), (header, "guess")],
        app=app,
        custom_fields={"shop": "acme", "version": "2024-01", "site": "acme"},
    )
    assert codes(result) == [(code, "headers", 1)]
    assert result.forwarded_headers == [("Accept", "*/*")]


def test_reserved_header_code_for_custom_credential_header() -> None:
    result = diagnose(
        method="GET",
        url="/x",
        headers=[("X-Shopify-Access-Token", "guess")],
        app=SHOPIFY,
        custom_fields={"shop": "acme", "version": "2024-01"},
    )
    assert codes(result) == [("reserved_header", "headers", 0)]


def test_app_not_proxy_enabled() -> None:
    disabled = dataclasses.replace(
        SLACK, connect=ConnectSpec(False, ("slack.com",), "https://slack.com")
    )
    result = diagnose(method="GET", url="/api", headers=[], app=disabled)
    assert codes(result) == [("app_not_proxy_enabled", "app", None)]
    assert not result.ok


def test_no_app_still_checks_url_shape() -> None:
    result = diagnose(method="GET", url="api/x", headers=[("Host", "x")], app=None)
    assert codes(result) == [
        ("app_required", "app", None),
        ("restricted_header", "headers", 0),
        ("bad_url", "url", None),
    ]


def test_trimmed_header_value_is_a_warning() -> None:
    result = diagnose(method="GET", url="/api", headers=[("X-A", " v ")], app=SLACK)
    assert result.ok
    assert codes(result, "warning") == [("header_value_trimmed", "headers", 0)]
    assert result.forwarded_headers == [("X-A", "v")]


def test_private_mode_passed_through() -> None:
    sandbox = App(
        name_slug="sandbox",
        name="Sandbox",
        auth_type="none",
        connect=ConnectSpec(True, ("127.0.0.1:8123",), "http://127.0.0.1:8123"),
    )
    public = diagnose(method="GET", url="/echo", headers=[], app=sandbox)
    private = diagnose(
        method="GET", url="/echo", headers=[], app=sandbox, allow_private_networks=True
    )
    assert codes(public) == [("scheme_not_allowed", "url", None)]
    assert private.ok
    assert private.resolved_url == "http://127.0.0.1:8123/echo"
    full = diagnose(
        method="GET",
        url="http://127.0.0.1:8123/echo",
        headers=[],
        app=sandbox,
        allow_private_networks=True,
    )
    assert "relative_path_possible" in {f.code for f in full.findings}


def test_full_url_outside_base_host_is_fine_without_suggestion() -> None:
    app = dataclasses.replace(
        SLACK, connect=ConnectSpec(True, ("api.slack.com",), "https://slack.com")
    )
    result = diagnose(method="GET", url="https://api.slack.com/x", headers=[], app=app)
    assert result.ok
    assert result.resolved_url == "https://api.slack.com/x"
    assert "relative_path_possible" not in {f.code for f in result.findings}


def test_too_many_headers_reported_with_rows_still_checked() -> None:
    rows = [(f"X-H{i}", "v") for i in range(101)] + [("Cookie", "a")]
    result = diagnose(method="GET", url="/api", headers=rows, app=SLACK)
    assert codes(result) == [
        ("too_many_headers", "headers", None),
        ("restricted_header", "headers", 101),
    ]


def test_malformed_app_template_is_an_app_finding() -> None:
    broken = dataclasses.replace(
        SLACK, connect=ConnectSpec(True, ("slack.com",), "https://{{credentials.token}}.slack.com")
    )
    result = diagnose(method="GET", url="/api", headers=[], app=broken)
    assert codes(result) == [("bad_template", "app", None)]

"""Every refusal of the rule book, with its exact code, field, row and message.

The message is what a person reads in the composer, the CLI and the REST answer: each
must name the problem (and the offending input, shortened), so each is pinned here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from workbench.core.catalog import Injection
from workbench.core.rules import (
    RuleError,
    check_allowed_domain_entry,
    check_custom_field_value,
    check_headers,
    check_method,
    placeholders,
    reserved_headers,
    resolve_target,
)
from workbench.core.rules.hosts import placeholder_slots, show

SLACK = ("https://slack.com", ["slack.com"])
ZENDESK = ("https://{{custom_fields.subdomain}}.zendesk.com", ["zendesk.com"])
ACME = {"subdomain": "acme"}
SHOWN = "'" + "x" * 35 + "...'"  # what show() makes of a 60-character value
SPACES = "(spaces, controls and non-ASCII are refused)"


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    with pytest.raises(RuleError) as caught:
        call(*args, **kwargs)
    error = caught.value
    return error.code, error.field, error.row, error.message


@pytest.mark.parametrize(
    ("url", "app", "fields", "private", "code", "message"),
    [
        ("", SLACK, {}, False, "bad_url", "The URL is empty or not text"),
        (None, SLACK, {}, False, "bad_url", "The URL is empty or not text"),
        ("/a\\b", SLACK, {}, False, "bad_url", "The URL contains a backslash at position 2"),
        ("/a{b", SLACK, {}, False, "bad_url",
         "The URL contains a brace (templates are not expanded) at position 2"),
        ("/a}b", SLACK, {}, False, "bad_url",
         "The URL contains a brace (templates are not expanded) at position 2"),
        ("/!~ b", SLACK, {}, False, "bad_url",
         f"The URL contains the character ' ' {SPACES} at position 3"),
        ("/X b", SLACK, {}, False, "bad_url",
         f"The URL contains the character ' ' {SPACES} at position 2"),
        ("/ab\x7f", SLACK, {}, False, "bad_url",
         f"The URL contains the character '\\x7f' {SPACES} at position 3"),
        ("/\u00e9", SLACK, {}, False, "bad_url",
         f"The URL contains the character '\u00e9' {SPACES} at position 1"),
        ("slack.com/x", SLACK, {}, False, "bad_url",
         "The URL must be a full https:// URL or a path starting with a single /"),
        ("ftp://slack.com/", SLACK, {}, False, "scheme_not_allowed",
         "Scheme 'ftp' is not allowed; use https://"),
        ("HTTP://slack.com/", SLACK, {}, False, "scheme_not_allowed",
         "Scheme 'http' is not allowed; use https://"),
        ("https:slack.com/x", SLACK, {}, False, "bad_url",
         "The URL must be written as https://host/path"),
        ("https://acme.zendesk.com/x", ZENDESK, ACME, False, "relative_path_required",
         "This app's domain comes from the account: use a path starting with /"),
        ("/x#frag", SLACK, {}, False, "fragment_not_allowed",
         "The URL may not contain a # fragment"),
        ("/x?a#frag", SLACK, {}, False, "fragment_not_allowed",
         "The URL may not contain a # fragment"),
        ("https://slack.com/x#f", SLACK, {}, False, "fragment_not_allowed",
         "The URL may not contain a # fragment"),
        ("https://slack.com/x?#", SLACK, {}, False, "fragment_not_allowed",
         "The URL may not contain a # fragment"),
        ("/x?y#z", ZENDESK, ACME, False, "fragment_not_allowed",
         "The URL may not contain a # fragment"),
        ("/a/%zz", SLACK, {}, False, "bad_path", "The path holds a malformed % escape"),
        ("/a/%00", SLACK, {}, False, "bad_path",
         "The path holds a percent-encoded control character"),
        ("/a/../b", SLACK, {}, False, "dot_segments",
         "The path may not contain . or .. segments"),
        ("https://u@slack.com/", SLACK, {}, False, "userinfo_not_allowed",
         "The URL may not contain user@ info"),
        ("https://[::1]/", SLACK, {}, False, "ip_literal_not_allowed",
         "IPv6 literals are not allowed as hosts"),
        ("https://sl]ack.com/", SLACK, {}, False, "ip_literal_not_allowed",
         "IPv6 literals are not allowed as hosts"),
        ("https://[slack.com/", SLACK, {}, False, "ip_literal_not_allowed",
         "IPv6 literals are not allowed as hosts"),
        ("http://slack.com/", SLACK, {}, True, "scheme_not_allowed",
         "Scheme 'http' is not allowed"),
        ("https://slack.com:8443/", SLACK, {}, False, "port_not_allowed",
         "Port '8443' is not allowed; only 443"),
        ("https://slack.com:/", SLACK, {}, False, "port_not_allowed",
         "An empty port is not allowed; only 443"),
        ("https://127.0.0.1/", SLACK, {}, False, "ip_literal_not_allowed",
         "Host '127.0.0.1' is a numeric address, not a domain name"),
        ("https://a_b.com/", SLACK, {}, False, "bad_host",
         "Host 'a_b.com' is not a valid DNS name (letters, digits, hyphens, dots)"),
        ("https://slack/", SLACK, {}, False, "bad_host", "Host 'slack' needs at least two labels"),
        ("https://a.123/", SLACK, {}, False, "ip_literal_not_allowed",
         "Host 'a.123' ends in a numeric label"),
        ("https://foo.localhost/", SLACK, {}, False, "bad_host",
         "Host 'foo.localhost' is a loopback name"),
        ("https://slack.com/", ("https://slack.com", []), {}, False, "no_allowed_domains",
         "This app has no usable allowed domains"),
        ("https://evil.com/", SLACK, {}, False, "domain_not_allowed",
         "Domain evil.com is not allowed for this app"),
        ("/x", ("https://slack.com/?q=1", ["slack.com"]), {}, False, "bad_url",
         "The app's base URL may not have a query"),
        ("/x", ("/relative", ["slack.com"]), {}, False, "bad_url",
         "The app's base URL is not a full URL"),
    ],
)  # fmt: skip
def test_url_refusals(
    url: str, app: tuple[str, list[str]], fields: dict[str, str], private: bool, code: str,
    message: str,
) -> None:  # fmt: skip
    base, allowed = app
    assert refusal(
        resolve_target,
        url,
        base_proxy_target_url=base,
        allowed_domains=allowed,
        custom_fields=fields,
        allow_private_networks=private,
    ) == (code, "url", None, message)


@pytest.mark.parametrize(
    ("base", "fields", "code", "message"),
    [
        (ZENDESK[0], {"subdomain": "a.b"}, "bad_custom_field",
         "Custom field 'subdomain' must be one DNS label (letters, digits, inner hyphens; "
         "at most 63), got 'a.b'"),
        (ZENDESK[0], {}, "missing_custom_field",
         "Custom field 'subdomain' is required by this app but the account has no value"),
        (ZENDESK[0] + "?q", ACME, "bad_url", "The app's base URL may not have a query"),
    ],
)  # fmt: skip
def test_a_dynamic_base_is_the_account_fields_fault(
    base: str, fields: dict[str, str], code: str, message: str
) -> None:
    assert refusal(
        resolve_target,
        "/x",
        base_proxy_target_url=base,
        allowed_domains=["zendesk.com"],
        custom_fields=fields,
    ) == (code, "custom_fields", None, message)


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        (None, "host", "must be a non-empty string, got None"),
        ("", "host", "must be a non-empty string, got ''"),
        (b"acme", "label", "must be a non-empty string, got b'acme'"),
        ("caf\u00e9", "host", "must be ASCII, got 'caf\u00e9'"),
        ("a.b", "label",
         "must be one DNS label (letters, digits, inner hyphens; at most 63), got 'a.b'"),
        ("a b", "host",
         "must be a domain name such as example.com (no scheme, path or port), got 'a b'"),
        ("x" * 60, "host",
         f"must be a domain name such as example.com (no scheme, path or port), got {SHOWN}"),
        ("a/b", "text", "may only hold letters, digits and . _ ~ - (not . or ..), got 'a/b'"),
        ("..", "text", "may only hold letters, digits and . _ ~ - (not . or ..), got '..'"),
        ("acme", "zzz", "has an unknown kind 'zzz', got 'acme'"),
    ],
)  # fmt: skip
def test_custom_field_refusals(value: object, kind: str, reason: str) -> None:
    assert refusal(check_custom_field_value, "sub", value, kind) == (
        "bad_custom_field",
        "custom_fields",
        None,
        f"Custom field 'sub' {reason}",
    )


PLACEHOLDERS_ONLY = "may only use {{custom_fields.NAME}} placeholders"
COMBINE = "may only combine placeholders with letters, digits, dots, hyphens"
WILDCARD = "may only use a wildcard as a whole left-most label, as in *.example.com"
TWO_LABELS = "must be a domain name with at least two labels (no IP, port or localhost)"


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (None, "None must be a non-empty ASCII string"),
        ("", "'' must be a non-empty ASCII string"),
        ("caf\u00e9.com", "'caf\u00e9.com' must be a non-empty ASCII string"),
        ("{{custom_fields.x}", f"'{{{{custom_fields.x}}' {PLACEHOLDERS_ONLY}"),
        ("x}", f"'x}}' {PLACEHOLDERS_ONLY}"),
        ("{{other}}.com", f"'{{{{other}}}}.com' {PLACEHOLDERS_ONLY}"),
        ("{{custom_fields.x}}/p", f"'{{{{custom_fields.x}}}}/p' {COMBINE}"),
        ("*.", f"'*.' {WILDCARD}"),
        ("a*.com", f"'a*.com' {WILDCARD}"),
        ("*.*.com", f"'*.*.com' {WILDCARD}"),
        ("single", f"'single' {TWO_LABELS}"),
        ("10.0.0.1:99999", f"'10.0.0.1:99999' {TWO_LABELS}"),
    ],
)
def test_allowed_domain_refusals(entry: object, reason: str) -> None:
    assert refusal(check_allowed_domain_entry, entry) == (
        "bad_allowed_domain",
        "app",
        None,
        f"Allowed domain {reason}",
    )


LONG_TEMPLATE = "https://" + "a" * 90 + "{"


@pytest.mark.parametrize(
    ("call", "template", "message"),
    [
        (placeholders, "https://{{x}}",
         "Template 'https://{{x}}' may only use {{custom_fields.NAME}} placeholders"),
        (placeholders, "https://{{custom_fields.a}",
         "Template 'https://{{custom_fields.a}' may only use {{custom_fields.NAME}} placeholders"),
        (placeholders, "https://x}",
         "Template 'https://x}' may only use {{custom_fields.NAME}} placeholders"),
        (placeholders, LONG_TEMPLATE,
         f"Template {LONG_TEMPLATE[:75]!r}"[:-1] + "...' may only use {{custom_fields.NAME}} "
         "placeholders"),
        (placeholder_slots, "{{custom_fields.a}}://x",
         "Placeholder {{custom_fields.a}} must sit in the host or the path"),
        (placeholder_slots, "https{{custom_fields.b}}://x",
         "Placeholder {{custom_fields.b}} must sit in the host or the path"),
    ],
)  # fmt: skip
def test_template_refusals(call: Callable[[str], object], template: str, message: str) -> None:
    assert refusal(call, template) == ("bad_template", "app", None, message)


ALLOWED = "use one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"


@pytest.mark.parametrize(
    ("method", "shown"),
    [("TRACE", "'TRACE'"), ("connect", "'connect'"), ("G\u00e9T", "'G\u00e9T'"), (None, "None"),
     ("x" * 60, SHOWN)],
)  # fmt: skip
def test_method_refusals(method: object, shown: str) -> None:
    assert refusal(check_method, method) == (
        "method_not_allowed",
        "method",
        None,
        f"Method {shown} is not allowed; {ALLOWED}",
    )


RESTRICTED = "is restricted and cannot be sent through the proxy"
PROXY_ONLY = "is set by the proxy alone and cannot be sent through it"


@pytest.mark.parametrize(
    ("rows", "code", "row", "message"),
    [
        ([("a",)], "bad_header_name", 0, "Header row 0 is not a (name, value) pair"),
        ([("Accept", "a"), "ab"], "bad_header_name", 1, "Header row 1 is not a (name, value) pair"),
        ([("a b", "v")], "bad_header_name", 0, "Header name 'a b' is not a valid HTTP token"),
        ([("x" * 59 + " ", "v")], "bad_header_name", 0,
         f"Header name {SHOWN} is not a valid HTTP token"),
        ([("x-pd-proxy-", "v")], "bad_proxy_prefix", 0,
         "Header 'x-pd-proxy-' has nothing after the prefix"),
        ([("x-pd-proxy-x-pd-proxy-a", "v")], "bad_proxy_prefix", 0,
         "Header 'x-pd-proxy-x-pd-proxy-a' wraps the x-pd-proxy- prefix badly"),
        ([("X-PD-Proxy", "v")], "bad_proxy_prefix", 0,
         "Header 'X-PD-Proxy' wraps the x-pd-proxy- prefix badly"),
        ([("Cookie", "v")], "restricted_header", 0, f"Header 'Cookie' {RESTRICTED}"),
        ([("x-pd-proxy-Sec-Fetch-Mode", "v")], "restricted_header", 0,
         f"Header 'Sec-Fetch-Mode' {RESTRICTED}"),
        ([("Authorization", "v")], "restricted_header", 0, f"Header 'Authorization' {PROXY_ONLY}"),
        ([("X-Forwarded-Host", "v")], "restricted_header", 0,
         f"Header 'X-Forwarded-Host' {PROXY_ONLY}"),
        ([("X-A", "a\r\nb")], "bad_header_value", 0,
         "Header 'X-A' has a value with control or non-ASCII characters"),
        ([("X-A", None)], "bad_header_value", 0,
         "Header 'X-A' has a value with control or non-ASCII characters"),
        ([("X-HTTP-Method-Override", "GET,TRACE, connect")], "restricted_header", 0,
         "Header 'X-HTTP-Method-Override' may not name CONNECT, TRACE"),
        ([("X-Method-Override", "track")], "restricted_header", 0,
         "Header 'X-Method-Override' may not name TRACK"),
        ([("X-HTTP-Method", "PUT,TRACK")], "restricted_header", 0,
         "Header 'X-HTTP-Method' may not name TRACK"),
        ([("Accept", "a"), ("X-B", "b"), ("accept", "c")], "duplicate_header", 2,
         "Header 'accept' appears more than once"),
    ],
)  # fmt: skip
def test_header_refusals(rows: list[Any], code: str, row: int, message: str) -> None:
    assert refusal(check_headers, rows) == (code, "headers", row, message)


def test_a_reserved_header_names_the_credential() -> None:
    assert refusal(check_headers, [("X_Api_Key", "v")], reserved=["X-Api-Key"]) == (
        "reserved_header",
        "headers",
        0,
        "Header 'X_Api_Key' carries this app's credential; the proxy sets it",
    )


def test_values_lose_only_spaces_and_tabs_at_either_end() -> None:
    rows = [("X-A", " \tXylophone X\t "), ("X-B", "XX"), ("X-C", "")]
    assert check_headers(rows) == [("X-A", "Xylophone X"), ("X-B", "XX"), ("X-C", "")]


@pytest.mark.parametrize(
    ("injection", "expected"),
    [
        ([Injection("header", "X-Api-Key", "k"), Injection("header", "X-Api-Secret", "s")],
         ["X-Api-Key", "X-Api-Secret"]),
        ([Injection("header", "Authorization", "Bearer t"), Injection("basic", username="u")],
         ["Authorization"]),
        ([Injection("basic", username="u"), Injection("header", "authorization", "t")],
         ["Authorization"]),
        ([Injection("header", "x-key", "a"), Injection("header", "X-KEY", "b")], ["x-key"]),
        ([Injection("query", "key", "k"), Injection("path_prefix", template="/b")], []),
    ],
)  # fmt: skip
def test_reserved_headers(injection: list[Injection], expected: list[str]) -> None:
    assert reserved_headers(injection) == expected


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("x" * 38, 40, "'" + "x" * 38 + "'"),  # 40 characters with the quotes: whole
        ("x" * 39, 40, "'" + "x" * 35 + "...'"),
        ("abcdef", 8, "'abcdef'"),
        ("abcdefg", 8, "'abc...'"),
    ],
)
def test_show_cuts_long_values_to_the_limit(value: str, limit: int, expected: str) -> None:
    assert show(value, limit) == expected
    assert len(show(value, limit)) <= limit

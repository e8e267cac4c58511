"""Rule tables for methods and headers (security-policy 3.4): exact forwards or exact codes."""

from __future__ import annotations

import pytest

from workbench.core.catalog import Injection
from workbench.core.rules import (
    RESTRICTED_HEADERS,
    RuleError,
    check_headers,
    check_method,
    reserved_headers,
)

DOCUMENTED = [
    "ACCEPT-ENCODING",
    "ACCESS-CONTROL-REQUEST-HEADERS",
    "ACCESS-CONTROL-REQUEST-METHOD",
    "CONNECTION",
    "CONTENT-LENGTH",
    "COOKIE",
    "DATE",
    "DNT",
    "EXPECT",
    "HOST",
    "KEEP-ALIVE",
    "ORIGIN",
    "PERMISSIONS-POLICY",
    "REFERER",
    "TE",
    "TRAILER",
    "TRANSFER-ENCODING",
    "UPGRADE",
    "VIA",
    "NOTE",
]
PREFIXED = ["Proxy-Authorization", "Proxy-Connection", "PROXY-X", "Sec-Fetch-Mode", "sec-ch-ua"]
POLICY = [
    "Authorization",
    "Proxy",
    "Forwarded",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Forwarded-Port",
    "X-Real-IP",
]


def spellings(name: str) -> list[str]:
    """Every disguise of one name: cases, ``_`` for ``-``, the x-pd-proxy- wrapper."""
    title = "-".join(part.capitalize() for part in name.split("-"))
    bases = {
        name.upper(),
        name.lower(),
        title,
        name.lower().replace("-", "_"),
        title.replace("-", "_"),
    }
    wrapped = {
        f"{prefix}{base}"
        for base in bases
        for prefix in ("x-pd-proxy-", "X-PD-PROXY-", "X-Pd-Proxy-")
    }
    return sorted(bases | wrapped)


def code_of(headers: list[tuple[str, str]], **kwargs: object) -> tuple[str, int | None]:
    with pytest.raises(RuleError) as caught:
        check_headers(headers, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == "headers"
    return caught.value.code, caught.value.row


def test_documented_list_is_complete() -> None:
    assert {name.lower() for name in DOCUMENTED} == set(RESTRICTED_HEADERS)


@pytest.mark.parametrize("name", [s for n in DOCUMENTED + PREFIXED + POLICY for s in spellings(n)])
def test_restricted_names_refused_in_every_spelling(name: str) -> None:
    assert code_of([("Accept", "*/*"), (name, "x")]) == ("restricted_header", 1)


def test_restricted_message_names_header() -> None:
    with pytest.raises(RuleError) as caught:
        check_headers([("x-pd-proxy-Cookie", "a=b")])
    assert (
        caught.value.message == "Header 'Cookie' is restricted and cannot be sent through the proxy"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-HTTP-Method-Override", "TRACE"),
        ("x-http-method-override", "connect"),
        ("X-HTTP-Method", "TRACK"),
        ("X-Method-Override", " Trace "),
        ("x-pd-proxy-X-HTTP-Method-Override", "CONNECT"),
        ("X_HTTP_Method_Override", "TRACE"),
        ("X-HTTP-Method-Override", "GET, TRACE"),
    ],
)
def test_method_override_naming_forbidden_method(name: str, value: str) -> None:
    assert code_of([(name, value)]) == ("restricted_header", 0)


@pytest.mark.parametrize("value", ["PATCH", "DELETE", "get", "TRACER"])
def test_method_override_naming_ordinary_method_passes(value: str) -> None:
    assert check_headers([("X-HTTP-Method-Override", value)]) == [("X-HTTP-Method-Override", value)]


@pytest.mark.parametrize(
    ("reserved", "name"),
    [
        (["X-Shopify-Access-Token"], "X-Shopify-Access-Token"),
        (["X-Shopify-Access-Token"], "x-shopify-access-token"),
        (["X-Shopify-Access-Token"], "x-pd-proxy-X-SHOPIFY-ACCESS-TOKEN"),
        (["X-Shopify-Access-Token"], "X_Shopify_Access_Token"),
        (["api-key", "X-Other"], "X-OTHER"),
    ],
)
def test_reserved_credential_header(reserved: list[str], name: str) -> None:
    assert code_of([(name, "guess")], reserved=reserved) == ("reserved_header", 0)


def test_reserved_names_do_not_affect_other_headers() -> None:
    assert check_headers([("X-Api-Version", "2")], reserved=["X-Api-Key"]) == [
        ("X-Api-Version", "2")
    ]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("Content-Type", "application/json")], [("Content-Type", "application/json")]),
        ([("x-pd-proxy-Content-Type", "text/csv")], [("Content-Type", "text/csv")]),
        ([("X-PD-PROXY-Notion-Version", "2022-06-28")], [("Notion-Version", "2022-06-28")]),
        ([("x-pd-proxy-x-custom-header", "v")], [("x-custom-header", "v")]),
        (
            [("Accept", "application/json"), ("User-Agent", "wb/1")],
            [("Accept", "application/json"), ("User-Agent", "wb/1")],
        ),
        ([("If-Match", '"etag-1"')], [("If-Match", '"etag-1"')]),
        ([("X-Empty", "")], [("X-Empty", "")]),
        ([("X-Tab", "a\tb")], [("X-Tab", "a\tb")]),
        ([("X-Trim", "  padded\t ")], [("X-Trim", "padded")]),
        ([("X-Json", '{"a": [1, "b"]}')], [("X-Json", '{"a": [1, "b"]}')]),
        ([("X-Template", "{{custom_fields.x}}")], [("X-Template", "{{custom_fields.x}}")]),
        ([("hello", "world!")], [("hello", "world!")]),
        (
            [("X-Sec", "1"), ("X-Proxy-Id", "2"), ("Hosts", "3")],
            [("X-Sec", "1"), ("X-Proxy-Id", "2"), ("Hosts", "3")],
        ),
        ([("X-Forwarded", "1")], [("X-Forwarded", "1")]),
        ([], []),
    ],
)
def test_allowed_headers_forwarded_with_case_kept(headers: list, expected: list) -> None:
    assert check_headers(headers) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # rows and wrappers
        ([("x-pd-proxy-", "v")], ("bad_proxy_prefix", 0)),
        ([("X-PD-PROXY-", "v")], ("bad_proxy_prefix", 0)),
        ([("x-pd-proxy-x-pd-proxy-Host", "v")], ("bad_proxy_prefix", 0)),
        ([("x-pd-proxy-X-PD-PROXY-Accept", "v")], ("bad_proxy_prefix", 0)),
        ([("x-pd-proxy-x_pd_proxy_Accept", "v")], ("bad_proxy_prefix", 0)),
        ([("x_pd_proxy_Host", "v")], ("bad_proxy_prefix", 0)),
        ([("x-pd-proxy", "v")], ("bad_proxy_prefix", 0)),
        # name syntax
        ([("", "v")], ("bad_header_name", 0)),
        ([("X Custom", "v")], ("bad_header_name", 0)),
        ([("X-Custom:", "v")], ("bad_header_name", 0)),
        ([("X-Custom\r\nHost", "v")], ("bad_header_name", 0)),
        ([("X-Caf\u00e9", "v")], ("bad_header_name", 0)),
        ([("X(1)", "v")], ("bad_header_name", 0)),
        ([("x-pd-proxy-Bad Name", "v")], ("bad_header_name", 0)),
        ([("Accept", "v"), ("X-A",)], ("bad_header_name", 1)),
        ([(1, "v")], ("bad_header_name", 0)),
        # value syntax
        ([("X-A", "a\r\nHost: evil.com")], ("bad_header_value", 0)),
        ([("X-A", "a\nb")], ("bad_header_value", 0)),
        ([("X-A", "a\rb")], ("bad_header_value", 0)),
        ([("X-A", "a\x00b")], ("bad_header_value", 0)),
        ([("X-A", "a\x01b")], ("bad_header_value", 0)),
        ([("X-A", "a\x1bb")], ("bad_header_value", 0)),
        ([("X-A", "a\x7fb")], ("bad_header_value", 0)),
        ([("X-A", "a\x0bb")], ("bad_header_value", 0)),
        ([("X-A", "caf\u00e9")], ("bad_header_value", 0)),
        ([("X-A", "\u560a")], ("bad_header_value", 0)),
        ([("X-A", None)], ("bad_header_value", 0)),
        ([("X-A", "x" * 8193)], ("bad_header_value", 0)),
        # duplicates after unwrapping
        ([("Accept", "a"), ("accept", "b")], ("duplicate_header", 1)),
        ([("Accept", "a"), ("x-pd-proxy-Accept", "b")], ("duplicate_header", 1)),
        ([("x-pd-proxy-X-Id", "a"), ("X-PD-PROXY-x-id", "b")], ("duplicate_header", 1)),
        ([("X-Id", "a"), ("X_Id", "b")], ("duplicate_header", 1)),
        ([("A", "1"), ("B", "2"), ("C", "3"), ("b", "4")], ("duplicate_header", 3)),
        # size
        ([(f"X-H{i}", "v") for i in range(101)], ("too_many_headers", None)),
    ],
)
def test_bad_headers_refused(headers: list, expected: tuple[str, int | None]) -> None:
    assert code_of(headers) == expected


def test_bad_value_message_does_not_echo_value() -> None:
    with pytest.raises(RuleError) as caught:
        check_headers([("X-A", "secret\r\nSet-Cookie: x")])
    assert "secret" not in caught.value.message
    assert "\r" not in caught.value.message


def test_first_broken_row_is_reported() -> None:
    assert code_of([("Accept", "a"), ("Host", "x"), ("Cookie", "y")]) == ("restricted_header", 1)


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("GET", "GET"),
        ("get", "GET"),
        ("Post", "POST"),
        ("put", "PUT"),
        ("PATCH", "PATCH"),
        ("delete", "DELETE"),
        ("HEAD", "HEAD"),
        ("options", "OPTIONS"),
    ],
)
def test_allowed_methods(method: str, expected: str) -> None:
    assert check_method(method) == expected


@pytest.mark.parametrize(
    "method",
    [
        "CONNECT",
        "connect",
        "TRACE",
        "trace",
        "TRACK",
        "PROPFIND",
        "",
        " GET",
        "GET ",
        "G\u0395T",
        "GET\r\n",
        None,
    ],
)
def test_refused_methods(method: object) -> None:
    with pytest.raises(RuleError) as caught:
        check_method(method)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.field) == ("method_not_allowed", "method")


def test_reserved_headers() -> None:
    injection = [
        Injection("header", name="X-Api-Key", template="{{credentials.k}}"),
        Injection("header", name="x-api-key", template="{{credentials.k}}"),
        Injection("basic", username="{{credentials.k}}", password="x"),
        Injection("query", name="key", template="{{credentials.k}}"),
    ]
    assert reserved_headers(injection) == ["X-Api-Key", "Authorization"]

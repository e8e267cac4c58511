"""Header, URL and method families end to end: refused before any connection, no budget spent."""

from __future__ import annotations

import json

import pytest

from tests.core.conftest import CANARY, PROJECT, Harness, HarnessFactory, make_app
from tests.helpers.servers import RawServer
from workbench.core.catalog import Injection
from workbench.core.errors import ProxyError

pytestmark = pytest.mark.anyio


async def assert_refused(
    harness: Harness, server: RawServer, code: str, url: str = "/x", **overrides: object
) -> ProxyError:
    """Send, expect a 400 with ``code``, and check nothing reached the server or the budget."""
    with pytest.raises(ProxyError) as caught:
        await harness.send(url, **overrides)
    error = caught.value
    assert (error.status, error.code) == (400, code)
    assert server.connections == 0
    assert harness.engine.budget_snapshot(PROJECT).remaining == harness.engine.budget.limit
    assert CANARY not in error.message
    return error


URL_ROWS = [
    ("https://evil.com/x", "domain_not_allowed"),
    ("https://slack.com@evil.com/", "userinfo_not_allowed"),
    ("//evil.com/x", "bad_url"),
    ("https:evil.com/x", "bad_url"),
    ("api/x", "bad_url"),
    ("", "bad_url"),
    ("/x\\y", "bad_url"),
    ("/x\r\nHost: evil.com", "bad_url"),
    ("/x y", "bad_url"),
    ("/{{custom_fields.x}}", "bad_url"),
    ("/a/../b", "dot_segments"),
    ("/%2e%2e/admin", "dot_segments"),
    ("/x#frag", "fragment_not_allowed"),
]


@pytest.mark.parametrize(("url", "code"), URL_ROWS)
async def test_url_family_refused(
    echo_harness: Harness, echo_server: RawServer, url: str, code: str
) -> None:
    error = await assert_refused(echo_harness, echo_server, code, url)
    assert error.field == "url"


async def test_private_authority_rows(echo_harness: Harness, echo_server: RawServer) -> None:
    port = echo_server.port
    await assert_refused(
        echo_harness, echo_server, "scheme_not_allowed", f"http://127.0.0.1:{port + 1}/x"
    )
    await assert_refused(
        echo_harness, echo_server, "userinfo_not_allowed", f"http://u@{echo_server.authority}/x"
    )
    await assert_refused(
        echo_harness, echo_server, "scheme_not_allowed", f"ftp://{echo_server.authority}/x"
    )


HEADER_ROWS = [
    (("Host", "evil.com"), "restricted_header"),
    (("x-pd-proxy-Host", "evil.com"), "restricted_header"),
    (("X-PD-PROXY-Cookie", "a=1"), "restricted_header"),
    (("Transfer_Encoding", "chunked"), "restricted_header"),
    (("Content-Length", "5"), "restricted_header"),
    (("Connection", "close"), "restricted_header"),
    (("X-Forwarded-For", "10.0.0.1"), "restricted_header"),
    (("X-HTTP-Method-Override", "TRACE"), "restricted_header"),
    (("Sec-Fetch-Mode", "cors"), "restricted_header"),
    (("Proxy-Authorization", "Basic x"), "restricted_header"),
    (("Authorization", "Bearer caller-token"), "restricted_header"),
    (("X-Ok", "a\r\nInjected: 1"), "bad_header_value"),
    (("X-Ok", "nul\x00"), "bad_header_value"),
    (("Bad Name", "x"), "bad_header_name"),
    (("x-pd-proxy-", "x"), "bad_proxy_prefix"),
    (("x-pd-proxy-x-pd-proxy-a", "1"), "bad_proxy_prefix"),
]


@pytest.mark.parametrize(("header", "code"), HEADER_ROWS)
async def test_header_family_refused(
    echo_harness: Harness, echo_server: RawServer, header: tuple[str, str], code: str
) -> None:
    error = await assert_refused(echo_harness, echo_server, code, headers=(header,))
    assert error.field == "headers"


async def test_duplicate_after_unwrapping(echo_harness: Harness, echo_server: RawServer) -> None:
    headers = (("Accept", "a/b"), ("x-pd-proxy-accept", "c/d"))
    await assert_refused(echo_harness, echo_server, "duplicate_header", headers=headers)


async def test_the_apps_own_credential_header_is_reserved(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    app = make_app(
        echo_server.authority,
        injection=(Injection("header", name="X-Api-Key", template="{{credentials.api_key}}"),),
    )
    harness = await harness_factory(app)
    await assert_refused(
        harness, echo_server, "reserved_header", headers=(("x-pd-proxy-x-api-key", "mine"),)
    )


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "TRACK", "PROPFIND", "get it"])
async def test_methods_refused(echo_harness: Harness, echo_server: RawServer, method: str) -> None:
    await assert_refused(echo_harness, echo_server, "method_not_allowed", method=method)


async def test_private_authority_needs_an_opt_in(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority), account=False)
    harness.add_account(allow_private_network=False)
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    assert caught.value.status == 400
    assert echo_server.connections == 0
    # The engine-wide switch opens it for every account.
    opened = await harness_factory(
        make_app(echo_server.authority), account=False, allow_private_networks=True
    )
    opened.add_account(allow_private_network=False)
    assert (await opened.send("/x")).status == 200


async def test_allowed_headers_pass_with_case_kept_and_prefix_unwrapped(
    echo_harness: Harness,
) -> None:
    headers = (
        ("Content-Type", "application/json"),
        ("x-pd-proxy-Notion-Version", "2022-06-28"),
        ("User-Agent", "my-app/1.0"),
        ("If-Match", '"abc"'),
    )
    result = await echo_harness.send("/x", method="PATCH", headers=headers, body=b"{}")
    seen = json.loads(result.body)["headers"]
    for name, value in (
        ("Content-Type", "application/json"),
        ("Notion-Version", "2022-06-28"),
        ("User-Agent", "my-app/1.0"),
        ("If-Match", '"abc"'),
    ):
        assert [name, value] in seen
    names = [pair[0].lower() for pair in seen]
    assert names.count("host") == 1
    assert names.count("content-length") == 1
    assert "transfer-encoding" not in names
    assert "cookie" not in names


async def test_template_syntax_from_the_caller_is_never_expanded(echo_harness: Harness) -> None:
    note = "{{credentials.api_key}} {{custom_fields.x}}"
    result = await echo_harness.send(
        "/x", method="POST", headers=(("X-Note", note),), body=note.encode()
    )
    document = json.loads(result.body)
    assert ["X-Note", note] in document["headers"]
    assert document["body"] == note
    assert CANARY not in document["body"]

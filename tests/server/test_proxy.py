"""The proxy route through the official Python SDK (and its wire format by hand)."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from pipedream.core.api_error import ApiError

from tests.server.conftest import BEARER_SECRET, Stack
from workbench.core.events import ExchangeEvent

METHODS_WITH_BODY = ["post", "put", "patch"]


def headers_of(echo: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in echo["headers"]}


@pytest.fixture(scope="module")
def alice(stack: Stack):
    return stack.add_account("alice@example.com")


@pytest.fixture(scope="module")
def pd(stack: Stack):
    return stack.sdk()


def test_get_reaches_upstream_with_the_credential_and_custom_headers(stack: Stack, pd, alice):
    echo = pd.proxy.get(
        "/v1/contacts",
        external_user_id="alice@example.com",
        account_id=alice.id,
        headers={"X-Custom-Header": "hello", "Notion-Version": "2022-06-28"},
        params={"limit": 5},
    )
    assert echo["method"] == "GET"
    assert echo["path"] == "/v1/contacts"
    assert echo["query"] == "limit=5"
    sent = headers_of(echo)
    assert sent["authorization"] == f"Bearer {BEARER_SECRET}"
    assert sent["x-custom-header"] == "hello"
    assert sent["notion-version"] == "2022-06-28"
    # Nothing meant for the workbench goes upstream.
    assert not [h for h in sent if h.startswith(("x-pd-", "x-fern-"))]
    assert "pipedream" not in sent.get("user-agent", "")


@pytest.mark.parametrize("method", METHODS_WITH_BODY)
def test_methods_with_json_bodies(pd, alice, method: str):
    body = {"name": "widget", "n": 1, "nested": {"a": None}, "text": "ünïcode ✓"}
    echo = getattr(pd.proxy, method)(
        "/v1/widgets/7",
        external_user_id="alice@example.com",
        account_id=alice.id,
        body=body,
        headers={"If-Match": '"etag-1"'},
    )
    assert echo["method"] == method.upper()
    assert json.loads(echo["body"]) == body
    sent = headers_of(echo)
    assert sent["content-type"] == "application/json"
    assert sent["if-match"] == '"etag-1"'
    assert sent["authorization"] == f"Bearer {BEARER_SECRET}"


def test_delete_sends_no_body(pd, alice):
    echo = pd.proxy.delete(
        "/v1/widgets/7", external_user_id="alice@example.com", account_id=alice.id
    )
    assert echo["method"] == "DELETE"
    assert echo["body"] == ""
    assert "content-type" not in headers_of(echo)


def test_full_url_in_allowed_domain(stack: Stack, pd, alice):
    echo = pd.proxy.get(
        f"http://{stack.authority}/v2/things?x=1",
        external_user_id="alice@example.com",
        account_id=alice.id,
    )
    assert (echo["path"], echo["query"]) == ("/v2/things", "x=1")


def test_relative_path_resolves_against_a_per_account_base(stack: Stack, pd):
    account = stack.add_account(
        "tenant-user", app="echo_tenant", custom_fields={"tenant": "acme"}, secret="key-123"
    )
    echo = pd.proxy.get("/v1/tickets", external_user_id="tenant-user", account_id=account.id)
    assert echo["path"] == "/tenants/acme/v1/tickets"
    assert headers_of(echo)["x-api-key"] == "key-123"


@pytest.mark.parametrize(
    ("url", "path", "query"),
    [
        ("/v1/echo?sel=>>?&t=~~~", "/v1/echo", [("sel", ">>?"), ("t", "~~~")]),
        ("/v1/echo?q=a%20b&plus=1+2", "/v1/echo", [("q", "a b"), ("plus", "1 2")]),
        ("/v1/caf%C3%A9?name=%E2%9C%93", "/v1/café", [("name", "✓")]),
        ("/v1/echo?f=%7B%22a%22%3A1%7D&e=", "/v1/echo", [("f", '{"a":1}'), ("e", "")]),
    ],
)
def test_special_characters_in_the_url_survive(
    pd, alice, url: str, path: str, query: list[tuple[str, str]]
):
    # Characters a query may not hold raw (">") arrive percent-encoded: same meaning.
    echo = pd.proxy.get(url, external_user_id="alice@example.com", account_id=alice.id)
    assert echo["path"] == path
    assert parse_qsl(echo["query"], keep_blank_values=True) == query


def test_full_url_with_special_query_whose_base64_has_url_safe_chars(stack: Stack, pd, alice):
    url = f"http://{stack.authority}/v1/echo?sel=>>?&t=~~~"
    assert {"-", "_"} & set(base64.urlsafe_b64encode(url.encode()).decode())
    echo = pd.proxy.get(url, external_user_id="alice@example.com", account_id=alice.id)
    assert parse_qsl(echo["query"]) == [("sel", ">>?"), ("t", "~~~")]


@pytest.mark.parametrize(
    "header", ["Cookie", "Host", "Proxy-Authorization", "Sec-Fetch-Site", "Authorization"]
)
def test_restricted_header_is_an_engine_400(pd, alice, header: str):
    with pytest.raises(ApiError) as caught:
        pd.proxy.get(
            "/v1/echo",
            external_user_id="alice@example.com",
            account_id=alice.id,
            headers={header: "x"},
        )
    assert caught.value.status_code == 400
    assert caught.value.body["origin"] == "engine"
    assert caught.value.body["code"] in ("restricted_header", "reserved_header")
    assert caught.value.headers["x-workbench-error"] == caught.value.body["code"]


def test_engine_404_is_marked_but_upstream_404_is_relayed(stack: Stack, pd, alice):
    with pytest.raises(ApiError) as engine:
        pd.proxy.get("/v1/echo", external_user_id="alice@example.com", account_id="apn_nope")
    with pytest.raises(ApiError) as upstream:
        pd.proxy.get("/status/404", external_user_id="alice@example.com", account_id=alice.id)
    assert engine.value.status_code == upstream.value.status_code == 404
    assert engine.value.headers["x-workbench-error"] == "account_not_found"
    assert "x-workbench-error" not in upstream.value.headers
    assert upstream.value.body == {"status": 404}


def test_account_of_another_user_is_not_found(pd, alice):
    with pytest.raises(ApiError) as caught:
        pd.proxy.get("/v1/echo", external_user_id="mallory", account_id=alice.id)
    assert caught.value.status_code == 404
    assert caught.value.body["code"] == "account_not_found"


def test_environment_isolation(stack: Stack, alice):
    production = stack.sdk(environment="production")
    with pytest.raises(ApiError) as caught:
        production.proxy.get("/v1/echo", external_user_id="alice@example.com", account_id=alice.id)
    assert caught.value.status_code == 404
    prod_account = stack.add_account("alice@example.com", environment="production")
    echo = production.proxy.get(
        "/v1/echo", external_user_id="alice@example.com", account_id=prod_account.id
    )
    assert echo["method"] == "GET"


def test_disallowed_domain_is_refused(pd, alice):
    with pytest.raises(ApiError) as caught:
        pd.proxy.get(
            "https://evil.example.com/x", external_user_id="alice@example.com", account_id=alice.id
        )
    assert caught.value.status_code == 400
    assert caught.value.body["code"] == "domain_not_allowed"


def test_upstream_status_headers_and_body_are_relayed(stack: Stack, pd, alice):
    url = f"http://{stack.authority}/v1/echo"
    url_64 = base64.urlsafe_b64encode(url.encode()).decode()
    with pd.proxy.with_raw_response.get(
        url_64, external_user_id="alice@example.com", account_id=alice.id
    ) as raw:
        assert raw.status_code == 200
        assert raw.headers["x-upstream"] == "echo"
        assert raw.data["path"] == "/v1/echo"
    text = pd.proxy.get("/text", external_user_id="alice@example.com", account_id=alice.id)
    assert b"".join(text) == b"plain words"


def test_empty_204_is_none_for_the_sdk(pd, alice):
    assert (
        pd.proxy.delete("/status/204", external_user_id="alice@example.com", account_id=alice.id)
        is None
    )


def test_upstream_500_is_relayed_unmarked(pd, alice):
    with pytest.raises(ApiError) as caught:
        pd.proxy.post(
            "/status/503", external_user_id="alice@example.com", account_id=alice.id, body={}
        )
    assert caught.value.status_code == 503
    assert caught.value.body == {"status": 503}
    assert "x-workbench-error" not in caught.value.headers


def test_repeated_upstream_headers_stay_repeated(stack: Stack, alice):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = wire(
            stack,
            client,
            "L3YxL2VjaG8",
            params={"external_user_id": "alice@example.com", "account_id": alice.id},
        )
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["content-type"] == "application/json"


def wire(stack: Stack, client: httpx.Client, url_64: str, **kwargs: Any) -> httpx.Response:
    """A proxy request in the SDK's wire format, sent by hand."""
    token = client.post(
        "/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
    ).json()["access_token"]
    headers = {"authorization": f"Bearer {token}", "x-pd-environment": "development"}
    headers.update(kwargs.pop("headers", {}))
    method = kwargs.pop("method", "GET")
    return client.request(
        method, f"/v1/connect/{stack.project_id}/proxy/{url_64}", headers=headers, **kwargs
    )


def test_wrapped_content_type_wins_over_the_outer_one(stack: Stack, alice):
    url_64 = base64.urlsafe_b64encode(b"/upload").decode()
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = wire(
            stack,
            client,
            url_64,
            method="POST",
            params={"external_user_id": "alice@example.com", "account_id": alice.id},
            content=b"--b\r\n\r\nfile\r\n--b--",
            headers={
                "content-type": "application/json",
                "x-pd-proxy-Content-Type": "multipart/form-data; boundary=b",
            },
        )
    assert response.status_code == 200
    assert headers_of(response.json())["content-type"] == "multipart/form-data; boundary=b"


def test_node_style_standard_base64_percent_encoded(stack: Stack, alice):
    url = f"http://{stack.authority}/v1/echo?sel=>>?&t=~~~"
    standard = base64.b64encode(url.encode()).decode()
    assert {"+", "/"} & set(standard)
    encoded = standard.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = wire(
            stack,
            client,
            encoded,
            params={"external_user_id": "alice@example.com", "account_id": alice.id},
            headers={"x-pd-proxy-x-lower": "yes"},
        )
    assert response.status_code == 200, response.text
    assert parse_qsl(response.json()["query"]) == [("sel", ">>?"), ("t", "~~~")]
    assert headers_of(response.json())["x-lower"] == "yes"


@pytest.mark.parametrize(
    ("segment", "params", "code"),
    [
        ("%%%", {"external_user_id": "a", "account_id": "b"}, "bad_url64"),
        ("aGVsbG8=x", {"external_user_id": "a", "account_id": "b"}, "bad_url64"),
        ("_w", {"external_user_id": "a", "account_id": "b"}, "bad_url64"),
        ("L3g", {"account_id": "b"}, None),
        ("L3g", {"external_user_id": "a"}, None),
        ("L3g", {"external_user_id": "a", "account_id": ""}, None),
    ],
)
def test_malformed_proxy_requests_are_400(
    stack: Stack, segment: str, params: dict[str, str], code: str | None
):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = wire(stack, client, segment, params=params)
    assert response.status_code == 400
    assert response.json()["error"]
    assert response.headers.get("x-workbench-error") == code


def test_bad_environment_header_is_400(stack: Stack, alice):
    with httpx.Client(base_url=stack.base_url, trust_env=False) as client:
        response = wire(
            stack,
            client,
            "L3g",
            params={"external_user_id": "alice@example.com", "account_id": alice.id},
            headers={"x-pd-environment": "staging"},
        )
    assert response.status_code == 400
    assert "x-pd-environment" in response.json()["error"]


def test_events_show_rest_requests_with_the_credential_masked(stack: Stack, pd, alice):
    seen: list[ExchangeEvent] = []
    unsubscribe = stack.engine.events.subscribe(seen.append)
    try:
        pd.proxy.post(
            "/v1/events",
            external_user_id="alice@example.com",
            account_id=alice.id,
            body={"k": "v"},
        )
        with pytest.raises(ApiError):
            pd.proxy.get("/v1/x", external_user_id="alice@example.com", account_id="apn_missing")
    finally:
        unsubscribe()
    ok, refused = seen
    assert (ok.origin, ok.method, ok.status, ok.error_code) == ("rest", "POST", 200, None)
    assert ok.project_id == stack.project_id
    assert ok.environment == "development"
    authorization = dict((k.lower(), v) for k, v in ok.request_headers)["authorization"]
    assert authorization.startswith("Bearer sk_t")
    assert BEARER_SECRET not in repr(ok)
    assert (refused.origin, refused.status, refused.error_code) == (
        "rest",
        404,
        "account_not_found",
    )

"""The sandbox upstream, served for real on 127.0.0.1 and called with httpx."""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest

from workbench.sandbox._masking import mask_value
from workbench.sandbox.server import SandboxServer, SandboxThread
from workbench.sandbox.upstream import build_sandbox_app

SECRET = "sk_demo_CANARY_9f8e7d6c"
BEARER = {"Authorization": f"Bearer {SECRET}"}


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with SandboxThread() as sandbox, httpx.Client(base_url=sandbox.base_url or "") as http:
        yield http


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


# --- echo -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
@pytest.mark.parametrize("path", ["/echo", "/echo/a", "/echo/deeply/nested/path.json"])
def test_echo_answers_any_method_on_any_nested_path(
    client: httpx.Client, method: str, path: str
) -> None:
    body = b'{"hello": "w\xc3\xb6rld"}' if method in ("POST", "PUT", "PATCH") else b""
    response = client.request(method, path + "?a=1&a=2&b=", content=body)
    assert response.status_code == 200
    echo = response.json()
    assert (echo["method"], echo["path"]) == (method, path)
    assert echo["query_string"] == "a=1&a=2&b="
    assert echo["query"] == [["a", "1"], ["a", "2"], ["b", ""]]
    assert echo["body"] == body.decode()
    assert (echo["body_base64"], echo["body_size"]) == (False, len(body))
    assert echo["auth"] is None
    assert echo["credentials"] == []


def test_echo_head_has_headers_and_no_body(client: httpx.Client) -> None:
    response = client.head("/echo/x")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


def test_echo_keeps_header_order_and_raw_path(client: httpx.Client) -> None:
    headers = [("X-Zulu", "1"), ("X-Alpha", "2"), ("X-Mike", "3"), ("X-Alpha", "4")]
    echo = client.get("/echo/a%2Fb", headers=headers).json()
    names = [name for name, _ in echo["headers"] if name.startswith("x-")]
    assert names == ["x-zulu", "x-alpha", "x-mike", "x-alpha"]
    assert ["x-alpha", "4"] in echo["headers"]
    assert echo["raw_path"] == "/echo/a%2Fb"


def test_echo_reports_binary_body_as_base64(client: httpx.Client) -> None:
    payload = bytes(range(256))
    echo = client.post("/echo", content=payload).json()
    assert echo["body_base64"] is True
    assert base64.b64decode(echo["body"]) == payload
    assert echo["body_size"] == 256


# --- credential masking -----------------------------------------------------------------


def test_bearer_credential_is_masked_but_visible(client: httpx.Client) -> None:
    response = client.get("/echo", headers=BEARER)
    assert SECRET not in response.text
    echo = response.json()
    assert ["authorization", "Bearer sk_d••••••••"] in echo["headers"]
    assert echo["auth"] == {
        "scheme": "bearer",
        "where": "header authorization",
        "masked": "sk_d••••••••",
    }


@pytest.mark.parametrize("header", ["X-Api-Key", "X-Sandbox-Key", "X-Auth-Token", "Api-Key"])
def test_key_headers_are_masked(client: httpx.Client, header: str) -> None:
    response = client.get("/echo", headers={header: SECRET, "X-Request-Id": "req-123456789"})
    assert SECRET not in response.text
    echo = response.json()
    assert [header.lower(), "sk_d••••••••"] in echo["headers"]
    assert ["x-request-id", "req-123456789"] in echo["headers"]  # not a credential
    assert echo["auth"] == {"scheme": "api-key", "where": f"header {header.lower()}",
                            "masked": "sk_d••••••••"}  # fmt: skip


@pytest.mark.parametrize("param", ["api_key", "key", "token", "access_token", "apiKey"])
def test_query_credentials_are_masked_in_raw_and_parsed_query(
    client: httpx.Client, param: str
) -> None:
    response = client.get("/echo", params=[("page", "2"), (param, SECRET), ("keyword", "fox")])
    assert SECRET not in response.text
    echo = response.json()
    assert echo["query_string"] == f"page=2&{param}=sk_d••••••••&keyword=fox"
    assert echo["query"] == [["page", "2"], [param, "sk_d••••••••"], ["keyword", "fox"]]
    assert echo["auth"] == {"scheme": "query", "where": f"query {param}", "masked": "sk_d••••••••"}


def test_basic_auth_masks_username_and_password(client: httpx.Client) -> None:
    response = client.get("/echo", auth=("carol_files", SECRET))
    token = base64.b64encode(f"carol_files:{SECRET}".encode()).decode()
    assert SECRET not in response.text
    assert token not in response.text
    echo = response.json()
    assert echo["auth"] == {
        "scheme": "basic",
        "where": "header authorization",
        "masked": "sk_d••••••••",
        "username": "caro••••••••",
    }


def test_every_credential_is_listed(client: httpx.Client) -> None:
    echo = client.get("/echo?token=tok_1234567", headers={"X-Api-Key": SECRET, **BEARER}).json()
    assert [c["where"] for c in echo["credentials"]] == [
        "header x-api-key",
        "header authorization",
        "query token",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("sk_test_abcdef", "sk_t••••••••"), ("abc123", "abc••••••••"), ("", "••••••••")],
)
def test_mask_value_never_shows_most_of_a_short_secret(value: str, shown: str) -> None:
    assert mask_value(value) == shown


# --- the /v1 API ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/me", "/v1/contacts", "/v1/tickets", "/v1/anything/else",
                                  "/tenants/acme/v1/me"])  # fmt: skip
def test_v1_without_credential_is_401_json(client: httpx.Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_v1_me_names_the_masked_credential(client: httpx.Client) -> None:
    response = client.get("/v1/me", headers={"X-Api-Key": SECRET})
    assert response.status_code == 200
    assert response.json()["auth"]["masked"] == "sk_d••••••••"


def test_v1_other_paths_echo_once_a_credential_arrived(client: httpx.Client) -> None:
    echo = client.post("/v1/orders/7", headers=BEARER, content=b"x").json()
    assert (echo["method"], echo["path"], echo["body"]) == ("POST", "/v1/orders/7", "x")


def test_contacts_cursor_pagination_reaches_the_end(client: httpx.Client) -> None:
    ids: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "25", **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/contacts", params=params, headers=BEARER).json()
        pages += 1
        ids += [contact["id"] for contact in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 6
    assert len(ids) == len(set(ids)) == page["total"] == 137
    assert (ids[0], ids[-1]) == ("ct_0001", "ct_0137")


def test_contacts_are_deterministic(client: httpx.Client) -> None:
    first = client.get("/v1/contacts?limit=3", headers=BEARER).json()
    again = client.get("/v1/contacts?limit=3", headers=BEARER).json()
    assert first == again
    assert set(first["data"][0]) == {"id", "name", "email", "company", "created_at"}


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=ten", "cursor=bm9wZQ", "cursor=%%%"]
)
def test_contacts_bad_parameters_are_400(client: httpx.Client, query: str) -> None:
    response = client.get(f"/v1/contacts?{query}", headers=BEARER)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_tickets_page_pagination_follows_link_headers(client: httpx.Client) -> None:
    url: str | None = "/v1/tickets?per_page=20"
    ids: list[str] = []
    pages = []
    while url:
        response = client.get(url, headers=BEARER)
        body = response.json()
        pages.append(body["page"])
        ids += [ticket["id"] for ticket in body["data"]]
        url = response.links.get("next", {}).get("url")
    assert pages == [1, 2, 3]
    assert len(ids) == len(set(ids)) == body["total"] == 58
    assert body["total_pages"] == 3
    assert response.links["prev"]["url"].endswith("page=2")


def test_tickets_past_the_end_are_empty(client: httpx.Client) -> None:
    response = client.get("/v1/tickets?page=9", headers=BEARER)
    assert response.status_code == 200
    assert response.json()["data"] == []
    assert "link" not in response.headers


# --- behaviours -------------------------------------------------------------------------


def test_slow_waits_before_answering(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.get("/slow?seconds=0.3")
    assert response.status_code == 200
    assert response.json() == {"slept_seconds": 0.3}
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize("seconds", ["61", "-1", "nan", "soon"])
def test_slow_refuses_waits_over_a_minute_or_nonsense(client: httpx.Client, seconds: str) -> None:
    response = client.get(f"/slow?seconds={seconds}")
    assert response.status_code == 400
    assert "seconds" in response.json()["message"]


def test_drip_sends_headers_then_trickles_the_body(client: httpx.Client) -> None:
    with client.stream("GET", "/drip?bytes=4&delay=0.15") as response:
        headers_at = time.monotonic()
        assert response.headers["content-length"] == "4"
        body = response.read()
    # Three delays of 0.15 s separate the four one-byte chunks, all after the headers.
    assert time.monotonic() - headers_at >= 0.4
    assert body == b"****"


def test_ratelimited_sends_headers_then_429_with_retry_after() -> None:
    clock = FakeClock()
    app = build_sandbox_app(clock=clock, rate_limit=5, rate_window=60.0)
    with SandboxThread(app=app) as sandbox, httpx.Client(base_url=sandbox.base_url or "") as http:
        remaining = []
        for _ in range(5):
            response = http.get("/ratelimited", headers=BEARER)
            assert response.status_code == 200
            assert response.headers["x-ratelimit-limit"] == "5"
            assert response.headers["x-ratelimit-reset"] == str(int(clock.now + 60))
            remaining.append(int(response.headers["x-ratelimit-remaining"]))
        assert remaining == [4, 3, 2, 1, 0]

        clock.now += 15
        refused = http.get("/ratelimited", headers=BEARER)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "45"
        assert refused.headers["x-ratelimit-remaining"] == "0"
        assert refused.json()["error"] == "rate_limited"

        # Another credential has its own budget; the first one's window ends after 60 s.
        assert http.get("/ratelimited", headers={"X-Api-Key": "other-key-123"}).status_code == 200
        clock.now += 45
        assert http.get("/ratelimited", headers=BEARER).status_code == 200


@pytest.mark.parametrize("fmt", ["json", "text", "binary"])
@pytest.mark.parametrize("size", [0, 1_000, 200_000, 1_048_577])
def test_large_body_has_the_size_asked_for(client: httpx.Client, fmt: str, size: int) -> None:
    response = client.get(f"/large?bytes={size}&format={fmt}")
    assert response.status_code == 200
    expected = max(size, 21 + len(str(size))) if fmt == "json" else size
    assert len(response.content) == expected == int(response.headers["content-length"])
    if fmt == "json":
        assert response.headers["content-type"] == "application/json"
        assert json.loads(response.content)["bytes"] == size
    if fmt == "text":
        assert response.headers["content-type"].startswith("text/plain")


def test_large_body_is_deterministic(client: httpx.Client) -> None:
    assert client.get("/large?bytes=5000").content == client.get("/large?bytes=5000").content


@pytest.mark.parametrize("query", [f"bytes={64 * 2**20 + 1}", "bytes=-1", "format=xml"])
def test_large_refuses_bad_parameters(client: httpx.Client, query: str) -> None:
    assert client.get(f"/large?{query}").status_code == 400


def test_png_is_a_real_png(client: httpx.Client) -> None:
    response = client.get("/image.png")
    assert response.headers["content-type"] == "image/png"
    data = response.content
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, tag = struct.unpack(">I4s", data[8:16])
    header = data[16 : 16 + length]
    assert tag == b"IHDR"
    assert struct.unpack(">II", header[:8]) == (64, 64)
    assert struct.unpack(">I", data[16 + length : 20 + length])[0] == zlib.crc32(tag + header)
    assert data.endswith(b"IEND\xaeB`\x82")


def test_svg_is_svg(client: httpx.Client) -> None:
    response = client.get("/image.svg")
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")


@pytest.mark.parametrize(
    "code", [200, 201, 202, 301, 400, 401, 403, 404, 418, 429, 500, 502, 503, 599]
)
def test_status_answers_with_the_code_and_explains_it(client: httpx.Client, code: int) -> None:
    response = client.get(f"/status/{code}")
    assert response.status_code == code
    body = response.json()
    assert body["status"] == code
    assert str(code) in body["message"]
    if code in (429, 503):
        assert response.headers["retry-after"] == "5"


@pytest.mark.parametrize("code", [204, 205, 304])
def test_status_without_body(client: httpx.Client, code: int) -> None:
    response = client.post(f"/status/{code}")
    assert response.status_code == code
    assert response.content == b""


@pytest.mark.parametrize("code", [100, 101, 199, 600, 999])
def test_status_refuses_codes_that_cannot_be_final(client: httpx.Client, code: int) -> None:
    response = client.get(f"/status/{code}")
    assert response.status_code == 400
    assert str(code) in response.json()["message"]


def test_redirect_is_returned_not_followed(client: httpx.Client) -> None:
    response = client.get("/redirect")
    assert (response.status_code, response.headers["location"]) == (302, "/echo")
    target = "http://127.0.0.1:9/elsewhere?x=1"
    response = client.post("/redirect", params={"to": target, "status": "307"})
    assert (response.status_code, response.headers["location"]) == (307, target)
    assert response.json() == {"redirect_to": target}


@pytest.mark.parametrize("query", ["status=200", "status=305", "to=", "to=a%20b", "to=%0Ax"])
def test_redirect_refuses_bad_parameters(client: httpx.Client, query: str) -> None:
    assert client.get(f"/redirect?{query}").status_code == 400


def test_tenant_paths_echo_with_the_tenant(client: httpx.Client) -> None:
    echo = client.put("/tenants/acme/v1/tickets/42", headers={"X-Api-Key": SECRET}).json()
    assert echo["tenant"] == "acme"
    assert (echo["method"], echo["path"]) == ("PUT", "/tenants/acme/v1/tickets/42")
    assert client.get("/tenants/globex").json()["tenant"] == "globex"
    assert client.get("/tenants/globex/public").status_code == 200  # only /v1 needs a key


def test_index_unknown_path_and_method_are_json(client: httpx.Client) -> None:
    assert "/echo/..." in client.get("/").json()["endpoints"]
    missing = client.get("/nowhere")
    assert (missing.status_code, missing.json()["error"]) == (404, "not_found")
    wrong = client.delete("/image.png")
    assert (wrong.status_code, wrong.json()["error"]) == (405, "method_not_allowed")


# --- the servers ------------------------------------------------------------------------


def test_sandbox_server_binds_loopback_on_a_free_port_and_frees_it() -> None:
    async def scenario() -> str:
        server = SandboxServer()
        base_url = await server.start()
        assert base_url.startswith("http://127.0.0.1:")
        assert server.authority == base_url.removeprefix("http://")
        with pytest.raises(RuntimeError, match="already started"):
            await server.start()
        async with httpx.AsyncClient() as http:
            assert (await http.get(base_url + "/echo")).status_code == 200
        await server.stop()
        await server.stop()  # idempotent
        assert server.base_url is None
        return base_url

    base_url = asyncio.run(scenario())
    with pytest.raises(httpx.ConnectError):
        httpx.get(base_url + "/echo")


def test_two_sandboxes_get_different_ports() -> None:
    async def scenario() -> tuple[str, str]:
        async with SandboxServer() as first, SandboxServer() as second:
            return first.authority, second.authority

    first, second = asyncio.run(scenario())
    assert first != second


def test_sandbox_thread_stop_is_idempotent_and_start_fails_clearly() -> None:
    sandbox = SandboxThread()
    base_url = sandbox.start()
    assert httpx.get(base_url + "/echo").status_code == 200
    sandbox.stop()
    sandbox.stop()
    assert sandbox.base_url is None
    with pytest.raises(OSError, match="assign"):  # an address this machine does not have
        SandboxThread(host="192.0.2.1").start()

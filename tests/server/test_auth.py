"""Token endpoint, bearer checks, Host check, CORS and the body cap, over real sockets."""

from __future__ import annotations

import httpx
import pytest
from pipedream.errors import UnauthorizedError

from tests.server.conftest import Stack
from workbench.server.auth import TokenStore

PROTECTED = [
    ("GET", "/v1/connect/apps"),
    ("GET", "/v1/apps"),
    ("GET", "/v1/connect/apps/echo_bearer"),
    ("GET", "/v1/connect/{p}/accounts"),
    ("GET", "/v1/connect/{p}/accounts/apn_nothing"),
    ("DELETE", "/v1/connect/{p}/accounts/apn_nothing"),
    ("GET", "/v1/connect/{p}/users"),
    ("DELETE", "/v1/connect/{p}/users/alice"),
    ("GET", "/v1/connect/{p}/users/alice/accounts"),
    ("DELETE", "/v1/connect/{p}/apps/echo_bearer/accounts"),
    ("GET", "/v1/connect/{p}/proxy/aHR0cDovL3gvYQ==?external_user_id=a&account_id=b"),
    ("POST", "/v1/connect/{p}/proxy/aHR0cDovL3gvYQ==?external_user_id=a&account_id=b"),
    ("GET", "/v1/nothing/here"),
]


def token_for(stack: Stack, client: httpx.Client) -> str:
    response = client.post(
        "/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def client(stack: Stack) -> httpx.Client:
    with httpx.Client(base_url=stack.base_url, trust_env=False) as plain:
        yield plain


def test_token_response_has_the_three_fields_python_requires(stack: Stack, client: httpx.Client):
    response = client.post(
        "/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
        headers={"x-pd-environment": "development"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"].startswith("wbt_")
    assert response.headers["cache-control"] == "no-store"


def test_token_accepts_form_encoding(stack: Stack, client: httpx.Client):
    response = client.post(
        "/v1/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": stack.client_id,
            "client_secret": stack.client_secret,
        },
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    apps = client.get("/v1/connect/apps", headers={"authorization": f"Bearer {token}"})
    assert apps.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (
            b'{"grant_type": "client_credentials", "client_id": "pd_client_x", '
            b'"client_secret": "wrong"}',
            "application/json",
            401,
        ),
        (
            b'{"grant_type": "password", "client_id": "a", "client_secret": "b"}',
            "application/json",
            400,
        ),
        (b'{"grant_type": "client_credentials"}', "application/json", 400),
        (
            b'{"grant_type": "client_credentials", "client_id": 5, "client_secret": "b"}',
            "application/json",
            400,
        ),
        (b'{"grant_type": ', "application/json", 400),
        (
            b'{"grant_type": "client_credentials", "client_id": "pd_client_\\ud800", '
            b'"client_secret": "\\udfff"}',
            "application/json",
            400,
        ),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"grant_type=client_credentials&client_id", "application/x-www-form-urlencoded", 400),
        (b"<xml/>", "text/xml", 400),
        (
            b'{"grant_type": "client_credentials", "client_assertion": "x.y.z", '
            b'"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}',
            "application/json",
            400,
        ),
    ],
)
def test_token_refusals_are_json_errors(
    client: httpx.Client, body: bytes, content_type: str, status: int
):
    response = client.post("/v1/oauth/token", content=body, headers={"content-type": content_type})
    assert response.status_code == status
    assert set(response.json()) == {"error"}
    assert response.json()["error"]


def test_wrong_secret_surfaces_as_sdk_unauthorized(stack: Stack):
    pd = stack.sdk(client_secret="pd_secret_wrong")
    with pytest.raises(UnauthorizedError) as caught:
        list(pd.apps.list())
    assert caught.value.status_code == 401
    assert caught.value.body.error == "Invalid client credentials"


def test_token_of_a_rotated_secret_stops_after_revoke(stack: Stack, client: httpx.Client):
    token = token_for(stack, client)
    headers = {"authorization": f"Bearer {token}"}
    assert client.get("/v1/connect/apps", headers=headers).status_code == 200
    assert stack.server.tokens.revoke_project(stack.project_id) >= 1
    assert client.get("/v1/connect/apps", headers=headers).status_code == 401


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wbt_unknown", "Basic dXNlcjpwYXNz", "Bearer", "wbt_x"]
)
def test_every_route_but_the_token_needs_a_valid_bearer(
    stack: Stack, client: httpx.Client, method: str, path: str, authorization: str | None
):
    headers = {"authorization": authorization} if authorization is not None else {}
    response = client.request(method, path.format(p=stack.project_id), headers=headers)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_token_of_another_project_is_refused(stack: Stack, client: httpx.Client):
    other = stack.connections.workspace.create_project("Other")
    other_id, other_secret = stack.connections.project_credentials(other.id)
    response = client.post(
        "/v1/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": other_id,
            "client_secret": other_secret,
        },
    )
    headers = {"authorization": f"Bearer {response.json()['access_token']}"}
    for path in ("accounts", "users", "proxy/aHR0cDovL3gvYQ?external_user_id=a&account_id=b"):
        refused = client.get(f"/v1/connect/{stack.project_id}/{path}", headers=headers)
        assert refused.status_code == 403
        assert "error" in refused.json()
    assert client.get(f"/v1/connect/{other.id}/users", headers=headers).status_code == 200


def test_token_store_expires_tokens_with_its_clock():
    now = [1000.0]
    store = TokenStore(lifetime=60, clock=lambda: now[0])
    issued = store.issue("proj_a")
    assert issued.expires_in == 60
    assert store.project_for(issued.access_token) == "proj_a"
    now[0] += 59.9
    assert store.project_for(issued.access_token) == "proj_a"
    now[0] += 0.2
    assert store.project_for(issued.access_token) is None
    assert store.project_for("wbt_guess") is None


def test_token_store_keeps_no_usable_token():
    store = TokenStore()
    token = store.issue("proj_a").access_token
    assert token not in repr(vars(store))


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "evil.example",
        "127.0.0.1",
        "localhost",
        "127.0.0.1:1",
        "127.0.0.2:{port}",
        "0.0.0.0:{port}",
        "localhost.:{port}",
        "127.0.0.1.nip.io:{port}",
        "[::1]",
        "",
    ],
)
def test_host_must_be_a_loopback_name_with_the_port(stack: Stack, host: str):
    port = stack.server.port
    with httpx.Client(trust_env=False) as raw:
        response = raw.post(
            f"{stack.base_url}/v1/oauth/token",
            json={"grant_type": "client_credentials"},
            headers={"host": host.format(port=port)},
        )
    assert response.status_code == 421
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_hosts_pass(stack: Stack, client: httpx.Client, host: str):
    token = token_for(stack, client)
    response = client.get(
        "/v1/connect/apps",
        headers={"host": host.format(port=stack.server.port), "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200


def test_no_cors_headers_ever(stack: Stack, client: httpx.Client):
    token = token_for(stack, client)
    preflight = client.options(
        f"/v1/connect/{stack.project_id}/accounts",
        headers={
            "origin": "http://evil.example",
            "access-control-request-method": "GET",
            "access-control-request-headers": "authorization",
        },
    )
    simple = client.get(
        "/v1/connect/apps",
        headers={"origin": "http://evil.example", "authorization": f"Bearer {token}"},
    )
    assert simple.status_code == 200
    for response in (preflight, simple):
        assert not [k for k in response.headers if k.lower().startswith("access-control-")]


def test_body_over_the_cap_by_content_length(stack_factory):
    small = stack_factory(max_body_bytes=1024)
    with httpx.Client(base_url=small.base_url, trust_env=False) as client:
        token = token_for(small, client)
        response = client.post(
            f"/v1/connect/{small.project_id}/proxy/aHR0cDovL3gvYQ",
            params={"external_user_id": "a", "account_id": "b"},
            content=b"x" * 1025,
            headers={"authorization": f"Bearer {token}"},
        )
        at_cap = client.post("/v1/oauth/token", content=b" " * 1024)
    assert response.status_code == 413
    assert "1024 bytes" in response.json()["error"]
    assert at_cap.status_code == 400  # at the cap it is read (and is not a token request)


def test_streamed_body_over_the_cap_is_counted(stack_factory):
    small = stack_factory(max_body_bytes=1024)

    def chunks():
        for _ in range(8):
            yield b"y" * 200

    with httpx.Client(base_url=small.base_url, trust_env=False) as client:
        token = token_for(small, client)
        response = client.post(
            f"/v1/connect/{small.project_id}/proxy/aHR0cDovL3gvYQ",
            params={"external_user_id": "a", "account_id": "b"},
            content=chunks(),
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 413
    assert set(response.json()) == {"error"}

"""Every injection style, as the upstream actually receives it."""

from __future__ import annotations

import base64
import json

import pytest

from tests.core.conftest import CANARY, HarnessFactory, make_app
from tests.helpers.servers import RawRequest, RawServer
from workbench.core.catalog import FieldSpec, Injection
from workbench.core.errors import ProxyError

pytestmark = pytest.mark.anyio


def header(name: str, template: str) -> Injection:
    return Injection("header", name=name, template=template)


async def send_through(
    harness_factory: HarnessFactory,
    server: RawServer,
    *injection: Injection,
    url: str = "/v1/me",
    secrets: dict[str, str] | None = None,
    **app_options: object,
) -> RawRequest:
    """Send one request with an app using ``injection``; return what the server received."""
    app = make_app(server.authority, injection=injection, **app_options)  # type: ignore[arg-type]
    harness = await harness_factory(app, secrets=secrets)
    result = await harness.send(url)
    assert result.status == 200
    assert CANARY not in result.url
    assert CANARY not in repr(result.request_headers)
    (received,) = server.requests[-1:]
    return received


@pytest.mark.parametrize(
    ("name", "template", "expected"),
    [
        ("Authorization", "Bearer {{credentials.api_key}}", f"Bearer {CANARY}"),
        ("Authorization", "Bot {{credentials.api_key}}", f"Bot {CANARY}"),
        ("Authorization", "Token token={{credentials.api_key}}", f"Token token={CANARY}"),
        ("X-Shopify-Access-Token", "{{credentials.api_key}}", CANARY),
        ("x-api-key", "{{credentials.api_key}}", CANARY),
    ],
)
async def test_header_styles(
    harness_factory: HarnessFactory, echo_server: RawServer, name: str, template: str, expected: str
) -> None:
    received = await send_through(harness_factory, echo_server, header(name, template))
    assert received.header(name) == expected
    assert received.header_names().count(name.lower()) == 1


async def test_query_style_keeps_the_caller_query(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    received = await send_through(
        harness_factory,
        echo_server,
        Injection("query", name="key", template="{{credentials.api_key}}"),
        url="/v1/models?pageSize=5&q=a%20b&flag",
    )
    assert received.target == f"/v1/models?pageSize=5&q=a%20b&flag&key={CANARY}"
    assert received.target.count(CANARY) == 1
    assert received.header("authorization") is None


async def test_two_query_credentials(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    received = await send_through(
        harness_factory,
        echo_server,
        Injection("query", name="key", template="{{credentials.api_key}}"),
        Injection("query", name="token", template="{{credentials.token}}"),
        credentials=("api_key", "token"),
        secrets={"api_key": "K3y", "token": CANARY},
        url="/1/members/me",
    )
    assert received.target == f"/1/members/me?key=K3y&token={CANARY}"


async def test_basic_style(harness_factory: HarnessFactory, echo_server: RawServer) -> None:
    received = await send_through(
        harness_factory,
        echo_server,
        Injection("basic", username="{{credentials.api_key}}", password="X"),
    )
    scheme, _, blob = (received.header("authorization") or "").partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(blob).decode() == f"{CANARY}:X"


async def test_basic_with_custom_field_username(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    app = make_app(
        echo_server.authority,
        injection=(
            Injection(
                "basic", username="{{custom_fields.sid}}", password="{{credentials.api_key}}"
            ),
        ),
        custom_fields=(FieldSpec("sid", "Account SID", kind="text"),),
    )
    harness = await harness_factory(app, account=False)
    harness.add_account(custom_fields={"sid": "AC42"})
    await harness.send("/2010-04-01/Accounts.json")
    blob = (echo_server.requests[-1].header("authorization") or "").removeprefix("Basic ")
    assert base64.b64decode(blob).decode() == f"AC42:{CANARY}"


async def test_path_prefix_style(harness_factory: HarnessFactory, echo_server: RawServer) -> None:
    received = await send_through(
        harness_factory,
        echo_server,
        Injection("path_prefix", template="/bot{{credentials.api_key}}"),
        secrets={"api_key": "123456:ABC-def"},
        url="/getMe?x=1",
    )
    assert received.target == "/bot123456:ABC-def/getMe?x=1"


async def test_static_headers_and_dynamic_base(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    app = make_app(
        echo_server.authority,
        base=f"http://{echo_server.authority}/tenants/{{{{custom_fields.tenant}}}}",
        custom_fields=(FieldSpec("tenant", "Tenant", kind="text"),),
        static_headers=(("Notion-Version", "2022-06-28"),),
    )
    harness = await harness_factory(app, account=False)
    harness.add_account(custom_fields={"tenant": "acme"})
    result = await harness.send("/items")
    document = json.loads(result.body)
    assert document["target"] == "/tenants/acme/items"
    assert ["Notion-Version", "2022-06-28"] in document["headers"]


async def test_missing_credential_is_a_400_without_connection(
    harness_factory: HarnessFactory, echo_server: RawServer
) -> None:
    harness = await harness_factory(make_app(echo_server.authority), secrets={})
    with pytest.raises(ProxyError) as caught:
        await harness.send("/x")
    assert (caught.value.status, caught.value.code) == (400, "missing_credential")
    assert echo_server.connections == 0


async def test_httpbin_sees_the_credential(
    harness_factory: HarnessFactory, httpbin: object
) -> None:
    authority = httpbin.url.removeprefix("http://")  # type: ignore[attr-defined]
    app = make_app(authority, injection=(header("X-Api-Key", "{{credentials.api_key}}"),))
    harness = await harness_factory(app)
    result = await harness.send("/anything/v1?a=1")
    document = json.loads(result.body)
    assert document["headers"]["X-Api-Key"] == CANARY
    assert document["args"] == {"a": "1"}

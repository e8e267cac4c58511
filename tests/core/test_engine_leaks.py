"""No form of a secret leaks, for every injection style the catalog uses.

The secrets here are chosen so that each form the engine may put on the wire differs
from every other: raw, percent-encoded (as any URL would carry it), form-encoded (as
a query parameter goes), path-encoded (as a path prefix goes) and the HTTP Basic blob.
A check that only looked for the raw value would pass while an encoded form leaked.
Every form is looked for in the masked URL, the masked request headers, the relayed
response headers, the errors, the events and every log record.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest

from tests.core.conftest import Harness, HarnessFactory, make_app
from tests.helpers.servers import (
    RawRequest,
    RawServer,
    refused_port,
    stall_after_headers,
)
from workbench.core.catalog import App, Injection
from workbench.core.errors import ProxyError
from workbench.core.http.decoding import DecodingError
from workbench.core.http.transport import upstream_failure
from workbench.core.http.wire import ConnectError, RemoteProtocolError
from workbench.core.injection import Scrubber, inject

pytestmark = pytest.mark.anyio

SECRET = "Zq9/+=%x ?&#:@~Lk"
SECRET_NO_COLON = "Wv4/+=%y ?&#@~Mn"  # a Basic username cannot hold ":"
PATH_SAFE = "!$&'()*+,;=:@-._~"  # what a path prefix leaves unescaped (RFC 3986 pchar)
BASIC_USER = "me@example.com"


def forms(secret: str, *, basic_blob: str | None = None) -> dict[str, str]:
    """Every form of ``secret`` that may reach the wire, by name."""
    found = {
        "raw": secret,
        "percent-encoded": quote(secret, safe=""),
        "form-encoded": str(httpx.QueryParams({"v": secret}))[2:],
        "path-encoded": quote(secret, safe=PATH_SAFE),
    }
    if basic_blob is not None:
        found["basic"] = basic_blob
    return found


def blob(username: str, password: str) -> str:
    return base64.b64encode(f"{username}:{password}".encode()).decode()


@dataclass(frozen=True)
class Style:
    """An injection style of the catalog, the secret it carries and its wire forms."""

    name: str
    injection: Injection
    secret: str
    basic_blob: str | None = None

    @property
    def forms(self) -> dict[str, str]:
        return forms(self.secret, basic_blob=self.basic_blob)


BEARER = Injection("header", "Authorization", "Bearer {{credentials.api_key}}")
SCHEME = Injection("header", "Authorization", "Token token={{credentials.api_key}}")
STYLES = [
    Style("header-bearer", BEARER, SECRET),
    Style("header-scheme", SCHEME, SECRET),
    Style("header-custom", Injection("header", "X-Api-Key", "{{credentials.api_key}}"), SECRET),
    Style("query", Injection("query", "key", "{{credentials.api_key}}"), SECRET),
    Style(
        "basic-username",
        Injection("basic", username="{{credentials.api_key}}", password="X"),
        SECRET_NO_COLON,
        blob(SECRET_NO_COLON, "X"),
    ),
    Style(
        "basic-password",
        Injection("basic", username=BASIC_USER, password="{{credentials.api_key}}"),
        SECRET,
        blob(BASIC_USER, SECRET),
    ),
    Style("path-prefix", Injection("path_prefix", template="/bot{{credentials.api_key}}"), SECRET),
]
IDS = [style.name for style in STYLES]


@pytest.mark.parametrize("style", STYLES, ids=IDS)
def test_the_forms_of_each_secret_all_differ(style: Style) -> None:
    values = list(style.forms.values())
    assert len(set(values)) == len(values), style.forms
    # No form hides inside another, so each check below looks for something distinct.
    for one in values:
        assert sum(one in other for other in values) == 1, one


def echo_every_form(style: Style, status: int = 200):
    """A handler answering with every wire form of the secret in its response headers."""

    async def handler(request: RawRequest, writer) -> None:
        sent = " ".join(value for _, value in request.headers)
        lines = [
            f"HTTP/1.1 {status} Whatever",
            f"Location: https://elsewhere.example{request.target}",
            f"X-Echo-Headers: {sent}",
            # A login redirect's return_to carries the whole URL, encoded once more.
            f"X-Return-To: https://login.example/?return_to={quote(request.target, safe='')}",
            *(f"X-Form-{name}: {value}" for name, value in style.forms.items()),
            "Content-Length: 2",
        ]
        writer.write(("\r\n".join(lines) + "\r\n\r\nok").encode("latin-1"))

    return handler


def app_for(style: Style, authority: str) -> App:
    return make_app(authority, injection=(style.injection,))


def assert_no_form(style: Style, texts: Iterable[str], what: str) -> None:
    for text in texts:
        for name, form in style.forms.items():
            assert form not in text, f"the {name} form of the secret leaked into {what}"


def assert_clean(style: Style, harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    """No form in any event (every field) or any log record."""
    assert harness.events, "every send publishes an event"
    for event in harness.events:
        assert_no_form(style, [repr(event)], "an event")
    records = [record.getMessage() for record in caplog.records]
    records += [str(record.exc_info or "") for record in caplog.records]
    assert_no_form(style, [*records, caplog.text], "the logs")


def wire_form(style: Style) -> str:
    """The form of the secret its style puts on the wire."""
    found = {
        "query": style.forms["form-encoded"],
        "path-prefix": style.forms["path-encoded"],
        "basic-username": style.basic_blob,
        "basic-password": style.basic_blob,
    }.get(style.name, style.secret)
    assert found is not None
    return found


def assert_sent(style: Style, request: RawRequest) -> None:
    """The secret did reach the upstream, in the form its style puts on the wire."""
    assert wire_form(style) in request.head.decode("latin-1")


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, the engine's included."""
    caplog.set_level(logging.DEBUG)


@pytest.mark.parametrize("status", [200, 302])
@pytest.mark.parametrize("style", STYLES, ids=IDS)
async def test_an_answer_echoing_every_form(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture, style: Style, status: int
) -> None:
    async with RawServer(echo_every_form(style, status)) as server:
        harness = await harness_factory(
            app_for(style, server.authority), secrets={"api_key": style.secret}
        )
        result = await harness.send("/v1/items?page=2")
    assert result.status == status
    assert_sent(style, server.requests[0])
    assert_no_form(style, [result.url], "the masked URL")
    assert_no_form(style, [repr(result.request_headers)], "the masked request headers")
    assert_no_form(style, [repr(result.headers)], "the relayed response headers")
    assert result.header("x-form-raw") == "[REDACTED]"
    nested = quote(wire_form(style), safe="")  # the wire form inside X-Return-To
    assert nested not in repr(result.headers)
    assert_clean(style, harness, caplog)


@pytest.mark.parametrize(
    "failure",
    ["garbage", "too-large", "timeout", "refused"],
)
@pytest.mark.parametrize("style", STYLES, ids=IDS)
async def test_failures(
    harness_factory: HarnessFactory, caplog: pytest.LogCaptureFixture, style: Style, failure: str
) -> None:
    async def garbage(request: RawRequest, writer) -> None:
        sent = " ".join(value for _, value in request.headers)
        writer.write(f"NOT-HTTP {request.target} {sent}\r\n\r\n".encode("latin-1"))

    handlers = {
        "garbage": garbage,
        "too-large": echo_every_form(style),
        "timeout": stall_after_headers,
    }
    options = {"deadline": 0.3, "max_response_bytes": 1}
    secrets = {"api_key": style.secret}
    if failure == "refused":
        app = app_for(style, f"127.0.0.1:{refused_port()}")
        harness = await harness_factory(app, secrets=secrets, **options)
        with pytest.raises(ProxyError) as caught:
            await harness.send("/v1/items?page=2")
    else:
        async with RawServer(handlers[failure]) as server:
            harness = await harness_factory(
                app_for(style, server.authority), secrets=secrets, **options
            )
            with pytest.raises(ProxyError) as caught:
                await harness.send("/v1/items?page=2")
        assert_sent(style, server.requests[0])
    error = caught.value
    assert error.status in (502, 504)
    texts = [error.message, repr(error), str(error.to_dict()), repr(error.__cause__)]
    assert_no_form(style, texts, "the error")
    event = harness.events[-1]
    assert event.error_code == error.code
    assert_no_form(style, [event.url, repr(event.request_headers)], "the event's request")
    assert_clean(style, harness, caplog)


# The transport's failure text: whatever an exception quotes, the secret forms go.


@pytest.mark.parametrize(
    "error_type",
    [ConnectError, OSError, RemoteProtocolError, DecodingError],
)
@pytest.mark.parametrize("style", STYLES, ids=IDS)
def test_failure_text_is_scrubbed_of_every_form(style: Style, error_type: type[Exception]) -> None:
    app = app_for(style, "api.example.com")
    injected = inject(
        app,
        "https://api.example.com/v1/x",
        [],
        custom_fields={},
        credentials={"api_key": style.secret},
    )
    quoted = " | ".join(f"{name}={form}" for name, form in style.forms.items())
    failure = upstream_failure(
        error_type(f"it broke at {injected.url} with {quoted}"),
        host="api.example.com",
        deadline=30,
        scrubber=Scrubber(injected.secrets),
    )
    assert failure.status == 502
    assert_no_form(style, [failure.message], "the failure text")
    assert "[REDACTED]" in failure.message

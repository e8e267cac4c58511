"""A secret echoed in a response header's name: the header is dropped, never relayed.

An upstream that echoes the credential, in a value or in a name, in any letter case (names
are case-insensitive) or percent-encoded, must not hand it to the caller, the history or
the events.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.core.conftest import CANARY, HarnessFactory, make_app
from tests.helpers.servers import RawServer, respond
from workbench.core.injection import Scrubber

pytestmark = pytest.mark.anyio

ODD_SECRET = "p@ss/w0rd+x"  # its percent-encoded form is a valid header name


@pytest.mark.parametrize(
    ("secret", "name"),
    [
        (CANARY, f"X-Echo-{CANARY}"),
        (CANARY, CANARY),
        (CANARY, f"x-echo-{CANARY.lower()}"),
        (CANARY, f"X-{CANARY.upper()}-Seen"),
        (ODD_SECRET, f"X-Key-{quote(ODD_SECRET, safe='')}"),
    ],
    ids=["prefixed", "alone", "lower-case", "upper-case", "percent-encoded"],
)
async def test_a_header_named_after_a_secret_is_dropped(
    harness_factory: HarnessFactory, secret: str, name: str
) -> None:
    headers = [(name, "1"), ("X-Kept", "yes"), ("X-Value", f"token={secret}")]
    async with RawServer(respond(200, headers, b"ok")) as server:
        harness = await harness_factory(make_app(server.authority), secrets={"api_key": secret})
        result = await harness.send("/whoami")
    assert result.header("x-kept") == "yes"
    assert result.header("x-value") == "token=[REDACTED]"
    assert all(secret.lower() not in key.lower() for key, _ in result.headers)
    assert quote(secret, safe="").lower() not in repr(result.headers).lower()
    assert secret not in repr(harness.events[-1])


def test_the_scrubber_finds_secrets_in_names_in_any_case() -> None:
    scrubber = Scrubber([CANARY, ODD_SECRET])
    assert scrubber.in_name(f"X-{CANARY.upper()}")
    assert scrubber.in_name(f"x-{quote(ODD_SECRET, safe='').lower()}")
    assert not scrubber.in_name("X-Request-Id")
    assert not Scrubber([]).in_name(f"X-{CANARY}")

"""The attack suite runs every test on asyncio's loop and on uvloop (the command line's)."""

from __future__ import annotations

import pytest

from workbench import eventloop

UVLOOP = pytest.mark.skipif(eventloop.loop_name() != "uvloop", reason="uvloop is not installed")


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {}), id="asyncio"),
        pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop", marks=UVLOOP),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    """Each hostile peer is met by both loops: their transports, TLS and EOF differ."""
    return request.param  # type: ignore[no-any-return]

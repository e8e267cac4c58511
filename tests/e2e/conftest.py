"""Fixtures for the tests that drive the ``workbench`` command in real processes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workbench.sandbox.server import SandboxThread


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    """The authority (``127.0.0.1:PORT``) of a sandbox upstream in a thread."""
    with SandboxThread() as sandbox:
        assert sandbox.base_url is not None
        yield sandbox.base_url.removeprefix("http://")

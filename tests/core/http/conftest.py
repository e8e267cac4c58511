"""The pool fixture of the HTTP/1.1 client tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.http11 import make_pool
from workbench.core.http.pool import ConnectionPool


@pytest.fixture
async def pool() -> AsyncIterator[ConnectionPool]:
    """A fresh pool, closed after the test."""
    made = make_pool()
    yield made
    await made.aclose()

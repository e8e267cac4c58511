"""The REST server's request-body cap, at the limit (proxied) and one byte past it (413).

Both ways a body can arrive are held to the same number: with a declared
``Content-Length`` (refused before it is read) and chunked (counted as it streams).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator

import httpx

from tests.server.conftest import Stack
from tests.server.test_proxy import wire

CAP = 1024


def declared(size: int) -> bytes:
    return b"d" * size


def streamed(size: int) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        piece = min(300, size - sent)
        yield b"s" * piece
        sent += piece


def test_a_body_at_the_cap_is_proxied_and_one_byte_more_is_413(
    stack_factory: Callable[..., Stack],
) -> None:
    small = stack_factory(max_body_bytes=CAP)
    account = small.add_account("cap@example.com")
    url_64 = base64.urlsafe_b64encode(f"http://{small.authority}/echo".encode()).decode()
    query = {"external_user_id": "cap@example.com", "account_id": account.id}
    answers = {}
    with httpx.Client(base_url=small.base_url, trust_env=False) as client:
        for shape in (declared, streamed):
            for size in (CAP, CAP + 1):
                answers[shape.__name__, size] = wire(
                    small, client, url_64, method="POST", params=query, content=shape(size)
                )
    for shape in ("declared", "streamed"):
        at_cap, past = answers[shape, CAP], answers[shape, CAP + 1]
        assert at_cap.status_code == 200, (shape, at_cap.text)
        assert at_cap.json()["body"] == shape[0] * CAP  # the upstream got all of it
        assert past.status_code == 413, shape
        assert past.json() == {"error": f"Request body exceeds the server's limit of {CAP} bytes"}

"""The loopback redirect of a native app's sign-in (RFC 8252 section 7.3).

:class:`RedirectListener` listens on ``http://127.0.0.1:PORT/callback`` for the one
browser request that ends a sign-in. A request whose ``state`` is not the flow's is
refused with a page saying so and does not end the wait (another page, or another
program, cannot push its own code into the flow); the first one with the right
``state`` ends it, with the code or with the provider's error.
"""

from __future__ import annotations

import asyncio
import hmac
import html
from urllib.parse import parse_qs, urlsplit

from workbench.core.oauth.client import clean
from workbench.core.oauth.errors import OAuthFailure, ProviderRefused

CALLBACK_PATH = "/callback"
_HEAD_LIMIT = 16 * 1024
_READ_TIMEOUT = 10.0  # seconds a connection may take to send its request


class RedirectPortBusy(OAuthFailure):
    """The redirect port is taken (another sign-in waits on it, or another program)."""


def redirect_uri(port: int) -> str:
    """The redirect URI to register with the provider for ``port``."""
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def _page(title: str, text: str) -> bytes:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family: sans-serif; margin: 3em'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    ).encode()


def _response(status: str, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\n"
        "Referrer-Policy: no-referrer\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class RedirectListener:
    """Waits on 127.0.0.1 for the browser's redirect carrying the flow's ``state``.

    Use :meth:`open`, then :meth:`code`, and :meth:`aclose` in every case.
    """

    def __init__(self, state: str, app_name: str) -> None:
        """Use :meth:`open`."""
        self._state = state
        self._app_name = app_name
        self._server: asyncio.Server | None = None
        self._outcome: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, state: str, *, app_name: str, port: int = 0) -> RedirectListener:
        """Listen on ``127.0.0.1:port`` (0: a free port).

        Raises:
            RedirectPortBusy: the port is in use.
        """
        listener = cls(state, app_name)
        try:
            listener._server = await asyncio.start_server(listener._serve, "127.0.0.1", port)
        except OSError as error:
            raise RedirectPortBusy(
                f"port {port} of 127.0.0.1 is in use (is another sign-in waiting?): "
                f"{error.strerror or error}"
            ) from None
        return listener

    @property
    def port(self) -> int:
        """The port listened on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def redirect_uri(self) -> str:
        """``http://127.0.0.1:PORT/callback``."""
        return redirect_uri(self.port)

    async def code(self) -> str:
        """The authorization code, once the browser brings it.

        Raises:
            ProviderRefused: the provider sent the browser back with an error.
        """
        return await asyncio.shield(self._outcome)

    async def aclose(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        if not self._outcome.done():
            self._outcome.cancel()
        elif not self._outcome.cancelled():
            self._outcome.exception()  # retrieved: asyncio must not report it as lost

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            status, body = self._answer(head)
        except (asyncio.LimitOverrunError, asyncio.IncompleteReadError, TimeoutError):
            status, body = "400 Bad Request", _page("Bad request", "The request was malformed.")
        except ConnectionError:
            writer.close()
            return
        try:
            writer.write(_response(status, body))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    def _answer(self, head: bytes) -> tuple[str, bytes]:
        if len(head) > _HEAD_LIMIT:
            return "431 Request Header Fields Too Large", _page("Bad request", "Too large.")
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        target = rest.rpartition(" ")[0]
        parts = urlsplit(target)
        if method != "GET" or parts.path != CALLBACK_PATH:
            return "404 Not Found", _page("Not found", "This address only ends a sign-in.")
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        state = query.get("state", "")
        if not hmac.compare_digest(state.encode(), self._state.encode()):
            return "400 Bad Request", _page(
                "Sign-in refused",
                "This answer does not belong to the sign-in the workbench is waiting for "
                "(its state does not match). Start the sign-in again from the workbench.",
            )
        if self._outcome.done():
            return "409 Conflict", _page("Already done", "This sign-in has already ended.")
        if "error" in query:
            refused = ProviderRefused(
                clean(query["error"])[:64], clean(query.get("error_description", ""))
            )
            self._outcome.set_exception(refused)
            return "200 OK", _page("Sign-in failed", f"{self._app_name} said: {refused}")
        code = query.get("code", "")
        if not code:
            return "400 Bad Request", _page("Sign-in refused", "The answer carries no code.")
        self._outcome.set_result(code)
        return "200 OK", _page(
            "Signed in", "You can close this tab; the workbench finishes connecting the account."
        )

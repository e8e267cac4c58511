"""Serve an ASGI app with uvicorn on a pre-bound local socket inside the running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.types import ASGIApp

__all__ = ["STARTUP_TIMEOUT", "LoopbackServer", "http_base_url"]

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 10.0  # seconds

# Settings every embedded server shares; callers add protocol and header choices.
_FIXED_CONFIG: Mapping[str, Any] = {
    "lifespan": "off",
    "access_log": False,
    "log_level": "warning",
    "log_config": None,  # leave the host process's logging configuration alone
    # Loopback only: no proxy sits in front, so X-Forwarded-* would only be a caller's claim.
    "proxy_headers": False,
}


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its signal capture.

    ``uvicorn.Server.serve`` installs SIGINT/SIGTERM handlers when run in the main thread
    and re-raises the signal after shutdown; an embedded server must not take Ctrl+C away
    from the GUI or CLI that hosts it, and stopping is :meth:`LoopbackServer.stop`.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def http_base_url(host: str, port: int) -> str:
    """``http://HOST:PORT``, with an IPv6 host in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class LoopbackServer:
    """An ASGI app served by uvicorn in the running event loop, on a socket bound up front.

    The socket is bound and listening before uvicorn starts (``port=0`` lets the OS choose
    a free port), so the port is known as soon as :meth:`start` returns. uvicorn runs with
    lifespan off, no access log, no logging reconfiguration and no signal handlers. Use as
    ``async with LoopbackServer(app, name="sandbox server") as server``, or subclass it.

    The host is the caller's choice; callers serving anything private pass a loopback
    address (the default) and refuse others themselves.
    """

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str,
        shutdown_grace: int = 1,
        startup_timeout: float = STARTUP_TIMEOUT,
        uvicorn_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Prepare a server; nothing is bound until :meth:`start`.

        Args:
            app: the ASGI app to serve.
            host: the address to bind.
            port: the port to bind, 0 for a free one.
            name: what errors, log lines and the serving task call this server.
            shutdown_grace: seconds in-flight requests get when stopping.
            startup_timeout: seconds uvicorn gets to start accepting connections.
            uvicorn_options: further ``uvicorn.Config`` settings (protocols, headers).
        """
        self.host = host
        self.name = name
        self._app = app
        self._requested_port = port
        self._port = 0
        self._shutdown_grace = shutdown_grace
        self._startup_timeout = startup_timeout
        self._options = dict(uvicorn_options or {})
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound port: 0 before :meth:`start`, the last one bound after :meth:`stop`."""
        return self._port

    @property
    def base_url(self) -> str | None:
        """``http://HOST:PORT`` while :attr:`running`, else None."""
        return http_base_url(self.host, self._port) if self.running else None

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop` (or uvicorn's end)."""
        server, task = self._server, self._task
        return server is not None and task is not None and server.started and not task.done()

    async def start(self) -> str:
        """Bind, start serving, and return the base URL once connections are accepted.

        Raises:
            RuntimeError: already started, uvicorn stopped during startup (the cause is
                chained) or did not start in time.
            OSError: the address cannot be bound (port taken, address not local).
        """
        if self._task is not None:
            raise RuntimeError(f"the {self.name} is already started")
        sock = self._bind()
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            **_FIXED_CONFIG,
            timeout_graceful_shutdown=self._shutdown_grace,
            **self._options,
        )
        server = _EmbeddedServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"workbench {self.name}")
        # uvicorn closes the socket when it shuts down, but not when it fails before serving.
        task.add_done_callback(lambda _: sock.close())
        self._server, self._task = server, task
        try:
            async with asyncio.timeout(self._startup_timeout):
                while not server.started:
                    if task.done():  # uvicorn failed (it may even sys.exit): say why
                        cause = None if task.cancelled() else task.exception()
                        raise RuntimeError(f"the {self.name} stopped during startup") from cause
                    await asyncio.sleep(0.005)
        except TimeoutError:
            await self._shut_down()
            raise RuntimeError(f"the {self.name} did not start in time") from None
        except BaseException:
            await self._shut_down()  # how uvicorn ended is in the error being raised
            raise
        return http_base_url(self.host, self._port)

    async def stop(self) -> None:
        """Stop accepting, give open requests ``shutdown_grace`` seconds, free the port.

        Safe to call twice, or after a failed start.
        """
        outcome = await self._shut_down()
        if isinstance(outcome, BaseException):  # stopping must not fail because serving did
            log.warning("the %s had stopped with an error: %r", self.name, outcome)

    async def _shut_down(self) -> object:
        """Ask uvicorn to exit, wait for it, and return how its task ended."""
        server, task = self._server, self._task
        self._server = self._task = None
        if server is None or task is None:
            return None
        server.should_exit = True
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        return outcome

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must be IPPROTO_TCP, not 0: asyncio only sets TCP_NODELAY on sockets accepted
        # from such a listener, and without it every small keep-alive response waits ~40 ms
        # (Nagle's algorithm against the client's delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            if sys.platform != "win32":  # restart on the same port despite TIME_WAIT
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._requested_port))
            # Listening at once holds the port from here on, before uvicorn gets to it.
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        return sock

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

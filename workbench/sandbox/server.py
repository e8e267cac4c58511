"""Serve the sandbox upstream on 127.0.0.1 inside the app process (async or in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType

from starlette.types import ASGIApp

from workbench.loopback import STARTUP_TIMEOUT, LoopbackServer
from workbench.sandbox.upstream import build_sandbox_app


class SandboxServer(LoopbackServer):
    """The sandbox upstream on a free port of 127.0.0.1, served in the running event loop.

    The socket is bound before uvicorn starts (port 0, chosen by the OS), so the base URL
    is known as soon as :meth:`start` returns. Use as ``async with SandboxServer() as s``.

    Attributes:
        base_url: ``http://127.0.0.1:PORT`` once started, else None.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, app: ASGIApp | None = None):
        """Prepare a server; nothing is bound until :meth:`start`.

        Args:
            host: the address to bind; loopback by default (the sandbox is never public).
            port: 0 for a free port chosen by the OS.
            app: the ASGI app to serve; :func:`build_sandbox_app` when None.
        """
        super().__init__(
            app if app is not None else build_sandbox_app(),
            host,
            port,
            name="sandbox server",
            shutdown_grace=1,
            uvicorn_options={"http": "h11", "ws": "none"},
        )

    @property
    def authority(self) -> str:
        """``host:port`` of the running server (what sandbox apps allow)."""
        if self.base_url is None:
            raise RuntimeError("the sandbox server is not started")
        return self.base_url.removeprefix("http://")


class SandboxThread:
    """The sandbox server in a daemon thread with its own event loop, for synchronous code.

    ``start()`` returns the base URL once the server accepts connections; ``stop()`` stops
    it and joins the thread. Also a context manager.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, app: ASGIApp | None = None):
        """Prepare the thread; see :class:`SandboxServer` for the arguments."""
        self._server = SandboxServer(host, port, app=app)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.base_url: str | None = None

    def start(self) -> str:
        """Start the thread and return the base URL once the server is accepting."""
        if self._thread is not None:
            raise RuntimeError("the sandbox thread is already started")
        self._thread = threading.Thread(target=self._run, name="workbench-sandbox", daemon=True)
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT):
            raise RuntimeError("the sandbox server did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            raise self._error
        assert self._server.base_url is not None
        self.base_url = self._server.base_url
        return self.base_url

    def stop(self) -> None:
        """Stop the server and join the thread; safe to call twice."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop may have just finished
                loop.call_soon_threadsafe(stopping.set)
        thread.join()
        self._thread = None
        self.base_url = None

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        try:
            await self._server.start()
        except BaseException as error:  # handed to start() in the caller's thread
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await self._server.stop()

    def __enter__(self) -> SandboxThread:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""Serve the sandbox upstream on 127.0.0.1 inside the app process (async or in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Generator
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp

from workbench.sandbox.upstream import build_sandbox_app

log = logging.getLogger(__name__)

_STARTUP_TIMEOUT = 10.0


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves the host process's signal handlers alone.

    uvicorn's ``serve`` installs SIGINT/SIGTERM handlers in the main thread and re-raises
    the signals when it stops; an embedded sandbox must not take Ctrl+C away from the
    GUI or CLI that hosts it.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class SandboxServer:
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
        self._host = host
        self._port = port
        self._app = app if app is not None else build_sandbox_app()
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.base_url: str | None = None

    @property
    def authority(self) -> str:
        """``host:port`` of the running server (what sandbox apps allow)."""
        if self.base_url is None:
            raise RuntimeError("the sandbox server is not started")
        return self.base_url.removeprefix("http://")

    async def start(self) -> str:
        """Bind, start serving and return the base URL ``http://127.0.0.1:PORT``."""
        if self._task is not None:
            raise RuntimeError("the sandbox server is already started")
        # proto must be IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only
        # then, and without it every keep-alive response waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.bind((self._host, self._port))
            sock.listen(128)
        except OSError:
            sock.close()
            raise
        host, port = sock.getsockname()[:2]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            access_log=False,
            log_level="warning",
            log_config=None,  # leave the host process's logging configuration alone
            http="h11",
            ws="none",
            proxy_headers=False,
            timeout_graceful_shutdown=1,
        )
        server = _EmbeddedServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name="workbench-sandbox")
        task.add_done_callback(lambda _: sock.close())
        self._server, self._task = server, task
        try:
            async with asyncio.timeout(_STARTUP_TIMEOUT):
                while not server.started:
                    if task.done():  # uvicorn failed (it may even sys.exit): say why
                        cause = None if task.cancelled() else task.exception()
                        raise RuntimeError("the sandbox server stopped during startup") from cause
                    await asyncio.sleep(0.005)
        except BaseException:
            server.should_exit = True
            self._server = self._task = None
            await asyncio.gather(task, return_exceptions=True)  # the error is already raised
            raise
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving (in-flight requests get about a second) and free the port."""
        server, task = self._server, self._task
        self._server = self._task = None
        self.base_url = None
        if server is None or task is None:
            return
        server.should_exit = True
        (outcome,) = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, BaseException):  # stopping must not fail because serving did
            log.warning("the sandbox server had stopped with an error: %r", outcome)

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


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
        if not self._ready.wait(_STARTUP_TIMEOUT):
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

"""The proxy engine: send one request upstream on behalf of an end user (DESIGN section 4)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import traceback
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Protocol

from workbench.core import rules
from workbench.core.accounts import (
    Account,
    AccountDirectory,
    CredentialSource,
    CredentialsUnavailable,
)
from workbench.core.catalog import App
from workbench.core.errors import ProxyError, RuleError
from workbench.core.events import EventBus, ExchangeEvent
from workbench.core.exchange import (
    DEFAULT_DEADLINE,
    BudgetSnapshot,
    ProxyRequest,
    ProxyResult,
)
from workbench.core.http.decoding import DecodingError
from workbench.core.http.netguard import AddressRefused, GuardedDialer, Resolver
from workbench.core.http.pool import ConnectionPool
from workbench.core.http.transport import (
    decode_headers,
    default_ssl_context,
    encode_headers,
    outgoing_headers,
    read_body,
    relay_headers,
    upstream_failure,
)
from workbench.core.http.wire import HTTPError, parse_target
from workbench.core.injection import Injected, Scrubber, inject
from workbench.core.progress import Progress
from workbench.core.ratelimit import RateBudget

log = logging.getLogger(__name__)

# ``on_received(bytes_so_far, expected_total_or_None)``: how much of the body has arrived.
ReceivedCallback = Callable[[int, int | None], None]
# Refusals made after the budget step but before any byte goes out: given back.
_REFUSED_BEFORE_SENDING = frozenset({"private_address"})


class AppLookup(Protocol):
    """What the engine needs of a catalog (``workbench.core.catalog.Catalog`` fits)."""

    def get(self, slug_or_id: str) -> App | None:
        """Return the app with this slug or id, or None."""
        ...


class TokenSource(Protocol):
    """What the engine needs to keep OAuth accounts working (``TokenRefresher`` fits)."""

    def due(self, credentials: Mapping[str, str]) -> bool:
        """True when the access token should be renewed before sending."""
        ...

    def can_refresh(self, credentials: Mapping[str, str]) -> bool:
        """True when a 401 from the upstream may be answered by a refresh."""
        ...

    async def refresh(
        self,
        account: Account,
        app: App,
        stale: Mapping[str, str],
        *,
        allow_private_networks: bool,
        rejected: bool,
    ) -> Mapping[str, str]:
        """Renewed credentials (shared by concurrent callers); raises ``ProxyError``."""
        ...


class ProxyEngine:
    """Sends requests upstream with an account's credentials, enforcing the whole policy.

    One engine serves every front door (GUI, CLI, REST server). It owns two connection
    pools: one whose dialer refuses non-public addresses, and one used only when private
    networks are allowed for the engine or the account. Every :meth:`send` publishes one
    :class:`ExchangeEvent` on :attr:`events`. :attr:`catalog` may be replaced at any time.
    """

    def __init__(
        self,
        catalog: AppLookup,
        accounts: AccountDirectory,
        credentials: CredentialSource,
        *,
        budget: RateBudget | None = None,
        events: EventBus | None = None,
        allow_private_networks: bool = False,
        resolver: Resolver | None = None,
        deadline: float = DEFAULT_DEADLINE,
        max_response_bytes: int = 64 * 2**20,
        ssl_context: ssl.SSLContext | None = None,
        tokens: TokenSource | None = None,
    ) -> None:
        """Create an engine.

        Args:
            catalog: anything with ``get(slug) -> App | None`` (a ``Catalog``).
            accounts: finds accounts by id.
            credentials: gives an account's secrets.
            budget: the per-project rate budget: 1,000 per 300 s counted in this process
                by default; ``workspace.budget`` shares it with every process on a workspace.
            events: the bus exchange events go to (a new one by default).
            allow_private_networks: accept private addresses and http:// for every account
                (the demo sandbox, tests); otherwise only accounts that opt in get them.
            resolver: async ``(host, port) -> [ip, ...]``; ``getaddrinfo`` by default.
            deadline: seconds for connect + send + response; a request may ask for less.
            max_response_bytes: larger (decoded) bodies are refused with 502.
            ssl_context: TLS settings; verified defaults (certifi's CA bundle, or the one in
                ``SSL_CERT_FILE``/``SSL_CERT_DIR``) when None.
            tokens: renews OAuth access tokens before they expire and once after a 401
                (``Connections.tokens``); without it OAuth tokens are sent as stored.
        """
        if deadline <= 0:
            raise ValueError(f"deadline must be positive, not {deadline}")
        self.catalog = catalog
        self.events = events if events is not None else EventBus()
        self.budget = budget if budget is not None else RateBudget()
        self.allow_private_networks = allow_private_networks
        self.deadline = float(deadline)
        self.max_response_bytes = max_response_bytes
        self._accounts = accounts
        self._credentials = credentials
        self._tokens = tokens
        # One pool per dialer: a connection opened to a private address for one account
        # is never reused for an account that may only reach public ones.
        self._pools = {
            check: ConnectionPool(
                dialer=GuardedDialer(check=check, resolver=resolver),
                ssl_context=ssl_context or default_ssl_context,
            )
            for check in (True, False)
        }

    async def __aenter__(self) -> ProxyEngine:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every pooled connection."""
        for pool in self._pools.values():
            await pool.aclose()

    def budget_snapshot(self, project_id: str) -> BudgetSnapshot:
        """The project's rate budget now, without spending any of it."""
        return self.budget.peek(project_id)

    async def send(
        self, request: ProxyRequest, *, on_received: ReceivedCallback | None = None
    ) -> ProxyResult:
        """Send ``request`` upstream with the account's credentials.

        Args:
            request: what to send, for whom.
            on_received: called in the engine's thread as the response body arrives, with
                the bytes received so far and the ``Content-Length`` when the upstream sent
                one (a window shows the progress of a slow or large response).

        Returns:
            The upstream's answer, whatever its status (a 4xx/5xx from upstream is a result).

        Raises:
            ProxyError: the engine refused the request (400/403/404/429) or could not
                complete it (502/504). Nothing else escapes.
        """
        progress = Progress.start(request)
        try:
            result = await self._send(progress, on_received)
        except ProxyError as error:
            self._publish_failure(progress, error)
            raise
        except asyncio.CancelledError:
            # The caller gave up (GUI cancel, client gone): history still shows the attempt.
            self._publish(
                lambda: progress.event(
                    status=None, error_code="cancelled", error_message="The request was cancelled"
                )
            )
            raise
        except Exception as error:
            # A bug, not a request problem. Log where it happened but not the exception's
            # text: that may quote a secret the scrubber does not know yet.
            log.error(
                "proxy engine failure (%s) at:\n%s",
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),
            )
            failure = ProxyError(500, "engine_error", "The proxy engine failed unexpectedly")
            self._publish_failure(progress, failure)
            raise failure from None
        self._publish(
            lambda: progress.event(
                status=result.status,
                response_headers=result.headers,
                response_bytes=len(result.body),
                timings=result.timings,
            )
        )
        return result

    async def _send(self, progress: Progress, on_received: ReceivedCallback | None) -> ProxyResult:
        request = progress.request
        account, app = self._account_and_app(request)
        progress.app_slug = app.name_slug
        progress.allow_private = self.allow_private_networks or account.allow_private_network
        try:
            method = rules.check_method(request.method)
            headers = rules.check_headers(
                request.headers, reserved=rules.reserved_headers(app.injection)
            )
            url = rules.resolve_target(
                request.url,
                base_proxy_target_url=app.connect.base_proxy_target_url,
                allowed_domains=app.connect.allowed_domains,
                custom_fields=account.custom_fields,
                allow_private_networks=progress.allow_private,
            )
        except RuleError as error:
            raise ProxyError.from_rule(error) from None
        deadline = self._deadline_for(request)
        try:
            credentials = self._credentials.credentials(account.id)
        except CredentialsUnavailable as error:
            raise ProxyError(503, "credentials_unavailable", str(error)) from None
        tokens = self._tokens if app.oauth is not None else None
        if tokens is not None and tokens.due(credentials):
            credentials = await self._refresh(progress, tokens, account, app, credentials, False)
        injected = self._inject(progress, app, account, url, headers, credentials)
        # The budget comes after every check, so a refused request spends nothing, and
        # before the network, so a request over the budget never reaches the upstream.
        ticket = progress.budget = self.budget.take(request.project_id)
        try:
            result = await self._exchange(
                progress, method, injected.url, injected.headers, deadline, on_received
            )
            if result.status == 401 and tokens is not None and tokens.can_refresh(credentials):
                # Once: renew the token and send again, on the same budget ticket (the
                # refused attempt and its retry are one request to the caller).
                credentials = await self._refresh(progress, tokens, account, app, credentials, True)
                injected = self._inject(progress, app, account, url, headers, credentials)
                progress.recorder.resume()
                result = await self._exchange(
                    progress, method, injected.url, injected.headers, deadline, on_received
                )
            return result
        except ProxyError as error:
            if error.code in _REFUSED_BEFORE_SENDING:
                progress.budget = self.budget.refund(request.project_id, ticket)
            raise

    def _inject(
        self,
        progress: Progress,
        app: App,
        account: Account,
        url: str,
        headers: list[tuple[str, str]],
        credentials: Mapping[str, str],
    ) -> Injected:
        """Apply the credentials; every secret sent so far is scrubbed from what is shown."""
        try:
            injected = inject(
                app, url, headers, custom_fields=account.custom_fields, credentials=credentials
            )
        except RuleError as error:
            raise ProxyError.from_rule(error) from None
        # After a refresh, the stale token is still in what the first attempt recorded.
        scrubber = progress.scrubber = Scrubber((*progress.scrubber.secrets, *injected.secrets))
        progress.url = scrubber.mask(injected.url)
        return injected

    async def _refresh(
        self,
        progress: Progress,
        tokens: TokenSource,
        account: Account,
        app: App,
        credentials: Mapping[str, str],
        rejected: bool,
    ) -> Mapping[str, str]:
        with progress.recorder.refreshing():
            return await tokens.refresh(
                account,
                app,
                credentials,
                allow_private_networks=progress.allow_private,
                rejected=rejected,
            )

    def _account_and_app(self, request: ProxyRequest) -> tuple[Account, App]:
        account = self._accounts.find_account(request.account_id)
        if (
            account is None
            or account.project_id != request.project_id
            or account.external_user_id != request.external_user_id
            or account.environment != request.environment
        ):
            # One message either way: the answer must not reveal that an id exists.
            raise ProxyError(
                404,
                "account_not_found",
                f"Account {request.account_id} was not found for this external user",
            )
        app = self.catalog.get(account.app_slug)
        if app is None:
            raise ProxyError(404, "app_not_found", f"App {account.app_slug} is not in the catalog")
        if not app.connect.proxy_enabled:
            raise ProxyError(
                403, "app_not_proxy_enabled", f"App {app.name_slug} does not support the proxy"
            )
        return account, app

    def _deadline_for(self, request: ProxyRequest) -> float:
        if request.timeout is None:
            return self.deadline
        if not request.timeout > 0:
            raise ProxyError(400, "bad_timeout", "The timeout must be a positive number of seconds")
        return min(self.deadline, float(request.timeout))

    async def _exchange(
        self,
        progress: Progress,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        deadline: float,
        on_received: ReceivedCallback | None = None,
    ) -> ProxyResult:
        request, recorder, scrubber = progress.request, progress.recorder, progress.scrubber
        pool = self._pools[not progress.allow_private]
        body = request.body or b""
        target = parse_target(url)
        sent = outgoing_headers(target, method, headers, body)
        progress.headers = scrubber.mask_headers(sent)
        host = target.authority
        try:
            with recorder.active():
                async with asyncio.timeout(deadline):
                    response = await pool.request(
                        method, target, encode_headers(sent), body, trace=recorder.trace
                    )
                    try:
                        recorder.mark_headers()
                        data, decoded = await read_body(
                            response,
                            limit=self.max_response_bytes,
                            host=host,
                            on_chunk=_received_counter(response.headers, on_received),
                        )
                    finally:
                        response.close()
        except ProxyError:
            raise
        except (TimeoutError, HTTPError, DecodingError, OSError, AddressRefused) as error:
            raise upstream_failure(error, host=host, deadline=deadline, scrubber=scrubber) from None
        finally:
            recorder.finish()
        timings = recorder.timings(request_bytes=len(body), response_bytes=response.body_bytes)
        result = ProxyResult(
            status=response.status,
            headers=relay_headers(
                decode_headers(response.headers),
                body_length=len(data),
                bodyless=method == "HEAD" or response.status in (204, 304),
                decoded=decoded,
                scrubber=scrubber,
            ),
            body=data,
            url=progress.url,
            method=method,
            request_headers=progress.headers,
            timings=timings,
            budget=progress.budget,
        )
        log.debug("%s %s -> %d in %.1f ms", method, progress.url, result.status, timings.total_ms)
        return result

    def _publish(self, build: Callable[[], ExchangeEvent]) -> None:
        # Building an event costs as much as some of the checks: none is built for nobody.
        if self.events.has_listeners:
            self.events.publish(build())

    def _publish_failure(self, progress: Progress, error: ProxyError) -> None:
        if progress.budget is None:
            progress.budget = self.budget.peek(progress.request.project_id)
        self._publish(
            lambda: progress.event(
                status=error.status, error_code=error.code, error_message=error.message
            )
        )
        log.debug("%r %r refused: %s", progress.request.method, progress.url, error.code)


def _received_counter(
    headers: Sequence[tuple[bytes, bytes]], on_received: ReceivedCallback | None
) -> Callable[[int], None] | None:
    """A per-chunk callback that reports the running total to ``on_received``."""
    if on_received is None:
        return None
    expected = next((value for name, value in headers if name.lower() == b"content-length"), None)
    total = int(expected) if expected is not None and expected.isdigit() else None
    received = 0

    def on_chunk(size: int) -> None:
        nonlocal received
        received += size
        on_received(received, total)

    return on_chunk

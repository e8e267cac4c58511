"""Keeping OAuth accounts working: refresh an access token before it expires or after a 401.

:class:`TokenRefresher` is what the engine asks for fresh credentials. Concurrent
requests of one account share one refresh (one task per account and event loop), and a
lock file shared by every process on the workspace makes a second process wait for the
first and then use its tokens, instead of spending a rotating refresh token twice. A
refusal by the provider (revoked, ``invalid_grant``) marks the account unhealthy with
the reason and fails the request with ``oauth_refresh_failed``; a token URL that cannot
be reached fails it with ``oauth_refresh_unavailable`` and leaves the account as it was.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from workbench.core.accounts import Account, CredentialsUnavailable
from workbench.core.catalog import App
from workbench.core.errors import ProxyError, RuleError
from workbench.core.http.netguard import Resolver
from workbench.core.oauth.errors import ProviderRefused, TokenEndpointUnavailable
from workbench.core.oauth.tokens import (
    ACCESS_TOKEN,
    CLIENT_ID,
    EXPIRES_AT,
    REFRESH_TOKEN,
    SCOPE,
    TokenResponseInvalid,
    TokenSet,
)

log = logging.getLogger(__name__)

REFRESH_LEEWAY = 60.0  # seconds before expiry at which a token is renewed
REFRESH_DEADLINE = 30.0  # seconds for one refresh exchange
_TOKEN_MEMBERS = frozenset({ACCESS_TOKEN, REFRESH_TOKEN, EXPIRES_AT, CLIENT_ID, SCOPE})

Credentials = Mapping[str, str]


class TokenStore(Protocol):
    """Where the refresher reads and writes tokens (``Connections`` is one)."""

    def credentials(self, account_id: str) -> Credentials:
        """The account's vault entry (raises ``CredentialsUnavailable``)."""
        ...

    def oauth_client_secret(self, app_slug: str, client_id: str) -> str | None:
        """The remembered secret of the user's OAuth client (raises ``CredentialsUnavailable``)."""
        ...

    def store_tokens(self, account_id: str, credentials: Credentials) -> bool:
        """Replace the account's vault entry; False when the account no longer exists."""
        ...

    def mark_unhealthy(self, account_id: str, detail: str) -> None:
        """Record why the account stopped working."""
        ...

    def refresh_lock(self) -> AbstractAsyncContextManager[object]:
        """A lock every process refreshing this store's accounts takes."""
        ...


class TokenRefresher:
    """Fresh OAuth credentials for the engine; one refresh per account at a time."""

    def __init__(
        self,
        store: TokenStore,
        *,
        clock: Callable[[], float] = time.time,
        leeway: float = REFRESH_LEEWAY,
        deadline: float = REFRESH_DEADLINE,
        resolver: Resolver | None = None,
    ) -> None:
        """Refresh the tokens of ``store``'s accounts.

        Args:
            store: reads and writes the tokens.
            clock: Unix seconds (tests move it to expire a token).
            leeway: renew a token this many seconds before it expires.
            deadline: seconds for one refresh exchange.
            resolver: async ``(host, port) -> [ip, ...]`` for token URLs.
        """
        self._store = store
        self._clock = clock
        self._leeway = leeway
        self._deadline = deadline
        self._resolver = resolver
        self._running: dict[tuple[str, asyncio.AbstractEventLoop], asyncio.Task[Credentials]] = {}

    def due(self, credentials: Credentials) -> bool:
        """True when these credentials can be refreshed and expire within the leeway."""
        if not credentials.get(REFRESH_TOKEN):
            return False
        try:
            expires_at = float(credentials[EXPIRES_AT])
        except (KeyError, ValueError):
            return False
        return expires_at - self._clock() < self._leeway

    @staticmethod
    def can_refresh(credentials: Credentials) -> bool:
        """True when these credentials hold a refresh token."""
        return bool(credentials.get(REFRESH_TOKEN))

    async def refresh(
        self,
        account: Account,
        app: App,
        stale: Credentials,
        *,
        allow_private_networks: bool,
        rejected: bool,
    ) -> Credentials:
        """New credentials for ``account``, replacing ``stale``; shared by concurrent callers.

        Args:
            account: the account.
            app: its (OAuth) app.
            stale: the credentials the caller holds.
            allow_private_networks: the token URL may be a private address.
            rejected: the upstream answered 401 to ``stale`` (else it is about to expire).

        Raises:
            ProxyError: ``oauth_refresh_failed`` (401, the account is marked unhealthy),
                ``oauth_refresh_unavailable`` (502), ``credentials_unavailable`` (503),
                ``account_not_found`` (404, removed meanwhile).
        """
        key = (account.id, asyncio.get_running_loop())
        task = self._running.get(key)
        if task is None:
            # A task of its own: a caller that gives up does not cancel the others' refresh.
            task = asyncio.ensure_future(
                self._refresh(account, app, stale, allow_private_networks, rejected)
            )
            self._running[key] = task
            task.add_done_callback(lambda done: self._finished(key, done))
        return await asyncio.shield(task)

    def _finished(
        self, key: tuple[str, asyncio.AbstractEventLoop], task: asyncio.Task[Credentials]
    ) -> None:
        self._running.pop(key, None)
        if not task.cancelled():
            task.exception()  # retrieved even when every caller gave up

    async def _refresh(
        self,
        account: Account,
        app: App,
        stale: Credentials,
        allow_private: bool,
        rejected: bool,
    ) -> Credentials:
        try:
            async with self._store.refresh_lock():
                current = self._store.credentials(account.id)
                if current.get(ACCESS_TOKEN) != stale.get(ACCESS_TOKEN):
                    return current  # another request or process renewed it meanwhile
                return await self._exchange(account, app, current, allow_private, rejected)
        except CredentialsUnavailable as error:
            raise ProxyError(503, "credentials_unavailable", str(error)) from None
        except TimeoutError as error:  # the lock (StoreBusy)
            raise ProxyError(
                502, "oauth_refresh_unavailable", f"{_what(account)} waited too long: {error}"
            ) from None

    async def _exchange(
        self, account: Account, app: App, current: Credentials, allow_private: bool, rejected: bool
    ) -> Credentials:
        # Imported on the first refresh: Authlib and httpx are not needed by the many
        # engines (every CLI command, every window) that never renew a token.
        from workbench.core.oauth.client import (
            ClientCredentials,
            call_token_endpoint,
            endpoint,
            oauth_client,
        )
        from workbench.core.oauth.transport import GuardedTransport

        tokens = TokenSet.from_credentials(current)
        if app.oauth is None or tokens is None or not tokens.refresh_token:
            return current  # nothing to refresh with: the upstream's answer stands
        secret = self._store.oauth_client_secret(app.name_slug, tokens.client_id) or ""
        hidden = [*tokens.secrets(), secret]
        try:
            token_url = endpoint(app.oauth.token_url, account.custom_fields)
            client = ClientCredentials(tokens.client_id, secret)
            transport = GuardedTransport(
                allow_private_networks=allow_private, resolver=self._resolver
            )
            async with oauth_client(app, client, transport=transport) as authlib:
                answer = await call_token_endpoint(
                    authlib.refresh_token(token_url, refresh_token=tokens.refresh_token),
                    host=token_url.partition("://")[2].split("/", 1)[0],
                    deadline=self._deadline,
                    secrets=hidden,
                )
            fresh = TokenSet.from_response(
                answer, now=self._clock(), client_id=tokens.client_id, previous=tokens
            )
        except ProviderRefused as refusal:
            detail = f"{app.name} refused to refresh its OAuth token ({refusal}); connect it again"
            self._store.mark_unhealthy(account.id, detail)
            raise ProxyError(
                401,
                "oauth_refresh_failed",
                f"{_what(account)} could not be refreshed: {app.name} answered {refusal}; "
                "the account is marked unhealthy, connect it again",
            ) from None
        except (TokenEndpointUnavailable, TokenResponseInvalid, RuleError) as error:
            reason = error.message if isinstance(error, RuleError) else str(error)
            if not rejected and not tokens.expires_within(0.0, self._clock()):
                # Renewal ahead of expiry failed, but the token still works for now.
                log.warning(
                    "%s: early refresh failed, using it until it expires: %s",
                    _what(account),
                    reason,
                )
                return current
            raise ProxyError(
                502,
                "oauth_refresh_unavailable",
                f"{_what(account)} could not be refreshed: {reason}",
            ) from None
        renewed = {name: value for name, value in current.items() if name not in _TOKEN_MEMBERS}
        renewed.update(fresh.to_credentials())
        if not self._store.store_tokens(account.id, renewed):
            raise ProxyError(
                404, "account_not_found", f"Account {account.id} was removed during the refresh"
            )
        log.debug("refreshed the OAuth token of account %s", account.id)
        return renewed


def _what(account: Account) -> str:
    return f"The OAuth token of account {account.id}"

"""Connecting an OAuth account: authorization code with PKCE (S256) through the system browser.

:meth:`AuthorizationFlow.start` checks what the person typed, renders the app's endpoints,
listens on the loopback redirect and builds the authorize URL (a fresh ``state`` and
code verifier each time). The front door opens that URL in the system browser (or shows
it to copy); :meth:`AuthorizationFlow.finish` waits for the redirect (5 minutes by
default), exchanges the code at the token URL and checks the answer: an access token,
and custom fields from the response that pass the same rules as typed ones. Nothing is
stored here; ``Connections.add_oauth_account`` stores the outcome.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType

from authlib.common.security import generate_token

from workbench.core.catalog import App
from workbench.core.errors import RuleError
from workbench.core.http.netguard import Resolver
from workbench.core.oauth.client import (
    AsyncOAuth2Client,
    ClientCredentials,
    call_token_endpoint,
    endpoint,
    oauth_client,
)
from workbench.core.oauth.errors import OAuthFailure, TokenEndpointUnavailable
from workbench.core.oauth.redirect import RedirectListener
from workbench.core.oauth.tokens import TokenResponseInvalid, TokenSet
from workbench.core.oauth.transport import GuardedTransport
from workbench.core.store.account_input import check_token_fields, check_typed_fields

SIGN_IN_TIMEOUT = 300.0  # seconds a person has to sign in
TOKEN_DEADLINE = 30.0  # seconds for the code exchange


class SignInTimedOut(OAuthFailure):
    """Nobody came back from the browser in time."""


@dataclass(frozen=True)
class Authorized:
    """A finished sign-in, ready to be stored.

    Attributes:
        tokens: the account's tokens (to the vault).
        custom_fields: the typed custom fields and those the token response filled, all
            checked.
        scopes: the scopes asked for.
    """

    tokens: TokenSet = field(repr=False)
    custom_fields: dict[str, str]
    scopes: tuple[str, ...]


def scope_text(app: App, scopes: Sequence[str]) -> str:
    """The ``scope`` parameter: the scopes joined by the app's separator."""
    separator = app.oauth.scope_separator if app.oauth is not None else " "
    return separator.join(scope for scope in scopes if scope)


class AuthorizationFlow:
    """One sign-in in progress: the listener, the client and the authorize URL.

    Attributes:
        authorize_url: open it in the system browser.
        redirect_uri: where the provider sends the browser back (register it with them).
        redirect_port: its port (remember it: the registered URI stays valid).
    """

    def __init__(
        self,
        app: App,
        *,
        listener: RedirectListener,
        client: ClientCredentials,
        authlib: AsyncOAuth2Client,
        authorize_url: str,
        token_url: str,
        verifier: str,
        typed: dict[str, str],
        scopes: tuple[str, ...],
        allow_private_network: bool,
        clock: Callable[[], float],
    ) -> None:
        """Use :meth:`start`."""
        self.app = app
        self.authorize_url = authorize_url
        self.redirect_uri = listener.redirect_uri
        self.redirect_port = listener.port
        self._listener = listener
        self._client = client
        self._authlib = authlib
        self._token_url = token_url
        self._verifier = verifier
        self._typed = typed
        self._scopes = scopes
        self._allow_private = allow_private_network
        self._clock = clock

    @classmethod
    async def start(
        cls,
        app: App,
        client: ClientCredentials,
        *,
        scopes: Sequence[str] | None = None,
        custom_fields: Mapping[str, str] | None = None,
        port: int = 0,
        allow_private_network: bool = False,
        resolver: Resolver | None = None,
        clock: Callable[[], float] = time.time,
    ) -> AuthorizationFlow:
        """Check the inputs, listen on the redirect port and build the authorize URL.

        Args:
            app: an OAuth app.
            client: the user's own OAuth client for it.
            scopes: the scopes to ask for (the catalog's when None).
            custom_fields: what the person typed (not the fields the token response fills).
            port: the redirect port (0: a free one).
            allow_private_network: the endpoints may be private addresses (a LAN
                server, the tests' local authorization server).
            resolver: async ``(host, port) -> [ip, ...]`` for the token URL.
            clock: Unix seconds, for the token's expiry.

        Raises:
            RuleError: not an OAuth app, no client id, a bad scope or custom field.
            RedirectPortBusy: the port is in use.
        """
        if app.oauth is None:
            raise RuleError("not_oauth", f"{app.name} is not an OAuth app", field="app")
        if not client.client_id or not client.client_id.isprintable():
            raise RuleError(
                "missing_client_id", "An OAuth client id is required", field="client_id"
            )
        asked = tuple(app.oauth.scopes if scopes is None else scopes)
        for scope in asked:
            if not scope or not scope.isprintable() or any(ch.isspace() for ch in scope):
                raise RuleError(
                    "bad_scope", f"Scope {scope!r} must be text without spaces", field="scopes"
                )
        typed = check_typed_fields(
            app, custom_fields or {}, allow_private_network=allow_private_network
        )
        authorize = endpoint(app.oauth.authorize_url, typed)
        token_url = endpoint(app.oauth.token_url, typed)
        state, verifier = secrets.token_urlsafe(32), generate_token(64)
        listener = await RedirectListener.open(state, app_name=app.name, port=port)
        transport = GuardedTransport(
            allow_private_networks=allow_private_network, resolver=resolver
        )
        authlib = oauth_client(app, client, transport=transport, redirect_uri=listener.redirect_uri)
        params = dict(app.oauth.authorize_params)
        if asked:
            params["scope"] = scope_text(app, asked)
        url, _ = authlib.create_authorization_url(
            authorize, state=state, code_verifier=verifier, **params
        )
        return cls(
            app,
            listener=listener,
            client=client,
            authlib=authlib,
            authorize_url=url,
            token_url=token_url,
            verifier=verifier,
            typed=typed,
            scopes=asked,
            allow_private_network=allow_private_network,
            clock=clock,
        )

    async def finish(
        self, *, wait: float = SIGN_IN_TIMEOUT, deadline: float = TOKEN_DEADLINE
    ) -> Authorized:
        """Wait for the redirect, exchange the code and check the tokens.

        Raises:
            SignInTimedOut: no redirect with the right ``state`` within ``wait`` seconds.
            ProviderRefused: the provider sent back an error, or refused the code.
            TokenEndpointUnavailable: the token URL failed or answered no token.
            RuleError: the token response's custom fields break the rules (nothing is
                kept).
        """
        try:
            async with asyncio.timeout(wait):
                code = await self._listener.code()
        except TimeoutError:
            minutes = f"{wait / 60:g} minutes" if wait >= 60 else f"{wait:g} s"
            raise SignInTimedOut(
                f"Nobody came back from {self.app.name}'s sign-in page within {minutes}"
            ) from None
        finally:
            await self._listener.aclose()
        hidden = [code, self._verifier, self._client.client_secret]
        answer = await call_token_endpoint(
            self._authlib.fetch_token(self._token_url, code=code, code_verifier=self._verifier),
            host=_authority(self._token_url),
            deadline=deadline,
            secrets=hidden,
        )
        try:
            tokens = TokenSet.from_response(
                answer, now=self._clock(), client_id=self._client.client_id
            )
        except TokenResponseInvalid as error:
            raise TokenEndpointUnavailable(str(error)) from None
        filled = check_token_fields(
            self.app, answer, self._typed, allow_private_network=self._allow_private
        )
        return Authorized(tokens, {**self._typed, **filled}, self._scopes)

    async def aclose(self) -> None:
        """Stop listening and close the connections (call it in every case)."""
        await self._listener.aclose()
        await self._authlib.aclose()  # and its transport

    async def __aenter__(self) -> AuthorizationFlow:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _authority(url: str) -> str:
    return url.partition("://")[2].split("/", 1)[0]

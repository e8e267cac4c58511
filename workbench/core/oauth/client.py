"""The OAuth 2 protocol client (Authlib's httpx integration) and what its failures mean.

Authlib builds the authorize URL (with the PKCE S256 challenge) and talks to the token
URL; this module gives it the guarded transport, renders an app's endpoint templates,
and turns every failure into one of two exceptions whose messages hold no secret:
:class:`ProviderRefused` (the provider said no: ``invalid_grant``, ``access_denied``...)
and :class:`TokenEndpointUnavailable` (it could not be asked, or answered nonsense).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from workbench.core.catalog import App
from workbench.core.errors import ProxyError, RuleError
from workbench.core.http.decoding import DecodingError
from workbench.core.http.netguard import AddressRefused
from workbench.core.http.wire import HTTPError
from workbench.core.injection import redact, render_template
from workbench.core.oauth.errors import OAuthFailure, ProviderRefused, TokenEndpointUnavailable
from workbench.core.oauth.tokens import TokenResponseInvalid

with warnings.catch_warnings():
    # Authlib 1.7+ prefers the httpx2 fork and warns when it uses httpx, which the engine
    # already depends on; the integration is the same. Importing authlib.deprecate installs
    # an "always" filter for its warning class; the one below goes in front of it, and
    # both go with this block.
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

__all__ = [
    "AsyncOAuth2Client",
    "ClientCredentials",
    "OAuthFailure",
    "ProviderRefused",
    "TokenEndpointUnavailable",
    "call_token_endpoint",
    "endpoint",
    "oauth_client",
]

DETAIL_CHARS = 200


@dataclass(frozen=True)
class ClientCredentials:
    """The user's own OAuth client of an app; an empty secret means a public client."""

    client_id: str
    client_secret: str = field(default="", repr=False)


def endpoint(template: str, custom_fields: Mapping[str, str]) -> str:
    """An app's authorize or token URL with its custom fields filled in.

    Raises:
        RuleError: a field it needs is missing (``missing_custom_field``).
    """
    return render_template(template, custom_fields=custom_fields, credentials={})


def oauth_client(
    app: App,
    client: ClientCredentials,
    *,
    transport: httpx.AsyncBaseTransport,
    redirect_uri: str | None = None,
) -> AsyncOAuth2Client:
    """Authlib's client for ``app`` with the user's client, over ``transport``.

    A client without a secret authenticates as a public client (``none``, RFC 8252).
    """
    if app.oauth is None:
        raise RuleError("not_oauth", f"{app.name} is not an OAuth app", field="app")
    method = app.oauth.token_auth if client.client_secret else "none"
    return AsyncOAuth2Client(
        client_id=client.client_id,
        client_secret=client.client_secret or None,
        token_endpoint_auth_method=method,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        transport=transport,
        trust_env=False,  # no environment proxies, no .netrc credentials
        follow_redirects=False,
    )


def clean(text: object, secrets: Iterable[str] = ()) -> str:
    """Provider text fit for a message: secrets redacted, one line, printable, cut."""
    words = redact(str(text), [secret for secret in secrets if secret]).split()
    line = "".join(ch if ch.isprintable() else "?" for ch in " ".join(words))
    return line if len(line) <= DETAIL_CHARS else line[: DETAIL_CHARS - 1] + "…"


async def call_token_endpoint(
    call: Awaitable[Any], *, host: str, deadline: float, secrets: Iterable[str]
) -> dict[str, Any]:
    """Await one Authlib token request and name what went wrong.

    Args:
        call: ``client.fetch_token(...)`` or ``client.refresh_token(...)``.
        host: the token URL's authority, for messages.
        deadline: seconds for the whole exchange.
        secrets: values to redact from anything the provider says.

    Raises:
        ProviderRefused: an OAuth error answer.
        TokenEndpointUnavailable: no answer in time, a connection failure, a refused
            private address, an HTTP error without an OAuth error, or not JSON.
    """
    hidden = list(secrets)
    try:
        async with asyncio.timeout(deadline):
            token = await call
    except OAuthError as error:
        raise ProviderRefused(
            clean(error.error or "error", hidden)[:64], clean(error.description or "", hidden)
        ) from None
    except TimeoutError:
        raise TokenEndpointUnavailable(f"{host} did not answer within {deadline:g} s") from None
    except AddressRefused as error:
        raise TokenEndpointUnavailable(
            f"{error}; private networks are not allowed for this account"
        ) from None
    except httpx.HTTPStatusError as error:
        raise TokenEndpointUnavailable(
            f"{host} answered HTTP {error.response.status_code} without an OAuth error"
        ) from None
    except ProxyError as error:  # an oversized answer
        raise TokenEndpointUnavailable(error.message) from None
    except (HTTPError, DecodingError, OSError, httpx.HTTPError) as error:
        reason = clean(error, hidden) or type(error).__name__
        raise TokenEndpointUnavailable(f"Could not reach {host}: {reason}") from None
    except (ValueError, TokenResponseInvalid):
        raise TokenEndpointUnavailable(f"{host} did not answer with a JSON token") from None
    return dict(token)

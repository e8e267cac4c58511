"""An OAuth account's tokens as the vault keeps them, and when they need refreshing.

The tokens live in the account's vault entry next to its other credentials, under
Pipedream's names (``oauth_access_token``, ``oauth_refresh_token``, ``oauth_client_id``)
plus ``oauth_expires_at`` (Unix seconds) and ``oauth_scope`` (what was granted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

ACCESS_TOKEN = "oauth_access_token"
REFRESH_TOKEN = "oauth_refresh_token"
EXPIRES_AT = "oauth_expires_at"
CLIENT_ID = "oauth_client_id"
SCOPE = "oauth_scope"
# Kept in the vault with the tokens but not secret: never redacted from text.
NOT_SECRET = frozenset({EXPIRES_AT, CLIENT_ID, SCOPE})


class TokenResponseInvalid(ValueError):
    """A token endpoint answered 200 with something that is not a usable token.

    The message names the member at fault, never a value.
    """


@dataclass(frozen=True)
class TokenSet:
    """The tokens of one OAuth account.

    Attributes:
        access_token: what requests carry.
        refresh_token: what gets a new access token ("" when the provider gave none).
        expires_at: when the access token expires (Unix seconds), None when unknown.
        client_id: the OAuth client the tokens were issued to (refreshes use it).
        scope: the scopes granted, as the provider wrote them ("" when not said).
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: float | None = None
    client_id: str = ""
    scope: str = ""

    @classmethod
    def from_response(
        cls,
        response: Mapping[str, object],
        *,
        now: float,
        client_id: str,
        previous: TokenSet | None = None,
    ) -> TokenSet:
        """The tokens of a token endpoint's JSON answer.

        Args:
            response: the JSON object.
            now: the wall clock (Unix seconds) when it arrived; ``expires_in`` counts from it.
            client_id: the client the tokens belong to.
            previous: the tokens a refresh replaces: a refresh answer without a new
                refresh token (Google's) keeps the old one.

        Raises:
            TokenResponseInvalid: no access token, or a member of the wrong type.
        """
        access = response.get("access_token")
        if not isinstance(access, str) or not access or not access.isprintable():
            raise TokenResponseInvalid("the token response has no usable 'access_token'")
        refresh = response.get("refresh_token")
        if refresh is None or refresh == "":
            refresh = previous.refresh_token if previous is not None else ""
        if not isinstance(refresh, str) or not refresh.isprintable():
            raise TokenResponseInvalid("the token response's 'refresh_token' is not text")
        scope = response.get("scope", previous.scope if previous is not None else "")
        if isinstance(scope, list):
            scope = " ".join(str(item) for item in scope)
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=_expiry(response.get("expires_in"), now),
            client_id=client_id,
            scope=scope if isinstance(scope, str) and scope.isprintable() else "",
        )

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str]) -> TokenSet | None:
        """The tokens in an account's vault entry, or None when it has no access token."""
        access = credentials.get(ACCESS_TOKEN)
        if not access:
            return None
        try:
            expires_at: float | None = float(credentials[EXPIRES_AT])
        except (KeyError, ValueError):
            expires_at = None
        return cls(
            access_token=access,
            refresh_token=credentials.get(REFRESH_TOKEN, ""),
            expires_at=expires_at,
            client_id=credentials.get(CLIENT_ID, ""),
            scope=credentials.get(SCOPE, ""),
        )

    def to_credentials(self) -> dict[str, str]:
        """The vault entry's members for these tokens (empty ones left out)."""
        values = {
            ACCESS_TOKEN: self.access_token,
            REFRESH_TOKEN: self.refresh_token,
            EXPIRES_AT: "" if self.expires_at is None else str(int(self.expires_at)),
            CLIENT_ID: self.client_id,
            SCOPE: self.scope,
        }
        return {name: value for name, value in values.items() if value}

    def secrets(self) -> tuple[str, ...]:
        """The values that must never appear in text (logs, errors, events)."""
        return tuple(value for value in (self.access_token, self.refresh_token) if value)

    def expires_within(self, seconds: float, now: float) -> bool:
        """True when the access token is known to expire in less than ``seconds``."""
        return self.expires_at is not None and self.expires_at - now < seconds


def _expiry(expires_in: object, now: float) -> float | None:
    """``now + expires_in`` for a positive finite number (or numeric text), else None."""
    if isinstance(expires_in, str):
        try:
            expires_in = float(expires_in)
        except ValueError:
            return None
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return None
    if not math.isfinite(expires_in) or expires_in <= 0:
        return None
    return now + float(expires_in)

"""Connected accounts as the engine sees them, and the two lookups it needs.

The engine asks an :class:`AccountDirectory` for non-secret account data and a
:class:`CredentialSource` for the secrets. The SQLite workspace and the vault implement
them for real; :class:`InMemoryAccounts` implements both for tests and embedding.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

Environment = Literal["development", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "production")


@dataclass(frozen=True)
class Account:
    """A connected account: one external user's authorisation for one app.

    Secrets are never here; they live in the vault keyed by ``id``.
    """

    id: str  # "apn_..."
    project_id: str  # "proj_..."
    app_slug: str
    external_user_id: str
    environment: Environment = "development"
    name: str = ""
    custom_fields: Mapping[str, str] = field(default_factory=dict)
    allow_private_network: bool = False
    healthy: bool | None = None
    health_detail: str = ""
    created_at: str = ""  # ISO 8601, UTC
    updated_at: str = ""


class CredentialsUnavailable(Exception):
    """An account's secrets exist but cannot be read now: a damaged entry, a failing store.

    Raised by a :class:`CredentialSource`; the message names the problem and the account,
    never a secret. (An account with no secrets at all is not this: it gets an empty
    mapping.)
    """


class AccountDirectory(Protocol):
    """Finds accounts by id (the engine checks ownership itself)."""

    def find_account(self, account_id: str) -> Account | None:
        """Return the account with this id, or None."""
        ...


class CredentialSource(Protocol):
    """Gives an account's secrets, by name (``api_key``, ``oauth_access_token``...)."""

    def credentials(self, account_id: str) -> Mapping[str, str]:
        """Return the account's secret values (empty when it has none).

        Raises:
            CredentialsUnavailable: they exist but cannot be read.
        """
        ...


class InMemoryAccounts:
    """Accounts and their secrets held in dictionaries: both lookups in one object."""

    def __init__(self) -> None:
        self._accounts: dict[str, Account] = {}
        self._secrets: dict[str, dict[str, str]] = {}

    def add(self, account: Account, secrets: Mapping[str, str] | None = None) -> Account:
        """Store an account (replacing one with the same id) and its secrets."""
        self._accounts[account.id] = account
        self._secrets[account.id] = dict(secrets or {})
        return account

    def remove(self, account_id: str) -> None:
        """Forget an account and its secrets; unknown ids are ignored."""
        self._accounts.pop(account_id, None)
        self._secrets.pop(account_id, None)

    def find_account(self, account_id: str) -> Account | None:
        """Return the account with this id, or None."""
        return self._accounts.get(account_id)

    def credentials(self, account_id: str) -> Mapping[str, str]:
        """Return a copy of the account's secrets."""
        return dict(self._secrets.get(account_id, {}))

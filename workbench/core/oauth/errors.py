"""What can go wrong in an OAuth step (no Authlib import: front doors name these cheaply)."""

from __future__ import annotations


class OAuthFailure(Exception):
    """An OAuth step failed; the message names the problem and holds no secret."""


class ProviderRefused(OAuthFailure):
    """The provider answered with an OAuth error (RFC 6749 section 5.2 or 4.1.2.1).

    Attributes:
        error: the error code (``invalid_grant``, ``access_denied``...).
        description: the provider's own words, cleaned and cut ("" when none).
    """

    def __init__(self, error: str, description: str = "") -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


class TokenEndpointUnavailable(OAuthFailure):
    """The token URL could not be reached, or its answer was not a token."""

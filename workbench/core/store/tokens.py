"""Access tokens issued by the REST server, recorded in the workspace by digest only.

Every ``workbench serve`` on a workspace records the tokens it issues here, so a token
is good at any of them, and rotating a project's client secret (in any process) revokes
the project's tokens for all of them at once: the next request with one gets 401.
Only a SHA-256 digest is stored; a token is 32 random bytes, so the digest cannot be
turned back into it, and nothing in the file lets anyone call the server.
"""

from __future__ import annotations

from workbench.core.store.database import Database


class IssuedTokens:
    """The ``server_tokens`` table of a workspace (a ``TokenRecords`` for the server)."""

    def __init__(self, db: Database) -> None:
        """Work on an open workspace database (``Workspace.tokens`` builds this)."""
        self._db = db

    def add(self, digest: bytes, project_id: str, expires_at: float, *, now: float) -> None:
        """Record a token by its digest until ``expires_at``; forget the expired ones."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM server_tokens WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO server_tokens (digest, project_id, expires_at) VALUES (?, ?, ?)",
                (digest, project_id, expires_at),
            )

    def project_for(self, digest: bytes, *, now: float) -> str | None:
        """The project of a recorded token that has not expired, or None."""
        rows = self._db.read(
            "SELECT project_id FROM server_tokens WHERE digest = ? AND expires_at > ?",
            (digest, now),
        )
        return str(rows[0]["project_id"]) if rows else None

    def discard(self, digest: bytes) -> None:
        """Forget one token."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM server_tokens WHERE digest = ?", (digest,))

    def revoke_project(self, project_id: str) -> int:
        """Forget every token of a project; return how many there were."""
        with self._db.write() as conn:
            cursor = conn.execute("DELETE FROM server_tokens WHERE project_id = ?", (project_id,))
        return cursor.rowcount

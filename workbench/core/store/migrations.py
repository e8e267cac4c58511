"""The workspace schema as forward migrations, versioned with ``PRAGMA user_version``.

Version N of the schema is what ``MIGRATIONS[:N]`` build. A step is never edited once
released: a change is a new step appended at the end, so every older file can be carried
forward one step at a time. Each step runs in its own transaction together with the
``user_version`` bump, so a crash leaves the file at the previous version, never between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

Migration = Callable[[sqlite3.Connection], None]

# PRAGMA application_id marks our files ("WBNC"), so a foreign SQLite file is recognised.
APPLICATION_ID = 0x57424E43


class WorkspaceError(RuntimeError):
    """A workspace file cannot be opened or a stored record cannot be changed.

    The message is a sentence for a person; it never contains a secret (none is stored).
    """


def _v1_initial(conn: sqlite3.Connection) -> None:
    """Projects, external users and accounts: the first released schema."""
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(
        """CREATE TABLE projects (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            client_id TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        )"""
    )
    conn.execute(
        """CREATE TABLE external_users (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            external_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (project_id, external_id)
        )"""
    )
    conn.execute(
        """CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES external_users(id) ON DELETE CASCADE,
            app_slug TEXT NOT NULL,
            environment TEXT NOT NULL
                CHECK (environment IN ('development', 'production')),
            name TEXT NOT NULL DEFAULT '',
            custom_fields TEXT NOT NULL DEFAULT '{}',
            healthy INTEGER CHECK (healthy IN (0, 1)),
            allow_private_network INTEGER NOT NULL DEFAULT 0
                CHECK (allow_private_network IN (0, 1)),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    conn.execute("CREATE INDEX accounts_by_user ON accounts(user_id)")
    conn.execute("CREATE INDEX accounts_by_project_app ON accounts(project_id, app_slug)")


def _v2_imported_apps(conn: sqlite3.Connection) -> None:
    """Apps the user imported or defined, kept as our own JSON schema (non-secret)."""
    conn.execute(
        """CREATE TABLE imported_apps (
            slug TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )


def _v3_health_detail(conn: sqlite3.Connection) -> None:
    """The upstream's answer to the last verification, shown next to the health flag."""
    conn.execute("ALTER TABLE accounts ADD COLUMN health_detail TEXT NOT NULL DEFAULT ''")


def _v4_server_tokens(conn: sqlite3.Connection) -> None:
    """Access tokens the REST servers issued, by SHA-256 digest: shared, so revocable."""
    conn.execute(
        """CREATE TABLE server_tokens (
            digest BLOB PRIMARY KEY,
            project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID"""
    )
    conn.execute("CREATE INDEX server_tokens_by_project ON server_tokens(project_id)")


def _v5_oauth_clients(conn: sqlite3.Connection) -> None:
    """The user's own OAuth client per app: its id and redirect port (the secret: vault)."""
    conn.execute(
        """CREATE TABLE oauth_clients (
            app_slug TEXT PRIMARY KEY,
            client_id TEXT NOT NULL DEFAULT '',
            redirect_port INTEGER CHECK (redirect_port BETWEEN 1 AND 65535),
            updated_at TEXT NOT NULL
        ) WITHOUT ROWID"""
    )


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_imported_apps,
    _v3_health_detail,
    _v4_server_tokens,
    _v5_oauth_clients,
)
LATEST_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The file's ``PRAGMA user_version`` (0 for a new, empty file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection,
    *,
    target: int = LATEST_VERSION,
    steps: Sequence[Migration] = MIGRATIONS,
    name: str = "workspace",
) -> int:
    """Bring the schema forward to ``target``; return the version it started at.

    Each step and its version bump commit together. The version is read again inside
    each write transaction, so two processes opening the same new file cannot both
    apply a step.

    Args:
        conn: an open connection in the sqlite3 module's default transaction mode.
        target: the version to reach (tests build old files with a lower one).
        steps: the migration steps; ``steps[n]`` turns version n into n + 1.
        name: how to name the file in error messages.

    Raises:
        WorkspaceError: the file is another program's database, is newer than ``steps``
            know, or a step failed.
    """
    start = schema_version(conn)
    application_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    has_tables = conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None
    if application_id not in (0, APPLICATION_ID) or (start == 0 and has_tables):
        raise WorkspaceError(f"{name} is an SQLite database but not a workbench workspace")
    if start > len(steps):
        raise WorkspaceError(
            f"{name} has schema version {start}, but this workbench knows versions up to "
            f"{len(steps)}; open it with a newer workbench"
        )
    for version in range(start, min(target, len(steps))):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) != version:  # another process migrated meanwhile
                conn.rollback()
                continue
            steps[version](conn)
            # PRAGMA takes no parameters; the value is our own int, never user input.
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.commit()
        except sqlite3.Error as exc:
            conn.rollback()
            raise WorkspaceError(
                f"could not upgrade {name} from schema version {version} to {version + 1}: {exc}"
            ) from exc
        except BaseException:
            conn.rollback()
            raise
    return start

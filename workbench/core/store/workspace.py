"""The workspace: one SQLite file holding projects, external users, accounts and imported apps.

Nothing secret is ever written here; account secrets and project client secrets live in
the vault (:mod:`workbench.core.store.vault`), keyed by the ids stored in this file.
State that belongs to a project rather than to a process is here too, so every process
on the file shares it: the REST server's issued tokens (by digest) and, in a file
beside it, the projects' rate budget.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from os import PathLike
from pathlib import Path
from types import TracebackType
from typing import Any

from workbench.core.accounts import ENVIRONMENTS, Account
from workbench.core.ratelimit import RateBudget
from workbench.core.store.database import Database
from workbench.core.store.ids import is_id, new_id, random_base62
from workbench.core.store.migrations import WorkspaceError
from workbench.core.store.paths import default_workspace_path
from workbench.core.store.tokens import IssuedTokens

log = logging.getLogger(__name__)

__all__ = [
    "ExternalUser",
    "OAuthClientRecord",
    "Project",
    "Workspace",
    "WorkspaceError",
    "default_workspace_path",
]

Clock = Callable[[], datetime]

# Columns are named, never "*": a later migration may add columns the records lack.
_PROJECT_COLUMNS = "id, name, client_id, created_at"
_USER_COLUMNS = "id, project_id, external_id, created_at, updated_at"
# Appended to a query on external_users: the user has an account in environment ?.
_HAS_ACCOUNT_IN = (
    " AND EXISTS (SELECT 1 FROM accounts WHERE accounts.user_id = external_users.id"
    " AND accounts.environment = ?)"
)
_ACCOUNT_SELECT = """
    SELECT a.id, a.project_id, a.app_slug, u.external_id, a.environment, a.name,
           a.custom_fields, a.allow_private_network, a.healthy, a.health_detail,
           a.created_at, a.updated_at
    FROM accounts AS a JOIN external_users AS u ON u.id = a.user_id
"""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a ``Z``, the form Pipedream's API uses."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _open_budget(workspace_path: Path) -> RateBudget:
    try:
        from workbench.core.store.budgetfile import budget_settings, open_shared_budget
    except ImportError:  # no fcntl (Windows): say so rather than share nothing silently
        log.warning("the rate budget is counted per process on this platform, not shared")
        return RateBudget()
    limit, window = budget_settings()
    return open_shared_budget(workspace_path, limit=limit, window=window)


def _check_external_id(external_id: str) -> None:
    if not external_id or not external_id.isprintable():
        raise WorkspaceError(
            f"external user id {external_id!r} must be non-empty, without control characters"
        )


@dataclass(frozen=True)
class Project:
    """A project: owns external users and accounts, and one rate budget."""

    id: str  # "proj_..."
    name: str
    client_id: str  # "pd_client_..."; its secret lives in the vault
    created_at: str


@dataclass(frozen=True)
class ExternalUser:
    """An end user of the caller's product, known by the caller's own id string."""

    id: str  # "exu_..."
    project_id: str
    external_id: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class OAuthClientRecord:
    """The user's own OAuth client of one app, as the workspace keeps it (no secret).

    ``client_id`` is "" until one is given; ``redirect_port`` is the loopback port the
    redirect URI uses, kept so the URI registered with the provider stays valid.
    """

    app_slug: str
    client_id: str
    redirect_port: int | None
    updated_at: str


_ACCOUNT_CACHE_SIZE = 1024  # misses are kept too: unknown ids must not grow it forever


def _account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        project_id=row["project_id"],
        app_slug=row["app_slug"],
        external_user_id=row["external_id"],
        environment=row["environment"],
        name=row["name"],
        custom_fields=json.loads(row["custom_fields"]),
        allow_private_network=bool(row["allow_private_network"]),
        healthy=None if row["healthy"] is None else bool(row["healthy"]),
        health_detail=row["health_detail"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Workspace:
    """A workspace file, opened with :meth:`open`; usable from several threads.

    Every write runs in one transaction; calls are serialised (see :class:`Database`)
    because the GUI, the REST server and the CLI may share one workspace in a process.
    """

    def __init__(self, db: Database, *, clock: Clock = _utc_now) -> None:
        """Wrap an open database; use :meth:`open` instead."""
        self._db = db
        self._clock = clock
        # The engine looks its account up on every send: rows are kept until anyone commits.
        # One tuple, replaced whole, so a thread never files a row under a newer version.
        self._account_cache: tuple[tuple[int, int], dict[str, Account | None]] = ((-1, -1), {})
        self.tokens = IssuedTokens(db)
        self._budget: RateBudget | None = None
        self._budget_lock = threading.Lock()

    @classmethod
    def open(
        cls, path: str | PathLike[str], *, clock: Clock | None = None, busy_timeout: float = 5.0
    ) -> Workspace:
        """Open (creating or upgrading) the workspace file at ``path``.

        Args:
            path: the SQLite file; missing parent directories are created.
            clock: returns "now" as an aware datetime (tests pin it).
            busy_timeout: seconds to wait for another process's write lock.

        Raises:
            WorkspaceError: the file is not a workspace, is newer than this program, or
                cannot be created.
        """
        return cls(Database.open(path, busy_timeout=busy_timeout), clock=clock or _utc_now)

    @property
    def path(self) -> Path:
        """The workspace file."""
        return self._db.path

    @property
    def budget(self) -> RateBudget:
        """The projects' rate budget, shared by every process that opens this workspace.

        It counts in a file beside the workspace (:mod:`workbench.core.store.budgetfile`),
        opened on first use. An engine over this workspace takes ``budget=workspace.budget``.

        Raises:
            WorkspaceError: the budget file cannot be opened or belongs to another budget.
        """
        with self._budget_lock:
            if self._budget is None:
                self._budget = _open_budget(self.path)
            return self._budget

    def close(self) -> None:
        """Close the file (and the budget file); later calls fail."""
        with self._budget_lock:
            if self._budget is not None:
                self._budget.close()
        self._db.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _now(self) -> str:
        return _iso(self._clock())

    # Projects

    def create_project(self, name: str, *, project_id: str | None = None) -> Project:
        """Create a project with a fresh client id (its secret is created by the vault side).

        Raises:
            WorkspaceError: the name is empty, the id is malformed or already taken.
        """
        name = name.strip()
        if not name:
            raise WorkspaceError("a project needs a non-empty name")
        pid = project_id or new_id("proj")
        if not is_id(pid, "proj"):
            raise WorkspaceError(f"project id {pid!r} must look like proj_<letters and digits>")
        project = Project(pid, name, f"pd_client_{random_base62(20)}", self._now())
        try:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO projects (id, name, client_id, created_at) VALUES (?, ?, ?, ?)",
                    (project.id, project.name, project.client_id, project.created_at),
                )
        except sqlite3.IntegrityError as exc:
            raise WorkspaceError(f"project {pid} already exists") from exc
        return project

    def list_projects(self) -> list[Project]:
        """Every project, oldest first."""
        return self._projects()

    def get_project(self, project_id: str) -> Project | None:
        """The project with this id, or None."""
        return next(iter(self._projects("WHERE id = ?", (project_id,))), None)

    def find_project_by_client_id(self, client_id: str) -> Project | None:
        """The project whose REST client id this is, or None."""
        return next(iter(self._projects("WHERE client_id = ?", (client_id,))), None)

    def _projects(self, where: str = "", params: tuple[Any, ...] = ()) -> list[Project]:
        sql = f"SELECT {_PROJECT_COLUMNS} FROM projects {where} ORDER BY created_at, rowid"
        return [Project(**dict(row)) for row in self._db.read(sql, params)]

    # External users

    def ensure_user(self, project_id: str, external_id: str) -> ExternalUser:
        """Return the project's user with this external id, creating it if needed.

        Raises:
            WorkspaceError: the project does not exist or the external id is empty.
        """
        _check_external_id(external_id)
        with self._db.write() as conn:
            return self._ensure_user(conn, project_id, external_id, touch=False)

    def _ensure_user(
        self, conn: sqlite3.Connection, project_id: str, external_id: str, *, touch: bool
    ) -> ExternalUser:
        """Inside a write transaction: the user, created when missing."""
        if conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone() is None:
            raise WorkspaceError(f"project {project_id} does not exist")
        now = self._now()
        conn.execute(
            "INSERT INTO external_users (id, project_id, external_id, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, external_id) DO NOTHING",
            (new_id("exu"), project_id, external_id, now, now),
        )
        if touch:
            conn.execute(
                "UPDATE external_users SET updated_at = ? WHERE project_id = ? AND external_id = ?",
                (now, project_id, external_id),
            )
        row = conn.execute(
            f"SELECT {_USER_COLUMNS} FROM external_users WHERE project_id = ? AND external_id = ?",
            (project_id, external_id),
        ).fetchone()
        return ExternalUser(**dict(row))

    def get_user(
        self, project_id: str, external_id: str, *, environment: str | None = None
    ) -> ExternalUser | None:
        """The project's user with this external id, or None.

        With ``environment``, only a user with an account in that environment is found.
        """
        sql = f"SELECT {_USER_COLUMNS} FROM external_users WHERE project_id = ? AND external_id = ?"
        params: tuple[Any, ...] = (project_id, external_id)
        if environment is not None:
            sql += _HAS_ACCOUNT_IN
            params += (environment,)
        rows = self._db.read(sql, params)
        return ExternalUser(**dict(rows[0])) if rows else None

    def list_users(
        self, project_id: str, *, q: str | None = None, environment: str | None = None
    ) -> list[ExternalUser]:
        """The project's users, oldest first.

        Args:
            project_id: the project.
            q: keep ids containing this text (any case).
            environment: keep users with at least one account in this environment
                (users have no environment of their own: they are seen where they are
                connected, as Pipedream's per-environment user lists are).
        """
        sql = f"SELECT {_USER_COLUMNS} FROM external_users WHERE project_id = ?"
        params: tuple[Any, ...] = (project_id,)
        if q:
            sql += " AND external_id LIKE ? ESCAPE '\\'"
            params += (_like_pattern(q),)
        if environment is not None:
            sql += _HAS_ACCOUNT_IN
            params += (environment,)
        rows = self._db.read(sql + " ORDER BY created_at, rowid", params)
        return [ExternalUser(**dict(row)) for row in rows]

    def delete_user(
        self, project_id: str, external_id: str, *, environment: str | None = None
    ) -> list[str]:
        """Delete a user's accounts, and the user once none is left; return the account ids.

        Without ``environment`` the user goes with all their accounts. With it, only the
        accounts in that environment go, and the user only when they had no others.
        The caller removes the accounts' secrets from the vault (see ``Connections``).
        """
        scope = "" if environment is None else " AND a.environment = ?"
        params: tuple[Any, ...] = (project_id, external_id)
        params += () if environment is None else (environment,)
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT a.id FROM accounts AS a JOIN external_users AS u ON u.id = a.user_id "
                f"WHERE u.project_id = ? AND u.external_id = ?{scope} "
                "ORDER BY a.created_at, a.rowid",
                params,
            ).fetchall()
            removed = [row["id"] for row in rows]
            conn.executemany("DELETE FROM accounts WHERE id = ?", [(i,) for i in removed])
            conn.execute(
                "DELETE FROM external_users WHERE project_id = ? AND external_id = ? AND NOT "
                "EXISTS (SELECT 1 FROM accounts WHERE accounts.user_id = external_users.id)",
                (project_id, external_id),
            )
        return removed

    # Accounts

    def insert_account(self, account: Account) -> Account:
        """Store a new account (creating its external user) and return it as stored.

        Empty ``created_at``/``updated_at`` are set to now. The caller has validated the
        app and the custom fields; secrets never come here.

        Raises:
            WorkspaceError: malformed id or environment, unknown project, duplicate id.
        """
        if not is_id(account.id, "apn"):
            raise WorkspaceError(
                f"account id {account.id!r} must look like apn_<letters and digits>"
            )
        if account.environment not in ENVIRONMENTS:
            raise WorkspaceError(
                f"environment {account.environment!r} must be one of {', '.join(ENVIRONMENTS)}"
            )
        _check_external_id(account.external_user_id)
        created = account.created_at or self._now()
        try:
            with self._db.write() as conn:
                user = self._ensure_user(
                    conn, account.project_id, account.external_user_id, touch=True
                )
                conn.execute(
                    "INSERT INTO accounts (id, project_id, user_id, app_slug, environment, name, "
                    "custom_fields, healthy, health_detail, allow_private_network, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        account.id,
                        account.project_id,
                        user.id,
                        account.app_slug,
                        account.environment,
                        account.name,
                        json.dumps(dict(account.custom_fields), sort_keys=True),
                        None if account.healthy is None else int(account.healthy),
                        account.health_detail,
                        int(account.allow_private_network),
                        created,
                        account.updated_at or created,
                    ),
                )
                row = conn.execute(_ACCOUNT_SELECT + " WHERE a.id = ?", (account.id,)).fetchone()
        except sqlite3.IntegrityError as exc:
            if "accounts.id" in str(exc):
                raise WorkspaceError(f"account {account.id} already exists") from exc
            raise WorkspaceError(f"cannot store account {account.id}: {exc}") from exc
        return _account(row)

    def find_account(self, account_id: str) -> Account | None:
        """The account with this id, or None (the engine checks ownership itself)."""
        version = self._db.version()
        cached_version, cache = self._account_cache
        if version != cached_version or len(cache) >= _ACCOUNT_CACHE_SIZE:
            cache = {}
            self._account_cache = (version, cache)
        if account_id not in cache:
            rows = self._db.read(_ACCOUNT_SELECT + " WHERE a.id = ?", (account_id,))
            cache[account_id] = _account(rows[0]) if rows else None
        return cache[account_id]

    def list_accounts(
        self,
        project_id: str | None = None,
        *,
        external_user_id: str | None = None,
        app_slug: str | None = None,
        environment: str | None = None,
    ) -> list[Account]:
        """Accounts matching every filter given, oldest first."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("a.project_id", project_id),
            ("u.external_id", external_user_id),
            ("a.app_slug", app_slug),
            ("a.environment", environment),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._db.read(
            _ACCOUNT_SELECT + where + " ORDER BY a.created_at, a.rowid", tuple(params)
        )
        return [_account(row) for row in rows]

    def delete_account(self, account_id: str) -> bool:
        """Delete one account row; True when it existed."""
        with self._db.write() as conn:
            cursor = conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
        return cursor.rowcount > 0

    def set_account_health(self, account_id: str, healthy: bool | None, detail: str) -> Account:
        """Record a verification result (``None`` = unknown) and return the account.

        Raises:
            WorkspaceError: no account has this id.
        """
        with self._db.write() as conn:
            conn.execute(
                "UPDATE accounts SET healthy = ?, health_detail = ?, updated_at = ? WHERE id = ?",
                (None if healthy is None else int(healthy), detail, self._now(), account_id),
            )
            row = conn.execute(_ACCOUNT_SELECT + " WHERE a.id = ?", (account_id,)).fetchone()
        if row is None:
            raise WorkspaceError(f"account {account_id} does not exist")
        return _account(row)

    # Imported apps (our own JSON schema; parsed by the catalog, never secret)

    def save_app(self, app_dict: dict[str, Any]) -> None:
        """Store or replace an imported app, keyed by its ``name_slug``.

        Raises:
            WorkspaceError: the dict has no string ``name_slug``.
        """
        slug = app_dict.get("name_slug")
        if not isinstance(slug, str) or not slug:
            raise WorkspaceError("an imported app needs a non-empty string 'name_slug'")
        now = self._now()
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO imported_apps (slug, data, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (slug) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (slug, json.dumps(app_dict), now, now),
            )

    def list_app_dicts(self) -> list[dict[str, Any]]:
        """Every imported app, by slug."""
        rows = self._db.read("SELECT data FROM imported_apps ORDER BY slug")
        return [json.loads(row["data"]) for row in rows]

    def delete_app(self, slug: str) -> bool:
        """Forget an imported app; True when it existed."""
        with self._db.write() as conn:
            cursor = conn.execute("DELETE FROM imported_apps WHERE slug = ?", (slug,))
        return cursor.rowcount > 0

    # OAuth clients (the user's own, per app; their secrets live in the vault)

    def oauth_client(self, app_slug: str) -> OAuthClientRecord | None:
        """The OAuth client remembered for ``app_slug``, or None."""
        rows = self._db.read(
            "SELECT app_slug, client_id, redirect_port, updated_at FROM oauth_clients "
            "WHERE app_slug = ?",
            (app_slug,),
        )
        return OAuthClientRecord(**dict(rows[0])) if rows else None

    def save_oauth_client(
        self, app_slug: str, *, client_id: str | None = None, redirect_port: int | None = None
    ) -> OAuthClientRecord:
        """Remember an app's client id and/or redirect port (what is None stays as it was).

        Raises:
            WorkspaceError: an empty slug, a client id with control characters or a port
                outside 1-65535.
        """
        if not app_slug:
            raise WorkspaceError("an OAuth client needs an app slug")
        if client_id is not None and not client_id.isprintable():
            raise WorkspaceError("an OAuth client id must be printable text")
        if redirect_port is not None and not 1 <= redirect_port <= 65535:
            raise WorkspaceError(f"redirect port {redirect_port} is not between 1 and 65535")
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO oauth_clients (app_slug, client_id, redirect_port, updated_at) "
                "VALUES (?, COALESCE(?, ''), ?, ?) ON CONFLICT (app_slug) DO UPDATE SET "
                "client_id = COALESCE(?, client_id), "
                "redirect_port = COALESCE(?, redirect_port), updated_at = excluded.updated_at",
                (app_slug, client_id, redirect_port, self._now(), client_id, redirect_port),
            )
            row = conn.execute(
                "SELECT app_slug, client_id, redirect_port, updated_at FROM oauth_clients "
                "WHERE app_slug = ?",
                (app_slug,),
            ).fetchone()
        return OAuthClientRecord(**dict(row))

"""Account routes: list, retrieve, list by external user, delete, delete by app.

Accounts belong to one environment: a request only sees the accounts of the
environment its ``x-pd-environment`` header names (``production`` by default).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse, Response

from workbench.core.accounts import Account
from workbench.server import params
from workbench.server.context import ServerContext
from workbench.server.errors import ApiError
from workbench.server.pagination import SortKey, paginate
from workbench.server.routing import Call
from workbench.server.shapes import account_json

CREDENTIALS_REFUSED = (
    "include_credentials is disabled on this server: account secrets stay in the vault. "
    "Start the server with 'workbench serve --allow-credentials' to return them"
)


def _include_credentials(ctx: ServerContext, query: QueryParams) -> bool:
    if not params.flag(query, "include_credentials"):
        return False
    if not ctx.allow_credentials:
        raise ApiError(403, CREDENTIALS_REFUSED)
    return True


def _account_body(ctx: ServerContext, account: Account, *, include: bool) -> dict[str, Any]:
    secrets = dict(ctx.connections.credentials(account.id)) if include else None
    return account_json(account, ctx.find_app(account.app_slug), credentials=secrets)


def _app_slug(ctx: ServerContext, query: QueryParams) -> str | None:
    """The ``app`` filter as a slug (callers may give the slug or the ``app_`` id)."""
    value = params.text(query, "app")
    if not value:
        return None
    app = ctx.find_app(value)
    return app.name_slug if app is not None else value


def _accounts(
    ctx: ServerContext, call: Call, *, external_user_id: str | None, app_slug: str | None
) -> list[Account]:
    return ctx.connections.workspace.list_accounts(
        call.params["project_id"],
        external_user_id=external_user_id,
        app_slug=app_slug,
        environment=params.environment(call.request.headers),
    )


def _visible_account(ctx: ServerContext, call: Call) -> Account:
    """The path's account, if it is in the path's project and the request's environment.

    Raises:
        ApiError: 404 otherwise (the same answer whether or not the id exists elsewhere).
    """
    account_id = call.params["account_id"]
    account = ctx.connections.find_account(account_id)
    environment = params.environment(call.request.headers)
    if (
        account is None
        or account.project_id != call.params["project_id"]
        or account.environment != environment
    ):
        raise ApiError(404, f"Account {account_id[:100]!r} was not found")
    return account


def _created_order(account: Account) -> SortKey:
    return (account.created_at, account.id)


async def list_accounts(ctx: ServerContext, call: Call) -> JSONResponse:
    """``GET .../accounts``: filters ``external_user_id`` and ``app``, cursors, credentials.

    Raises:
        ApiError: 400 for bad parameters, 403 for refused ``include_credentials``.
    """
    query = call.request.query_params
    include = _include_credentials(ctx, query)
    accounts = _accounts(
        ctx,
        call,
        external_user_id=params.text(query, "external_user_id") or None,
        app_slug=_app_slug(ctx, query),
    )
    page = paginate(
        accounts,
        key=_created_order,
        kind="accounts",
        limit=params.limit(query),
        after=params.text(query, "after"),
        before=params.text(query, "before"),
    )
    data = [_account_body(ctx, account, include=include) for account in page.items]
    return JSONResponse({"page_info": page.page_info(), "data": data})


async def retrieve_account(ctx: ServerContext, call: Call) -> JSONResponse:
    """``GET .../accounts/{account_id}``: the bare Account object.

    Raises:
        ApiError: 404 for an account outside this project or environment.
    """
    include = _include_credentials(ctx, call.request.query_params)
    account = _visible_account(ctx, call)
    return JSONResponse(_account_body(ctx, account, include=include))


async def delete_account(ctx: ServerContext, call: Call) -> Response:
    """``DELETE .../accounts/{account_id}``: the account and its secrets; 204.

    Raises:
        ApiError: 404 for an account outside this project or environment.
    """
    account = _visible_account(ctx, call)
    # In a thread: the change waits for other processes' writers, never the event loop.
    await asyncio.to_thread(ctx.connections.remove_account, account.id)
    return Response(status_code=204)


async def list_user_accounts(ctx: ServerContext, call: Call) -> JSONResponse:
    """``GET .../users/{external_user_id}/accounts``: a bare JSON array of Accounts."""
    query = call.request.query_params
    include = _include_credentials(ctx, query)
    accounts = _accounts(
        ctx,
        call,
        external_user_id=call.params["external_user_id"],
        app_slug=_app_slug(ctx, query),
    )
    return JSONResponse([_account_body(ctx, account, include=include) for account in accounts])


async def delete_app_accounts(ctx: ServerContext, call: Call) -> Response:
    """``DELETE .../apps/{app_id}/accounts``: every account of the app (this environment).

    Raises:
        ApiError: 404 when the app is unknown and has no accounts.
    """
    value = call.params["app_id"]
    app = ctx.find_app(value)
    slug = app.name_slug if app is not None else value
    accounts = _accounts(ctx, call, external_user_id=None, app_slug=slug)
    if app is None and not accounts:
        raise ApiError(404, f"App {value[:100]!r} was not found")
    for account in accounts:
        await asyncio.to_thread(ctx.connections.remove_account, account.id)
    return Response(status_code=204)

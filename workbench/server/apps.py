"""App routes: ``GET /v1/connect/apps`` (and ``/v1/apps``) and ``GET .../apps/{app_id}``."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import JSONResponse

from workbench.core.catalog import App
from workbench.server import params
from workbench.server.context import ServerContext
from workbench.server.errors import ApiError
from workbench.server.pagination import SortKey, paginate
from workbench.server.routing import Call
from workbench.server.shapes import app_json

_SORT_KEYS: dict[str, Callable[[App], SortKey]] = {
    "name": lambda app: (app.name.casefold(), app.name_slug),
    "name_slug": lambda app: (app.name_slug,),
    "featured_weight": lambda app: (float(app.featured_weight), app.name_slug),
}
# Apps have no Pipedream components (actions/triggers) here, so has_*=true matches none.
_COMPONENT_FLAGS = ("has_components", "has_actions", "has_triggers")


def _matching_apps(ctx: ServerContext, call: Call) -> list[App]:
    query = call.request.query_params
    apps = ctx.catalog.search(params.text(query, "q") or "")
    if any(params.flag(query, name) for name in _COMPONENT_FLAGS):
        return []
    categories = {c.casefold() for c in query.getlist("category_ids") if c}
    if categories:
        apps = [a for a in apps if categories & {c.casefold() for c in a.categories}]
    return apps


async def list_apps(ctx: ServerContext, call: Call) -> JSONResponse:
    """List the catalog: ``q``, ``category_ids``, ``has_*``, sorting and cursors.

    Raises:
        ApiError: 400 for a bad ``limit``, ``sort_key``, ``sort_direction``, flag or cursor.
    """
    query = call.request.query_params
    sort_key = params.choice(query, "sort_key", tuple(_SORT_KEYS), "name")
    direction = params.choice(query, "sort_direction", ("asc", "desc"), "asc")
    page = paginate(
        _matching_apps(ctx, call),
        key=_SORT_KEYS[sort_key],
        kind=f"apps:{sort_key}",
        limit=params.limit(query),
        after=params.text(query, "after"),
        before=params.text(query, "before"),
        descending=direction == "desc",
    )
    return JSONResponse(
        {"page_info": page.page_info(), "data": [app_json(app) for app in page.items]}
    )


async def retrieve_app(ctx: ServerContext, call: Call) -> JSONResponse:
    """One app by slug or ``app_`` id: ``{"data": App}``.

    Raises:
        ApiError: 404 when the catalog has no such app.
    """
    app = ctx.find_app(call.params["app_id"])
    if app is None:
        raise ApiError(404, f"App {call.params['app_id'][:100]!r} was not found")
    return JSONResponse({"data": app_json(app)})

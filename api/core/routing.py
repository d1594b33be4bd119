"""Finding a request's route without trying every route of the app.

FastAPI keeps an included router as a nested, lazily merged table and matches a request by
trying each route's regex in order, once to find the route and once more to run it; with
~70 routes that was a fifth of a simple authenticated read's CPU. Two steps fix it:

* :func:`flatten_routes` replaces the included routers by the routes FastAPI derives from
  them (same paths, operation ids, responses, tags, dependencies, route classes): the
  OpenAPI schema is the same (a test compares it with the nested app's).
* :class:`RouteIndex` sits in front of the router: it tries only the routes that can match
  the request's first two path segments (``/v1/vehicles/...`` -> the routes under
  ``/v1/vehicles`` and those with a parameter there), in the table's order. Anything it does
  not match FULLY (405s, redirects, 404s, routes added later) goes to the router's own scan,
  so the answer is always the one FastAPI would give: the first FULL match in table order
  is the first FULL match among the routes that can match at all.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter, APIWebSocketRoute, iter_route_contexts
from starlette.routing import BaseRoute, Match

# How many leading path segments the index keys on: "/v1/vehicles/12" -> ("v1", "vehicles").
KEY_SEGMENTS = 2


def flatten_routes(app: FastAPI) -> None:
    """Replace every included router of ``app`` by its effective routes, in order.

    Raises TypeError for a kind of included route this does not know how to copy (a Mount,
    a Host...): the app then fails at start-up rather than losing a route.
    """
    router = app.router
    direct = {id(route) for route in router.routes}  # the app's own (docs, openapi)
    contexts = list(iter_route_contexts(router.routes))
    router.routes.clear()
    for context in contexts:
        original = context.original_route
        if id(original) in direct:
            router.routes.append(original)
        elif isinstance(original, APIRoute):
            _add_api_route(router, context)
        elif isinstance(original, APIWebSocketRoute):
            router.add_api_websocket_route(
                context.path, context.endpoint, name=context.name, dependencies=context.dependencies
            )
        else:
            raise TypeError(f"cannot flatten an included {type(original).__name__}")


def _add_api_route(router: APIRouter, context: Any) -> None:
    router.add_api_route(
        context.path,
        context.endpoint,
        response_model=context.response_model,
        status_code=context.status_code,
        tags=context.tags,
        dependencies=context.dependencies,
        summary=context.summary,
        description=context.description,
        response_description=context.response_description,
        responses=context.responses,
        deprecated=context.deprecated,
        methods=context.methods,
        operation_id=context.operation_id,
        response_model_include=context.response_model_include,
        response_model_exclude=context.response_model_exclude,
        response_model_by_alias=context.response_model_by_alias,
        response_model_exclude_unset=context.response_model_exclude_unset,
        response_model_exclude_defaults=context.response_model_exclude_defaults,
        response_model_exclude_none=context.response_model_exclude_none,
        include_in_schema=context.include_in_schema,
        response_class=context.response_class,
        name=context.name,
        callbacks=context.callbacks,
        openapi_extra=context.openapi_extra,
        generate_unique_id_function=context.generate_unique_id_function,
        route_class_override=type(context.original_route),
        strict_content_type=context.strict_content_type,
        max_body_size=context.max_body_size,
    )


def _literal_prefix(path: str) -> tuple[str, ...]:
    """The leading segments of a route path before its first parameter, at most
    :data:`KEY_SEGMENTS` ("/v1/vehicles/{vehicle_id}" -> ("v1", "vehicles"))."""
    prefix = []
    for segment in path.split("/")[1 : KEY_SEGMENTS + 1]:
        if "{" in segment:
            break
        prefix.append(segment)
    return tuple(prefix)


def request_key(path: str) -> tuple[str, ...]:
    """The first :data:`KEY_SEGMENTS` segments of a request path (fewer for a shorter path:
    "/health" -> ("health",))."""
    return tuple(path.split("/", KEY_SEGMENTS + 1)[1 : KEY_SEGMENTS + 1])


class RouteIndex:
    """The router's entry point: the routes that can match a request's leading segments
    first, the router's own full scan for everything else (see the module's docstring).

    Built from the route table as it is at start-up and rebuilt if routes are added or
    removed later (the table's length changes).
    """

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._build()

    def _build(self) -> None:
        routes: list[BaseRoute] = list(self.router.routes)
        prefixes = [_literal_prefix(getattr(route, "path", "")) for route in routes]
        keys = {p for p in prefixes if p}
        # A route is a candidate for a key when its literal prefix is a prefix of that key
        # (a shorter prefix: a parameter or the path's end comes before the key's end).
        self._buckets = {
            key: [r for r, p in zip(routes, prefixes, strict=True) if key[: len(p)] == p]
            for key in keys
        }
        self._size = len(routes)

    def lookup(self, scope: dict) -> tuple[BaseRoute, dict] | None:
        """The route that FULLY matches ``scope`` and its child scope, or ``None`` when the
        router's own scan must decide (no such route among the candidates, or a scope this
        does not index: lifespan, a ``root_path``)."""
        if scope["type"] not in ("http", "websocket") or scope.get("root_path"):
            return None
        if len(self.router.routes) != self._size:
            self._build()
        for route in self._buckets.get(request_key(scope["path"]), ()):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return route, child_scope
        return None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        found = self.lookup(scope)
        if found is None:
            await self.router.app(scope, receive, send)
            return
        route, child_scope = found
        scope.setdefault("router", self.router)  # what the router's scan does on a match
        scope.update(child_scope)
        await route.handle(scope, receive, send)


def install_route_index(app: FastAPI) -> None:
    """Put a :class:`RouteIndex` in front of ``app``'s router (after :func:`flatten_routes`)."""
    router = app.router
    if router.middleware_stack != router.app:
        # router-level middleware (a body limit...) would be skipped by the index
        raise RuntimeError("the route index needs a router without middleware of its own")
    router.middleware_stack = RouteIndex(router)

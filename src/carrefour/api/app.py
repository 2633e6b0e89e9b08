"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carrefour import __version__
from carrefour.api import (
    docs,
    openapi,
    problems,
    routes_admin,
    routes_auth,
    routes_bis,
    routes_catalogue,
    routes_exchange,
)
from carrefour.api.bodylimit import BodyLimit
from carrefour.api.fastpath import FastRoutes
from carrefour.auth.services import TokenVerifier
from carrefour.bootstrap import Hub
from carrefour.console import routes as console_routes
from carrefour.console.settings import ConsoleSettings
from carrefour.declarations import routes as declaration_routes
from carrefour.health import routes as health_routes
from carrefour.lists import routes as lists_routes
from carrefour.mediprima import routes as mediprima_routes
from carrefour.observability import routes as observability_routes
from carrefour.observability.tracing import TracingMiddleware
from carrefour.research import routes as research_routes
from carrefour.rights import routes as rights_routes
from carrefour.signal import routes as signal_routes
from carrefour.soap import routes as soap_routes
from carrefour.warehouse import routes as warehouse_routes

DESCRIPTION = """
Carrefour is a crossroads bank for social security: member institutions identify persons,
integrate them in the reference directory and consult authentic sources through the hub.
Every exchange is checked (finality, deliberation, routing), journaled, and answered with a
ticket. Errors are RFC 9457 problem documents with a stable `code`.
"""


def create_app(hub: Hub, *, console: ConsoleSettings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(
        title="Carrefour",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the package by api.docs (no CDN)
        redoc_url=None,
    )
    app.state.hub = hub
    app.state.verify_token = TokenVerifier(hub.settings.token_secret)
    problems.install(app)
    app.add_middleware(FastRoutes, routes={("POST", "/v1/consultations"): routes_exchange.consult,
                                           ("POST", "/v1/mutations"): signal_routes.publish})
    app.add_middleware(  # outside the fast routes: they too are limited
        BodyLimit, max_bytes=hub.settings.max_body_bytes, exempt=soap_routes.OWN_BODY_LIMIT
    )
    if hub.tracing.enabled:  # outermost: the server span covers the whole request
        app.add_middleware(TracingMiddleware, tracing=hub.tracing)
    for module in (routes_auth, routes_exchange, routes_bis, routes_catalogue, routes_admin):
        app.include_router(module.router)
    app.include_router(signal_routes.router)
    app.include_router(soap_routes.router)
    app.include_router(observability_routes.router)
    app.include_router(declaration_routes.router)
    console_routes.install(app, hub, console)  # the console: operators, DPOs, citizens
    app.include_router(rights_routes.router)  # derived rights
    app.include_router(health_routes.router)
    app.include_router(mediprima_routes.router)
    app.include_router(warehouse_routes.router)  # the data warehouse's statistics
    app.include_router(lists_routes.router)  # lists: mailboxes, production, onboarding
    app.include_router(research_routes.router)  # research extracts
    openapi.install(app)
    docs.install(app)
    return app

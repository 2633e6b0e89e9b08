"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from carrefour import __version__
from carrefour.api import (
    openapi,
    problems,
    routes_admin,
    routes_auth,
    routes_bis,
    routes_catalogue,
    routes_exchange,
)
from carrefour.api.bodylimit import BodyLimit
from carrefour.auth.services import TokenVerifier
from carrefour.bootstrap import Hub
from carrefour.mediprima import routes as mediprima_routes
from carrefour.signal import routes as signal_routes
from carrefour.soap import routes as soap_routes

DESCRIPTION = """
Carrefour is a crossroads bank for social security: member institutions identify persons,
integrate them in the reference directory and consult authentic sources through the hub.
Every exchange is checked (finality, deliberation, routing), journaled, and answered with a
ticket. Errors are RFC 9457 problem documents with a stable `code`.
"""


def create_app(hub: Hub) -> FastAPI:
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
    )
    app.state.hub = hub
    app.state.verify_token = TokenVerifier(hub.settings.token_secret)
    problems.install(app)
    app.add_middleware(
        BodyLimit, max_bytes=hub.settings.max_body_bytes, exempt=soap_routes.OWN_BODY_LIMIT
    )
    for module in (routes_auth, routes_exchange, routes_bis, routes_catalogue, routes_admin):
        app.include_router(module.router)
    app.include_router(signal_routes.router)
    app.include_router(soap_routes.router)
    app.include_router(mediprima_routes.router)
    openapi.install(app)
    return app

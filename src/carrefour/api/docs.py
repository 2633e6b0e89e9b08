"""The interactive documentation, served from the package: Swagger UI at ``/docs`` and ReDoc at
``/redoc``, with their scripts and styles from the ``fastapi-offline`` distribution (Swagger UI,
Apache-2.0; ReDoc, MIT) under ``/docs/assets``. Nothing is fetched from a CDN or a font
service, so the pages work on a network without internet access."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS = "/docs/assets"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
SWAGGER_PARAMETERS = {
    "validatorUrl": None,  # Swagger UI would send the document to an online validator
    "persistAuthorization": True,
    "displayRequestDuration": True,
}


#: The documentation pages load nothing from elsewhere: ReDoc's bundle shows a credit image
#: from its vendor's CDN, which the browser would fetch (a request to a third party, and a
#: failed one offline); images, fonts and requests are kept to the hub itself.
SAME_ORIGIN_ONLY = {"Content-Security-Policy": "img-src 'self' data: blob:; "
                    "font-src 'self' data:; connect-src 'self'"}


def _same_origin(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(SAME_ORIGIN_ONLY)
    return page


def install(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Add ``/docs``, ``/redoc`` and their assets; ``app`` is built with no docs of its own."""
    folder = files("fastapi_offline") / "static"
    app.mount(ASSETS, StaticFiles(directory=str(folder)), name="docs-assets")
    title = f"{app.title} {app.version}"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _same_origin(get_swagger_ui_html(
            openapi_url=openapi_url, title=f"{title} — Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            oauth2_redirect_url=OAUTH2_REDIRECT,
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        ))

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _same_origin(get_redoc_html(
            openapi_url=openapi_url, title=f"{title} — ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png", with_google_fonts=False,
        ))

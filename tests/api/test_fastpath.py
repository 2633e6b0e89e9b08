"""The fast routes: an endpoint answered before the framework's routing keeps the
application's error handling, and leaves every other method and path to the framework."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from carrefour.api.fastpath import FastRoutes

pytestmark = pytest.mark.anyio


class Refused(Exception):
    pass


class RefusedHarder(Refused):
    pass


async def _fast(request: Request) -> Response:
    what = request.query_params.get("what")
    if what == "refused":
        raise RefusedHarder("no")
    if what == "broken":
        raise RuntimeError("bug")
    return JSONResponse({"by": "fast", "body": (await request.body()).decode()})


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/hot")
    async def hot() -> dict[str, str]:
        return {"by": "framework"}

    @app.get("/hot")
    async def hot_read() -> dict[str, str]:
        return {"by": "framework"}

    async def refused(_request: Request, error: Exception) -> Response:
        return JSONResponse({"code": "refused", "class": type(error).__name__}, status_code=403)

    async def unexpected(_request: Request, _error: Exception) -> Response:
        return JSONResponse({"code": "internal-error"}, status_code=500)

    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(Exception, unexpected)
    app.add_middleware(FastRoutes, routes={("POST", "/hot"): _fast})
    return app


async def _call(method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub") as http:
        return await http.request(method, path, **kwargs)  # type: ignore[arg-type]


async def test_the_fast_endpoint_answers_and_reads_the_body() -> None:
    response = await _call("POST", "/hot", content=b"hello")
    assert response.json() == {"by": "fast", "body": "hello"}


async def test_other_methods_and_paths_go_to_the_framework() -> None:
    assert (await _call("GET", "/hot")).json() == {"by": "framework"}
    assert (await _call("POST", "/hot/")).status_code in (307, 404)
    assert (await _call("PUT", "/hot")).status_code == 405


async def test_an_error_is_answered_by_the_handler_of_its_nearest_class() -> None:
    response = await _call("POST", "/hot", params={"what": "refused"})
    assert response.status_code == 403
    assert response.json() == {"code": "refused", "class": "RefusedHarder"}


async def test_an_unexpected_error_reaches_the_server_error_handler() -> None:
    response = await _call("POST", "/hot", params={"what": "broken"})
    assert response.status_code == 500
    assert response.json() == {"code": "internal-error"}

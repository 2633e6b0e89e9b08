"""The demo CPAS's application: receives the mutations the hub pushes, checks each signature
(Standard Webhooks), drops duplicates by event id, prints one line per event, and lists the
latest ones at ``GET /`` (JSON) so that a newcomer can watch changes flow."""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from carrefour.signal.webhooks import verify


def cpas_app(secret: str, *, keep: int = 50, echo: bool = True) -> Starlette:
    latest: deque[dict[str, Any]] = deque(maxlen=keep)
    seen: deque[str] = deque(maxlen=10_000)

    async def events(request: Request) -> Response:
        body = await request.body()
        try:
            verify(secret, body, dict(request.headers))
        except WebhookVerificationError:
            return Response("bad signature", status_code=401)
        document = orjson.loads(body)
        for event in document if isinstance(document, list) else [document]:
            if event["id"] in seen:
                continue  # a redelivery: already handled
            seen.append(event["id"])
            latest.appendleft(event)
            if echo:
                print(f"{event['time']} {event['type'].rsplit('.', 1)[-1]:<26} "
                      f"{event['subject']} {orjson.dumps(event['data']['changes']).decode()}",
                      flush=True)
        return Response(status_code=204)

    async def index(_request: Request) -> Response:
        return JSONResponse(list(latest))

    return Starlette(routes=[Route("/events", events, methods=["POST"]), Route("/", index)])


def serve_cpas_app(*, secret: str, port: int, host: str = "127.0.0.1") -> None:
    import uvicorn

    uvicorn.run(cpas_app(secret), host=host, port=port, log_level="warning", access_log=False)

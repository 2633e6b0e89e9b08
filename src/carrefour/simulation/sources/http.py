"""The HTTP answers shared by the simulated sources: JSON, and the protocol's problems."""

from __future__ import annotations

import orjson
from starlette.responses import Response

from carrefour.errors import CarrefourError

PROBLEM = "application/problem+json"
JSON = "application/json"


def problem(error: CarrefourError) -> Response:
    """An RFC 9457 problem document for an error of the protocol."""
    body = {
        "type": f"/problems/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
    }
    headers = {"WWW-Authenticate": 'Bearer realm="source"'} if error.status == 401 else None
    return Response(orjson.dumps(body), status_code=error.status, media_type=PROBLEM,
                    headers=headers)

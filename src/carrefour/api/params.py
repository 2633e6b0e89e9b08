"""Path and query parameters shared by the REST routes, each with explicit bounds: the
framework refuses what lies beyond them (422 ``invalid-input``) before anything reaches the
use cases or the database (whose integers are signed 64-bit)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from carrefour.limits import INT32_MAX, INT64_MAX, MAX_PAGE

EXAMPLE_NISS = "85073003328"
NO_NUL = "^[^\x00]*$"  # no database text column stores the NUL character

RowId = Annotated[
    int, Path(ge=1, le=INT32_MAX, description="The id of a deliberation or subscription",
              examples=[1])
]
NissPath = Annotated[
    str,
    Path(min_length=1, max_length=20, pattern=NO_NUL, description="The person's NISS",
         examples=[EXAMPLE_NISS]),
]
QualityCodePath = Annotated[int, Path(ge=0, le=999, description="A quality code", examples=[2])]
EndUserId = Annotated[
    str,
    Query(min_length=1, max_length=100, pattern=NO_NUL,
          description="The end user at the institution", examples=["sw-042"]),
]
EndUserRole = Annotated[
    str,
    Query(min_length=1, max_length=60, pattern=NO_NUL,
          description="The end user's role (roles of the sector)", examples=["social-worker"]),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"At most this many (1 to {MAX_PAGE})")]
Seq = Annotated[int, Query(ge=1, le=INT64_MAX, description="A journal position")]
Cursor = Annotated[int, Query(ge=0, le=INT64_MAX, description="Last event position received")]

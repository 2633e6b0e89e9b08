"""REST entry points of the data warehouse: the statistics as CSV, for the hub's operators
(admin scope, a role of their sector), journaled like every operator's call, refusals too."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from carrefour.api.deps import TICKET_HEADER, AdminCall, AdminCaller, HubDep
from carrefour.api.params import NO_NUL
from carrefour.bootstrap import Hub
from carrefour.warehouse import services
from carrefour.warehouse.domain import Grouping, UsageTable, current_month, file_name

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

PeriodQuery = Annotated[str | None, Query(
    min_length=1, max_length=40, pattern=NO_NUL, examples=["2026-11"],
    description="YYYY, YYYY-MM or YYYY-MM-DD/YYYY-MM-DD, in UTC (default: this month)")]
CSV = "text/csv; charset=utf-8"


@router.get("/persons.csv", response_class=Response,
            responses={200: {"content": {CSV: {}}, "description": "period,datum,recipient,"
                             "name,persons: the distinct persons per datum and recipient"}})
async def statistics_persons(
    call: AdminCaller, hub: HubDep, period: PeriodQuery = None,
    by: Annotated[str, Query(max_length=40, description=" or ".join(Grouping))] = "institution",
) -> Response:
    """Distinct persons for whom each datum (service or mutation type) was exchanged, per
    recipient institution or kind, and for all recipients (``*``), in the period."""
    institutions = (await hub.reference.current()).institutions.values()
    text = await asyncio.to_thread(services.persons_csv, hub.engine, _archive(hub),
                                   period or _this_month(), by, institutions)
    return _csv(call, text, f"persons-{period or _this_month()}.csv")


@router.get("/usage.csv", response_class=Response,
            responses={200: {"content": {CSV: {}}, "description": "one usage table"}})
async def statistics_usage(
    call: AdminCaller, hub: HubDep, period: PeriodQuery = None,
    table: Annotated[str, Query(max_length=40, description=", ".join(UsageTable))] = "messages",
) -> Response:
    """Usage of the services in the period: messages per service, month and client kind;
    refusals per code and month; latency percentiles (ms) per service and month."""
    institutions = (await hub.reference.current()).institutions.values()
    text = await asyncio.to_thread(services.usage_csv, hub.engine, _archive(hub),
                                   period or _this_month(), table, institutions)
    return _csv(call, text, f"usage-{table}-{period or _this_month()}.csv")


def _archive(hub: Hub) -> Path:
    return hub.settings.journal_archive_dir


def _this_month() -> str:
    return current_month(dt.datetime.now(dt.UTC).date())


def _csv(call: AdminCall, text: str, name: str) -> Response:
    """The file, with the ticket of the call's journal entry (a response of our own does
    not carry the headers the dependency set)."""
    return Response(text, media_type=CSV, headers={
        "Content-Disposition": f'attachment; filename="{file_name(name)}"',
        TICKET_HEADER: call.stamp.ticket})

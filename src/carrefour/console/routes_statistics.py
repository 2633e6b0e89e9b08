"""The console's statistics page (the data warehouse): distinct persons per datum and
recipient, usage of the services, for a period; its tables swapped in by htmx when the period
changes, and each usage table as CSV. Checked against the session's view and journaled, like
every page of the console."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from carrefour.bootstrap import Hub
from carrefour.console.domain import View
from carrefour.console.outage import OutagePage
from carrefour.console.pages import looked, show
from carrefour.warehouse import services
from carrefour.warehouse.domain import Grouping, UsageTable, current_month, file_name

router = APIRouter(prefix="/console", include_in_schema=False, route_class=OutagePage)
Text = Annotated[str | None, Query(max_length=100)]


@router.get("/statistics")
async def statistics(request: Request, period: Text = None, by: Text = None) -> Response:
    return await _page(request, "statistics.html", period, by)


@router.get("/statistics/tables")
async def statistics_tables(request: Request, period: Text = None, by: Text = None) -> Response:
    """The page's tables alone: htmx swaps them in when the period or grouping changes."""
    return await _page(request, "statistics_tables.html", period, by)


async def _page(request: Request, template: str, period: str | None, by: str | None
                ) -> Response:
    hub: Hub = request.app.state.hub
    chosen, grouping = period or _this_month(), by or Grouping.KIND
    institutions = list((await hub.reference.current()).institutions.values())
    return await show(
        request, View.STATISTICS, template,
        lambda: services.overview(hub.engine, hub.settings.journal_archive_dir, chosen,
                                  grouping, institutions),
        period=chosen, by=grouping, groupings=list(Grouping), tables=list(UsageTable),
    )


@router.get("/statistics.csv")
async def statistics_csv(request: Request, period: Text = None, table: Text = None
                         ) -> Response:
    """One usage table (messages, refusals, latency) of the period as CSV."""
    hub: Hub = request.app.state.hub
    chosen, which = period or _this_month(), table or UsageTable.MESSAGES
    institutions = list((await hub.reference.current()).institutions.values())
    result = await looked(
        request, View.STATISTICS,
        lambda: services.usage_csv(hub.engine, hub.settings.journal_archive_dir, chosen, which,
                                   institutions))
    if isinstance(result, Response):
        return result
    return Response(result[1], media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="usage-{file_name(which)}.csv"'})


def _this_month() -> str:
    return current_month(dt.datetime.now(dt.UTC).date())

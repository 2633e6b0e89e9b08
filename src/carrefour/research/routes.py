"""REST entry points of research extracts: the operators register and show a project; its
researcher sees it and gets extracts. Thin: parse, call the use case, map the result."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import Field

from carrefour.api.deps import AdminCaller, AnyCaller, HubDep
from carrefour.api.schemas import Strict
from carrefour.research import services
from carrefour.research.domain import MAX_BUDGET, MAX_EPSILON, ExtractKind, Variable, project_spec
from carrefour.research.extracts import Order
from carrefour.statuses.domain import STATUSES

router = APIRouter(prefix="/v1", tags=["research"])

ProjectId = Annotated[str, Path(min_length=1, max_length=40,
                                pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                description="The research project's id",
                                examples=["UCL-2026-007"])]
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]


class ProjectIn(Strict):
    id: str = Field(min_length=1, max_length=40, examples=["UCL-2026-007"])
    title: str = Field(min_length=1, max_length=300)
    researcher: str = Field(min_length=10, max_length=16, examples=["0419052272"],
                            description="The CBE number of the researcher's institution")
    deliberation: str = Field(min_length=1, max_length=40, examples=["CSI/26/042"])
    variables: list[Name] = Field(min_length=1, max_length=len(Variable),
                                  description=", ".join(Variable))
    statuses: list[Name] = Field(min_length=1, max_length=len(STATUSES),
                                 description="The population: persons with one of these "
                                 "statuses of the buffer during the period")
    start: dt.date = Field(description="The period's first day")
    end: dt.date = Field(description="The period's last day")
    epsilon: float | None = Field(None, description=f"The privacy budget of the "
                                  f"differentially private tables (at most {MAX_BUDGET}; "
                                  "none: no such table)")


@router.post("/admin/research/projects", tags=["admin"], status_code=201, responses={
    409: {"description": "A project with that id is already registered"}})
async def register_research_project(body: ProjectIn, call: AdminCaller, hub: HubDep
                                    ) -> dict[str, Any]:
    """Register a research project: its researcher's institution, the deliberation granting
    the research use of its variables, its population and its privacy budget. Scope
    `admin`; journaled with its audit row."""
    spec = project_spec(id=body.id, title=body.title, researcher=body.researcher,
                        deliberation=body.deliberation, variables=body.variables,
                        statuses=body.statuses, start=body.start, end=body.end,
                        budget=body.epsilon)
    snapshot = await hub.reference.current()
    done = await asyncio.to_thread(services.register_project, hub.engine, spec,
                                   stamp=call.stamp, today=hub.research.today(),
                                   snapshot=snapshot)
    return {"ticket": call.stamp.ticket, **done}


@router.get("/admin/research/projects/{project}", tags=["admin"])
async def show_research_project(project: ProjectId, _: AdminCaller, hub: HubDep
                                ) -> dict[str, Any]:
    """A research project, its privacy budget spent and its releases. Scope `admin`."""
    return await asyncio.to_thread(services.show_project, hub.engine, project)


@router.get("/research/projects/{project}", responses={
    403: {"description": "The project is another institution's (`not-project-researcher`)"}})
async def research_project(project: ProjectId, caller: AnyCaller, hub: HubDep
                           ) -> dict[str, Any]:
    """The caller's own research project (another institution: 403
    `not-project-researcher`): its variables and population — how many persons, none when
    fewer than the small-cell threshold or when its deliberation no longer grants it —, the
    privacy budget spent and left, and its releases. Scope `consult`; journaled, refusals
    too."""
    done = await hub.research.view(caller, project)
    return {"ticket": done.ticket, **done.value}


class ExtractIn(Strict):
    kind: ExtractKind = Field(description="rows: pseudonymised rows; table: persons per "
                              "cell, small cells suppressed; dp-table: differentially "
                              "private persons per cell")
    variables: list[Name] | None = Field(None, max_length=len(Variable),
                                         description="The columns or the cells' variables "
                                         "(default: the project's)")
    epsilon: float | None = Field(None, description=f"What a dp-table spends of the "
                                  f"project's budget (at most {MAX_EPSILON})")


@router.post("/research/projects/{project}/extracts", status_code=201, responses={
    409: {"description": "The release would exceed the project's privacy budget"}})
async def research_extract(project: ProjectId, body: ExtractIn, caller: AnyCaller,
                           hub: HubDep) -> dict[str, Any]:
    """An extract of the caller's own research project (another institution: 403
    `not-project-researcher`): pseudonymised rows (a pseudonym of the project's own), a
    table whose cells under the threshold are suppressed (every cell: 422
    `all-cells-suppressed`), or a differentially private table spending epsilon from the
    project's budget (beyond it: 409 `privacy-budget-exceeded`). Rows beyond the inline
    limit come as a file of the researcher's mailbox (`delivery: file`, its manifest in
    `file`; downloaded at `/v1/lists/files/{id}`). Journaled with one entry per person
    included; refusals journaled too."""
    order = Order(kind=body.kind, epsilon=body.epsilon,
                  variables=None if body.variables is None else tuple(body.variables))
    done = await hub.research.extract(caller, project, order)
    return {"ticket": done.ticket, **done.value}

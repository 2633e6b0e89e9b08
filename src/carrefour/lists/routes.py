"""REST entry points of lists: a recipient's mailbox (its files, a file's manifest, the
download, resumable with HTTP ranges), and the operators' production on demand and quick
onboarding. Thin: parse, call the use case, map the result."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Response
from pydantic import Field

from carrefour.api.deps import AdminCaller, AnyCaller, HubDep
from carrefour.api.params import Limit
from carrefour.api.schemas import Strict
from carrefour.lists.domain import FORMATS, Period
from carrefour.lists.onboarding import Applicant, onboard

router = APIRouter(prefix="/v1", tags=["lists"])

FileId = Annotated[str, Path(min_length=36, max_length=36, pattern="^[0-9a-f-]{36}$",
                             description="The list file's id (its manifest's `id`)")]
ListName = Annotated[str, Path(min_length=1, max_length=80, pattern="^[a-z][a-z0-9-]*$",
                               description="The list's name",
                               examples=["temporary-unemployment-bridging"])]
FORMAT_PATTERN = f"^({'|'.join(FORMATS)})$"
FILE_CONTENT = {media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("text/csv", "application/jsonl", "application/xml",
                              "application/vnd.apache.parquet")}


@router.get("/lists/files")
async def mailbox(caller: AnyCaller, hub: HubDep, limit: Limit = 100) -> dict[str, Any]:
    """The caller's list files still in its mailbox, newest first, each as its manifest
    (rows, SHA-256, list, deliberation, period, generation and expiry times, download path).
    Journaled."""
    done = await hub.lists.mailbox(caller, limit=limit)
    return {"ticket": done.ticket, "files": done.value}


@router.get("/lists/files/{file_id}/manifest")
async def manifest(file_id: FileId, caller: AnyCaller, hub: HubDep) -> dict[str, Any]:
    """One file's manifest, for its recipient only (another institution: 403
    `not-list-recipient`, journaled)."""
    done = await hub.lists.manifest(caller, file_id)
    return {"ticket": done.ticket, **done.value}


@router.get("/lists/files/{file_id}", response_class=Response, responses={
    200: {"description": "The whole file", "content": FILE_CONTENT},
    206: {"description": "The range asked (`Range: bytes=first-last`)", "content": FILE_CONTENT},
    410: {"description": "The file has expired"},
    416: {"description": "The range lies outside the file"},
})
async def download(
    file_id: FileId, caller: AnyCaller, hub: HubDep,
    byte_range: Annotated[str | None, Header(
        alias="Range", max_length=200,
        description="`bytes=first-last`, `bytes=first-` or `bytes=-length`")] = None,
) -> Response:
    """The file, for its recipient only, with its own credentials: resumable (one byte range
    a request: 206 with `Content-Range`; a range beyond the file: 416); another institution:
    403 `not-list-recipient`; past its retention: 410 `list-expired`. Journaled, refusals
    too; the ticket is in `Carrefour-Ticket`, the checksum in `ETag`."""
    done = await hub.lists.download(caller, file_id, byte_range)
    got = done.value
    headers = {"Accept-Ranges": "bytes", "ETag": f'"{got.sha256}"',
               "Carrefour-Ticket": done.ticket,
               "Content-Disposition": f'attachment; filename="{got.name}"'}
    if got.partial:
        headers["Content-Range"] = f"bytes {got.first}-{got.last}/{got.size}"
    return Response(got.body, status_code=206 if got.partial else 200,
                    media_type=got.media_type, headers=headers)


class GenerateIn(Strict):
    start: dt.date = Field(description="The period's first day")
    end: dt.date = Field(description="The period's last day")
    recipients: list[Annotated[str, Field(min_length=10, max_length=16)]] | None = Field(
        None, max_length=1_000, description="CBE numbers (default: every recipient)")
    format: str | None = Field(None, pattern=FORMAT_PATTERN,
                               description="One format for every file (default: each "
                               "recipient's choice)")


@router.get("/admin/lists", tags=["admin"])
async def list_definitions(_: AdminCaller, hub: HubDep) -> list[dict[str, Any]]:
    """The list definitions in force."""
    return [{"name": d.name, "title": d.title, "recipient_kinds": list(d.recipient_kinds),
             "area": d.area, "statuses": sorted(d.statuses), "service": d.service,
             "fields": list(d.fields), "deliberation": d.deliberation,
             "formats": list(d.formats), "default_format": d.default_format,
             "schedule": d.schedule} for d in hub.lists.definitions.all()]


@router.post("/admin/lists/{name}/generate", tags=["admin"], status_code=201)
async def generate_list(name: ListName, body: GenerateIn, call: AdminCaller, hub: HubDep
                        ) -> dict[str, Any]:
    """Produce the list for the period now: one file per recipient, each told by a
    `list-ready` mutation when it subscribed; every person included is journaled under
    their own NISS. Scope `admin`; journaled with the files."""
    period = Period.of(body.start, body.end)
    files = await hub.lists.generate(call.stamp, name, period, cbes=body.recipients,
                                     fmt=body.format)
    return {"ticket": call.stamp.ticket, "list": name, "files": files}


class OnboardingIn(Strict):
    cbe: str = Field(min_length=10, max_length=16, examples=["0212345678"])
    name_fr: str = Field(min_length=1, max_length=200)
    name_nl: str = Field(min_length=1, max_length=200)
    name_de: str | None = Field(None, min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=40, pattern="^[a-z][a-z0-9-]*$",
                      examples=["commune"])
    sector: int = Field(ge=0, le=999, examples=[29])
    subsector: int = Field(0, ge=0, le=999)
    postal_code: str = Field(pattern="^[0-9]{4}$", examples=["1030"])
    deliberation: str = Field(min_length=1, max_length=40, examples=["CSI/20/118"])
    format: str | None = Field(None, pattern=FORMAT_PATTERN)
    start: dt.date | None = Field(None, description="First lists' period (default: the "
                                  "last closed month)")
    end: dt.date | None = None


@router.post("/admin/onboarding", tags=["admin"], status_code=201)
async def onboard_recipient(body: OnboardingIn, call: AdminCaller, hub: HubDep
                            ) -> dict[str, Any]:
    """Quick onboarding under an existing general deliberation: the institution, its
    credentials (the secret is shown only here), its client kind, a mailbox for the lists
    the deliberation gives it, with the format chosen, and its first lists at once. Every
    change journaled with its audit rows; scope `admin`."""
    applicant = Applicant(**body.model_dump(exclude={"start", "end"}),
                          period=Period.optional(body.start, body.end))
    done = await asyncio.to_thread(
        onboard, hub.engine, hub.lists.definitions, applicant, who=call.stamp,
        policy=hub.lists.policy, types=hub.signal.types, today=hub.lists.today())
    hub.reference.invalidate()
    return {"ticket": call.stamp.ticket, **done}

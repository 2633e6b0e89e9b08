"""The service catalogue and the hub's health."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter

from carrefour.api.deps import HubDep
from carrefour.i18n.catalogues import gettext
from carrefour.i18n.languages import CONSOLE_LANGUAGES

router = APIRouter(tags=["catalogue"])


@router.get("/v1/services")
async def services(hub: HubDep) -> list[dict[str, Any]]:
    """Every service: its sources, whether integration is needed, parameters and fields;
    its title in English (`title`) and in French, Dutch and German (`titles`)."""
    return [_service_out(s) for s in hub.catalogue]


def _service_out(service: Any) -> dict[str, Any]:
    out = dataclasses.asdict(service)
    out["sources"] = [s.kind for s in service.sources]
    out["titles"] = {lang: gettext(lang, service.title) for lang in CONSOLE_LANGUAGES}
    return out


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}

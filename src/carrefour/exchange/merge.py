"""Merging the answers of several sources and keeping only the granted fields. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carrefour.catalogue.model import SECTOR_FIELD, Service
from carrefour.directory.domain import Deliberation


def merge(service: Service, answers: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One record from several: lists are concatenated, other values come from the first
    source that has them. For a collection service the items of every source are pooled."""
    merged: dict[str, Any] = {}
    for data in answers:
        for key, value in data.items():
            if value is None:
                merged.setdefault(key, None)
            elif isinstance(value, list) and isinstance(merged.get(key), list):
                merged[key] = [*merged[key], *value]
            elif merged.get(key) is None:
                merged[key] = value
    return merged


def covered(service: Service, data: dict[str, Any], grant: Deliberation) -> dict[str, Any]:
    """The answer without the items of the sectors no grant covers (a grant restricted to
    sectors); the answer itself otherwise. The items kept are whole: :func:`keep_granted`
    filters their fields."""
    if not grant.scopes or service.collection is None:
        return data
    items = data.get(service.collection) or []
    return {**data, service.collection: [i for i in items if _item_fields(i, grant) is not None]}


def keep_granted(service: Service, data: dict[str, Any], grant: Deliberation) -> dict[str, Any]:
    """Proportionality: only the fields of the service that the deliberation grants. Under a
    grant restricted to sectors, each item of the collection keeps the fields granted for its
    sector, and an item of a sector no grant covers is left out."""
    if service.collection is None:  # a restriction to sectors applies to items only
        allowed = set(grant.fields) & set(service.fields)
        return {k: v for k, v in data.items() if k in allowed}
    items = data.get(service.collection) or []
    if not grant.scopes:
        allowed = set(grant.fields) & set(service.fields)
        return {service.collection: [_only(item, allowed) for item in items]}
    declared = set(service.fields)
    kept = []
    for item in items:
        fields = _item_fields(item, grant)
        if fields is not None:
            kept.append(_only(item, fields & declared))
    return {service.collection: kept}


def persons_found(service: Service, data: dict[str, Any]) -> tuple[str, ...]:
    """The NISS of every person a collection answer holds (the results of a search), in
    order; nothing for a service without collection or whose items name no person."""
    if service.collection is None:
        return ()
    items = data.get(service.collection) or []
    return tuple(
        item["niss"] for item in items if isinstance(item, dict) and isinstance(
            item.get("niss"), str)
    )


def _item_fields(item: Any, grant: Deliberation) -> frozenset[str] | None:
    if not isinstance(item, dict):
        return None
    return grant.fields_for_sector(item.get(SECTOR_FIELD))


def _only(item: Any, allowed: set[str] | frozenset[str]) -> Any:
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if k in allowed}

"""Merging the answers of several sources and keeping only the granted fields. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from carrefour.catalogue.model import Service


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


def keep_granted(service: Service, data: dict[str, Any], granted: Iterable[str]) -> dict[str, Any]:
    """Proportionality: only the fields of the service that the deliberation grants."""
    allowed = set(granted) & set(service.fields)
    if service.collection is None:
        return {k: v for k, v in data.items() if k in allowed}
    items = data.get(service.collection) or []
    return {service.collection: [_only(item, allowed) for item in items]}


def _only(item: Any, allowed: set[str]) -> Any:
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if k in allowed}

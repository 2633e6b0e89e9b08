"""Which language to answer in: the first of ``Accept-Language`` the hub speaks."""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fr", "nl", "de", "en")
CONSOLE_LANGUAGES: Final = ("fr", "nl", "de")


def negotiate(header: str | None, *, offered: tuple[str, ...] = LANGUAGES,
              default: str = "en") -> str:
    """The offered language the header prefers most (``nl-BE;q=0.8`` counts as ``nl``)."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "")[:500].split(",")):
        tag, quality = _parse(item)
        if tag in offered and quality > 0:
            ranked.append((-quality, position, tag))
    return min(ranked)[2] if ranked else default


def _parse(item: str) -> tuple[str, float]:
    tag, _, params = item.strip().partition(";")
    quality = 1.0
    name, _, value = params.strip().partition("=")
    if name.strip() == "q":
        try:
            quality = float(value)
        except ValueError:
            quality = 0.0
    return tag.strip().lower().split("-")[0], quality

"""Problem documents in the caller's language.

A title is a catalogue message. A detail is written in English where it is raised, often with
values in it (``No exchange with ticket {ticket} is in the journal.``): it is matched against
the catalogue's messages with placeholders, and the values found are put in the translation.
A detail the catalogue does not know stays in English."""

from __future__ import annotations

import functools
import re

from carrefour.i18n.catalogues import gettext, templates

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def translate_title(title: str, language: str) -> str:
    return gettext(language, title)


def translate_detail(detail: str, language: str) -> str:
    if language == "en":
        return detail
    plain = gettext(language, detail)
    if plain != detail:
        return plain
    for source, target in templates(language):
        found = _pattern(source).fullmatch(detail)
        if found:
            return _fill(target, found.groupdict())
    return detail


@functools.cache
def _pattern(template: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(template)
    pattern = "".join(
        re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)"
        for index, part in enumerate(parts)
    )
    return re.compile(pattern, re.DOTALL)


def _fill(template: str, values: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)

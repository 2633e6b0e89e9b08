"""The message catalogues: one ``.po`` file per language, compiled in memory on first use
(so that an installed package needs no build step)."""

from __future__ import annotations

import functools
import io
from importlib import resources

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from carrefour.i18n.languages import LANGUAGES

DOMAIN = "carrefour"


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue of ``language``; English (and an unknown language) translate nothing."""
    if language not in LANGUAGES or language == "en":
        return NullTranslations()
    source = resources.files("carrefour.i18n") / "locales" / language / "LC_MESSAGES"
    with (source / f"{DOMAIN}.po").open("rb") as po:
        catalogue = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def templates(language: str) -> list[tuple[str, str]]:
    """The catalogue's messages with ``{name}`` placeholders, and their translations."""
    return _templates(language)


@functools.cache
def _templates(language: str) -> list[tuple[str, str]]:
    catalogue = translations(language)
    if not isinstance(catalogue, Translations):
        return []
    found = [
        (str(key), str(value))
        for key, value in catalogue._catalog.items()
        if isinstance(key, str) and "{" in key and value
    ]
    return sorted(found, key=lambda pair: -len(pair[0]))  # the most specific first

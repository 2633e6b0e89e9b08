"""Phonetic keys of names: Beider-Morse (approximate mode), French and Dutch rules together.

Two names match when they share at least one key. Before encoding, a name is normalised:
accents stripped, case folded, particles (``van den``, ``de``, ``le``...) joined to the word they
precede, doubled consonants collapsed and a silent ``b`` before ``v`` dropped. A compound name
(``Dupont-Martin``) gets the keys of the whole and of each part.

Encoding costs about a millisecond, and the same names come back all the time: encodings are
cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from abydos.phonetic import BeiderMorse

LANGUAGES = ("french", "dutch")

PARTICLES = frozenset(
    {
        "van", "von", "vande", "vanden", "vander", "ver", "de", "den", "der", "des", "du",
        "d", "l", "la", "le", "les", "t", "te", "ten", "ter", "het", "op", "da", "di", "del",
        "della", "dos", "el", "mac", "mc",
    }
)  # fmt: skip

_SPELLING = (
    (re.compile(r"([b-df-hj-np-tv-z])\1+"), r"\1"),  # Janssens = Jansens, Dupontt = Dupont
    (re.compile(r"bv"), "v"),  # Lefebvre = Lefevre
)


@lru_cache(maxsize=65_536)
def phonetic_keys(name: str) -> frozenset[str]:
    """The phonetic keys of a name; empty when the name has no letters."""
    return _keys_of_normalised(" ".join(normalise(name)))


def names_match(a: str, b: str) -> bool:
    """True when the two names sound alike (share a phonetic key)."""
    return not phonetic_keys(a).isdisjoint(phonetic_keys(b))


def normalise(name: str) -> tuple[str, ...]:
    """The words of a name, lower-case ASCII letters, particles joined to the next word."""
    words: list[str] = []
    pending = ""
    for token in re.split(r"[^a-z]+", strip_accents(name).casefold()):
        if not token:
            continue
        if token in PARTICLES:
            pending += token
            continue
        words.append(pending + token)
        pending = ""
    if pending:
        words.append(pending)
    return tuple(words)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=65_536)
def _keys_of_normalised(words: str) -> frozenset[str]:
    parts = words.split()
    variants = {"".join(parts), *parts} if len(parts) > 1 else set(parts)
    keys: set[str] = set()
    for variant in variants:
        keys |= _encode(variant)
    return frozenset(keys)


@lru_cache(maxsize=65_536)
def _encode(word: str) -> frozenset[str]:
    for pattern, replacement in _SPELLING:
        word = pattern.sub(replacement, word)
    keys: set[str] = set()
    for language in LANGUAGES:
        keys.update(str(_encoder(language).encode(word)).split())
    return frozenset(keys)


@cache
def _encoder(language: str) -> BeiderMorse:
    return BeiderMorse(language_arg=language, match_mode="approx")

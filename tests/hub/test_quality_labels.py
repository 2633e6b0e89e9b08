"""The quality codes carry a German label beside the official French and Dutch ones
(reference/quality_codes.csv), and the console shows it to a German-speaking user."""

from __future__ import annotations

import pytest

from carrefour import reference
from carrefour.console.services import capacity_label

CODES = list(reference.quality_codes().values())

# Words that are the same in German as in Dutch (a name, professions): the only German labels
# allowed to equal the French or Dutch one.
SAME_IN_GERMAN = {"DIMONA", "APOTHEKER", "ORTHESIST", "PROTHESIST", "ORTHOPTISTEN",
                  "BANDAGISTEN", "ERGOTHERAPEUT"}


@pytest.mark.parametrize("code", CODES, ids=lambda c: f"{c.sector}-{c.code}")
def test_every_quality_code_has_a_german_label(code: reference.QualityCode) -> None:
    assert code.label_fr.strip() and code.label_nl.strip() and code.label_de.strip()
    assert code.label_de == code.label_de.strip()


@pytest.mark.parametrize("code", CODES, ids=lambda c: f"{c.sector}-{c.code}")
def test_the_german_label_is_written_like_the_official_ones(code: reference.QualityCode) -> None:
    official_upper = code.label_fr == code.label_fr.upper()
    assert (code.label_de == code.label_de.upper()) == official_upper


def test_the_german_labels_are_translations_not_copies() -> None:
    copied = {c.label_de for c in CODES
              if c.label_de.casefold() in (c.label_fr.casefold(), c.label_nl.casefold())}
    assert copied <= SAME_IN_GERMAN


def test_the_german_labels_use_the_german_speaking_community_terms() -> None:
    assert "ÖSHZ" in reference.quality_code(17, 6).label_de  # type: ignore[union-attr]
    assert "LFA" in reference.quality_code(18, 5).label_de  # type: ignore[union-attr]
    assert "ENSS" in reference.quality_code(17, 999).label_de  # type: ignore[union-attr]


def test_the_console_shows_the_label_in_the_user_s_language() -> None:
    assert capacity_label(17, 2, "de") == "2 — Eingliederungseinkommen"
    assert capacity_label(17, 2, "fr") == "2 — Revenu d’intégration"
    assert capacity_label(17, 2, "nl") == "2 — Leefloon"
    assert capacity_label(18, 4, "de") == "4 — Arbeitsuchender"
    assert capacity_label(18, 4, "nl") == "4 — Werkzoekende"
    # a code valid in every sector, looked up from the institution's sector (compared without
    # case: the console puts the label in sentence case, which lowercases acronyms)
    assert capacity_label(17, 999, "de").casefold() == "999 — enss ersetzt"


def test_the_console_falls_back_to_french_and_to_the_bare_code() -> None:
    assert capacity_label(17, 2, "en") == "2 — Revenu d’intégration"
    assert capacity_label(17, 12345, "de") == "12345"
    assert capacity_label(None, 2, "de") == "2"
    assert capacity_label(17, None, "de") == ""

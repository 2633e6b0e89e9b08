"""Phonetic keys (Beider-Morse, French and Dutch): names that sound alike match."""

from __future__ import annotations

import pytest

from carrefour.identification.phonetic import names_match, normalise, phonetic_keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dupont", "Dupond"),
        ("Peeters", "Peters"),
        ("Lefebvre", "Lefèvre"),
        ("Janssens", "Jansen"),
        ("Janssens", "Janssen"),
        ("Janssens", "Jansens"),
        ("Vandenbroucke", "Van den Broucke"),
        ("Van Den Broucke", "VANDENBROUCKE"),
        ("De Smet", "Desmet"),
        ("D'Hondt", "Dhondt"),
        ("Dupont-Martin", "Dupont"),
        ("Müller", "Muller"),
    ],
)
def test_names_that_sound_alike_match(a: str, b: str) -> None:
    assert names_match(a, b)
    assert names_match(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Dupont", "Martin"),
        ("Peeters", "Janssens"),
        ("Dubois", "Dupont"),
        ("Maes", "Claes"),
        ("Lambert", "Leroy"),
        ("Willems", "Wouters"),
        ("Dumont", "Dupont"),
    ],
)
def test_clearly_different_names_do_not_match(a: str, b: str) -> None:
    assert not names_match(a, b)


def test_a_name_is_normalised_before_encoding() -> None:
    assert normalise("Van den Broucke") == ("vandenbroucke",)
    assert normalise("  LE  Fèbvre ") == ("lefebvre",)
    assert normalise("Dupont-Martin") == ("dupont", "martin")
    assert normalise("Van") == ("van",)


def test_a_name_without_letters_has_no_key_and_matches_nothing() -> None:
    assert phonetic_keys("--- 123") == frozenset()
    assert not names_match("", "")


def test_the_same_name_is_encoded_once() -> None:
    assert phonetic_keys("Vandenbroucke") is phonetic_keys("Van den Broucke")

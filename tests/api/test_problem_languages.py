"""Problem documents answer in the language of Accept-Language (fr, nl, de, en)."""

from __future__ import annotations

import httpx
import pytest

from tests.exchange.conftest import Network
from tests.people import CAROL

TITLES = {  # not-integrated: the institution holds no file on Carol
    "fr": "L'institution ne détient aucun dossier sur cette personne",
    "nl": "De instelling heeft geen dossier over deze persoon",
    "de": "Die Einrichtung führt keine Akte über diese Person",
    "en": "The institution holds no file on this person",
}


@pytest.mark.parametrize("language", sorted(TITLES))
def test_a_refusal_speaks_the_callers_language(network: Network, language: str) -> None:
    with network.client() as client:
        answer = client.get(f"/v1/admin/journal/{CAROL}",
                            headers={"Accept-Language": f"{language}-BE, en;q=0.5"})
        refused = client.post("/v1/consultations", headers={"Accept-Language": language}, json={
            "service": "unemployment", "niss": CAROL, "capacity": 9,
            "end_user": {"id": "sw-1", "role": "social-worker"}, "parameters": {}})
    assert answer.status_code == 403 and answer.headers["content-language"] == language
    assert refused.headers["content-language"] == language
    body = refused.json()
    assert (body["code"], body["title"]) == ("not-integrated", TITLES[language])
    assert "9" in body["detail"]  # the quality code, kept in the translated detail
    expected_detail = {"fr": "portée", "nl": "scope", "de": "Bereich", "en": "scope"}[language]
    assert expected_detail in answer.json()["detail"]


def test_every_service_has_its_title_in_french_dutch_and_german(network: Network) -> None:

    services = httpx.get(f"{network.url}/v1/services").json()
    untranslated = [
        (s["name"], lang) for s in services for lang in ("fr", "nl", "de")
        if not s["titles"][lang] or s["titles"][lang] == s["title"]
    ]
    assert services and untranslated == []
    legal = next(s for s in services if s["name"] == "legal-data")
    assert legal["titles"]["de"] == "Gesetzliche Daten einer Person (Nationalregister oder " \
        "BIS-Register)"


def test_every_problem_title_is_in_the_catalogues() -> None:
    from carrefour.errors import ALL_ERRORS
    from carrefour.i18n.problems import translate_title

    missing = [(e.code, lang) for e in ALL_ERRORS for lang in ("fr", "nl", "de")
               if translate_title(e.title, lang) == e.title]
    assert missing == []

"""Problem documents answer in the language of Accept-Language (fr, nl, de, en)."""

from __future__ import annotations

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

"""A BIS record is changed only by the institution that created it, or by the hub's operators;
every refusal has its own code, is journaled, and changes nothing."""

from __future__ import annotations

import httpx

from carrefour.auth.services import Scope, create_credentials
from carrefour.identification.register import niss_history
from tests.identification.desk import REGISTERED, Desk


def test_another_institution_cannot_correct_a_record_and_is_journaled(desk: Desk) -> None:
    bis = desk.create(who="cpas")
    before = desk.person(bis)
    refused = desk.correct(bis, who="other-cpas", birth_place="Gent")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not-record-owner"
    entry = desk.journaled(refused)
    assert (entry.action, entry.outcome, entry.client, entry.niss) == (
        "update-bis", "not-record-owner", desk.cbe("other-cpas"), bis
    )
    assert desk.person(bis) == before


def test_another_institution_cannot_replace_a_record_and_the_register_is_not_even_asked(
    desk: Desk,
) -> None:
    bis = desk.create(who="cpas")
    desk.register_knows(REGISTERED)
    refused = desk.replace(bis, REGISTERED, who="other-cpas")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not-record-owner"
    entry = desk.journaled(refused)
    assert (entry.action, entry.outcome, entry.client) == (
        "replace-niss", "not-record-owner", desk.cbe("other-cpas")
    )
    assert desk.person(bis).replaced_by is None
    assert niss_history(desk.network.engine, bis) == []
    assert desk.register_calls() == []


def test_another_institution_cannot_merge_a_record_into_its_own(desk: Desk) -> None:
    mine, theirs = desk.create(who="cpas"), desk.create(who="other-cpas")
    refused = desk.replace(mine, theirs, who="other-cpas")
    assert refused.json()["code"] == "not-record-owner"
    assert desk.person(mine).replaced_by is None


def test_the_creator_corrects_its_record(desk: Desk) -> None:
    bis = desk.create(who="cpas")
    accepted = desk.correct(bis, who="cpas", birth_place="Namur")
    assert accepted.status_code == 200, accepted.text
    assert desk.person(bis).data.birth_place == "Namur"
    assert desk.journaled(accepted).outcome == "ok"


def test_an_operator_corrects_and_replaces_any_record(desk: Desk) -> None:
    bis, duplicate = desk.create(who="cpas"), desk.create(who="other-cpas")
    assert desk.correct(bis, who="operator", birth_place="Liège").status_code == 200
    assert desk.person(bis).data.birth_place == "Liège"
    merged = desk.replace(duplicate, bis, who="operator")
    assert merged.status_code == 201, merged.text
    assert desk.person(duplicate).replaced_by == desk.person(bis).niss


def test_an_operator_with_only_the_admin_scope_may_correct_a_record(desk: Desk) -> None:
    bis = desk.create(who="cpas")
    network = desk.network
    made = create_credentials(
        network.engine, institution_id=network.institutions["operator"].id, scopes=[Scope.ADMIN]
    )
    network.tokens["admin-only"] = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": made.client_id,
        "client_secret": made.client_secret}).json()["access_token"]
    assert desk.correct(bis, who="admin-only", civil_state="married").status_code == 200


def test_a_client_with_neither_scope_is_refused_and_journaled(desk: Desk) -> None:
    bis = desk.create(who="cpas")
    network = desk.network
    made = create_credentials(
        network.engine, institution_id=network.institutions["cpas"].id, scopes=[Scope.PUBLISH]
    )
    network.tokens["publish-only"] = httpx.post(f"{network.url}/oauth/token", data={
        "grant_type": "client_credentials", "client_id": made.client_id,
        "client_secret": made.client_secret}).json()["access_token"]
    refused = desk.correct(bis, who="publish-only", birth_place="Namur")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert desk.journaled(refused).outcome == "forbidden"
    assert desk.person(bis).data.birth_place is None


def test_the_owner_merges_a_duplicate_into_another_bis_record(desk: Desk) -> None:
    duplicate, kept = desk.create(who="cpas"), desk.create(who="other-cpas")
    merged = desk.replace(duplicate, kept, who="cpas")
    assert merged.status_code == 201, merged.text
    assert desk.register_calls() == []  # a BIS number is checked against the register alone


def test_a_replaced_record_answers_with_its_successor_to_its_owner(desk: Desk) -> None:
    duplicate, kept = desk.create(who="cpas"), desk.create(who="cpas")
    desk.replace(duplicate, kept)
    corrected = desk.correct(duplicate, birth_place="Namur")
    assert corrected.status_code == 409
    assert corrected.json()["replaced_by"] == kept
    again = desk.replace(duplicate, REGISTERED)
    assert again.status_code == 409
    assert again.json()["replaced_by"] == kept

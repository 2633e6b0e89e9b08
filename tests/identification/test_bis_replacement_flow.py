"""Replacing a BIS number by the person's National Register number: checked with the Register
(or announced by it), and followed everywhere — consultations, mutations, files and notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from carrefour.identification.bis import bis_number
from carrefour.identification.dates import IncompleteDate
from carrefour.identification.niss import Gender
from carrefour.identification.register import niss_history
from carrefour.signal.tables import mutations
from tests.identification.desk import REGISTER_RECORD, REGISTERED, Desk
from tests.people import niss

REGISTERED_TOO = niss(dt.date(1960, 1, 1), 3)
ADDRESS = {"address": {"street": "Rue Neuve", "number": "3", "postal_code": "5000"}}


def _replacements_stored(desk: Desk) -> int:
    query = select(func.count()).where(mutations.c.type == "niss-replacement")
    with desk.network.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


# --- checked with the National Register ------------------------------------------------------
def test_a_number_the_register_does_not_know_is_refused(desk: Desk) -> None:
    bis = desk.create()
    refused = desk.replace(bis, REGISTERED)
    assert refused.status_code == 404
    assert refused.json()["code"] == "unknown-person"
    entry = desk.journaled(refused)
    assert (entry.outcome, entry.sources) == ("unknown-person", (desk.cbe("national-register"),))
    assert [c["niss"] for c in desk.register_calls()] == [REGISTERED]
    assert desk.person(bis).replaced_by is None


@pytest.mark.parametrize(
    ("register_says", "differing"),
    [
        ({"last_name": "Nowicki"}, "last name"),
        ({"birth_date": "1991-04-17"}, "birth date"),
        ({"birth_date": "1990-05-17"}, "birth date"),
        ({"gender": "F"}, "gender"),
        ({"first_names": ["Piotr"]}, "first name"),
    ],
)
def test_a_register_identity_that_does_not_match_is_refused(
    desk: Desk, register_says: dict[str, Any], differing: str
) -> None:
    bis = desk.create()
    desk.register_knows(REGISTERED, **register_says)
    refused = desk.replace(bis, REGISTERED)
    assert refused.status_code == 409
    assert refused.json()["code"] == "identity-mismatch"
    assert differing in refused.json()["detail"]
    for told in ("Nowicki", "1991", "05-17", "Piotr"):  # the Register's values stay unsaid
        assert told not in refused.json()["detail"]
    assert desk.journaled(refused).outcome == "identity-mismatch"
    assert desk.person(bis).replaced_by is None


def test_a_matching_identity_is_accepted_despite_an_incomplete_date_and_spelling(
    desk: Desk,
) -> None:
    bis = desk.create(last_name="Nowák", first_names=["jan"], birth_date="1990-00-00", gender="U")
    desk.register_knows(REGISTERED)  # NOWAK, Jan Piotr, 1990-04-17, M
    accepted = desk.replace(bis, REGISTERED)
    assert accepted.status_code == 201, accepted.text
    entry = desk.journaled(accepted)
    assert (entry.action, entry.niss, entry.sources) == (
        "replace-niss", bis, (desk.cbe("national-register"),)
    )
    assert desk.person(bis).replaced_by is not None
    assert [r.new_niss.value for r in niss_history(desk.network.engine, bis)] == [REGISTERED]


@pytest.mark.parametrize(("broken", "status", "code"), [
    ("answers-500", 502, "source-unavailable"),
    ("too-slow", 504, "source-timeout"),
])
def test_when_the_register_cannot_answer_nothing_is_replaced(
    desk: Desk, broken: str, status: int, code: str
) -> None:
    bis = desk.create()
    desk.register_knows(REGISTERED)
    register = desk.network.sources["national-register"]
    if broken == "answers-500":
        register.broken = True
    else:
        register.delay = 1.5  # the hub waits 1 s in these tests
    refused = desk.replace(bis, REGISTERED)
    assert (refused.status_code, refused.json()["code"]) == (status, code)
    assert desk.journaled(refused).outcome == code
    assert desk.person(bis).replaced_by is None


# --- announced by the National Register ------------------------------------------------------
def test_the_register_s_replacement_mutation_is_applied(desk: Desk) -> None:
    bis = desk.create()
    published = desk.publish("niss-replacement", bis, {"new_niss": REGISTERED})
    assert published.status_code == 202, published.text
    assert desk.person(bis).replaced_by is not None
    history = niss_history(desk.network.engine, REGISTERED)
    assert [(r.old_niss.value, r.reason) for r in history] == [
        (bis, "registered in the National Register")
    ]
    assert desk.register_calls() == []  # the Register is the authority: nothing to check
    again = desk.publish("niss-replacement", bis, {"new_niss": REGISTERED, "reason": "again"})
    assert again.status_code == 202  # already so: accepted, nothing changes
    assert len(niss_history(desk.network.engine, bis)) == 1


def test_only_the_register_may_publish_a_replacement(desk: Desk) -> None:
    bis = desk.create()
    refused = desk.publish("niss-replacement", bis, {"new_niss": REGISTERED}, who="onem")
    assert refused.status_code == 403
    assert refused.json()["code"] == "not-authentic-source"
    assert desk.journaled(refused).outcome == "not-authentic-source"
    assert desk.person(bis).replaced_by is None
    assert _replacements_stored(desk) == 0


def test_a_replacement_mutation_the_register_cannot_apply_is_refused_and_not_stored(
    desk: Desk,
) -> None:
    bis, other = desk.create(), desk.create()
    desk.replace(bis, other)  # merged into another BIS record first
    never_created = bis_number(IncompleteDate(year=1990, month=4), Gender.MALE, 997).value
    cases = [
        (bis, {"new_niss": REGISTERED}, 409, "conflict"),  # already replaced, by another
        (never_created, {"new_niss": REGISTERED}, 404, "unknown-person"),
        (REGISTERED, {"new_niss": REGISTERED_TOO}, 422, "invalid-input"),  # not a BIS number
        (other, {"new_niss": bis}, 422, "invalid-input"),  # not a Register number
        (other, {"new_niss": "123"}, 422, "invalid-niss"),
        (other, {}, 422, "invalid-input"),
    ]
    for number, data, status, code in cases:
        refused = desk.publish("niss-replacement", number, data)
        assert (refused.status_code, refused.json()["code"]) == (status, code), refused.text
        assert desk.journaled(refused).outcome == code
    assert _replacements_stored(desk) == 0
    assert desk.person(other).replaced_by is None


def test_nobody_subscribes_to_the_replacement_itself(desk: Desk) -> None:
    with desk.network.client() as client:
        refused = client.post("/v1/subscriptions", json={"mutation_type": "niss-replacement"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid-input"


# --- after a replacement ---------------------------------------------------------------------
def test_consulting_the_old_number_answers_the_new_number_s_data(desk: Desk) -> None:
    bis = desk.create()
    desk.register_knows(REGISTERED)
    desk.replace(bis, REGISTERED)
    answer = desk.network.consult("legal-data", bis)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["niss"], body["replaced_by"]) == (bis, REGISTERED)
    assert body["data"]["niss"] == REGISTERED
    assert body["data"]["birth_place"] == REGISTER_RECORD["birth_place"]
    assert desk.journaled(answer).niss == REGISTERED
    assert desk.network.consult("legal-data", REGISTERED).json()["replaced_by"] is None


def test_a_chain_of_replacements_is_followed_to_its_end(desk: Desk) -> None:
    duplicate, kept = desk.create(), desk.create()
    desk.replace(duplicate, kept)
    desk.register_knows(REGISTERED)
    desk.replace(kept, REGISTERED)
    body = desk.network.consult("legal-data", duplicate).json()
    assert (body["replaced_by"], body["data"]["niss"]) == (REGISTERED, REGISTERED)


def test_the_files_are_carried_over_and_each_carry_over_is_journaled(desk: Desk) -> None:
    bis = desk.create()
    assert desk.network.integrate(bis, code=2).status_code == 201
    assert desk.network.integrate(bis, code=7, who="other-cpas").status_code == 201
    desk.register_knows(REGISTERED)
    replaced = desk.replace(bis, REGISTERED)
    assert desk.open_files(bis) == []
    assert desk.open_files(REGISTERED) == [("cpas", 2), ("other-cpas", 7)]
    carried = [e for e in desk.traced(replaced.json()["ticket"])
               if e.action == "carry-over-integration"]
    assert sorted((e.client, e.quality_code, e.niss, e.outcome) for e in carried) == sorted([
        (desk.cbe("cpas"), 2, REGISTERED, "ok"), (desk.cbe("other-cpas"), 7, REGISTERED, "ok"),
    ])
    desk.network.sources["onem"].files["unemployment"] = {
        REGISTERED: {"currently_unemployed": True}}
    for number in (bis, REGISTERED):  # finality holds for the new number, asked by either
        assert desk.network.consult("unemployment", number).status_code == 200


def test_the_old_number_takes_no_new_file_and_ends_none(desk: Desk) -> None:
    bis = desk.create()
    desk.network.integrate(bis, code=2)
    desk.register_knows(REGISTERED)
    desk.replace(bis, REGISTERED)
    refused = desk.network.integrate(bis, code=3)
    assert refused.status_code == 409
    assert refused.json()["replaced_by"] == REGISTERED
    assert desk.journaled(refused).outcome == "conflict"
    with desk.network.client() as client:
        not_ended = client.delete(f"/v1/integrations/{bis}/2",
                                  params={"end_user_id": "sw-1", "end_user_role": "social-worker"})
    assert (not_ended.status_code, not_ended.json()["replaced_by"]) == (409, REGISTERED)
    assert desk.open_files(bis) == []
    assert desk.open_files(REGISTERED) == [("cpas", 2)]


def test_the_institutions_holding_a_file_are_told_of_the_replacement(desk: Desk) -> None:
    bis = desk.create()
    desk.network.integrate(bis, code=2)
    desk.subscribe("niss-replaced", who="cpas")
    desk.subscribe("niss-replaced", who="other-cpas")  # holds no file: told nothing
    desk.register_knows(REGISTERED)
    desk.replace(bis, REGISTERED)
    (event,) = desk.feed("cpas")
    assert event["type"] == "be.carrefour.mutation.niss-replaced"
    assert event["subject"] == REGISTERED
    (history,) = event["data"]["changes"]["history"]
    assert (history["old_niss"], history["new_niss"]) == (bis, REGISTERED)
    assert desk.feed("other-cpas") == []


def test_a_mutation_about_the_old_number_reaches_the_files_of_the_new(desk: Desk) -> None:
    bis = desk.create()
    desk.network.integrate(bis, code=2, who="cpas")
    desk.network.integrate(REGISTERED, code=2, who="other-cpas")  # knew the Register number
    for who in ("cpas", "other-cpas"):
        desk.subscribe("address-change", who=who)
    desk.publish("niss-replacement", bis, {"new_niss": REGISTERED})
    published = desk.publish("address-change", bis, ADDRESS)
    assert published.status_code == 202, published.text
    assert published.json()["deliveries"] == 2
    assert desk.journaled(published).niss == REGISTERED
    for who in ("cpas", "other-cpas"):
        (event,) = desk.feed(who)
        assert (event["subject"], event["data"]["changes"]) == (REGISTERED, ADDRESS)


def test_the_register_s_replacement_carries_the_files_over_and_tells_their_holders(
    desk: Desk,
) -> None:
    bis = desk.create()
    desk.network.integrate(bis, code=2)
    desk.subscribe("niss-replaced")
    published = desk.publish("niss-replacement", bis, {"new_niss": REGISTERED})
    assert desk.open_files(REGISTERED) == [("cpas", 2)]
    traced = desk.traced(published.json()["event_id"])
    assert [e.action for e in traced] == ["carry-over-integration", "publish-mutation"]
    assert traced[0].channel == "signal"
    (event,) = desk.feed()
    assert event["subject"] == REGISTERED


def test_a_change_queued_about_the_old_number_is_still_delivered_after_the_replacement(
    desk: Desk,
) -> None:
    bis = desk.create()
    desk.network.integrate(bis, code=2)
    desk.subscribe("address-change")
    desk.publish("address-change", bis, ADDRESS)  # queued in the feed, not read yet
    desk.publish("niss-replacement", bis, {"new_niss": REGISTERED})
    (event,) = desk.feed()
    assert (event["subject"], event["data"]["changes"]) == (bis, ADDRESS)

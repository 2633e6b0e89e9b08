"""The console's rules and the languages, without a hub."""

from __future__ import annotations

import datetime as dt

import pytest

from carrefour.console.domain import (
    Session,
    View,
    confidential_days,
    percentile,
    release_date,
    shown_to_person,
)
from carrefour.errors import Forbidden
from carrefour.i18n.languages import negotiate
from carrefour.i18n.problems import translate_detail, translate_title
from carrefour.journal.entries import JournalEntry, new_ticket

MOMENT = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)


def consultation(*, action: str = "consult", outcome: str = "ok") -> JournalEntry:
    return JournalEntry(ticket=new_ticket(), occurred_at=MOMENT, channel="rest", action=action,
                        client="0212345678", end_user_id="sw", end_user_role="social-worker",
                        service="unemployment", niss="85073003328", quality_code=1,
                        deliberation="CSI/21/099", outcome=outcome, duration_ms=3.0)


def test_a_confidential_consultation_is_withheld_until_its_release_date() -> None:
    entry = consultation()
    assert release_date(MOMENT, 90) == dt.date(2026, 5, 30)
    assert not shown_to_person(entry, 90, today=dt.date(2026, 5, 29))
    assert shown_to_person(entry, 90, today=dt.date(2026, 5, 30))
    assert shown_to_person(entry, None, today=MOMENT.date())


def test_only_consultations_that_succeeded_are_shown() -> None:
    assert not shown_to_person(consultation(outcome="no-deliberation"), None, today=MOMENT.date())
    assert not shown_to_person(consultation(action="console-mine"), None, today=MOMENT.date())
    assert shown_to_person(consultation(action="search-result"), None, today=MOMENT.date())


def test_a_composite_takes_the_longest_confidentiality_of_its_grants() -> None:
    days = {"CSI/1": 30, "CSI/2": 90}
    assert confidential_days("CSI/1+CSI/2+CSI/3", days) == 90
    assert confidential_days("CSI/3", days) is None
    assert confidential_days(None, days) is None


def test_p99_is_the_nearest_rank() -> None:
    assert percentile([float(v) for v in range(1, 101)], 0.99) == 99.0
    assert percentile([5.0], 0.99) == 5.0


def test_each_role_sees_its_views_only() -> None:
    operator = Session(kind="staff", end_user_id="o", role="operator", language="fr",
                       scopes=frozenset({"admin"}))
    dpo = Session(kind="staff", end_user_id="d", role="dpo", language="fr")
    citizen = Session(kind="citizen", end_user_id="c", role="citizen", language="fr")
    no_admin = Session(kind="staff", end_user_id="o", role="operator", language="fr")
    assert View.TICKET in operator.views() and View.MINE not in operator.views()
    assert dpo.views() == {View.EXCHANGES} and citizen.views() == {View.MINE}
    with pytest.raises(Forbidden):
        no_admin.require(View.DASHBOARD)


@pytest.mark.parametrize(("header", "language"), [
    ("nl-BE,nl;q=0.9,en;q=0.8", "nl"), ("de-DE;q=0.5, fr;q=0.7", "fr"), ("es, it", "en"),
    (None, "en"), ("de;q=abc, nl;q=0.1", "nl"), ("*", "en"),
])
def test_the_language_is_the_preferred_one_the_hub_speaks(header: str | None,
                                                          language: str) -> None:
    assert negotiate(header) == language


def test_a_detail_with_values_is_translated_with_its_values() -> None:
    detail = ("No deliberation authorises a cpas acting with quality code 9 to use the "
              "service 'pension-rights'.")
    assert translate_detail(detail, "de") == (
        "Kein Beschluss erlaubt einer Einrichtung der Art cpas mit dem Eigenschaftscode 9, "
        "den Dienst „pension-rights“ zu nutzen.")
    assert translate_detail("Something new happened.", "fr") == "Something new happened."
    assert translate_title("Not found", "nl") == "Niet gevonden"
    assert translate_title("Not found", "en") == "Not found"

"""The data warehouse's statistics, from the live journal and its archive together: distinct
persons per datum and recipient (the seed's table, in shape), usage per service and month."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
from sqlalchemy import Engine

from carrefour.directory.domain import Institution, Role
from carrefour.errors import InvalidGrouping, InvalidPeriod, UnknownStatistics
from carrefour.journal.archive import archive_closed_months
from carrefour.journal.chain import append
from carrefour.journal.entries import JournalEntry, new_ticket
from carrefour.warehouse import journal_connection
from carrefour.warehouse.domain import (
    Grouping,
    UsageTable,
    parse_grouping,
    parse_period,
    parse_usage_table,
)
from carrefour.warehouse.services import (
    ROW_TYPES,
    MessagesRow,
    PersonsRow,
    RefusalsRow,
    distinct_persons,
    to_csv,
    usage,
)

NOW = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
OCTOBER = dt.datetime(2026, 10, 5, 9, 0, tzinfo=dt.UTC)
DECEMBER = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
VDAB, FOREM, ACTIRIS, CPAS = "0887010362", "0236363165", "0207164787", "0212344876"
A, B, C, D, E, F = (f"8507300{n:04d}" for n in range(6))
_ids = itertools.count(1)


def institution(cbe: str, name: str, kind: str) -> Institution:
    return Institution(id=next(_ids), cbe=cbe, name_fr=name, name_nl=name, sector=53,
                       subsector=0, kind=kind, role=Role.CLIENT)


INSTITUTIONS = [institution(VDAB, "VDAB", "regional-employment"),
                institution(FOREM, "FOREM", "regional-employment"),
                institution(ACTIRIS, "ACTIRIS", "regional-employment"),
                institution(CPAS, "CPAS de Namur", "cpas")]


def entry(when: dt.datetime, client: str, niss: str, *, service: str = "unemployment",
          outcome: str = "ok", action: str = "consult", channel: str = "rest",
          duration_ms: float = 10.0) -> JournalEntry:
    return JournalEntry(ticket=new_ticket(), occurred_at=when, channel=channel, action=action,
                        client=client, end_user_id="agent", end_user_role="operator",
                        service=service, niss=niss, quality_code=1, deliberation="CSI/21/001",
                        sources=("0206731645",), outcome=outcome, duration_ms=duration_ms)


@pytest.fixture
def network_journal(engine: Engine, tmp_path: Path) -> Path:
    """October's exchanges archived, December's live."""
    october = [entry(OCTOBER, VDAB, A, duration_ms=20.0), entry(OCTOBER, VDAB, B),
               entry(OCTOBER, FOREM, A), entry(OCTOBER, VDAB, F, outcome="not-integrated"),
               entry(OCTOBER, CPAS, A, service="address-change", action="deliver-mutation",
                     channel="signal"),
               entry(OCTOBER, CPAS, A, service="address-change", action="send-mutation",
                     channel="signal", outcome="sent")]
    december = [entry(DECEMBER, VDAB, A), entry(DECEMBER, VDAB, C), entry(DECEMBER, FOREM, D),
                entry(DECEMBER, ACTIRIS, E), entry(DECEMBER, VDAB, C, channel="console",
                                                   action="console-ticket")]
    with engine.begin() as connection:
        append(connection, october + december)
    assert [m.month for m in archive_closed_months(engine, tmp_path, now=NOW)] == ["2026-10"]
    return tmp_path


def test_the_reader_gives_one_journal_view_over_the_live_table_and_the_archive(
    engine: Engine, network_journal: Path
) -> None:
    with journal_connection(engine, network_journal) as db:
        assert db.execute("SELECT count(*) FROM journal_archive").fetchone() == (6,)
        assert db.execute("SELECT count(*) FROM journal_live").fetchone() == (5,)
        seqs = [row[0] for row in db.execute("SELECT seq FROM journal ORDER BY seq").fetchall()]
        columns = [d[0] for d in db.execute("SELECT * FROM journal").description]
    assert seqs == list(range(1, 12))
    assert columns[:3] == ["seq", "ticket", "occurred_at"] and len(columns) == 21
    december = (DECEMBER.replace(day=1), NOW)
    with journal_connection(engine, network_journal, span=december) as db:
        assert db.execute("SELECT count(*) FROM journal").fetchone() == (5,)


def test_distinct_persons_per_datum_and_recipient_count_archive_and_live_together(
    engine: Engine, network_journal: Path
) -> None:
    rows = distinct_persons(engine, network_journal, parse_period("2026"),
                            Grouping.INSTITUTION, INSTITUTIONS)
    assert [(r.datum, r.recipient, r.name, r.persons) for r in rows] == [
        ("address-change", "*", "", 1), ("address-change", CPAS, "CPAS de Namur", 1),
        ("unemployment", "*", "", 5),  # A B C D E: F was refused, C's console look-up is none
        ("unemployment", VDAB, "VDAB", 3), ("unemployment", FOREM, "FOREM", 2),
        ("unemployment", ACTIRIS, "ACTIRIS", 1)]
    october = distinct_persons(engine, network_journal, parse_period("2026-10"),
                               Grouping.INSTITUTION, INSTITUTIONS)
    assert [(r.datum, r.recipient, r.persons) for r in october if r.datum == "unemployment"] == [
        ("unemployment", "*", 2), ("unemployment", VDAB, 2), ("unemployment", FOREM, 1)]


def test_distinct_persons_per_kind_are_not_the_sum_of_the_institutions(
    engine: Engine, network_journal: Path
) -> None:
    rows = distinct_persons(engine, network_journal, parse_period("2026-10-01/2026-12-31"),
                            Grouping.KIND, INSTITUTIONS)
    assert [(r.period, r.datum, r.recipient, r.persons) for r in rows] == [
        ("2026-10-01/2026-12-31", "address-change", "*", 1),
        ("2026-10-01/2026-12-31", "address-change", "cpas", 1),
        ("2026-10-01/2026-12-31", "unemployment", "*", 5),
        ("2026-10-01/2026-12-31", "unemployment", "regional-employment", 5)]


def test_usage_per_service_month_and_client_kind_with_refusals_and_latency(
    engine: Engine, network_journal: Path
) -> None:
    found = usage(engine, network_journal, parse_period("2026"), INSTITUTIONS)
    assert found.messages == [
        MessagesRow("2026-10", "address-change", "cpas", 1),
        MessagesRow("2026-10", "unemployment", "regional-employment", 4),
        MessagesRow("2026-12", "unemployment", "regional-employment", 4)]
    assert found.refusals == [RefusalsRow("2026-10", "not-integrated", 1)]
    october = next(r for r in found.latency if (r.month, r.service) == ("2026-10", "unemployment"))
    assert (october.messages, october.p50_ms, october.p99_ms) == (4, 10.0, 19.7)
    lines = to_csv(found.table(UsageTable.MESSAGES), ROW_TYPES[UsageTable.MESSAGES]).splitlines()
    assert lines[0] == "month,service,client_kind,messages"
    assert lines[1:] == ["2026-10,address-change,cpas,1",
                         "2026-10,unemployment,regional-employment,4",
                         "2026-12,unemployment,regional-employment,4"]
    assert to_csv([], PersonsRow) == "period,datum,recipient,name,persons\n"


def test_only_the_hubs_refusals_count_as_refusals(engine: Engine, tmp_path: Path) -> None:
    answers = ["ok", "partial", "accepted", "corrected", "cancelled", "received"]
    with engine.begin() as connection:
        append(connection, [
            *(entry(DECEMBER, CPAS, A, service="declare-living-wage", action="declare",
                  outcome=o)
              for o in answers),
            entry(DECEMBER, CPAS, B, service="address-change", action="deliver-mutation",
                  channel="signal", outcome="failed: HTTP 503"),
            entry(DECEMBER, CPAS, C, service="declare-living-wage", action="declare",
                  outcome="no-file-on-person"),
            entry(DECEMBER, CPAS, C, service="declare-living-wage", action="declare",
                  outcome="internal-error")])
    found = usage(engine, tmp_path, parse_period("2026-12"), INSTITUTIONS)
    assert found.refusals == [RefusalsRow("2026-12", "internal-error", 1),
                              RefusalsRow("2026-12", "no-file-on-person", 1)]
    assert sum(row.messages for row in found.messages) == 9


def test_a_period_without_exchanges_gives_empty_tables(engine: Engine, tmp_path: Path) -> None:
    found = usage(engine, tmp_path, parse_period("2025-02"), INSTITUTIONS)
    assert (found.messages, found.refusals, found.latency) == ([], [], [])


@pytest.mark.parametrize("period", [
    "2026-13", "2026-00", "26", "2026-1", "2026-02-30/2026-03-01", "2026-12-01/2026-11-01",
    "1999", "2101-01", "2000-01-01/2026-01-01", "", "last month", "2026-11 ",
])
def test_a_bad_period_is_refused_with_its_code(period: str) -> None:
    if period.strip() == "2026-11":
        assert parse_period(period).label == "2026-11"  # surrounding blanks are forgiven
        return
    with pytest.raises(InvalidPeriod) as refused:
        parse_period(period)
    assert refused.value.code == "invalid-period"


def test_bad_groupings_and_tables_are_refused_with_their_codes() -> None:
    assert parse_period("2024-02").span == (dt.datetime(2024, 2, 1, tzinfo=dt.UTC),
                                            dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    with pytest.raises(InvalidGrouping) as grouping:
        parse_grouping("sector")
    with pytest.raises(UnknownStatistics) as table:
        parse_usage_table("wages")
    assert (grouping.value.code, table.value.code) == ("invalid-grouping", "unknown-statistics")
    assert parse_grouping("kind") is Grouping.KIND

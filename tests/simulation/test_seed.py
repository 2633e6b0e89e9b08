"""Seeding the network: the sources' databases and the hub's directory, consistent and
deterministic. Runs on the hub's test database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from carrefour.auth.services import authenticate, issue_token
from carrefour.auth.tables import credentials
from carrefour.directory.domain import cpas_limit
from carrefour.directory.tables import deliberations, institutions, integrations
from carrefour.simulation.network import DEMO_CPAS_SLUG, NETWORK, SOURCES, institution
from carrefour.simulation.seeding.municipal_cpas import municipal_cpas
from carrefour.simulation.seeding.seed import SeedReport, seed_network
from carrefour.simulation.seeding.sources_db import writer_engine
from carrefour.simulation.sources import schema

TODAY = dt.date(2025, 3, 14)
PERSONS = 1_000
SIGNING_SECRET = "a-signing-secret-of-at-least-32-bytes"


def seed(engine: Engine, folder: Path, *, seed: int = 7, **options: Any) -> SeedReport:
    return seed_network(hub_engine=engine, sources_dir=folder, persons=PERSONS, seed=seed,
                        base_port=9100, today=TODAY, **options)


def source_dump(report: SeedReport) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every source database, in a stable order."""
    dump: dict[str, list[tuple[Any, ...]]] = {}
    for source in report.sources:
        engine = writer_engine(source.database_url)
        with engine.connect() as connection:
            for table in schema.schema(source.kind).sorted_tables:
                rows = connection.execute(select(table)).all()
                dump[f"{source.slug}.{table.name}"] = sorted(tuple(r) for r in rows)
        engine.dispose()
    return dump


def directory_dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """The directory rows seeding writes, without database ids or hashes of secrets."""
    with engine.connect() as connection:
        cbe = dict(connection.execute(select(institutions.c.id, institutions.c.cbe)).all())
        places = connection.execute(select(institutions)).mappings().all()
        files = connection.execute(select(integrations)).mappings().all()
        clients = connection.execute(select(credentials)).mappings().all()
    return {
        "institutions": sorted(tuple(v for k, v in r.items() if k != "id") for r in places),
        "integrations": sorted(
            (r["niss"], cbe[r["institution_id"]], r["quality_code"], r["starts_on"],
             r["ends_on"]) for r in files),
        "credentials": sorted(
            (r["client_id"], cbe[r["institution_id"]], tuple(r["scopes"])) for r in clients),
    }


def test_the_same_seed_writes_the_same_sources_and_directory(
    engine: Engine, tmp_path: Path,
) -> None:
    first = seed(engine, tmp_path / "a")
    sources, directory = source_dump(first), directory_dump(engine)
    second = seed(engine, tmp_path / "b")
    assert source_dump(second) == sources
    assert directory_dump(engine) == directory
    assert (second.credentials, second.examples) == (first.credentials, first.examples)
    assert len(directory["institutions"]) == len(NETWORK) + len(municipal_cpas())


def test_another_seed_writes_other_sources_and_directory(engine: Engine, tmp_path: Path) -> None:
    first = seed(engine, tmp_path / "a", seed=1)
    sources, directory = source_dump(first), directory_dump(engine)
    second = seed(engine, tmp_path / "b", seed=2)
    assert source_dump(second) != sources
    after = directory_dump(engine)
    assert after["integrations"] != directory["integrations"]
    assert after["credentials"] != directory["credentials"]


def test_every_person_is_integrated_at_the_mutuality_that_holds_their_file(
    engine: Engine, tmp_path: Path,
) -> None:
    report = seed(engine, tmp_path)
    ids = _ids(engine)
    insured_total = 0
    for source in (s for s in report.sources if s.kind == "mutuality"):
        with engine.connect() as connection:
            integrated = set(connection.execute(
                select(integrations.c.niss).where(
                    integrations.c.institution_id == ids[institution(source.slug).cbe],
                    integrations.c.quality_code == 1,
                )).scalars())
        assert integrated == _members(source.database_url)
        insured_total += len(integrated)
    assert insured_total == PERSONS


def test_cpas_files_are_active_today_and_end_at_the_codes_maximum(
    engine: Engine, tmp_path: Path,
) -> None:
    report = seed(engine, tmp_path)
    ids = _ids(engine)
    cpas_ids = {ids[m.cbe] for m in NETWORK if m.kind == "cpas"}
    with engine.connect() as connection:
        files = connection.execute(
            select(integrations).where(integrations.c.institution_id.in_(cpas_ids))
        ).mappings().all()
    assert len(files) == report.cpas_files > 0
    for file in files:
        assert file["quality_code"] in (2, 5)
        assert file["starts_on"] <= TODAY <= file["ends_on"]
        assert file["ends_on"] == cpas_limit(file["quality_code"], file["starts_on"])
    demo = ids[institution(DEMO_CPAS_SLUG).cbe]
    integrated = {(f["niss"], f["quality_code"]) for f in files if f["institution_id"] == demo}
    assert (report.examples["integrated"], 2) in integrated
    assert (report.examples["integrated_bim"], 2) in integrated
    assert report.examples["not_integrated"] not in {f["niss"] for f in files}


def test_the_directory_holds_the_endpoints_and_tokens_of_the_simulated_sources(
    engine: Engine, tmp_path: Path,
) -> None:
    report = seed(engine, tmp_path)
    with engine.connect() as connection:
        rows = {r["cbe"]: r for r in connection.execute(select(institutions)).mappings()}
    for source in report.sources:
        row = rows[institution(source.slug).cbe]
        assert row["endpoint"] == source.endpoint == f"http://127.0.0.1:{source.port}"
        assert row["source_token"] == source.token
        assert row["role"] == "source" and row["kind"] == source.kind
    assert {s.port for s in report.sources} == {9100 + s.port_offset for s in SOURCES
                                                 if s.port_offset is not None}
    hub = rows[institution("cbss").cbe]
    assert (hub["kind"], hub["endpoint"], hub["sector"]) == ("bis-register",
                                                             "local:bis-register", 25)


def test_the_demo_credentials_obtain_tokens_with_their_scopes(
    engine: Engine, tmp_path: Path,
) -> None:
    report = seed(engine, tmp_path)
    scopes = {}
    for issued in report.credentials:
        token = issue_token(engine, client_id=issued.client_id, client_secret=issued.client_secret,
                            secret=SIGNING_SECRET, ttl_seconds=60)
        scopes[issued.institution] = authenticate(token.access_token, secret=SIGNING_SECRET).scopes
    assert scopes[DEMO_CPAS_SLUG] == {"consult"}
    assert scopes["operator"] == {"admin", "consult"}
    assert report.credentials[0].institution == DEMO_CPAS_SLUG


def test_the_deliberations_are_loaded_unless_asked_not_to(engine: Engine, tmp_path: Path) -> None:
    seed(engine, tmp_path / "a", load_reference=False)
    assert _count(engine, deliberations) == 0
    report = seed(engine, tmp_path / "b")
    assert report.reference_loaded is not None
    assert _count(engine, deliberations) == report.reference_loaded[0] > 0


def test_seeding_again_leaves_other_institutions_alone(engine: Engine, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(institutions.insert().values(
            cbe="0202239951", name_fr="Autre", name_nl="Ander", sector=5, subsector=0,
            kind="pension", role="client", active=True, created_at=now))
    seed(engine, tmp_path)
    seed(engine, tmp_path)
    assert _count(engine, institutions) == len(NETWORK) + len(municipal_cpas()) + 1


def test_seeding_reports_its_progress_step_by_step(engine: Engine, tmp_path: Path) -> None:
    steps: dict[str, tuple[int, int]] = {}
    seed(engine, tmp_path, progress=lambda step, done, total: steps.update({step: (done, total)}))
    assert steps["population"] == (PERSONS, PERSONS)
    assert steps["source national-register"][0] >= PERSONS
    done, total = steps["directory"]
    assert done == total >= PERSONS


def test_the_report_counts_every_integration_written(engine: Engine, tmp_path: Path) -> None:
    report = seed(engine, tmp_path)
    ids = _ids(engine)
    simulated = {ids[m.cbe] for m in NETWORK} | {ids[c.cbe] for c in municipal_cpas()}
    with engine.connect() as connection:
        kinds = dict(connection.execute(select(institutions.c.id, institutions.c.kind)).all())
        written = [kinds[i] for i in connection.execute(select(
            integrations.c.institution_id).where(integrations.c.institution_id.in_(simulated)))
            .scalars()]
    assert report.integrations == len(written)
    assert {"mutuality", "cpas", "regional-employment"} <= set(written)


def test_a_source_is_indexed_and_left_in_wal_mode(engine: Engine, tmp_path: Path) -> None:
    report = seed(engine, tmp_path)
    register = next(s for s in report.sources if s.slug == "national-register")
    source = writer_engine(register.database_url)
    with source.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        indexes = set(connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons'"
        ).scalars())
    source.dispose()
    assert mode == "wal"
    assert {index.name for index in schema.persons.indexes} <= indexes


def test_seeding_rewrites_a_source_file_left_broken(engine: Engine, tmp_path: Path) -> None:
    first = seed(engine, tmp_path)
    register = next(s for s in first.sources if s.slug == "national-register")
    path = Path(register.database_url.removeprefix("sqlite:///"))
    path.write_bytes(b"not a database, the end of a load cut short" * 100)
    again = seed(engine, tmp_path)
    assert again.sources == first.sources


def _ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(institutions.c.cbe, institutions.c.id)).all())


def _members(url: str) -> set[str]:
    source = writer_engine(url)
    with source.connect() as connection:
        found = set(connection.execute(select(schema.members.c.niss)).scalars())
    source.dispose()
    return found


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(table)).all())

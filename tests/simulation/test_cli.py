"""The simulation's command line: ``carrefour seed`` and ``carrefour source serve``."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from carrefour.directory.tables import institutions
from carrefour.simulation.cli import register
from carrefour.simulation.network import NETWORK
from carrefour.simulation.seeding.municipal_cpas import municipal_cpas

main = typer.Typer()
register(main)


def test_seed_writes_the_sources_and_the_directory_and_shows_the_credentials(
    engine: Engine, database_url: str, tmp_path: Path,
) -> None:
    result = CliRunner().invoke(main, [
        "seed", "--persons", "300", "--seed", "3", "--database-url", database_url,
        "--sources-dir", str(tmp_path), "--no-reference",
    ], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "cpas-bruxelles-" in result.output and "integrated" in result.output
    assert (tmp_path / "national-register.sqlite3").exists()
    with engine.connect() as connection:
        assert len(connection.execute(select(institutions)).all()) == len(NETWORK) + len(
            municipal_cpas())


def test_seed_refuses_a_hub_database_without_its_schema(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = CliRunner().invoke(main, ["seed", "--persons", "10", "--database-url", empty,
                                       "--sources-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "schema" in result.output


def test_serve_refuses_an_unknown_kind_of_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "source", "serve", "--kind", "tax-office", "--port", "9999",
        "--database-url", f"sqlite:///{tmp_path / 'x.sqlite3'}", "--token", "t",
    ])
    assert result.exit_code != 0

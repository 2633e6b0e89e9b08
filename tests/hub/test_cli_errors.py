"""The command line says what went wrong in one line, never with a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from carrefour import __version__


def carrefour(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carrefour.cli", *args], capture_output=True, text=True,
        timeout=60, env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_the_version_is_shown() -> None:
    done = carrefour("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"carrefour {__version__}"


def test_a_bad_database_url_is_one_line() -> None:
    line = one_line_error(carrefour("init", "--database-url", "nowhere://x"))
    assert line.startswith("carrefour: error: the database URL is not valid")


def test_missing_tables_say_to_run_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    line = one_line_error(carrefour("journal", "verify", "--database-url", url))
    assert "run `carrefour init`" in line


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("CARREFOUR_TOKEN_TTL", "soon", "CARREFOUR_TOKEN_TTL='soon'"),
    ("CARREFOUR_SOURCE_TIMEOUT", "-1", "greater than 0"),
    ("CARREFOUR_JOURNAL_GATHER_MS", "500", "less than or equal to 100"),
    ("CARREFOUR_LOG_FORMAT", "xml", "'auto', 'json' or 'text'"),
])
def test_a_bad_setting_is_named_with_what_is_expected(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
    line = one_line_error(carrefour("init", "--database-url", url, env={name: value}))
    assert line.startswith(f"carrefour: error: invalid setting {name}=")
    assert expected in line

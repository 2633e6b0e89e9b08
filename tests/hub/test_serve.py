"""``carrefour serve``: it refuses to start, in one line, on a database it could not serve
(missing, not initialised, files this user may not write), and it supervises its workers: a
worker that dies is logged with how it ended and replaced, and so is one that hangs."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from carrefour.db import build_engine, is_sqlite, metadata
from carrefour.health.services import StartRefused, check_before_start
from carrefour.tables import load_all_tables
from tests.servers import free_port

SECRET = "serve-test-token-secret-0123456789abcdef"


def _serve(env: dict[str, str], *, port: int, prefix: tuple[str, ...] = (),
           options: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "carrefour.cli", "serve", "--port", str(port),
         *options],
        env={**os.environ, "CARREFOUR_TOKEN_SECRET": SECRET, **env}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _refusal(env: dict[str, str], *, prefix: tuple[str, ...] = ()) -> str:
    process = _serve(env, port=free_port(), prefix=prefix)
    try:
        _out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        raise AssertionError(f"serve did not refuse to start: {err}") from None
    assert process.returncode == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line, no traceback
    return lines[0]


@contextmanager
def _empty_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no table in it, on the backend under test."""
    if is_sqlite(database_url):
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_empty"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_serve_refuses_an_uninitialised_database(database_url: str, tmp_path: Path) -> None:
    with _empty_database(database_url, tmp_path) as empty:
        if is_sqlite(empty):
            Path(make_url(empty).database or "").touch()  # the file exists, with no table
        line = _refusal({"CARREFOUR_DATABASE_URL": empty, "CARREFOUR_DATA_DIR": str(tmp_path)})
    assert line.endswith("run `carrefour init`"), line


def test_serve_refuses_a_missing_sqlite_database(tmp_path: Path) -> None:
    line = _refusal({"CARREFOUR_DATA_DIR": str(tmp_path / "var")})
    assert "does not exist: run `carrefour init`" in line, line
    assert not (tmp_path / "var").exists()  # the refusal wrote nothing


def test_a_schema_at_another_revision_is_refused(database_url: str, tmp_path: Path) -> None:
    with _empty_database(database_url, tmp_path) as empty:
        engine = build_engine(empty)
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE alembic_version (version_num "
                                        "VARCHAR(32) NOT NULL)"))
                connection.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
        finally:
            engine.dispose()
        with pytest.raises(StartRefused, match=r"revision 0001, .* run `carrefour init`"):
            check_before_start(empty)


def test_a_database_made_from_the_tables_is_accepted(engine: Engine) -> None:
    check_before_start(str(engine.url))  # the test suite's schema: metadata.create_all


def _bound_by_file_modes() -> tuple[str, ...]:
    """A command prefix under which file modes bind the hub: none for an ordinary user; for
    root (whom they do not stop), root without the capabilities that override them."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to bind")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search")


def test_serve_refuses_a_read_only_shm_file_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "carrefour.sqlite3"
    load_all_tables()
    engine = build_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    engine.dispose()
    shm = Path(f"{database}-shm")
    shm.write_bytes(b"")
    shm.chmod(0o444)  # the hub's user may only read it: SQLite would map it read-only
    line = _refusal({"CARREFOUR_DATA_DIR": str(tmp_path)}, prefix=_bound_by_file_modes())
    assert line == (f"carrefour serve: {shm} is not writable by this user: give it back to "
                    "the hub's user")


def test_serve_refuses_a_read_only_database_folder(tmp_path: Path) -> None:
    folder = tmp_path / "var"
    folder.mkdir()
    load_all_tables()
    engine = build_engine(f"sqlite:///{folder / 'carrefour.sqlite3'}")
    metadata.create_all(engine)
    engine.dispose()
    folder.chmod(0o555)
    try:
        line = _refusal({"CARREFOUR_DATA_DIR": str(folder),
                         "CARREFOUR_TOKEN_SECRET": SECRET}, prefix=_bound_by_file_modes())
    finally:
        folder.chmod(0o755)
    assert f"the database's folder {folder} is not writable by this user" in line, line


def _live(port: int) -> int | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=2)
    except httpx.HTTPError:
        return None
    return int(response.json()["pid"]) if response.status_code == 200 else None


def _wait_for_worker(port: int, *, other_than: int | None = None, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = _live(port)
        if pid is not None and pid != other_than:
            return pid
        time.sleep(0.2)
    raise AssertionError("no hub worker answered /health/live")


@pytest.mark.slow
def test_a_worker_that_dies_is_logged_and_replaced(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    hub = _serve({"CARREFOUR_DATABASE_URL": str(engine.url.render_as_string(False)),
                  "CARREFOUR_DATA_DIR": str(tmp_path), "TMPDIR": str(tmp_path)}, port=port)
    try:
        first = _wait_for_worker(port)
        os.kill(first, signal.SIGBUS)  # what a read-only -shm did to the hub
        second = _wait_for_worker(port, other_than=first)
        assert httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=10).status_code == 200
    finally:
        hub.kill()  # the supervisor itself killed: its worker goes with it
        _out, err = hub.communicate(timeout=60)
    assert second != first
    assert f"hub worker [{first}] died (signal SIGBUS); starting a new one" in err, err
    _wait_until_ended(second)


def _wait_until_ended(worker: int) -> None:
    deadline = time.monotonic() + 10
    while _running(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(worker), "the worker outlived its supervisor"


def _running(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has ended; only its exit status is left


def _workers(supervisor: int) -> set[int]:
    """The pids of a supervisor's workers (its children but multiprocessing's resource
    tracker)."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return {int(pid) for pid in children
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def _replacement(port: int, supervisor: int, *, of: int, others: set[int],
                 timeout: float = 90) -> int:
    """The pid of the worker started in place of ``of``, the hub answering all the while."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert _live(port) is not None, "the hub stopped answering while a worker hung"
        new = _workers(supervisor) - others - {of}
        if new:
            return new.pop()
        time.sleep(0.2)
    raise AssertionError(f"hub worker [{of}] was not replaced")


@pytest.mark.slow
def test_a_hung_worker_is_killed_logged_and_replaced(engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    hub = _serve({"CARREFOUR_DATABASE_URL": str(engine.url.render_as_string(False)),
                  "CARREFOUR_DATA_DIR": str(tmp_path), "TMPDIR": str(tmp_path),
                  "CARREFOUR_WORKER_HEARTBEAT_TIMEOUT": "2"},
                 port=port, options=("--workers", "2"))
    try:
        hung = _wait_for_worker(port)
        others = _workers(hub.pid) - {hung}
        assert len(others) == 1
        os.kill(hung, signal.SIGSTOP)  # alive, but its event loop answers nothing
        _wait_for_worker(port, other_than=hung)  # the other worker has started serving
        replacement = _replacement(port, hub.pid, of=hung, others=others)
        assert _running(replacement)
        assert not _running(hung)
    finally:
        hub.kill()  # at once: the replacement may still be importing the hub
        _out, err = hub.communicate(timeout=60)
    _wait_until_ended(replacement)
    assert re.search(rf"hub worker \[{hung}\] silent for \d+\.\d s \(heartbeat timeout 2 s\); "
                     "killed, starting a new one", err), err

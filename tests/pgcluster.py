"""A throwaway PostgreSQL cluster on a port of its own, that a test may stop and restart
(never the shared server). Needs the server's binaries (initdb, pg_ctl); run as root, it runs
them as the ``postgres`` user, as PostgreSQL requires."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.servers import free_port


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _server_user() -> str | None:
    """Who runs the server: ourselves, or ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
    return "postgres"


@dataclass
class Cluster:
    bindir: Path
    data: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data.parent} "
                   "-c fsync=off -c max_connections=200")
        self.run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                 str(self.data.parent / "log"), "-w", "start")

    def stop(self) -> None:
        """Stopped at once, as by a crash of its host: no client is waited for."""
        self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    bindir = _binaries()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    user = _server_user()
    folder = Path(tempfile.mkdtemp(prefix="carrefour-pg-"))
    if user is not None:
        shutil.chown(folder, user=user)
    cluster = Cluster(bindir=bindir, data=folder / "data", port=free_port(), user=user)
    try:
        cluster.run("initdb", "-D", str(cluster.data), "-A", "trust", "-U", "postgres",
                    "--no-sync")
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)

"""A bare reverse proxy in front of the source (nginx ``proxy_pass``): what any process in the
path costs, measured in the same run as the source alone and the hub.

nginx is installed from Debian's packages when it is missing and the bench runs as root (like
wrk). It runs in the foreground (``daemon off``) as a subprocess of the benchmark, one worker,
with its files in the run's folder, and keeps its connections to the source open (an upstream
``keepalive`` pool, as the hub's gateway does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen import LoadError
from bench.network import free_port
from bench.servers import Server, running

CONFIG = """\
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream source {{
        server {upstream};
        keepalive 256;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://source;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


def ensure_nginx() -> str:
    """The path of nginx, installed from Debian's packages when missing and we are root."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None)
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise LoadError("The benchmark needs nginx for its proxy phase: install it (Debian/"
                        "Ubuntu: sudo apt-get install -y nginx-light) and run it again.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx-light"], check=True, env=env)
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if not found:
        raise LoadError("apt-get installed nginx but it is not on the PATH.")
    return found


@contextmanager
def running_proxy(nginx: str, source: Server, folder: Path) -> Iterator[Server]:
    """nginx on a free port, proxying every request to ``source``."""
    port = free_port()
    config = folder / "nginx.conf"
    upstream = source.url.removeprefix("http://").split("/", 1)[0]
    config.write_text(CONFIG.format(folder=folder, upstream=upstream, port=port))
    with running("proxy", [nginx, "-c", str(config), "-p", str(folder)],
                 url=f"http://127.0.0.1:{port}", health="/v1/health",
                 log=folder / "nginx.log") as server:
        yield server

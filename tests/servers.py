"""Real test servers for the store and fleet tests, found or started on 127.0.0.1.

CI starts the servers with ``.ci/servers.sh`` and exports ``TK_*`` variables (ports, URLs). A run
without them (a newcomer's ``python -m pytest``) starts each server the first time a test asks for
it, through the same script, and stops it at the end of the session. A server that cannot be had
fails the test that needs it: a store test is never skipped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "servers.sh"

# The variable each server's start-up exports; present means "already running".
MARKERS = {
    "postgres": "TK_PG_URL",
    "redis": "TK_REDIS_PORT",
    "zookeeper": "TK_ZK_PORT",
    "etcd": "TK_ETCD_PORT",
    "mongo": "TK_MONGO_PORT",
    "rethinkdb": "TK_RETHINK_PORT",
}

_started_dirs: list[str] = []


def ensure_server(name: str) -> dict[str, str]:
    """Return the ``TK_*`` environment of server ``name``, starting it if it is not running."""
    marker = MARKERS[name]
    if marker not in os.environ:
        srv_dir = tempfile.mkdtemp(prefix=f"tk-{name}-")
        os.chmod(srv_dir, 0o755)
        env = dict(os.environ, TK_SRV_DIR=srv_dir)
        proc = subprocess.run(
            ["bash", str(SCRIPT), "start", name],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        _started_dirs.append(srv_dir)
        if proc.returncode != 0:
            pytest.fail(
                f"test server {name!r} is not running ({marker} unset) and could not be started "
                f"with `bash .ci/servers.sh start {name}`:\n{proc.stderr[-2000:]}",
                pytrace=False,
            )
        for line in proc.stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                os.environ[key] = shlex.split(value)[0] if value else ""
    return {k: v for k, v in os.environ.items() if k.startswith("TK_")}


def stop_started_servers() -> None:
    """Stop the servers this session started itself (called at session end)."""
    for srv_dir in _started_dirs:
        subprocess.run(
            ["bash", str(SCRIPT), "stop"],
            env=dict(os.environ, TK_SRV_DIR=srv_dir),
            capture_output=True,
            timeout=120,
            check=False,
        )
        shutil.rmtree(srv_dir, ignore_errors=True)
    _started_dirs.clear()


#: the variable that sets each server's port (postgres takes its port from TK_PG_PORT)
PORT_VARS = {
    "postgres": "TK_PG_PORT",
    "redis": "TK_REDIS_PORT",
    "zookeeper": "TK_ZK_PORT",
    "etcd": "TK_ETCD_PORT",
    "mongo": "TK_MONGO_PORT",
    "rethinkdb": "TK_RETHINK_PORT",
}


#: the scheme of each store's URL (postgres: the server's own TK_PG_URL)
SCHEMES = {"redis": "redis", "mongo": "mongodb", "zookeeper": "zookeeper", "etcd": "etcd"}


def store_url(name: str, folder: str | Path | None = None) -> str:
    """The URL a shared scheduler opens its store with (``sqlite``: a new file in ``folder``).

    The one home of the store URLs the shared-scheduler tests and benchmarks use; the server is
    started through :func:`ensure_server` when the run did not start it.
    """
    if name == "sqlite":
        if folder is None:
            raise ValueError("an SQLite store URL needs a folder")
        return f"sqlite:///{folder}/jobs-{os.getpid()}-{uuid.uuid4().hex[:10]}.sqlite"
    if name == "postgres":
        return ensure_server("postgres")["TK_PG_URL"]
    return f"{SCHEMES[name]}://127.0.0.1:{ensure_server(name)[MARKERS[name]]}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PrivateServer:
    """A server of one test's own (own folder, own port), for tests that stop and start it.

    The shared servers other tests use are never touched. ``env`` adds variables for the
    start-up script (``TK_REDIS_ARGS``, ``TK_PG_KEEP_DATA``: keep the data across a stop and a
    start).
    """

    def __init__(self, name: str, **env: str) -> None:
        self.name = name
        self.port = free_port()
        self.srv_dir = tempfile.mkdtemp(prefix=f"tk-private-{name}-")
        os.chmod(self.srv_dir, 0o755)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TK_")}
        self.env.update(env, TK_SRV_DIR=self.srv_dir, **{PORT_VARS[name]: str(self.port)})
        #: the ``TK_*`` variables the start-up printed (``TK_PG_URL``...)
        self.exports: dict[str, str] = {}

    def start(self) -> None:
        proc = subprocess.run(
            ["bash", str(SCRIPT), "start", self.name],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            pytest.fail(f"could not start a private {self.name}:\n{proc.stderr[-2000:]}")
        for line in proc.stdout.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                self.exports[key] = shlex.split(value)[0] if value else ""

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(SCRIPT), "stop"], env=self.env, capture_output=True, timeout=120
        )

    def __enter__(self) -> PrivateServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.srv_dir, ignore_errors=True)

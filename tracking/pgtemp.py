"""A throwaway PostgreSQL + PostGIS server in a temp folder (for tests and the benchmark).

``with TempPostgres() as pg: url = pg.create_database("t1")`` -> a SQLAlchemy URL
(``postgresql+psycopg://postgres@/t1?host=<socket dir>&port=<port>``) of a fresh database
with PostGIS. The server listens only on a Unix socket in its own temp folder
(``listen_addresses=''``), runs as the ``postgres`` user when we are root (``runuser``), and
is stopped and removed on exit. Binaries: ``/usr/lib/postgresql/<ver>/bin`` (Debian's
``postgresql`` + ``postgresql-15-postgis-3``; ``make test`` installs them).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin); "
                "`make test` installs them (Debian packages postgresql postgresql-15-postgis-3), "
                "or: apt-get install -y postgresql postgresql-15-postgis-3")


class PostgresMissingError(RuntimeError):
    pass


def find_bindir() -> Path:
    env = os.environ.get("GAOYAO_PG_BINDIR")
    cands = [env] if env else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in cands:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresMissingError(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="gaoyao-pg-"))
        self.datadir = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.user = "postgres"
        self._started = False

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> TempPostgres:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        else:
            self.user = os.environ.get("USER", "postgres")
        os.chmod(self.root, 0o755)
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        opts = (f"-k {self.root} -p {self.port} -c listen_addresses='' -c fsync=off "
                "-c max_connections=100")
        self._run("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l",
                  str(self.root / "log.txt"), "-w", "start")
        self._started = True
        self.psql("postgres", "CREATE DATABASE template_tracking")
        self.psql("template_tracking", "CREATE EXTENSION postgis")
        return self

    def psql(self, db: str, sql: str) -> str:
        return self._run("psql", "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                         "-d", db, "-v", "ON_ERROR_STOP=1", "-Atc", sql).stdout

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.root}&port={self.port}"

    def create_database(self, name: str, postgis: bool = True) -> str:
        template = "template_tracking" if postgis else "template1"
        self.psql("postgres", f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "stop", check=False)
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> TempPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

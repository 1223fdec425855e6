"""A throwaway PostgreSQL server for the tests and benchmarks: initdb in a temporary folder, started on a
free loopback port with trust authentication, stopped and removed afterwards.

PostgreSQL refuses to run as root, and CI runs as root: then an unprivileged system user (`revoxpg`) is
created if missing, owns the folder, and runs initdb, pg_ctl and so the server (through runuser).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

PG_USER = "revoxpg"
_SUPERUSER = "postgres"


def pg_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: $REVOX_PG_BIN, PostgreSQL 15's Debian folder, another version's, PATH."""
    candidates = [os.environ.get("REVOX_PG_BIN", ""), "/usr/lib/postgresql/15/bin"]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("pg_ctl")
    candidates += [str(Path(found).parent)] if found else []
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ensure_user() -> None:
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )


class PostgresServer:
    """`with PostgresServer() as pg: url = pg.create_database("name")`. `durable=False` (the tests) turns
    fsync off: nothing here must survive a power cut, and the suite runs faster."""

    def __init__(self, durable: bool = False) -> None:
        folder = pg_bin_dir()
        if folder is None:
            raise FileNotFoundError("no PostgreSQL binaries (initdb, pg_ctl) found; set REVOX_PG_BIN")
        self.bin = folder
        self.durable = durable
        self.port = 0
        # As root, under /tmp: the unprivileged user must be able to reach it ($TMPDIR may be root's own).
        self.dir = Path(tempfile.mkdtemp(prefix="revox-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        self._as_user: list[str] = []
        self._started = False

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self._as_user, *command], cwd=self.dir, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace").strip().splitlines()[-5:] if log.exists() else []
            problem = " | ".join([result.stderr.strip(), *tail])
            raise RuntimeError(f"{Path(command[0]).name} failed ({result.returncode}): {problem}")

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            _ensure_user()
            shutil.chown(self.dir, PG_USER, PG_USER)
            runuser = shutil.which("runuser")
            self._as_user = [runuser, "-u", PG_USER, "--"] if runuser else ["setpriv", f"--reuid={PG_USER}",
                             f"--regid={PG_USER}", "--init-groups"]  # fmt: skip
        data = self.dir / "data"
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", _SUPERUSER, "-E", "UTF8",
                  "--no-instructions", *([] if self.durable else ["--no-sync"]))  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -k {self.dir} -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for _ in range(3):  # a port picked free can be taken before the server binds it
            self.port = _free_port()
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.dir / "log"), "-w", "-t", "60",
                          "-o", f"{options} -p {self.port}", "start")  # fmt: skip
                break
            except RuntimeError:
                if "could not bind" not in (self.dir / "log").read_text(errors="replace"):
                    raise
        self._started = True
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def stop(self) -> None:
        if self._started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop")
            self._started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

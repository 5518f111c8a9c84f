"""A throwaway PostgreSQL cluster for the tests and the benches.

Debian's server binaries (initdb, pg_ctl), a data folder under a temporary folder, the
server listening only on a unix socket in that folder (no TCP port is opened) on a free
port number. PostgreSQL refuses to run as root: under root (CI) it runs as `nobody`
through runuser. Nothing asks for a password (trust on the socket, which only this
machine's accounts can reach, for a cluster that lives as long as the test run).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "crs_test"


def server_bin() -> Path | None:
    """The folder of Debian's initdb/pg_ctl (the newest installed), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self, fsync: bool = False) -> None:
        bindir = server_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL's server binaries are not installed")
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="crs-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            self._as_user = ["runuser", "-u", "nobody", "--"]
            shutil.chown(self.folder, "nobody")
        os.chmod(self.folder, 0o755)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        )
        settings = [
            "listen_addresses = ''",
            f"unix_socket_directories = '{self.folder}'",
            f"port = {self.port}",
            "max_connections = 60",
        ]
        if not fsync:  # a throwaway cluster: the tests kill clients, never the machine
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n".join(settings) + "\n")
        self._count = 0
        self.start()

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self.bindir / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql:///{dbname}?host={self.folder}&port={self.port}&user={SUPERUSER}"

    def new_database(self, prefix: str = "chart") -> str:
        """A new empty database; its address."""
        import psycopg

        self._count += 1
        name = f"{prefix}_{os.getpid()}_{self._count}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def restart(self) -> None:
        """Stop (fast: every connection is cut) and start again, as a server restart."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def start(self) -> None:
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-w", "-l", log, "start")

    def close(self) -> None:
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)

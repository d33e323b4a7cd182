"""A private PostgreSQL server for tests: Debian's binaries, a scratch data folder, loopback only."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise PostgresUnavailable("PostgreSQL is not installed: run `make system-deps` (Debian's postgresql package)")
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def postgres_server(dbname: str = "course") -> Iterator[str]:
    """Start a throw-away server; yield its SQLAlchemy URL; stop and delete it afterwards."""
    bindir = _bindir()
    as_root = os.geteuid() == 0
    # PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = tempfile.mkdtemp(prefix="course-pg-")
    data, sock = os.path.join(base, "data"), os.path.join(base, "sock")
    os.makedirs(sock)
    os.chmod(base, 0o755)
    if as_root:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()

    def run(*cmd: str) -> None:
        proc = subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise PostgresUnavailable(f"{os.path.basename(cmd[0])} failed: {(proc.stderr or proc.stdout).strip()[-500:]}")

    try:
        run(f"{bindir}/initdb", "-D", data, "--auth=trust", "-U", "grader", "--no-sync")
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off -c max_connections=100"
        run(f"{bindir}/pg_ctl", "-D", data, "-o", opts, "-l", os.path.join(base, "log"), "-w", "-t", "60", "start")
        try:
            run(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "grader", dbname)
            yield f"postgresql://grader@127.0.0.1:{port}/{dbname}"
        finally:
            subprocess.run([*prefix, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
    finally:
        shutil.rmtree(base, ignore_errors=True)

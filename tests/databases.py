"""Runs the recorder-backed tests on a real MariaDB or PostgreSQL, not only the default SQLite.

`python -m tests.databases mariadb|postgresql [pytest args]` starts a throwaway server of Debian's
binaries on a free 127.0.0.1 port with its data in a temporary folder under build/ (the chroot does
not see /tmp), runs pytest with Home Assistant's `--dburl` (the harness creates and drops the
database around every test), then stops the server by its PID and removes its folder. A server that
is not installed or does not start skips the pass with the reason printed, never silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import glob
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / "build"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServerUnavailable(Exception):
    """The server is not installed or did not start: the pass is skipped with this reason."""


@dataclass
class Server:
    """One database server process we started, and the URL of its (not yet created) database."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    home: Path


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _which(binary: str, *extra: str) -> str:
    """The binary's path (PostgreSQL's live in a versioned folder off PATH), or a skip."""
    path = shutil.which(binary, path=os.pathsep.join([os.environ.get("PATH", ""), *extra]))
    if path is None:
        raise ServerUnavailable(f"{binary} is not installed (scripts/setup installs it)")
    return path


def _log_tail(log: Path) -> str:
    """The end of a server's log, to say why it did not start."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-15:])
    except OSError:
        return "(no log)"


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Wait until the server accepts TCP connections on 127.0.0.1:port, or give up."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerUnavailable(f"exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    _stop(process)
    raise ServerUnavailable(f"not listening after {START_TIMEOUT:.0f} s:\n{_log_tail(log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the one process we started, by its PID: SIGTERM (a clean shutdown), then SIGKILL."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


def start_mariadb(home: Path) -> Server:
    """mariadbd without grant tables (only 127.0.0.1 reaches it), durability traded for speed."""
    install_db = _which("mariadb-install-db")
    mariadbd = _which("mariadbd", "/usr/sbin")
    data, log = home / "data", home / "mariadb.log"
    done = subprocess.run(
        [install_db, "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db"],
        check=False,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"mariadb-install-db failed:\n{_log_tail(log)}")
    port = free_port()
    process = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            "--user=root",
            f"--datadir={data}",
            f"--socket={home / 'mariadb.sock'}",
            f"--pid-file={home / 'mariadb.pid'}",
            f"--log-error={log}",
            "--bind-address=127.0.0.1",
            f"--port={port}",
            "--skip-grant-tables",
            "--skip-name-resolve",
            "--skip-log-bin",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0",
            "--innodb-buffer-pool-size=128M",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_listening(process, port, log)
    return Server("MariaDB", process, f"mysql://root@127.0.0.1:{port}/ec_test", home)


def start_postgresql(home: Path) -> Server:
    """postgres as the unprivileged `postgres` user (it refuses root), trust auth on 127.0.0.1."""
    bin_dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    initdb = _which("initdb", *bin_dirs)
    postgres = _which("postgres", *bin_dirs)
    try:
        import pwd

        user = pwd.getpwnam("postgres")
    except KeyError as err:
        raise ServerUnavailable("no `postgres` user to run the server as") from err
    data, log = home / "data", home / "postgresql.log"
    as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    os.chown(home, user.pw_uid, user.pw_gid)
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(home)}
    done = subprocess.run(
        [initdb, "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
        check=False,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        **as_user,  # type: ignore[arg-type]
    )
    if done.returncode != 0:
        raise ServerUnavailable(f"initdb failed:\n{_log_tail(log)}")
    port = free_port()
    process = subprocess.Popen(
        [
            postgres,
            "-D",
            str(data),
            "-c",
            "listen_addresses=127.0.0.1",
            "-p",
            str(port),
            "-c",
            f"unix_socket_directories={home}",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=env,
        **as_user,  # type: ignore[arg-type]
    )
    _wait_listening(process, port, log)
    return Server("PostgreSQL", process, f"postgresql://postgres@127.0.0.1:{port}/ec_test", home)


STARTERS = {"mariadb": start_mariadb, "postgresql": start_postgresql}


@contextmanager
def database_server(kind: str) -> Iterator[Server]:
    """A running server of `kind` in a fresh folder under build/, stopped and removed at the end."""
    BUILD.mkdir(exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix=f"db-{kind}-", dir=BUILD))
    os.chmod(home, 0o755)
    try:
        server = STARTERS[kind](home)
        try:
            yield server
        finally:
            _stop(server.process)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def pytest_configure(config: Any) -> None:
    """As a plugin (`-p tests.databases`): each xdist worker gets a database of its own, as the
    harness creates and drops the one named in `--dburl` around every test."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = config.getoption("dburl")
    if worker and not url.startswith("sqlite"):
        config.option.dburl = f"{url}_{worker}"


def main(argv: list[str]) -> int:
    """Start the server, run pytest against it, stop it; pytest's exit code (0 when skipped)."""
    if not argv or argv[0] not in STARTERS:
        print(f"usage: python -m tests.databases {{{'|'.join(STARTERS)}}} [pytest args]")
        return 2
    kind, pytest_args = argv[0], argv[1:]
    started = time.monotonic()
    try:
        with database_server(kind) as server:
            up = time.monotonic() - started
            print(f"== pytest on {server.name} ({server.url}), up in {up:.1f} s")
            sys.stdout.flush()
            command = [sys.executable, "-m", "pytest", f"--dburl={server.url}"]
            command += ["--drop-existing-db", "-p", "tests.databases"]
            command += pytest_args
            return subprocess.run(command, check=False, cwd=REPO).returncode
    except ServerUnavailable as err:
        print(f"== SKIPPED the {kind} pass: the server is unavailable: {err}")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The database passes' helper (tests/databases.py): it skips with the reason, never silently, and
stops and removes what it started."""

from pathlib import Path
import socket

import pytest
import sqlalchemy as sa

from tests import databases


def test_an_unknown_database_prints_the_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """Only the kinds it can start are accepted."""
    assert databases.main(["sqlite"]) == 2
    assert databases.main([]) == 2
    assert "usage: python -m tests.databases {mariadb|postgresql}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "binary"), [("mariadb", "mariadb-install-db"), ("postgresql", "initdb")]
)
def test_a_missing_server_skips_the_pass_with_its_reason(
    kind: str,
    binary: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No binaries on PATH (nor PostgreSQL's folder): the pass is skipped, pytest never runs,
    and the output says which binary is missing."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(databases.glob, "glob", lambda _pattern: [])
    before = set(databases.BUILD.glob(f"db-{kind}-*"))
    assert databases.main([kind, "tests/none"]) == 0
    out = capsys.readouterr().out
    assert (
        f"== SKIPPED the {kind} pass: the server is unavailable: {binary} is not installed" in out
    )
    assert "== pytest on" not in out
    assert set(databases.BUILD.glob(f"db-{kind}-*")) == before  # its folder is removed


@pytest.mark.usefixtures("socket_enabled")
@pytest.mark.parametrize("kind", ["mariadb", "postgresql"])
def test_the_server_answers_then_is_stopped_and_removed(kind: str) -> None:
    """A real server answers SQL on 127.0.0.1; at the end its process has exited cleanly (a
    SIGTERM shutdown, not a kill) and its folder is gone."""
    try:
        with databases.database_server(kind) as server:
            assert server.process.poll() is None
            url = sa.make_url(server.url)
            assert url.host == "127.0.0.1"
            engine = sa.create_engine(
                url.set(database="mysql" if kind == "mariadb" else "postgres")
            )
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT 1")).scalar() == 1
            engine.dispose()
            home = server.home
    except databases.ServerUnavailable as err:
        pytest.skip(f"{kind} is unavailable: {err}")
    assert server.process.returncode == 0
    assert not home.exists()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", url.port), timeout=1):
        pass

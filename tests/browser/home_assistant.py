"""A real Home Assistant for the browser test: the simulated home of `config/`, started like
`scripts/develop` (same configuration, same `.storage` settings) on a free 127.0.0.1 port in a
temporary copy, with the owner created through the onboarding API."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0
OWNER = {"name": "Dev", "username": "dev", "password": "dev-password-123", "language": "en"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_storage(config: Path, port: int) -> None:
    """The same `.storage` settings as scripts/develop (scripts/ha_storage.py)."""
    spec = importlib.util.spec_from_file_location("ha_storage", ROOT / "scripts" / "ha_storage.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_storage(config, port)


@dataclass
class RunningHomeAssistant:
    """A started instance: its URL, the owner's tokens, its config dir and log."""

    url: str
    config: Path
    log: Path
    access_token: str = ""
    refresh_token: str = ""

    def request(self, method: str, path: str, body: Any = None, *, form: bool = False) -> Any:
        """A call to its HTTP API as the owner (JSON in, JSON out)."""
        headers = {"Authorization": f"Bearer {self.access_token}"} if self.access_token else {}
        data = None
        if body is not None and form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with urllib.request.urlopen(req, timeout=30) as response:
            text = response.read().decode()
        return json.loads(text) if text else None

    def onboard(self) -> None:
        """Create the owner (the only onboarding step left) and log in as it."""
        client_id = f"{self.url}/"
        user = self.request("POST", "/api/onboarding/users", {**OWNER, "client_id": client_id})
        tokens = self.request(
            "POST",
            "/auth/token",
            {"grant_type": "authorization_code", "code": user["auth_code"], "client_id": client_id},
            form=True,
        )
        self.access_token = tokens["access_token"]
        self.refresh_token = tokens["refresh_token"]
        self.request(
            "POST",
            "/api/onboarding/integration",
            {"client_id": client_id, "redirect_uri": f"{self.url}/?auth_callback=1"},
        )

    def frontend_tokens(self) -> dict[str, Any]:
        """What the frontend keeps in localStorage after a login (`hassTokens`)."""
        return {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": 1800,
            "refresh_token": self.refresh_token,
            "hassUrl": self.url,
            "clientId": f"{self.url}/",
            "expires": int(time.time() * 1000) + 1_800_000,
        }

    def log_text(self) -> str:
        """Home Assistant's log so far."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""


def _prepare_config(config: Path) -> None:
    """config/ of the repository: its configuration and simulated home, this checkout's code."""
    source = ROOT / "config"
    shutil.copy(source / "configuration.yaml", config / "configuration.yaml")
    custom = config / "custom_components"
    custom.mkdir()
    shutil.copytree(
        source / "custom_components" / "simulated_home",
        custom / "simulated_home",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (custom / "energy_correlator").symlink_to(ROOT / "custom_components" / "energy_correlator")


def _wait_until_up(instance: RunningHomeAssistant, process: subprocess.Popen[bytes]) -> None:
    """Until the HTTP API answers (onboarding is reachable without a login)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Home Assistant exited ({process.returncode}):\n{instance.log_text()}"
            )
        try:
            instance.request("GET", "/api/onboarding")
            return
        except urllib.error.URLError, ConnectionError, TimeoutError:
            time.sleep(0.5)
    raise RuntimeError(
        f"Home Assistant did not answer in {START_TIMEOUT_S} s:\n{instance.log_text()}"
    )


@contextmanager
def home_assistant(workdir: Path) -> Iterator[RunningHomeAssistant]:
    """Start it, onboard the owner, and stop it (by its own PID) afterwards."""
    config = workdir / "config"
    config.mkdir()
    _prepare_config(config)
    port = _free_port()
    _write_storage(config, port)
    log = workdir / "hass.log"
    instance = RunningHomeAssistant(url=f"http://127.0.0.1:{port}", config=config, log=log)
    with log.open("wb") as out:
        process = subprocess.Popen(
            # --skip-pip: every requirement is installed by scripts/setup; nothing is fetched.
            [sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"],
            stdout=out,
            stderr=subprocess.STDOUT,
            # Not the repository: its own custom_components/ would shadow the config's.
            cwd=workdir,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        try:
            _wait_until_up(instance, process)
            instance.onboard()
            yield instance
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

"""A real VictoriaMetrics for the InfluxDB tests and benchmark (it accepts `/api/v2/write`).

`victoria` starts the Debian binary on a free 127.0.0.1 port with a temporary data dir, can stop
and restart it on the same port and data dir (an outage), reads samples back through
`/api/v1/export`, and always stops the process it started, by its PID.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable
import json
from pathlib import Path
import shutil
import socket
import subprocess
import time
from typing import Any

import aiohttp
from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.influx import InfluxSettings, InfluxSink

BINARY = "victoria-metrics"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Victoria:
    """One VictoriaMetrics process we own."""

    def __init__(self, data_dir: Path, port: int | None = None, args: tuple[str, ...] = ()) -> None:
        """Remember where it lives; `start` runs it with `args` added to its flags."""
        binary = shutil.which(BINARY)
        if binary is None:
            pytest.skip("victoria-metrics is not installed (scripts/setup installs it)")
        self.binary = binary
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        """Run it and wait until it answers /health."""
        self.process = subprocess.Popen(  # noqa: ASYNC220 - Popen returns at once
            [
                self.binary,
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.data_dir}",
                "-retentionPeriod=100y",
                "-loggerLevel=ERROR",
                *self.args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.url}/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.kill()
                    raise RuntimeError("victoria-metrics did not start")
                await asyncio.sleep(0.05)

    async def stop(self) -> None:
        """Stop gracefully (SIGTERM, data flushed to disk) and wait for the exit."""
        if self.process is None:
            return
        self.process.terminate()
        deadline = time.monotonic() + 20
        while self.process.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.kill()

    def kill(self) -> None:
        """Make sure our process is gone (teardown; by PID, never by name)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    async def export(self) -> list[dict[str, Any]]:
        """Every series with all its raw samples (duplicates included)."""
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{self.url}/internal/force_flush") as response:
                await response.read()
            async with session.get(
                f"{self.url}/api/v1/export", params={"match[]": '{__name__!=""}'}
            ) as response:
                text = await response.text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    async def wait_for_samples(self, total: int, within_s: float = 30.0) -> list[dict[str, Any]]:
        """Poll until at least `total` samples are visible, then once more after a pause."""
        deadline = time.monotonic() + within_s
        while True:
            series = await self.export()
            if count_samples(series) >= total or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        await asyncio.sleep(1.5)  # late duplicates would show up by now
        return await self.export()


def count_samples(series: list[dict[str, Any]]) -> int:
    """All samples in an export."""
    return sum(len(item["timestamps"]) for item in series)


def sample_counts(series: list[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """How often each (metric name, timestamp in ms) was stored: 1 everywhere means exactly once."""
    counts: Counter[tuple[str, int]] = Counter()
    for item in series:
        for ts in item["timestamps"]:
            counts[item["metric"]["__name__"], ts] += 1
    return counts


@pytest.fixture(name="victoria")
async def victoria_fixture(tmp_path: Path, socket_enabled: None) -> AsyncGenerator[Victoria]:
    """A running VictoriaMetrics (127.0.0.1 only), stopped by PID when the test ends."""
    server = Victoria(tmp_path / "victoria")
    await server.start()
    try:
        yield server
    finally:
        server.kill()


# ---- sink helpers shared by the InfluxDB tests and the benchmark -----------------------------

TOKEN = "s3cr3t-t0ken-never-logged"


@pytest.fixture(name="entry")
def entry_fixture(hass: HomeAssistant, tmp_path: Path) -> MockConfigEntry:
    """A config entry to attach a sink to; its backlog file goes to a temporary config dir."""
    hass.config.config_dir = str(tmp_path)
    entry = MockConfigEntry(domain=DOMAIN, title="Home", data={})
    entry.add_to_hass(hass)
    return entry


def make_sink(
    hass: HomeAssistant,
    entry: ConfigEntry,
    url: str,
    *,
    cap: int = 200_000,
    token: str = TOKEN,
    bucket: str = "energy",
) -> InfluxSink:
    """A sink with tunables tightened so tests see batching, back-off and persistence quickly."""
    settings = InfluxSettings(
        url=url, token=token, org="home", bucket=bucket, verify_ssl=True, max_backlog_points=cap
    )
    sink = InfluxSink(hass, settings)
    sink.attach(entry)
    tighten(sink)
    return sink


def tighten(sink: InfluxSink) -> None:
    """Tunables tightened so tests see batching, back-off and journaling quickly."""
    sink.flush_interval_s = 0.05
    sink.journal_interval_s = 0.05
    sink.retry_initial_s = 0.05
    sink.retry_max_s = 0.2
    sink.write_timeout_s = 5.0


async def wait_until_drained(sink: InfluxSink, within_s: float = 30.0) -> None:
    """Wait until the sink has nothing pending."""
    deadline = time.monotonic() + within_s
    while sink.stats.points_pending and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    assert sink.stats.points_pending == 0, sink.stats


async def drain_with_frozen_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sink: InfluxSink, within_s: float = 30.0
) -> None:
    """`wait_until_drained` for tests under `freezer`: the loop's clock is frozen there, so
    the sink's flush timer (and any asyncio.sleep) only runs when the clock is moved on."""
    for _ in range(int(within_s / 0.02)):
        if not sink.stats.points_pending:
            return
        freezer.tick(0.02)
        await hass.async_add_executor_job(time.sleep, 0.02)  # real time for the HTTP round trip
    assert sink.stats.points_pending == 0, sink.stats


# ---- a fake server, only for answers the real one cannot give (400/401/403/404/413/422/5xx) ---


class FakeInflux:
    """A tiny aiohttp server on 127.0.0.1: `status_for(body)` decides each write's answer."""

    def __init__(self) -> None:
        """Accept everything until told otherwise."""
        self.status_for: Callable[[str], int] = lambda _body: 204
        self.accepted: list[str] = []  # lines of writes answered 2xx
        self.requests: list[web.Request] = []
        self.url = ""
        self.delay_s = 0.0  # answer slowly (a write in flight while the sink stops)
        self._runner: web.AppRunner | None = None

    async def _write(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        body = (await request.read()).decode()
        await asyncio.sleep(self.delay_s)
        status = self.status_for(body)
        if 200 <= status < 300:
            self.accepted.extend(line for line in body.split("\n") if line)
            return web.Response(status=status)
        return web.json_response({"code": "error", "message": f"fake {status}"}, status=status)

    async def start(self) -> None:
        """Listen on a free 127.0.0.1 port."""
        app = web.Application()
        app.router.add_post("/api/v2/write", self._write)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Close the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture(name="fake_influx")
async def fake_influx_fixture(socket_enabled: None) -> AsyncGenerator[FakeInflux]:
    """A running `FakeInflux`."""
    server = FakeInflux()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()

"""A SIGKILL of Home Assistant while the server is down: at most the last seconds are lost, and
the replay stores every point in VictoriaMetrics exactly once (it keeps duplicates that InfluxDB
would overwrite, so it shows any point written twice).

The sink runs in a child process (`python -m tests.test_influx_crash ...`: a real hass and the
sink with its real journal intervals) that records RATE points/s, each with its index as value
and a timestamp of its own, and reports the last index it recorded. The test stops
VictoriaMetrics (an outage), kills the child with SIGKILL, starts VictoriaMetrics again and lets
the next run's sink (in the test's hass, same config dir) replay the journal.
"""

import asyncio
from collections import Counter
import os
from pathlib import Path
import subprocess
import sys
import time
from typing import Any

from homeassistant.core import HomeAssistant
from influxdb_client.client.write_api_async import WriteApiAsync
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_correlator  # noqa: F401
from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.influx import InfluxSettings, InfluxSink
from custom_components.energy_correlator.influx.sink import journal_path

from .victoria import (
    Victoria,
    count_samples,
    victoria_fixture,  # noqa: F401 - the `victoria` fixture
    wait_until_drained,
)

RATE = 50  # points per second
TICK_S = 0.1
BASE = float(round(time.time()) - 2 * 86_400)  # two days ago: every index has its own ms
REPO = Path(__file__).resolve().parent.parent
# Journal hand-over every 1 s: a SIGKILL (the OS keeps what was handed over) loses at most
# about that plus a tick; power loss adds up to the 5 s between fsyncs (not testable here).
MAX_LOST_S = 2.5


def _settings(url: str) -> InfluxSettings:
    return InfluxSettings(url=url, token="crash", org="home", bucket="energy")


# ---- the child: a Home Assistant that records until it is killed -----------------------------


async def _child(config_dir: str, url: str, batch_size: int, answer_delay_s: float) -> None:
    progress = Path(config_dir) / "progress"
    real_write = WriteApiAsync.write

    async def slow_write(self: WriteApiAsync, **kwargs: Any) -> bool:
        """A slow network: the answer of a stored batch arrives `answer_delay_s` late."""
        result = await real_write(self, **kwargs)
        await asyncio.sleep(answer_delay_s)
        return result

    WriteApiAsync.write = slow_write  # type: ignore[method-assign,assignment]
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        entry = MockConfigEntry(domain=DOMAIN, title="Crash", data={}, entry_id="crash")
        entry.add_to_hass(hass)
        sink = InfluxSink(hass, _settings(url))
        sink.attach(entry)
        sink.flush_interval_s = 0.2
        sink.retry_initial_s = sink.retry_max_s = 0.3
        sink.batch_size = batch_size
        await sink.async_start()
        index = 0
        while True:
            for _ in range(int(RATE * TICK_S)):
                sink.record("crash", (("run", "one"),), (("index", float(index)),), _ts(index))
                index += 1
            tmp = progress.with_suffix(".tmp")
            tmp.write_text(f"{index - 1} {sink.stats.points_pending}")
            os.replace(tmp, progress)
            await asyncio.sleep(TICK_S)


def _ts(index: int) -> float:
    return BASE + index / 100


# ---- the test side ------------------------------------------------------------------------------


class Child:
    """The child process and what it last reported."""

    def __init__(
        self, config_dir: Path, url: str, batch_size: int, answer_delay_s: float = 0.0
    ) -> None:
        """Start it (it runs until killed)."""
        self.progress = config_dir / "progress"
        args = [str(config_dir), url, str(batch_size), str(answer_delay_s)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.test_influx_crash", *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def report(self) -> tuple[int, int]:
        """(last index recorded, points pending) as last written by the child."""
        try:
            last, pending = self.progress.read_text().split()
        except FileNotFoundError, ValueError:
            return -1, 0
        return int(last), int(pending)

    async def wait_for(self, predicate: Any, within_s: float = 60.0) -> None:
        """Wait until predicate(last, pending) holds (the child must stay alive)."""
        deadline = time.monotonic() + within_s
        while not predicate(*self.report()):
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode()[-3000:])  # type: ignore[union-attr]
            assert time.monotonic() < deadline, self.report()
            await asyncio.sleep(0.05)

    def kill(self) -> int:
        """SIGKILL; returns the last index the child recorded."""
        self.process.kill()
        self.process.wait(timeout=10)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return self.report()[0]


def _indexes(series: list[dict[str, Any]]) -> Counter[int]:
    counts: Counter[int] = Counter()
    for item in series:
        if item["metric"]["__name__"] == "crash_index":
            counts.update(int(value) for value in item["values"])
    return counts


async def _replay(hass: HomeAssistant, url: str) -> InfluxSink:
    entry = MockConfigEntry(domain=DOMAIN, title="Crash", data={}, entry_id="crash")
    entry.add_to_hass(hass)
    sink = InfluxSink(hass, _settings(url))
    sink.attach(entry)
    sink.flush_interval_s = 0.05
    await sink.async_start()
    return sink


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """The config dir both runs share."""
    hass.config.config_dir = str(tmp_path)
    return tmp_path


async def test_sigkill_during_outage_replays_every_point_once(
    hass: HomeAssistant, config_dir: Path, victoria: Victoria
) -> None:
    """Killed 4 s into an outage: everything but the last seconds is stored, each point once."""
    child = Child(config_dir, victoria.url, batch_size=5_000)
    try:
        await child.wait_for(lambda last, _pending: last >= 2 * RATE)  # 2 s written live
        await victoria.stop()
        outage_started = child.report()[0]
        await asyncio.sleep(4.0)
        await child.wait_for(lambda _last, pending: pending >= 3 * RATE)  # failing, journaling
    finally:
        last = child.kill()
    assert last - outage_started >= 3 * RATE

    await victoria.start()
    sink = await _replay(hass, victoria.url)
    await wait_until_drained(sink)
    counts = _indexes(await victoria.wait_for_samples(last - int(MAX_LOST_S * RATE)))
    await sink.async_stop()

    assert counts, "nothing stored"
    assert set(counts.values()) == {1}, {i: n for i, n in counts.items() if n > 1}
    stored_up_to = max(counts)
    assert sorted(counts) == list(range(stored_up_to + 1))  # no gap before the cut
    lost = last - stored_up_to
    assert lost <= MAX_LOST_S * RATE, f"lost the last {lost / RATE:.1f} s"
    assert not journal_path(hass, sink.settings).exists()


async def test_sigkill_while_catching_up_replays_no_acknowledged_batch(
    hass: HomeAssistant, config_dir: Path, victoria: Victoria
) -> None:
    """Killed while the backlog drains in small batches: acknowledged batches are not replayed
    (each is marked settled before the next is sent); only the batch whose answer and mark the
    kill may have separated can be stored twice."""
    batch = 5
    child = Child(config_dir, victoria.url, batch_size=batch, answer_delay_s=0.05)
    try:
        await child.wait_for(lambda last, _pending: last >= RATE)
        await victoria.stop()
        await child.wait_for(lambda _last, pending: pending >= 8 * RATE)
        await victoria.start()
        await child.wait_for(lambda _last, pending: pending <= 4 * RATE)  # half drained
    finally:
        last = child.kill()
    stored_before = count_samples(await victoria.export())

    sink = await _replay(hass, victoria.url)
    replayed = sink.stats.points_pending
    await wait_until_drained(sink)
    counts = _indexes(await victoria.wait_for_samples(last - int(MAX_LOST_S * RATE)))
    await sink.async_stop()

    assert replayed > 0  # killed mid-way: part written live, the rest replayed
    duplicated = sorted(i for i, n in counts.items() if n > 1)
    assert len(duplicated) <= batch, duplicated
    assert stored_before > 0
    stored_up_to = max(counts)
    assert sorted(counts) == list(range(stored_up_to + 1))
    assert last - stored_up_to <= MAX_LOST_S * RATE


if __name__ == "__main__":
    asyncio.run(_child(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))

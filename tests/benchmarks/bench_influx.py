"""The InfluxDB sink: disk writes of an outage (influx_outage.py), throughput, stalls, memory.

A real `hass` (the test harness's, in a temporary config dir) and a real VictoriaMetrics on
127.0.0.1: a paced producer records points through the sink's public `record_*` callbacks
while a probe task measures how late the event loop wakes it (the longest stall). Throughput is
points written by the sink per second, from the first record to the last point acknowledged,
and every point is counted back through `/api/v1/export`. Memory is what 100 000 backlogged
points cost (tracemalloc), with the time to save and load them and the loop stall meanwhile.
"""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
import tempfile
import time
import tracemalloc

from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_correlator  # noqa: F401  (resolve custom_components here)
from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.influx import InfluxSettings, InfluxSink
from custom_components.energy_correlator.influx.backlog import Backlog
from custom_components.energy_correlator.influx.journal import BacklogJournal
from custom_components.energy_correlator.influx.points import circuit_line, meter_line
from tests.victoria import Victoria, count_samples

from .influx_outage import report as outage_report, run_outage
from .loop_probe import LoopProbe

RATE = 30_000  # offered points per second (target: >= 20 000 written per second)
SECONDS = 10
TICK_S = 0.01  # the producer records RATE * TICK_S points per tick, then yields
SERIES = 100  # distinct meters: VictoriaMetrics stores ms, so each series gets 1 point per ms
BACKLOG_POINTS = 100_000
CATCH_UP = 200_000
BASE = float(round(time.time()) - 2 * 86_400)


async def _throughput(sink: InfluxSink, victoria: Victoria) -> dict[str, float]:
    """Offer RATE points/s for SECONDS through the sink; measure written/s and the stalls."""
    probe = LoopProbe()
    probe.start()
    per_tick = int(RATE * TICK_S)
    total = RATE * SECONDS
    started = time.perf_counter()
    enqueue_s = 0.0
    for tick in range(total // per_tick):
        tick_start = time.perf_counter()
        for j in range(per_tick):
            i = tick * per_tick + j
            sink.record_meter(BASE + (i // SERIES) / 1000, f"sensor.meter_{i % SERIES}", i, None)
        enqueue_s += time.perf_counter() - tick_start
        await asyncio.sleep(max(0.0, started + (tick + 1) * TICK_S - time.perf_counter()))
    while sink.stats.points_pending:  # noqa: ASYNC110 - polling the sink's public stats
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await probe.stop()
    stored = count_samples(await victoria.wait_for_samples(total, within_s=60))
    return {
        "offered": total,
        "written": sink.stats.points_written,
        "stored": stored,
        "elapsed": elapsed,
        "rate": sink.stats.points_written / elapsed,
        "max_lag_ms": probe.max_lag_s * 1000,
        "p99_lag_ms": probe.p99_ms(),
        "enqueue_us": enqueue_s / total * 1e6,
    }


async def _catch_up(sink: InfluxSink, victoria: Victoria, already: int) -> dict[str, float]:
    """A 200 000 point backlog (as after an outage) enqueued at once: how fast it drains."""
    probe = LoopProbe()
    probe.start()
    written_before = sink.stats.points_written
    started = time.perf_counter()
    for start in range(0, CATCH_UP, 500):
        for i in range(start, start + 500):
            ts = BASE + 86_400 + (i // SERIES) / 1000
            sink.record_meter(ts, f"sensor.meter_{i % SERIES}", i, None)
        await asyncio.sleep(0)
    while sink.stats.points_pending:  # noqa: ASYNC110 - polling the sink's public stats
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - started
    await probe.stop()
    stored = count_samples(await victoria.wait_for_samples(already + CATCH_UP, within_s=60))
    return {
        "written": sink.stats.points_written - written_before,
        "stored": stored - already,
        "rate": (sink.stats.points_written - written_before) / elapsed,
        "max_lag_ms": probe.max_lag_s * 1000,
    }


def _backlog_memory() -> tuple[float, list[str]]:
    """Bytes per point for BACKLOG_POINTS realistic lines (meter + 4 circuits per heartbeat)."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    backlog = Backlog(BACKLOG_POINTS)
    for i in range(BACKLOG_POINTS):
        ts = BASE + i
        if i % 5 == 0:
            line = meter_line(ts, "sensor.home_power", 1234.5 + i % 100, 12.345)
        else:
            line = circuit_line(ts, f"sensor.circuit_{i % 5}", "sensor.home_power", 321.0, 26.0)
        assert line is not None
        backlog.append(line)
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return used / BACKLOG_POINTS, backlog.snapshot()


async def _timed_with_probe(job: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Seconds `job` takes and the longest loop stall (ms) meanwhile."""
    probe = LoopProbe()
    probe.start()
    started = time.perf_counter()
    await job()
    elapsed = time.perf_counter() - started
    await probe.stop()
    return elapsed, probe.max_lag_s * 1000


async def _run(workdir: Path) -> list[str]:
    victoria = Victoria(workdir / "victoria")
    await victoria.start()
    try:
        async with async_test_home_assistant(config_dir=str(workdir)) as hass:
            entry = MockConfigEntry(domain=DOMAIN, title="Bench", data={})
            entry.add_to_hass(hass)
            settings = InfluxSettings(
                url=victoria.url,
                token="bench",
                org="home",
                bucket="energy",
                max_backlog_points=1_000_000,
            )
            sink = InfluxSink(hass, settings)
            sink.attach(entry)
            await sink.async_start()
            result = await _throughput(sink, victoria)
            burst = await _catch_up(sink, victoria, int(result["stored"]))
            await sink.async_stop()

            per_point, lines = _backlog_memory()
            store = BacklogJournal(hass, workdir / "bench.journal")
            save_s, save_lag = await _timed_with_probe(lambda: store.rewrite(lines))
            size = store.path.stat().st_size
            load_s, load_lag = await _timed_with_probe(store.async_load)
            await store.remove()
            await hass.async_stop(force=True)
    finally:
        await victoria.stop()
    ok_rate = "yes" if result["rate"] >= 20_000 else "NO"
    ok_lag = "yes" if result["max_lag_ms"] < 10 else "NO"
    n = f"{BACKLOG_POINTS:,}"
    return [
        "## InfluxDB sink (real VictoriaMetrics on 127.0.0.1)",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| points offered / written / stored | {result['offered']:,.0f} / "
        f"{result['written']:,.0f} / {result['stored']:,.0f} | all, once |",
        f"| sustained write rate | {result['rate']:,.0f} points/s "
        f"({result['elapsed']:.1f} s) | >= 20 000 ({ok_rate}) |",
        f"| longest event-loop stall | {result['max_lag_ms']:.2f} ms "
        f"(p99 {result['p99_lag_ms']:.2f} ms) | < 10 ms ({ok_lag}) |",
        f"| catch-up: {CATCH_UP:,} points enqueued at once | {burst['rate']:,.0f} points/s, "
        f"{burst['written']:,.0f} written / {burst['stored']:,.0f} stored, longest stall "
        f"{burst['max_lag_ms']:.2f} ms | |",
        f"| enqueue cost on the loop | {result['enqueue_us']:.2f} µs/point | |",
        f"| backlog memory | {per_point:.0f} B/point = {per_point * 1e5 / 2**20:.1f} MiB "
        f"per 100 000 points | |",
        f"| backlog file ({n} points) | {size / 2**20:.1f} MiB; save {save_s * 1000:.0f} ms "
        f"(stall {save_lag:.2f} ms), load {load_s * 1000:.0f} ms (stall {load_lag:.2f} ms) | |",
        "",
        f"Offered {RATE:,} points/s for {SECONDS} s in {TICK_S * 1000:.0f} ms ticks across "
        f"{SERIES} series; batches of {InfluxSink.batch_size:,} lines, one request in flight.",
    ]


def main() -> None:
    """Print the markdown sections: the outage's disk writes first, then speed and memory."""
    with tempfile.TemporaryDirectory() as tmp:
        outage = asyncio.run(run_outage(Path(tmp)))
    print("\n".join(outage_report(outage)), "\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        lines = asyncio.run(_run(Path(tmp)))
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()

"""Backfill at scale: 90 days of a 1 s meter and 30 devices from the recorder's database.

`scripts/bench backfill` (`EC_BENCH_ARGS=<days>` for a shorter history). A recorder database
(SQLite, in a temporary directory) is created by a real `hass`, then filled directly with the
rows the recorder would have written: a meter whose value changes every second (base load, the
devices that are on, ±3 W jitter) and 30 switches that turn on and off a few times a day. A real
`hass` with the recorder and the integration then runs the `backfill` action for the whole
period while two probes run beside it: a coroutine that sleeps 5 ms at a time and records how
late it wakes (the longest event-loop stall; the same probe on the idle hass beforehand shows
what the machine's other load costs), and a thread that samples the process's resident
memory every 20 ms (its peak, above the level before the action). Targets: stall <= 50 ms,
memory <= 200 MB.

CPython's full garbage collections stop every thread for as long as they traverse all of Home
Assistant's objects (hundreds of ms in this process); every collection is recorded (generation,
when, how long). Each stall is also split by the loop thread's scheduler statistics
(/proc/thread-self/schedstat) into the time it ran, the time it was runnable but waited for a CPU
(the machine's load) and the time it was blocked (the interpreter lock held by another thread, a
collection): the stall less its wait for a CPU is the process's own share.
"""

import asyncio
from collections.abc import Iterator
import gc
import logging
import os
import random
import sqlite3
import tempfile
import threading
import time
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.core import HomeAssistant
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_correlator  # noqa: F401  (resolve custom_components here)
from custom_components.energy_correlator.const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_INFLUX_ENABLED,
    CONF_METER,
    DOMAIN,
)
from custom_components.energy_correlator.flow_schemas import DEFAULT_OPTIONS

DAYS = float(os.environ.get("EC_BENCH_ARGS") or 90)
METER = "sensor.home_power"
METER_ATTRS = {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"}
DEVICES = {f"switch.device_{i:02d}": 40.0 + 97.0 * i for i in range(30)}
EVENTS_PER_DAY = 6  # per device
BASE_W = 300.0
JITTER_W = 3.0
MAX_STALL_S = 0.050
MAX_MEMORY_MB = 200.0
IDLE_PROBE_S = 30.0  # about as long as the backfill: equal chances of the machine's stalls


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class MemoryProbe(threading.Thread):
    """Samples the resident memory every 20 ms; keeps the peak."""

    def __init__(self) -> None:
        """Not started."""
        super().__init__(daemon=True)
        self.peak = _rss_mb()
        self.stop = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, _rss_mb())


class Collections:
    """Every garbage collection while installed (generation, start, end); the full ones
    (generation 2) stop every thread for as long as they traverse the whole heap."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.runs: list[tuple[int, float, float]] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        """gc.callbacks hook."""
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.runs.append((info["generation"], self._started, time.perf_counter()))

    @property
    def windows(self) -> list[tuple[float, float]]:
        """(start, end) of each full collection."""
        return [(lo, hi) for gen, lo, hi in self.runs if gen == 2]

    def count(self, generation: int) -> int:
        """How many collections of that generation ran."""
        return sum(1 for gen, _, _ in self.runs if gen == generation)

    def longest(self, generation: int) -> float:
        """The longest collection of that generation (s)."""
        return max((hi - lo for gen, lo, hi in self.runs if gen == generation), default=0.0)


def _thread_times() -> tuple[float, float]:
    """This thread's time on a CPU and waiting for one (runnable), in s (Linux schedstat)."""
    with open("/proc/thread-self/schedstat", encoding="ascii") as schedstat:
        ran, queued, _ = schedstat.read().split()
    return int(ran) / 1e9, int(queued) / 1e9


def _others_queued() -> dict[str, float]:
    """Each other thread's time waiting for a CPU so far (s): one of them holds the
    interpreter lock while the loop's thread is blocked."""
    own = str(threading.get_native_id())
    queued = {}
    for tid in os.listdir("/proc/self/task"):
        if tid == own:
            continue
        try:
            with open(f"/proc/self/task/{tid}/schedstat", encoding="ascii") as schedstat:
                queued[tid] = int(schedstat.read().split()[1]) / 1e9
        except OSError:  # the thread ended
            continue
    return queued


# when, how late, ran, waited for a CPU, the longest CPU wait of another thread meanwhile
type Stall = tuple[float, float, float, float, float]


async def _stall_probe(done: asyncio.Event) -> list[Stall]:
    """Each wake more than 5 ms later than asked, while not done, with what the loop's thread
    did meanwhile: ran (code on the loop, or holding the interpreter lock), waited for a CPU
    (the machine's load); the rest of the delay it was blocked (waiting for the interpreter
    lock held by another thread, or a full collection). The other threads' waits for a CPU
    show whether the lock's holder was itself waiting for one."""
    stalls = []
    while not done.is_set():
        ran, queued = _thread_times()
        others = _others_queued()
        started = time.perf_counter()
        await asyncio.sleep(0.005)
        if (late := time.perf_counter() - started - 0.005) > 0.005:
            ran_after, queued_after = _thread_times()
            others_waited = max(
                (q - others.get(tid, q) for tid, q in _others_queued().items()), default=0.0
            )
            stalls.append((started, late, ran_after - ran, queued_after - queued, others_waited))
    return stalls


def _over(stalls: list[Stall], limit: float) -> int:
    return sum(1 for stall in stalls if stall[1] > limit)


def _worst(stalls: list[Stall]) -> float:
    return max((stall[1] for stall in stalls), default=0.0)


def _entry() -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        unique_id=METER,
        data={
            CONF_METER: METER,
            CONF_DOMAINS: ["switch"],
            CONF_INCLUDE: [],
            CONF_EXCLUDE: [],
            CONF_CIRCUITS: [],
            CONF_INFLUX_ENABLED: False,
        },
        options=dict(DEFAULT_OPTIONS),
    )


async def _start_recorder(hass: HomeAssistant, db_path: str) -> None:
    hass.data.pop("custom_components", None)  # allow custom integrations
    await async_setup_component(hass, "homeassistant", {})
    recorder_helper.async_initialize_recorder(hass)
    assert await async_setup_component(
        hass, "recorder", {"recorder": {"db_url": f"sqlite:///{db_path}", "commit_interval": 0}}
    )
    await hass.async_block_till_done()
    hass.states.async_set(METER, "300", METER_ATTRS)
    for entity_id in DEVICES:
        hass.states.async_set(entity_id, "off")
    await get_instance(hass).async_block_till_done()


def _history(start: float, end: float) -> Iterator[tuple[str, str, float]]:
    """(entity, state, time) rows in time order: device changes and a 1 s meter."""
    rng = random.Random(90)
    on: set[str] = set()
    changes: list[tuple[float, str]] = sorted(
        (rng.uniform(start, end), entity_id)
        for entity_id in DEVICES
        for _ in range(int(EVENTS_PER_DAY * (end - start) / 86_400))
    )
    next_change = 0
    ts = start
    load = BASE_W
    while ts < end:
        while next_change < len(changes) and changes[next_change][0] < ts:
            change_ts, entity_id = changes[next_change]
            next_change += 1
            if entity_id in on:
                on.discard(entity_id)
                load -= DEVICES[entity_id]
            else:
                on.add(entity_id)
                load += DEVICES[entity_id]
            yield entity_id, "on" if entity_id in on else "off", change_ts
        yield METER, f"{load + rng.uniform(-JITTER_W, JITTER_W):.1f}", ts
        ts += 1.0


def _fill(db_path: str, start: float, end: float) -> int:
    """Insert the rows as the recorder stores them (ids of the entities' first rows reused)."""
    con = sqlite3.connect(db_path)
    try:
        meta = dict(con.execute("SELECT entity_id, metadata_id FROM states_meta").fetchall())
        attrs = dict(
            con.execute(
                "SELECT metadata_id, attributes_id FROM states GROUP BY metadata_id"
            ).fetchall()
        )
        rows = (
            (state, ts, meta[entity_id], attrs[meta[entity_id]], 0)
            for entity_id, state, ts in _history(start, end)
        )
        con.execute("PRAGMA journal_mode=WAL")
        cursor = con.executemany(
            "INSERT INTO states (state, last_updated_ts, metadata_id, attributes_id, origin_idx)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        count = cursor.rowcount
        con.commit()
        return count
    finally:
        con.close()


async def _prepare(config_dir: str, db_path: str) -> tuple[int, float]:
    """The database: schema and entities from a real recorder, then the rows, directly."""
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        await _start_recorder(hass, db_path)
        await hass.async_stop(force=True)
    end = dt_util.utcnow().timestamp() - 120
    started = time.perf_counter()
    count = await asyncio.to_thread(_fill, db_path, end - DAYS * 86_400, end)
    return count, time.perf_counter() - started


async def _measure(config_dir: str, db_path: str) -> dict[str, Any]:
    async with async_test_home_assistant(config_dir=config_dir) as hass:
        await _start_recorder(hass, db_path)
        entry = _entry()
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()

        # The same probe on the idle hass first: what the machine itself costs (other load).
        idle_done = asyncio.Event()
        idle = asyncio.create_task(_stall_probe(idle_done))
        await asyncio.sleep(IDLE_PROBE_S)
        idle_done.set()
        idle_stalls = await idle

        done = asyncio.Event()
        probe = MemoryProbe()
        collections = Collections()
        gc.callbacks.append(collections)
        before = _rss_mb()
        probe.start()
        stall = asyncio.create_task(_stall_probe(done))
        started = time.perf_counter()
        result = await hass.services.async_call(
            DOMAIN, "backfill", {"days": DAYS}, blocking=True, return_response=True
        )
        seconds = time.perf_counter() - started
        done.set()
        stalls = await stall
        probe.stop.set()
        probe.join()
        gc.callbacks.remove(collections)
        assert result is not None
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_stop(force=True)
    return {
        "seconds": seconds,
        "stall_s": _worst(stalls),
        # The part of each stall the loop's thread was not waiting for a CPU: its own work,
        # the interpreter lock held by another thread of the process, a garbage collection.
        "own_stall_s": max((late - queued for _, late, _, queued, _ in stalls), default=0.0),
        # ... and less the time it was blocked while another thread (the lock's holder, as far
        # as the scheduler statistics tell) waited for a CPU: an estimate, no verdict on it.
        "work_stall_s": max(
            (
                late - queued - min(max(late + 0.005 - ran - queued, 0.0), others)
                for _, late, ran, queued, others in stalls
            ),
            default=0.0,
        ),
        "load": os.getloadavg()[0],
        "idle_stall_s": _worst(idle_stalls),
        "idle_over": _over(idle_stalls, MAX_STALL_S),
        "over": _over(stalls, MAX_STALL_S),
        "full_gcs": float(collections.count(2)),
        "longest_gc_s": collections.longest(2),
        "gen0_gcs": float(collections.count(0)),
        "gen1_gcs": float(collections.count(1)),
        "longest_young_gc_s": max(collections.longest(0), collections.longest(1)),
        "rss_before_mb": before,
        "rss_peak_mb": probe.peak,
        "meter_samples": float(result["meter_samples"]),
        "device_events": float(result["device_events"]),
        "correlations": float(result["correlations"]),
        "learned": float(result["learned"]),
        "devices": float(len(result["devices"])),
        # When (s into the backfill) the worst stalls and the full collections happened.
        "worst": sorted(
            ((late, at - started, ran, queued, others) for at, late, ran, queued, others in stalls),
            reverse=True,
        )[:5],
        "full_gcs_at": [(lo - started, hi - lo) for lo, hi in collections.windows],
    }


async def _run() -> tuple[int, float, dict[str, Any]]:
    with tempfile.TemporaryDirectory() as config_dir:
        db_path = f"{config_dir}/home-assistant_v2.db"
        rows, fill_s = await _prepare(config_dir, db_path)
        return rows, fill_s, await _measure(config_dir, db_path)


def main() -> None:
    """Print the backfill's time, stall and memory, and the verdicts."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    rows, fill_s, m = asyncio.run(_run())
    grown = m["rss_peak_mb"] - m["rss_before_mb"]
    print("## Backfill at scale\n")
    print(
        f"{DAYS:g} days of a 1 s meter and {len(DEVICES)} switches ({rows:,} recorder rows, "
        f"written in {fill_s:.0f} s).\n"
    )
    print("| measure | value |")
    print("|---|---:|")
    print(f"| backfill time | {m['seconds']:.1f} s |")
    print(f"| meter samples replayed | {m['meter_samples']:,.0f} |")
    print(f"| device events | {m['device_events']:,.0f} |")
    print(f"| correlations | {m['correlations']:,.0f} |")
    print(f"| learned | {m['learned']:,.0f} ({m['devices']:.0f} devices) |")
    print(f"| longest event-loop stall | {m['stall_s'] * 1000:.1f} ms |")
    print(
        "| longest stall less its wait for a CPU (the process's own share) | "
        f"{m['own_stall_s'] * 1000:.1f} ms |"
    )
    print(
        "| ... and less another thread's wait for a CPU while the loop was blocked (estimate) | "
        f"{m['work_stall_s'] * 1000:.1f} ms |"
    )
    print(
        f"| longest stall of the idle hass ({IDLE_PROBE_S:.0f} s before) | "
        f"{m['idle_stall_s'] * 1000:.1f} ms |"
    )
    print(
        f"| stalls > {MAX_STALL_S * 1000:.0f} ms: during the backfill / idle "
        f"({IDLE_PROBE_S:.0f} s) | {m['over']} / {m['idle_over']} |"
    )
    print(
        f"| full garbage collections meanwhile | {m['full_gcs']:.0f} "
        f"(longest {m['longest_gc_s'] * 1000:.0f} ms) |"
    )
    print(
        f"| young collections meanwhile (generation 0 / 1) | {m['gen0_gcs']:,.0f} / "
        f"{m['gen1_gcs']:,.0f} (longest {m['longest_young_gc_s'] * 1000:.1f} ms) |"
    )
    print(f"| machine load average (1 min, at the end; {os.cpu_count()} CPUs) | {m['load']:.1f} |")
    print(f"| resident memory before | {m['rss_before_mb']:.0f} MB |")
    print(f"| resident memory peak | {m['rss_peak_mb']:.0f} MB (+{grown:.0f} MB) |")
    worst = ", ".join(
        f"{late * 1000:.0f} ms at {at:.1f} s (ran {ran * 1000:.0f}, waited for a CPU "
        f"{queued * 1000:.0f}, blocked {(late + 0.005 - ran - queued) * 1000:.0f}; another "
        f"thread waited for a CPU {others * 1000:.0f})"
        for late, at, ran, queued, others in m["worst"]
    )
    gcs = ", ".join(f"{took * 1000:.0f} ms at {at:.1f} s" for at, took in m["full_gcs_at"])
    print(f"\nWorst stalls (ms): {worst or 'none'}.\nFull collections: {gcs or 'none'}.")
    stall_ok = m["stall_s"] <= MAX_STALL_S
    own_ok = m["own_stall_s"] <= MAX_STALL_S
    memory_ok = grown <= MAX_MEMORY_MB
    print(
        f"\nLongest event-loop stall {m['stall_s'] * 1000:.1f} ms (target <= "
        f"{MAX_STALL_S * 1000:.0f} ms): {'PASS' if stall_ok else 'FAIL'}"
    )
    print(
        f"Longest stall less the time the loop's thread waited for a CPU "
        f"{m['own_stall_s'] * 1000:.1f} ms (the process's own share; "
        f"target <= {MAX_STALL_S * 1000:.0f} ms): {'PASS' if own_ok else 'FAIL'}"
    )
    print(
        f"Memory used by the backfill {grown:.0f} MB above {m['rss_before_mb']:.0f} MB "
        f"(target <= {MAX_MEMORY_MB:.0f} MB): {'PASS' if memory_ok else 'FAIL'}"
    )

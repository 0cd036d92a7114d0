"""Throughput and memory of the Engine on synthetic data made quickly with numpy.

Data generation is never timed; only calls into the engine (and the loop feeding them) are.
"""

from dataclasses import dataclass
import gc
import json
import time
import tracemalloc
from typing import Any

import numpy as np

from custom_components.energy_correlator.engine import (
    Correlation,
    DeviceEvent,
    Engine,
    EngineConfig,
    Status,
    TransitionKind,
)
from tests.sim import SIM_START_TS, HomeSimulator, SimConfig, replay

METER = "sensor.home_power"
DAY_S = 86_400


@dataclass
class Stream:
    """1 Hz-ish meter samples and the device events among them (sorted by time)."""

    ts: list[float]
    watts: list[float]
    events: list[DeviceEvent]
    event_pos: list[int]  # index of the first sample after each event


def make_stream(
    seconds: int, devices: int, events_per_device: int, seed: int = 0, spacing_s: float = 0.0
) -> Stream:
    """A home: wandering base load, `devices` switches toggling on/off, 1.5 % noise.

    With spacing_s > 0 events come every spacing_s seconds in turn (no randomness in time).
    """
    rng = np.random.default_rng(seed)
    n = seconds
    sample_t = np.arange(n, dtype=float) + rng.uniform(0.0, 0.3, n)
    base = 250.0 + np.cumsum(rng.normal(0.0, 0.3, n))
    base = np.clip(base, 100.0, 600.0)
    total = base.copy()
    powers = rng.uniform(20.0, 2000.0, devices)
    if spacing_s > 0:
        count = devices * events_per_device
        all_t = 60.0 + np.arange(count) * spacing_s
        owners = np.arange(count) % devices
        per_device = [all_t[owners == d] for d in range(devices)]
    else:
        per_device = [
            np.sort(rng.uniform(60.0, n - 120.0, events_per_device)) for _ in range(devices)
        ]
    events: list[tuple[float, DeviceEvent]] = []
    for d, times in enumerate(per_device):
        state = np.searchsorted(times, sample_t, side="right") % 2
        total += powers[d] * state
        for k, t in enumerate(times.tolist()):
            on = k % 2 == 0
            ts = SIM_START_TS + t + float(rng.uniform(-3.0, 3.0))
            events.append((ts, _event(f"switch.device_{d}", ts, on)))
    total *= 1.0 + rng.normal(0.0, 0.015, n)
    events.sort(key=lambda item: item[0])
    ts_all = sample_t + SIM_START_TS
    positions = np.searchsorted(ts_all, [t for t, _ in events]).tolist()
    return Stream(ts_all.tolist(), np.round(total, 1).tolist(), [e for _, e in events], positions)


def _event(entity_id: str, ts: float, on: bool) -> DeviceEvent:
    return DeviceEvent(
        entity_id=entity_id,
        ts=ts,
        domain="switch",
        kind=TransitionKind.ONOFF,
        previous_state="off" if on else "on",
        state="on" if on else "off",
        previous_level=0.0 if on else 1.0,
        level=1.0 if on else 0.0,
    )


def feed(engine: Engine, stream: Stream, tick_every_s: float = 5.0) -> float:
    """Everything in time order with a tick every tick_every_s; returns the wall time."""
    ts, watts, events, positions = stream.ts, stream.watts, stream.events, stream.event_pos
    add, tick, add_event = engine.add_power, engine.tick, engine.add_event
    next_tick = ts[0] + tick_every_s
    positions = [*positions, len(ts)]
    started = time.perf_counter()
    start = 0
    for k, stop in enumerate(positions):
        for i in range(start, stop):
            t = ts[i]
            add(METER, t, watts[i])
            if t >= next_tick:
                tick(t)
                next_tick = t + tick_every_s
        if k < len(events):
            add_event(events[k])
        start = stop
    tick(ts[-1] + 120.0)
    return time.perf_counter() - started


def ingest_rate(samples: int = 300_000, repeats: int = 3) -> tuple[float, float]:
    """Meter samples per second: (add_power + a tick every 5 s, add_power alone); best of 3.

    The engine defers per-sample work (energy, peaks) to tick, so only the first is the rate.
    """
    stream = make_stream(samples, 0, 0)
    best_ticked = best_alone = float("inf")
    for _ in range(repeats):
        engine = Engine(EngineConfig(main_meter=METER))
        best_ticked = min(best_ticked, feed(engine, stream, 5.0))
        engine = Engine(EngineConfig(main_meter=METER))
        add = engine.add_power
        started = time.perf_counter()
        for t, w in zip(stream.ts, stream.watts, strict=True):
            add(METER, t, w)
        best_alone = min(best_alone, time.perf_counter() - started)
    return samples / best_ticked, samples / best_alone


def event_rate(
    spacing_s: float, events: int, devices: int = 200, repeats: int = 3
) -> tuple[float, int]:
    """Device events per second: add_event + the tick (at next_due) that closes each one.

    Meter samples are fed between events but not timed, and an untimed tick just before each
    timed one takes the deferred per-sample work. Returns (rate, correlations made).
    """
    stream = event_stream(spacing_s, events, devices)
    best = float("inf")
    made = 0
    for _ in range(repeats):
        engine = Engine(EngineConfig(main_meter=METER, max_power_w=gate_for(stream)))
        spent, made = timed_events(engine, stream, stream.events)
        best = min(best, spent)
    return len(stream.events) / best, made


def event_stream(spacing_s: float, events: int, devices: int) -> Stream:
    """The event-rate benchmark's home: `devices` switches in turn, one event every spacing_s."""
    return make_stream(int(events * spacing_s) + 300, devices, events // devices, 1, spacing_s)


def gate_for(stream: Stream) -> float:
    """The plausibility maximum for this synthetic home.

    200 synthetic devices, half of them on, draw ~100 kW: above the gate's household default,
    which would refuse those readings as gaps (cheap, and not the work this measures), so the
    gate is set above the home's peak instead.
    """
    return max(max(stream.watts) * 2.0, 100_000.0)


def timed_events(engine: Any, stream: Stream, events: list[Any]) -> tuple[float, int]:
    """Feed the stream; time add_event and the tick closing each event: (seconds, made).

    `events` are the stream's events as the engine's own DeviceEvent (engine_ab passes an
    older engine's).
    """
    add, tick, add_event, next_due = (
        engine.add_power,
        engine.tick,
        engine.add_event,
        engine.next_due,
    )
    spent = 0.0
    made = 0
    positions = [*stream.event_pos, len(stream.ts)]
    start = 0
    clock = time.perf_counter
    previous = stream.ts[0]
    for k, stop in enumerate(positions):
        for i in range(start, stop):
            t = stream.ts[i]
            add(METER, t, stream.watts[i])
            due = next_due()
            if due is not None and t >= due:
                made += len(tick(previous))
                began = clock()
                made += len(tick(t))
                spent += clock() - began
            previous = t
        if k < len(events):
            began = clock()
            add_event(events[k])
            spent += clock() - began
        start = stop
    began = clock()
    made += len(tick(stream.ts[-1] + 120.0))
    spent += clock() - began
    return spent, made


def replay_30_days(tick_every_s: float = 5.0) -> tuple[float, int, float]:
    """30 days of a 1 Hz meter with 20 devices x 10 events/day: (wall s, samples, gen s)."""
    began = time.perf_counter()
    stream = make_stream(30 * DAY_S, 20, 300, seed=2)
    generated = time.perf_counter() - began
    engine = Engine(EngineConfig(main_meter=METER))
    wall = feed(engine, stream, tick_every_s)
    return wall, len(stream.ts), generated


def replay_sim_day(seed: int = 1) -> tuple[float, int]:
    """One simulated day through tests.sim.replay (classify_change included): (wall s, records)."""
    sim = HomeSimulator(SimConfig(seed=seed))
    records = list(sim.records())
    engine = Engine(EngineConfig(main_meter=sim.config.meter_id))
    started = time.perf_counter()
    replay(engine, records)
    return time.perf_counter() - started, len(records)


def memory_footprint(
    meters: int = 10, devices: int = 500, horizon_s: int = 900
) -> tuple[float, float, int]:
    """(peak MB, retained MB, to_dict JSON bytes) for a full horizon and many profiles."""
    gc.collect()
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    config = EngineConfig(
        main_meter=METER, circuits=tuple(f"sensor.circuit_{i}" for i in range(meters - 1))
    )
    engine = Engine(config)
    rng = np.random.default_rng(3)
    t0 = SIM_START_TS
    meter_ids = [METER, *config.circuits]
    for s in range(2 * horizon_s):  # twice the horizon: old samples must be let go
        for meter in meter_ids:
            engine.add_power(meter, t0 + s, 200.0 + float(rng.normal(0.0, 3.0)))
    now = t0 + 2 * horizon_s
    for d in range(devices):
        entity = f"switch.device_{d}"
        power = float(rng.uniform(5.0, 2000.0))
        for k in range(20):
            on = k % 2 == 0
            engine.learn(_correlation(entity, now - 2000 + k * 60, power, on, rng))
        engine.set_device_level(entity, now, float(d % 2))
    engine.tick(now)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = len(json.dumps(engine.to_dict()))
    return (peak - base) / 1e6, (current - base) / 1e6, size


def _correlation(
    entity: str, ts: float, power: float, on: bool, rng: np.random.Generator
) -> Correlation:
    delta = power * (1 + float(rng.normal(0.0, 0.01))) * (1 if on else -1)
    before = 300.0 if on else 300.0 + power
    return Correlation(
        entity_id=entity,
        domain="switch",
        kind=TransitionKind.ONOFF,
        previous_state="off" if on else "on",
        state="on" if on else "off",
        ts=ts,
        previous_level=0.0 if on else 1.0,
        level=1.0 if on else 0.0,
        power_before_w=before,
        power_after_w=before + delta,
        power_delta_w=delta,
        power_delta_pct=100.0 * delta / before,
        meter_updates=40,
        confidence=0.9,
        status=Status.OK,
    )

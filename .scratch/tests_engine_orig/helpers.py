"""Small synthetic homes for engine unit tests (hand-built, deterministic)."""

from collections.abc import Callable
import random

from custom_components.energy_correlator.engine import (
    Correlation,
    DeviceEvent,
    Engine,
    EngineConfig,
    TransitionKind,
)

METER = "sensor.home"
T0 = 1_780_272_000.0  # 2026-06-01 00:00 UTC


def event(
    entity_id: str,
    ts: float,
    previous_level: float,
    level: float,
    kind: TransitionKind = TransitionKind.ONOFF,
    domain: str = "switch",
) -> DeviceEvent:
    """A device event with on/off states derived from the levels."""
    return DeviceEvent(
        entity_id=entity_id,
        ts=ts,
        domain=domain,
        kind=kind,
        previous_state="on" if previous_level > 0 else "off",
        state="on" if level > 0 else "off",
        previous_level=previous_level,
        level=level,
    )


def make_engine(**kwargs: object) -> Engine:
    """An engine on METER with optional config overrides."""
    return Engine(EngineConfig(main_meter=METER, **kwargs))  # type: ignore[arg-type]


def feed(
    engine: Engine,
    start: float,
    end: float,
    power: Callable[[float], float | None],
    step: float = 1.0,
    noise_pct: float = 0.0,
    seed: int = 0,
    meter: str = METER,
) -> None:
    """Meter readings every `step` s over [start, end) from power(t) with optional noise."""
    rng = random.Random(seed)
    t = start
    while t < end:
        watts = power(t)
        if watts is not None and noise_pct:
            watts *= 1.0 + rng.gauss(0.0, noise_pct / 100.0)
        engine.add_power(meter, t, watts)
        t += step


class Home:
    """Devices with known power switched at known times; power(t) sums what is on."""

    def __init__(self, base_w: float = 300.0) -> None:
        """An empty home with a constant base load."""
        self.base_w = base_w
        self.steps: list[tuple[float, float]] = []  # (real step time, delta W)

    def switch(self, t: float, delta_w: float) -> None:
        """The real power changes by delta_w at t."""
        self.steps.append((t, delta_w))

    def power(self, t: float) -> float:
        """Total power at t."""
        return self.base_w + sum(delta for when, delta in self.steps if when <= t)


def run(
    engine: Engine,
    power: Callable[[float], float | None],
    events: list[DeviceEvent],
    start: float,
    end: float,
    step: float = 1.0,
    noise_pct: float = 0.0,
    seed: int = 0,
    tick_every: float = 5.0,
) -> list[Correlation]:
    """Replay readings and events in time order with regular ticks; returns the correlations."""
    rng = random.Random(seed)
    pending = sorted(events, key=lambda e: e.ts)
    out: list[Correlation] = []
    next_tick = start + tick_every
    t = start
    while t < end:
        while pending and pending[0].ts <= t:
            engine.add_event(pending.pop(0))
        watts = power(t)
        if watts is not None and noise_pct:
            watts *= 1.0 + rng.gauss(0.0, noise_pct / 100.0)
        engine.add_power(METER, t, watts)
        if t >= next_tick:
            out += engine.tick(t)
            next_tick += tick_every
        t += step
    for item in pending:
        engine.add_event(item)
    out += engine.tick(end + 120.0)
    return out


def toggle_history(
    engine: Engine,
    entity_id: str,
    watts: float,
    cycles: int,
    start: float = T0,
    period: float = 200.0,
    skew: float = 1.0,
    noise_pct: float = 1.0,
) -> list[Correlation]:
    """Switch one device on and off `cycles` times, cleanly apart; returns the correlations."""
    home = Home()
    events = []
    for k in range(cycles):
        on_at = start + 60.0 + k * period
        off_at = on_at + period / 2
        home.switch(on_at, watts)
        home.switch(off_at, -watts)
        events += [
            event(entity_id, on_at + skew, 0.0, 1.0),
            event(entity_id, off_at - skew, 1.0, 0.0),
        ]
    end = start + 60.0 + cycles * period
    return run(engine, home.power, events, start, end, noise_pct=noise_pct, seed=cycles)

"""The home simulator itself: deterministic, ordered, realistic enough to trust its truth."""

from collections import Counter
from typing import cast

import numpy as np
import pytest

from custom_components.energy_correlator.engine import Correlation, DeviceEvent, Engine
from tests.sim import (
    SIM_START_TS,
    HomeSimulator,
    MeterSample,
    SimConfig,
    StateChange,
    real_home,
    replay,
    standard_home,
)


def _events(sim: HomeSimulator) -> list[StateChange]:
    """State changes that change power (not appearances, not climate temperature chatter)."""
    return [
        c
        for c in sim.state_changes
        if c.old_state is not None
        and (
            c.old_attrs.get("hvac_action") != c.new_attrs.get("hvac_action")
            if c.domain == "climate"
            else c.old_attrs != c.new_attrs or c.old_state != c.new_state
        )
    ]


def test_same_seed_same_records() -> None:
    """Two simulators with the same config produce identical records; another seed differs."""
    first = list(HomeSimulator(SimConfig(seed=7, duration_s=7200, events_per_device=4)).records())
    again = list(HomeSimulator(SimConfig(seed=7, duration_s=7200, events_per_device=4)).records())
    other = list(HomeSimulator(SimConfig(seed=8, duration_s=7200, events_per_device=4)).records())
    assert first == again
    assert first != other


def test_records_time_ordered_and_in_range() -> None:
    """Records come in time order, from the start to the end of the simulated span."""
    config = SimConfig(seed=1, duration_s=10_800, events_per_device=6)
    records = list(HomeSimulator(config).records())
    times = [r.ts for r in records]
    assert times == sorted(times)
    assert times[0] >= SIM_START_TS
    assert times[-1] <= SIM_START_TS + config.duration_s + 5


@pytest.mark.parametrize(
    ("interval", "expected"), [((1.0, 2.0), 1.5), ((10, 10), 10), ((60, 60), 60)]
)
def test_meter_cadence(interval: tuple[float, float], expected: float) -> None:
    """The meter reports at the configured cadence (mean interval, bounds)."""
    config = SimConfig(seed=2, duration_s=7200, meter_interval_s=interval, events_per_device=4)
    ts = np.array([s.ts for s in HomeSimulator(config).meter_samples])
    gaps = np.diff(ts)
    assert np.mean(gaps) == pytest.approx(expected, rel=0.05)
    assert gaps.min() >= interval[0] - config.meter_delay_s - 1e-6
    assert gaps.max() <= interval[1] + config.meter_delay_s + 1e-6


def test_every_device_gets_its_events_and_truth() -> None:
    """events_per_device state changes per device; truth for every watched device."""
    sim = HomeSimulator(SimConfig(seed=3))
    counts = Counter(c.entity_id for c in _events(sim))
    truth = sim.truth
    assert set(truth) == {spec.entity_id for spec in standard_home()}
    assert all(counts[entity] == 20 for entity in truth)
    assert truth["switch.kettle"].power_w == 2000
    assert truth["media_player.tv"].standby_w == 1
    assert truth["light.living_room"].kind == "brightness"
    assert truth["switch.washing_machine"].variable


def test_events_spread_over_the_day() -> None:
    """Events are spread over the whole duration, not bunched at the start."""
    config = SimConfig(seed=4)
    offsets = [c.ts - SIM_START_TS for c in _events(HomeSimulator(config))]
    quarters = Counter(int(4 * o / config.duration_s) for o in offsets)
    assert all(quarters[q] > 0.15 * len(offsets) for q in range(4))


@pytest.mark.parametrize("fraction", [0.0, 0.3])
def test_overlap_fraction(fraction: float) -> None:
    """The configured share of events has another device's event within a few seconds."""
    sim = HomeSimulator(SimConfig(seed=5, overlap_fraction=fraction))
    assert sim.overlap_share() == pytest.approx(fraction, abs=0.05)


def test_power_steps_show_in_meter() -> None:
    """The kettle switching on raises the meter by about its power within a few seconds."""
    steady = [spec for spec in standard_home() if spec.variable_w is None]
    sim = HomeSimulator(SimConfig(seed=6, fridge=False, noise_pct=0.5, devices=steady))
    samples = [s for s in sim.meter_samples if s.watts is not None]
    ts = np.array([s.ts for s in samples])
    watts = np.array([s.watts for s in samples])
    ons = [c for c in _events(sim) if c.entity_id == "switch.kettle" and c.new_state == "on"]
    deltas = []
    for change in ons:
        before = np.median(watts[(ts > change.ts - 30) & (ts < change.ts - 5)])
        after = np.median(watts[(ts > change.ts + 5) & (ts < change.ts + 30)])
        deltas.append(after - before)
    assert len(deltas) == 10
    assert np.median(deltas) == pytest.approx(2000, rel=0.02)
    assert all(d == pytest.approx(2000, rel=0.1) for d in deltas)


def test_gaps_and_brightness_attrs() -> None:
    """A gap is announced with watts None and holds no samples; lights carry brightness."""
    config = SimConfig(seed=8, duration_s=7200, events_per_device=6, gaps=[(3000.0, 3600.0)])
    sim = HomeSimulator(config)
    offsets = [(s.ts - SIM_START_TS, s.watts) for s in sim.meter_samples]
    assert (3000.0, None) in offsets
    assert not [o for o, w in offsets if 3001.5 < o < 3600 and w is not None]
    dimmer = [c for c in sim.state_changes if c.entity_id == "light.living_room"]
    assert any(0 < (c.new_attrs.get("brightness") or 0) <= 255 for c in dimmer)
    assert all(isinstance(c, StateChange) for c in dimmer)
    assert all(isinstance(s, MeterSample) for s in sim.meter_samples)


class _RecordingEngine:
    """Stands in for Engine: remembers what replay fed it."""

    def __init__(self) -> None:
        self.samples: list[tuple[str, float, float | None]] = []
        self.events: list[DeviceEvent] = []
        self.ticks: list[float] = []

    def add_power(self, meter_id: str, ts: float, watts: float | None) -> None:
        self.samples.append((meter_id, ts, watts))

    def add_event(self, event: DeviceEvent) -> None:
        self.events.append(event)

    def tick(self, now: float) -> list[Correlation]:
        self.ticks.append(now)
        return []


def test_replay_feeds_engine_like_the_shell() -> None:
    """Samples go to add_power, classified changes to add_event, ticks every 5 s and at the end."""
    config = SimConfig(seed=9, duration_s=3600, events_per_device=4, gaps=[(1000.0, 1100.0)])
    sim = HomeSimulator(config)
    fake = _RecordingEngine()
    replay(cast(Engine, fake), sim.records(), tick_every_s=5.0)
    assert len(fake.samples) == len(sim.meter_samples)
    assert (config.meter_id, SIM_START_TS + 1000.0, None) in fake.samples
    assert Counter(e.entity_id for e in fake.events) == dict.fromkeys(sim.truth, 4)
    steps = np.diff(fake.ticks[:-1])
    assert np.allclose(steps, 5.0)
    assert fake.ticks[-1] >= max(e.ts for e in fake.events) + 120


def test_real_home_has_pulses_modes_and_motors() -> None:
    """The real-home devices: short on-periods, two loads behind one switch, motor factors."""
    sim = HomeSimulator(SimConfig(seed=11, devices=real_home(), apparent_power=True))
    truth = sim.truth
    assert truth["switch.microwave"].pulse is False  # its lamp mode runs for minutes
    assert truth["switch.stove_burner"].pulse
    assert truth["switch.stove_burner"].resistive
    assert not truth["switch.vacuum_cleaner"].resistive
    assert truth["switch.vacuum_cleaner"].metered_w == pytest.approx(850 * 1.3)
    assert set(truth["switch.dishwasher"].modes) == {1200.0, 245.0}
    assert truth["switch.dishwasher"].power_w == truth["switch.dishwasher"].modes[0]
    runs = [e for e in sim.episodes if sim.config.devices[e.device].entity_id == "switch.microwave"]
    assert {e.power_w for e in runs} == {1800.0, 45.0}
    for episode in runs:
        if len(episode.steps) == 2:
            length = episode.steps[1].t - episode.steps[0].t
            assert 25.0 <= length <= 40.0 if episode.power_w == 1800.0 else length >= 300.0


def test_event_truth_is_each_step_the_meter_sees() -> None:
    """Every non-variable device event has its true step, apparent factor included."""
    sim = HomeSimulator(SimConfig(seed=12, devices=real_home(), apparent_power=True))
    truth = sim.event_truth
    events = _events(sim)
    assert {(c.entity_id, c.ts) for c in events} == set(truth)
    vacuum = [w for (entity, _), w in truth.items() if entity == "switch.vacuum_cleaner"]
    assert sorted({round(abs(w)) for w in vacuum}) == [1105]
    burner = [w for (entity, _), w in truth.items() if entity == "switch.stove_burner"]
    assert sorted(set(burner)) == [-1200.0, 1200.0]


def test_irregular_meter_drops_reports() -> None:
    """A nominal 6 s meter with dropouts: a median interval of ~6 s, gaps of 12-25 s."""
    config = SimConfig(
        seed=13, duration_s=7200, meter_interval_s=(5.0, 7.0), meter_dropout_s=(12.0, 25.0)
    )
    gaps = np.diff([s.ts for s in HomeSimulator(config).meter_samples])
    assert np.median(gaps) == pytest.approx(6.0, abs=0.5)
    long = gaps[gaps > 10.0]
    assert 0.05 < len(long) / len(gaps) < 0.2
    assert long.max() <= 25.0 + 2 * config.meter_delay_s


def test_net_meter_goes_negative_with_solar_and_noise_in_watts() -> None:
    """3 kW of solar at midday drives the net meter below zero; noise_w adds W noise."""
    config = SimConfig(seed=14, solar_peak_w=3000.0, fridge=False, events_per_device=2)
    watts = np.array([s.watts for s in HomeSimulator(config).meter_samples])
    assert watts.min() < -1000.0
    quiet = SimConfig(
        seed=15,
        duration_s=3600,
        devices=[],
        fridge=False,
        noise_pct=0.0,
        noise_w=12.5,
        base_wander_pct=0.0,
    )
    flat = np.array([s.watts for s in HomeSimulator(quiet).meter_samples])
    assert np.std(flat) == pytest.approx(12.5, rel=0.1)
    assert flat.min() > 0.0

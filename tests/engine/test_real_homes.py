"""What real homes showed: short on-periods, modes, slow and quiet meters, ± W, warm start,
net meters (issue 10)."""

import json
import random

import pytest

from custom_components.energy_correlator.engine import Correlation, Engine, Status
from custom_components.energy_correlator.engine.bucket import Bucket
from custom_components.energy_correlator.engine.models import TransitionKind
from custom_components.energy_correlator.engine.modes import confidence_of, find_modes
from custom_components.energy_correlator.engine.profiles import KindProfile
from custom_components.energy_correlator.engine.series import PowerSeries

from .helpers import METER, T0, event, make_engine


def replay_meter(
    engine: Engine,
    steps: list[tuple[float, float]],
    events: list[tuple[float, float, float]],
    start: float,
    end: float,
    cadence: float,
    noise_w: float = 0.0,
    seed: int = 0,
    entity_id: str = "switch.microwave",
    silent: tuple[tuple[float, float], ...] = (),
    base_w: float = 300.0,
    others: tuple[tuple[float, float, float, str], ...] = (),
    away: tuple[tuple[float, float], ...] = (),
) -> list[Correlation]:
    """A meter every `cadence` s over a base plus (from, watts) steps, events (ts, from, to)
    of `entity_id`, and `others` (ts, from, to, entity id)."""
    rng = random.Random(seed)
    pending = sorted([(*item, entity_id) for item in events] + list(others))
    out: list[Correlation] = []
    t, next_tick = start, start + 5.0
    while t < end:
        while pending and pending[0][0] <= t:
            ts, old, new, entity = pending.pop(0)
            engine.add_event(event(entity, ts, old, new))
        if any(lo <= t < hi for lo, hi in away):
            engine.add_power(METER, t, None)  # the meter is unavailable
        elif not any(lo <= t < hi for lo, hi in silent):
            watts = base_w + sum(w for since, w in steps if since <= t)
            engine.add_power(METER, t, watts + (rng.gauss(0.0, noise_w) if noise_w else 0.0))
        if t >= next_tick:
            out += engine.tick(t)
            next_tick += 5.0
        t += cadence
    return out + engine.tick(end + 120.0)


def pulses(starts: list[float], length: float, watts: float) -> tuple[list, list]:
    """Steps and events of on-periods of `length` s starting at `starts`."""
    steps = [(s, watts) for s in starts] + [(s + length, -watts) for s in starts]
    events = [(s, 0.0, 1.0) for s in starts] + [(s + length, 1.0, 0.0) for s in starts]
    return steps, events


def test_short_on_periods_at_a_10_s_meter_teach_their_power() -> None:
    """A 1.8 kW magnetron on for 30 s: its off-event is inside the on-event's window. The
    device does not overlap itself: the pulse is measured from both edges and teaches."""
    engine = make_engine()
    starts = [T0 + 200.0 + 300.0 * k for k in range(5)]
    steps, events = pulses(starts, 30.0, 1800.0)
    out = replay_meter(engine, steps, events, T0, T0 + 1800.0, 10.0)
    assert len(out) == 10
    assert all(c.pulse and c.status is Status.OK and not c.overlapping for c in out)
    assert all(c.learned for c in out)
    assert [round(c.power_delta_w or 0) for c in out[:2]] == [1800, -1800]
    assert out[0].power_before_w == pytest.approx(300.0)
    assert out[0].power_after_w == pytest.approx(2100.0)
    profile = engine.profile("switch.microwave")
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(1800.0, rel=0.03)


def test_a_pulse_with_one_reading_inside_does_not_teach() -> None:
    """A 15 s pulse at a 10 s meter holds at most one reading: reported, not taught."""
    engine = make_engine()
    steps, events = pulses([T0 + 200.0], 15.0, 1800.0)
    out = replay_meter(engine, steps, events, T0 + 0.5, T0 + 600.0, 10.0)
    assert [c.status for c in out] == [Status.LOW_CONFIDENCE] * 2
    assert not any(c.learned for c in out)
    assert engine.profile("switch.microwave") is None


def test_no_pulse_when_another_device_crowds_an_edge_or_the_level_differs() -> None:
    """A pulse needs a common baseline: another device switching right after the off edge,
    or a device that ends at another level, leaves the general path (own events still never
    make an overlap)."""
    engine = make_engine()
    steps, events = pulses([T0 + 200.0], 15.0, 1800.0)
    steps.append((T0 + 219.0, 500.0))
    out = replay_meter(
        engine, steps, events, T0, T0 + 600.0, 1.0, others=((T0 + 219.0, 0.0, 1.0, "switch.b"),)
    )
    microwave = [c for c in out if c.entity_id == "switch.microwave"]
    assert len(microwave) == 2
    assert not any(c.pulse for c in microwave)
    assert microwave[0].power_delta_w == pytest.approx(1800.0)  # its window ends at the off
    assert "switch.microwave" not in microwave[0].overlapping

    engine = make_engine()
    out = replay_meter(
        engine,
        [(T0 + 200.0, 60.0), (T0 + 215.0, 60.0)],
        [(T0 + 200.0, 0.0, 0.5), (T0 + 215.0, 0.5, 1.0)],
        T0,
        T0 + 600.0,
        1.0,
        entity_id="light.dimmer",
    )
    assert [c.pulse for c in out] == [False, False]
    assert all(not c.overlapping for c in out)


def test_a_pulse_with_one_side_crowded_uses_the_other() -> None:
    """Another device 12 s after the off edge leaves too little after-window at 10 s: the
    baseline before the on edge alone measures the pulse; with both sides crowded it is an
    overlap; with the meter away inside it, a gap."""
    steps, events = pulses([T0 + 200.0], 30.0, 1800.0)
    engine = make_engine()
    out = replay_meter(
        engine, steps, events, T0, T0 + 600.0, 10.0, others=((T0 + 242.0, 1.0, 0.0, "switch.b"),)
    )
    microwave = [c for c in out if c.entity_id == "switch.microwave"]
    assert [c.pulse for c in microwave] == [True, True]
    assert microwave[0].status is Status.OK
    assert microwave[0].power_delta_w == pytest.approx(1800.0)

    engine = make_engine()
    crowd = ((T0 + 190.0, 1.0, 0.0, "switch.b"), (T0 + 242.0, 1.0, 0.0, "switch.c"))
    out = replay_meter(engine, steps, events, T0, T0 + 600.0, 10.0, others=crowd)
    microwave = [c for c in out if c.entity_id == "switch.microwave"]
    assert [c.status for c in microwave] == [Status.OVERLAP] * 2
    assert not any(c.learned for c in microwave)

    engine = make_engine()
    out = replay_meter(
        engine, steps, events, T0, T0 + 600.0, 10.0, away=((T0 + 209.0, T0 + 221.0),)
    )
    assert [c.status for c in out] == [Status.GAP] * 2


def test_window_reports_the_time_weighted_median_and_the_clean_mean() -> None:
    """window() works out the time-weighted median; the level of a clean window is its mean."""
    series = PowerSeries()
    rng = random.Random(5)
    for k in range(40):
        series.add(T0 + k, 100.0 + rng.gauss(0.0, 2.0))
    stats = series.window(T0 + 5.0, T0 + 30.0)
    assert stats.level == pytest.approx(stats.mean)
    assert stats.median is not None
    assert abs(stats.median - 100.0) < 3.0
    assert stats.error == pytest.approx(stats.spread / 26**0.5)  # 25 readings + the held one
    series.add(T0 + 40.0, 900.0)  # an outlier: the median is the level
    spiky = series.window(T0 + 30.0, T0 + 41.0)
    assert spiky.level == spiky.median


def test_two_modes_behind_one_switch() -> None:
    """A dishwasher starts its heater (1.2 kW) or its pump (245 W): the dominant mode is
    learned, the other reported; running on-periods use their own measured step."""
    engine = make_engine()
    powers = [1200.0, 245.0, 1200.0, 1200.0, 245.0, 1200.0, 245.0, 1200.0]
    steps, events = [], []
    for k, watts in enumerate(powers):
        on = T0 + 200.0 + 400.0 * k
        steps += [(on, watts), (on + 200.0, -watts)]
        events += [(on, 0.0, 1.0), (on + 200.0, 1.0, 0.0)]
    replay_meter(engine, steps, events, T0, T0 + 200.0 + 400.0 * len(powers), 2.0, 5.0)
    profile = engine.profile("switch.microwave")
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(1200.0, rel=0.05)
    assert len(profile.modes) == 2
    assert profile.modes[0].power_w == pytest.approx(1200.0, rel=0.05)
    assert profile.modes[1].power_w == pytest.approx(245.0, rel=0.05)
    assert profile.modes[0].events == 10
    assert profile.modes[1].share == pytest.approx(6 / 16)

    on = T0 + 200.0 + 400.0 * len(powers)  # a pump run: its own step, not the dominant mode
    replay_meter(engine, [*steps, (on, 245.0)], [(on, 0.0, 1.0)], on - 40.0, on + 60.0, 2.0, 5.0)
    assert engine.estimated_power_w("switch.microwave") == pytest.approx(245.0, rel=0.05)
    engine.add_event(event("switch.microwave", on + 100.0, 1.0, 0.0))
    engine.add_event(event("switch.microwave", on + 200.0, 0.0, 1.0))
    assert engine.estimated_power_w("switch.microwave") == pytest.approx(1200.0, rel=0.05)


def test_modes_need_support_and_keep_outliers_out() -> None:
    """One far value is no mode; at most three modes; a young bucket has one centre."""
    assert find_modes([]) == []
    single = find_modes([(100.0, 2.0), (300.0, 2.0)])
    assert len(single) == 1  # neither has support: one robust centre of both
    values = [(100.0 + k % 3, 2.0) for k in range(10)] + [(500.0, 2.0)]
    modes = find_modes(values)
    assert len(modes) == 1
    assert modes[0].centre == pytest.approx(101.0, abs=1.0)
    many = [(w, 1.0) for w in (10.0, 10.0, 100.0, 100.0, 1000.0, 1000.0, 5000.0, 5000.0)]
    assert len(find_modes(many)) == 3


def test_uncertainty_and_confidence_from_relative_error() -> None:
    """Confidence is 0.5 exactly when the 95 % interval is ±10 % (or ±5 W)."""
    assert confidence_of(100.0, 10.0 / 1.96) == pytest.approx(0.5)
    assert confidence_of(20.0, 5.0 / 1.96) == pytest.approx(0.5)  # the ±5 W floor
    assert confidence_of(100.0, 1.0) > 0.9
    assert confidence_of(0.0, 1.0) == 0.0
    profile = KindProfile(TransitionKind.ONOFF)
    for k in range(6):
        profile.add(0.0, 1.0, 60.0 + (k % 2) * 2.0 - 1.0, float(k), sigma=4.0)
    estimate = profile.estimate
    assert estimate.uncertainty_w == pytest.approx(4.0 / 6**0.5, rel=0.3)
    assert estimate.confidence > 0.5


def test_a_60_w_lamp_has_its_sensors_after_three_clean_cycles() -> None:
    """2 s meter, ±25 W noise (sd 12.5 W): 3 on/off cycles make the profile confident."""
    shown = 0
    for seed in range(10):
        engine = make_engine()
        steps, events = [], []
        for k in range(3):
            on = T0 + 100.0 + 300.0 * k
            steps += [(on, 60.0), (on + 150.0, -60.0)]
            events += [(on, 0.0, 1.0), (on + 150.0, 1.0, 0.0)]
        replay_meter(
            engine, steps, events, T0, T0 + 1100.0, 2.0, 12.5, seed, entity_id="light.lamp"
        )
        profile = engine.profile("light.lamp")
        assert profile is not None
        assert profile.events == 6
        assert profile.uncertainty_w is not None
        shown += profile.confidence >= 0.5
    assert shown >= 8


def test_a_quiet_meter_window_grows_to_hold_its_readings() -> None:
    """An irregular meter goes silent 22 s right after the step: the after window looks
    further instead of reading the value held from before the step."""
    engine = make_engine()
    out = replay_meter(
        engine,
        [(T0 + 200.0, 290.0)],
        [(T0 + 200.0, 0.0, 1.0)],
        T0,
        T0 + 400.0,
        6.0,
        silent=((T0 + 199.0, T0 + 221.0),),
        entity_id="light.lamp_group",
    )
    assert len(out) == 1
    assert out[0].status is Status.OK
    assert out[0].power_delta_w == pytest.approx(290.0)


def test_slow_meters_get_longer_windows_and_very_slow_ones_are_flagged() -> None:
    """20 s: two readings per window in up to 60 s, learned; 30 s: flagged, never guessed."""
    engine = make_engine()
    out = replay_meter(
        engine, [(T0 + 300.0, 1500.0)], [(T0 + 300.0, 0.0, 1.0)], T0, T0 + 600.0, 20.0
    )
    assert out[0].status is Status.OK
    assert out[0].power_delta_w == pytest.approx(1500.0)
    engine = make_engine()
    out = replay_meter(
        engine, [(T0 + 300.0, 1500.0)], [(T0 + 300.0, 0.0, 1.0)], T0, T0 + 900.0, 30.0
    )
    assert out[0].status is Status.TOO_SLOW
    assert out[0].power_delta_w is None


def test_start_warm_gives_the_first_event_a_before_value() -> None:
    """Seeded with the meter's held value, an event 3 s after start is no meter gap."""
    cold, warm = make_engine(), make_engine()
    warm.seed_power(METER, T0 - 8.0, 300.0)
    results = []
    for engine in (cold, warm):
        out = replay_meter(
            engine, [(T0 + 3.0, 1000.0)], [(T0 + 3.0, 0.0, 1.0)], T0 + 2.0, T0 + 100.0, 2.0
        )
        results.append(out[0])
    assert results[0].status is Status.GAP
    assert results[1].status is not Status.GAP
    assert results[1].power_before_w == pytest.approx(300.0)
    assert results[1].power_delta_w == pytest.approx(1000.0)
    series = PowerSeries()
    assert series.seed(T0, None)  # an unavailable meter: a plain gap, nothing warm
    assert series.window(T0 - 10.0, T0 + 1.0).gap
    series = PowerSeries()
    series.add(T0, 100.0)
    assert series.seed(T0 + 1.0, 120.0)  # not empty: a plain reading
    assert series.window(T0 - 10.0, T0 + 2.0).gap


def test_net_meter_counts_import_only_and_keeps_export_apart() -> None:
    """Below zero the home exports: deltas still work, energy/cost/peak count import only,
    nothing ever decreases (not with a negative price either)."""
    engine = make_engine()
    out = replay_meter(
        engine,
        [(T0 + 200.0, 1000.0)],
        [(T0 + 200.0, 0.0, 1.0)],
        T0,
        T0 + 300.0,
        1.0,
        base_w=-1500.0,
    )
    assert out[0].status is Status.OK
    assert out[0].power_delta_w == pytest.approx(1000.0)
    now = T0 + 420.0
    assert engine.energy_today_kwh(now) == 0.0
    assert engine.export_today_kwh(now) > 0.0
    assert engine.export_total_kwh() == pytest.approx(engine.export_today_kwh(now))
    assert engine.peak_w(now) == 0.0
    assert engine.untracked_power_w(now) == 0.0
    engine.add_power(METER, now + 1.0, 2000.0)
    engine.tick(now + 1.0, 0.3)
    engine.add_power(METER, now + 3601.0, 2000.0)
    engine.tick(now + 3601.0, 0.3)
    cost = engine.cost_month()
    assert engine.energy_today_kwh(now + 3601.0) == pytest.approx(2.0, rel=0.01)
    assert cost == pytest.approx(0.6, rel=0.01)
    engine.add_power(METER, now + 7201.0, 2000.0)
    engine.tick(now + 7201.0, -0.1)  # paid to consume: the cost does not go down
    assert engine.cost_month() == pytest.approx(cost)
    state = json.loads(json.dumps(engine.to_dict()))
    restored = make_engine()
    restored.load_dict(state)
    assert restored.export_total_kwh() == pytest.approx(engine.export_total_kwh())


def test_profiles_stored_before_standard_errors_load() -> None:
    """Version 1 state (buckets without "s", run items of four) loads; modes and uncertainty
    come from the values' scatter alone."""
    old_bucket = {
        "v": [100.0, 102.0, 98.0, 101.0, 99.0, 400.0],
        "t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "l": [1.0] * 6,
        "d": [1, -1, 1, -1, 1, 1],
        "r": [[400.0, 6.0, 1.0, 1]],
    }
    bucket = Bucket.from_dict(old_bucket)
    assert list(bucket.sigmas) == [0.0] * 6
    assert bucket.run == [(400.0, 6.0, 1.0, 1, 0.0)]
    assert bucket.to_dict()["s"] == [0.0] * 6
    state = {
        "version": 1,
        "profiles": {"switch.a": [{"kind": "onoff", "events": 6, "buckets": {"1.0": old_bucket}}]},
    }
    engine = make_engine()
    engine.load_dict(state)
    profile = engine.profile("switch.a")
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(100.0)
    assert profile.uncertainty_w is not None
    assert 0.0 < profile.uncertainty_w <= 3.0  # five values prove at best ±3 %
    assert [mode.power_w for mode in profile.modes] == [pytest.approx(100.0)]
    assert engine.to_dict()["version"] == 2

"""The plausibility gate: absurd readings become counted gaps, single spikes are refused, real new
loads are taken, and nothing the engine sums can become non-finite."""

import json
import math

import pytest

from custom_components.energy_correlator.engine.plausibility import (
    MIN_SAMPLES,
    SPIKE_FLOOR_W,
    PlausibilityGate,
)
from custom_components.energy_correlator.engine.series import PowerSeries
from tests.engine.helpers import METER, T0, make_engine


def _gate(max_w: float = 100_000.0) -> tuple[PlausibilityGate, PowerSeries]:
    series = PowerSeries(3600.0)
    return PlausibilityGate(series.add, max_w), series


def _warm(gate: PlausibilityGate, watts: float = 2000.0, start: float = T0) -> float:
    """Enough plausible readings for the soft bound; returns the next free time."""
    for step in range(MIN_SAMPLES):
        gate.add(start + step, watts)
    return start + MIN_SAMPLES


@pytest.mark.parametrize("reading", [1e308, 1e12, -1e308, 100_001.0, -250_000.0])
def test_beyond_the_maximum_is_a_counted_gap(reading: float) -> None:
    """A reading beyond ± the maximum is refused even as the very first one."""
    gate, series = _gate()
    gate.add(T0, 500.0)
    gate.add(T0 + 1, reading)
    assert series.last_value is None  # a gap from here on
    assert gate.implausible == 1
    assert gate.rejected == 1
    gate.add(T0 + 2, 510.0)
    assert series.value_at(T0 + 2) == 510.0
    assert gate.peak_w == 510.0


def test_a_net_meter_may_export_up_to_the_maximum() -> None:
    """Negative readings are plausible on the same bound (solar export)."""
    gate, series = _gate()
    gate.add(T0, -4000.0)
    assert series.last_value == -4000.0
    assert gate.rejected == 0
    assert gate.peak_w == 4000.0


def test_a_single_sample_spike_is_refused() -> None:
    """Far above the observed peak and not confirmed by the next reading: a gap, counted."""
    gate, series = _gate()
    ts = _warm(gate, 2000.0)
    gate.add(ts, 65_535.0)
    assert series.value_at(ts) is None  # held back as a gap
    gate.add(ts + 1, 2010.0)
    assert series.value_at(ts) is None
    assert series.value_at(ts + 1) == 2010.0
    assert gate.spikes == 1
    assert gate.peak_w == 2010.0


def test_a_confirmed_new_load_is_taken_and_raises_the_peak() -> None:
    """Two readings in a row at a new high level: a real load (an EV charger), not a spike."""
    gate, series = _gate()
    ts = _warm(gate, 1000.0)
    gate.add(ts, 11_000.0)
    gate.add(ts + 1, 11_050.0)
    assert series.value_at(ts) == 11_000.0  # the held reading replaced its gap
    assert series.value_at(ts + 1) == 11_050.0
    assert gate.rejected == 0
    assert gate.peak_w == 11_050.0
    gate.add(ts + 2, 40_000.0)  # within 4 x the new peak: taken at once
    assert series.value_at(ts + 2) == 40_000.0


def test_a_spike_followed_by_a_gap_or_another_spike() -> None:
    """A held reading followed by unavailable, or by a far different one, is a spike."""
    gate, series = _gate()
    ts = _warm(gate, 1000.0)
    gate.add(ts, 50_000.0)
    gate.add(ts + 1, None)
    assert gate.spikes == 1
    gate.add(ts + 2, 60_000.0)
    gate.add(ts + 3, 20_000.0)  # not within half of the held 60 kW, and above the bound itself
    assert gate.spikes == 2
    gate.add(ts + 4, 1000.0)
    assert gate.spikes == 3
    assert series.value_at(ts + 4) == 1000.0
    assert all(series.value_at(t) is None for t in (ts, ts + 2, ts + 3))


def test_quiet_house_kettle_is_no_spike() -> None:
    """Below the floor nothing is held back, however low the observed peak."""
    gate, series = _gate()
    ts = _warm(gate, 80.0)
    gate.add(ts, SPIKE_FLOOR_W - 1)
    assert series.last_value == SPIKE_FLOOR_W - 1
    assert gate.rejected == 0


def test_non_finite_readings_stay_gaps_counted_by_the_series() -> None:
    """NaN/inf pass to the series, which counts them as invalid (never twice)."""
    gate, series = _gate()
    gate.add(T0, math.nan)
    gate.add(T0 + 1, math.inf)
    assert series.invalid == 2
    assert gate.rejected == 0


@pytest.mark.parametrize("max_w", [0.0, -5.0, math.inf, math.nan])
def test_the_maximum_must_be_positive_and_finite(max_w: float) -> None:
    """A bad bound is refused where it is configured."""
    with pytest.raises(ValueError, match="max"):
        PlausibilityGate(PowerSeries().add, max_w)
    with pytest.raises(ValueError, match="max_power_w"):
        make_engine(max_power_w=max_w)


def test_engine_aggregates_stay_finite_after_absurd_readings() -> None:
    """The broken-sensor sequence of the issue: energy, cost, peak, untracked stay sane."""
    engine = make_engine()
    ts = T0
    for _ in range(30):
        engine.add_power(METER, ts, 400.0)
        ts += 1
    for reading in (1e308, 1e12, -1e308, math.nan, math.inf, 65_535.0, 400.0):
        engine.add_power(METER, ts, reading)
        engine.tick(ts, price_per_kwh=1e308)
        ts += 1
    engine.tick(ts + 3600, price_per_kwh=0.3)
    energy = engine.energy_today_kwh(ts + 3600)
    assert math.isfinite(energy)
    assert energy == pytest.approx(400.0 * (30 + 3601) / 3_600_000.0, rel=0.01)
    assert engine.peak_w(ts) == 400.0
    assert math.isfinite(engine.cost_month())
    assert engine.untracked_power_w(ts) == 400.0
    assert engine.refused_readings()[METER] == {
        "implausible": 3,
        "spikes": 1,
        "peak_w": 400.0,
    }
    assert engine.stats.samples_rejected == 6  # 3 implausible, 1 spike, NaN and inf


def test_the_observed_peak_survives_a_restart() -> None:
    """Stored and loaded, the meter's peak keeps the single-sample spike check on at once."""
    engine = make_engine()
    ts = T0
    for _ in range(30):
        ts += 1.0
        engine.add_power(METER, ts, 2000.0)
    state = json.loads(json.dumps(engine.to_dict()))
    assert state["meter_peaks"] == {METER: 2000.0}

    restored = make_engine()
    restored.load_dict(state)
    restored.add_power(METER, ts + 1.0, 2000.0)
    restored.add_power(METER, ts + 2.0, 65_535.0)  # a broken sample right after the restart
    restored.add_power(METER, ts + 3.0, 2000.0)
    assert restored.refused_readings()[METER]["spikes"] == 1
    assert restored.to_dict()["meter_peaks"] == {METER: 2000.0}


def test_a_broken_stored_peak_is_refused() -> None:
    """A non-finite or negative stored peak is refused (the store then keeps the other parts)."""
    with pytest.raises(ValueError, match="meter peak"):
        make_engine().load_dict({"meter_peaks": {METER: -1.0}})

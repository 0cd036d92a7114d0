"""The utility-meter simulator behind the anomaly tests and the benchmark is what it claims."""

from zoneinfo import ZoneInfo

import numpy as np

from custom_components.energy_correlator.consumption import DAY, HOUR, MeterKind
from tests.sim.utility import UTILITY_START, plant, readings, true_hourly

TZ = ZoneInfo("Europe/Amsterdam")


def test_same_seed_same_home() -> None:
    """Deterministic: the same seed gives the same consumption and readings."""
    a = true_hourly(MeterKind.GAS, 24 * 30, TZ, 4)
    b = true_hourly(MeterKind.GAS, 24 * 30, TZ, 4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, true_hourly(MeterKind.GAS, 24 * 30, TZ, 5))
    assert (a >= 0).all()


def test_heating_gas_follows_the_seasons() -> None:
    """January uses several times the gas of July."""
    hourly = true_hourly(MeterKind.GAS, 24 * 366, TZ, 1)
    january, july = hourly[: 24 * 31].sum(), hourly[24 * 182 : 24 * 213].sum()
    assert january > 4 * july


def test_cadences() -> None:
    """Hourly readings at each hour's end; the camera misses days; hand readings are weeks apart;
    every cadence's readings rise with the true total."""
    hourly = true_hourly(MeterKind.WATER, 24 * 200, TZ, 2)
    ts, values = readings(hourly, "hourly", 2)
    assert np.array_equal(ts, UTILITY_START + HOUR * np.arange(1, 24 * 200 + 1))
    assert (np.diff(values) >= 0).all()
    assert abs(values[-1] - values[0] - hourly[1:].sum()) < 0.002  # 1 L resolution
    camera, _ = readings(hourly, "camera", 2)
    gaps = np.diff(camera)
    assert (gaps > 1.5 * DAY).sum() >= 20
    assert len(camera) < 190
    manual, manual_values = readings(hourly, "manual", 2)
    assert ((np.diff(manual) >= 20 * DAY - 60) & (np.diff(manual) <= 40 * DAY + 60)).all()
    assert (np.diff(manual_values) >= 0).all()


def test_planted_days() -> None:
    """A 5-day leak at +30 %, one x3 day and a week at 3 %, none overlapping."""
    hourly = true_hourly(MeterKind.WATER, 24 * 366, TZ, 3)
    changed, planted = plant(hourly, TZ, seed=3)
    assert (len(planted.leak), len(planted.spike), len(planted.holiday)) == (5, 1, 7)
    assert len(planted.days) == 13
    used = hourly > 0
    ratio = changed[used] / hourly[used]
    assert sorted(np.unique(np.round(ratio, 6)).tolist()) == [0.03, 1.0, 1.3, 3.0]

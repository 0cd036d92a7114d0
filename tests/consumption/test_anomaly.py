"""The daily anomaly vote on simulated meters with planted anomalies."""

from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import (
    AnomalyConfig,
    DaySeries,
    MeterConfig,
    MeterKind,
    UtilityMeter,
    detect,
)
from tests.sim.utility import plant, readings, true_hourly

TZ = ZoneInfo("Europe/Amsterdam")


def simulated(seed: int) -> tuple[UtilityMeter, set]:
    """A year of an hourly-read water meter with a leak, a spike and a holiday planted."""
    hourly, planted = plant(true_hourly(MeterKind.WATER, 366 * 24, TZ, seed), TZ, seed=seed)
    ts, values = readings(hourly, "hourly", seed)
    meter = UtilityMeter("w", MeterConfig(kind=MeterKind.WATER), TZ)
    meter.add_readings(ts, values, float(ts[-1]))
    return meter, planted.days


def test_planted_anomalies_are_found() -> None:
    """Spike and holiday always, most leak days; each with its range and methods."""
    meter, planted = simulated(3)
    found = meter.anomalies()
    days = {a.day for a in found}
    assert len(days & planted) >= 11
    assert len(days - planted) <= 1
    for anomaly in found:
        assert len(anomaly.methods) >= 2
        assert anomaly.expected_low <= anomaly.expected_high
        assert not anomaly.expected_low <= anomaly.value <= anomaly.expected_high


def test_steady_meter_has_no_anomalies() -> None:
    """Noise alone (no plant) gives at most a rare false alarm."""
    hourly = true_hourly(MeterKind.ELECTRICITY, 200 * 24, TZ, 11)
    ts, values = readings(hourly, "hourly", 11)
    meter = UtilityMeter("e", MeterConfig(), TZ)
    meter.add_readings(ts, values, float(ts[-1]))
    assert len(meter.anomalies()) <= 1


def _days(values: list[float]) -> DaySeries:
    n = len(values)
    return DaySeries(
        np.arange(19_800, 19_800 + n).astype("datetime64[D]"),
        np.array(values, float),
        np.ones(n, bool),
        np.zeros(n, bool),
    )


def test_too_few_days_are_not_judged() -> None:
    """Less than min_days complete days: nothing is called unusual."""
    assert detect(_days([1.0] * 10 + [50.0])) == []


def test_flat_days_with_one_spike() -> None:
    """Perfectly steady days (zero spread) do not divide by zero; the spike is found."""
    found = detect(_days([1.0] * 40 + [3.0] + [1.0] * 5))
    assert [a.value for a in found] == [3.0]
    assert set(found[0].methods) == {"global_z", "iqr", "rolling_z"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (AnomalyConfig(), 1),
        (AnomalyConfig(min_votes=3, rolling_z=1000.0), 0),
        (AnomalyConfig(min_deviation=3.0), 0),
    ],
)
def test_thresholds_are_options(config: AnomalyConfig, expected: int) -> None:
    """min_votes, the thresholds and min_deviation decide."""
    assert len(detect(_days([1.0] * 40 + [3.0] + [1.0] * 5), config)) == expected

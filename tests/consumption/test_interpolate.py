"""Interpolation: the hours between readings always sum to the readings' difference."""

import itertools
import math
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MeterConfig,
    ReadingSource,
    UtilityMeter,
)
from tests.sim.utility import UTILITY_START, readings, true_hourly

TZ = ZoneInfo("Europe/Amsterdam")
T0 = UTILITY_START
NOW = T0 + 800 * DAY


def _sum_between(meter: UtilityMeter, a: float, b: float) -> float:
    """The hourly consumption over [a, b) for hour-aligned a and b."""
    return meter.hourly(a, b).total


@pytest.mark.parametrize("seed", range(12))
def test_conservation_with_gaps_resets_and_swaps(seed: int) -> None:
    """Randomised (seeded): irregular readings, long gaps, resets and a replacement; between any
    two hour-aligned readings the hours sum to their difference; no hour is negative."""
    rng = np.random.default_rng(seed)
    meter = UtilityMeter("m", MeterConfig(gap_fill_after=2 * DAY), TZ)
    # a well-covered month teaches the profile, then irregular readings with long gaps
    hourly = true_hourly(meter.config.kind, 40 * 24, TZ, seed)
    ts, values = readings(hourly, "hourly", seed)
    meter.add_readings(ts, values, NOW)
    assert meter.learn_profile() is False  # learned by add_readings already
    t, value = float(ts[-1]), float(values[-1])
    aligned = [(float(ts[0]), float(values[0])), (t, value)]
    for _ in range(30):
        t += float(rng.choice([HOUR * rng.integers(1, 30), DAY * rng.integers(3, 12)]))
        if rng.random() < 0.5:
            t = math.floor(t / HOUR) * HOUR
        value += float(rng.uniform(0, 20))
        if rng.random() < 0.1:
            value = float(rng.uniform(0, 2))  # a reset
        result = meter.add_reading(t, value, NOW)
        assert result.accepted, result
        if t % HOUR == 0:
            aligned.append((t, value))
    swap_at = math.floor((t + 5 * DAY) / HOUR) * HOUR
    assert meter.replace(swap_at, value + 3, 0.0, NOW).accepted
    meter.add_reading(swap_at + 4 * DAY, 7.0, NOW)
    series = meter.hourly()
    assert series.values.min() >= 0
    assert series.filled.any()
    t_knots, c_knots = meter._ledger.cumulative()
    assert series.total == pytest.approx(c_knots[-1] - c_knots[0], rel=1e-12)
    fresh = UtilityMeter.from_dict(meter.to_dict(), meter.config, TZ)  # nothing cached
    for _ in range(10):
        a = math.floor(rng.uniform(series.start, series.end) / HOUR) * HOUR
        b = a + HOUR * int(rng.integers(1, 24 * 40))
        part, whole = fresh.hourly(a, b, now=NOW), meter.hourly(a, b, now=NOW)
        assert part.start == whole.start
        assert part.values == pytest.approx(whole.values, rel=1e-9, abs=1e-12)
        assert (part.filled == whole.filled).all()
        assert (part.estimated == whole.estimated).all()
    for (a, _), (b, _) in itertools.pairwise(aligned):
        i, j = np.searchsorted(t_knots, [a, b])
        expected = c_knots[j] - c_knots[i]
        assert _sum_between(meter, a, b) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_monthly_manual_reading_is_spread_not_a_spike() -> None:
    """Two readings a month apart (short gaps option off): every hour gets an equal share."""
    meter = UtilityMeter("m", MeterConfig(gap_fill_after=60 * DAY), TZ)
    meter.add_reading(T0, 100.0, NOW, ReadingSource.MANUAL)
    meter.add_reading(T0 + 30 * DAY, 130.0, NOW, ReadingSource.MANUAL)
    series = meter.hourly()
    assert len(series) == 30 * 24
    assert series.values == pytest.approx(np.full(30 * 24, 30.0 / (30 * 24)))
    assert not series.filled.any()


def test_long_gap_follows_the_learned_profile() -> None:
    """A meter that only consumes by day: a week-long gap gets nothing at night, and the gap's
    total is exactly the readings' difference."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    hours = 28 * 24
    local_hour = (np.arange(hours) + 1) % 24  # Amsterdam is UTC+1 in January
    per_hour = np.where((local_hour >= 8) & (local_hour < 20), 1.0, 0.0)
    total = np.concatenate([[0.0], np.cumsum(per_hour)])
    ts = T0 + HOUR * np.arange(hours + 1)
    meter.add_readings(ts, 500 + total, NOW)
    last = float(ts[-1])
    meter.add_reading(last + 7 * DAY, 500 + total[-1] + 70.0, NOW)
    gap = meter.hourly(last, last + 7 * DAY)
    assert gap.filled.all()
    assert gap.total == pytest.approx(70.0)
    gap_hour = (np.arange(len(gap)) + 1) % 24
    night = (gap_hour < 8) | (gap_hour >= 20)
    assert gap.values[night] == pytest.approx(0.0)
    assert gap.values[~night] == pytest.approx(70.0 / (7 * 12))


def test_long_gap_is_linear_while_too_little_is_known() -> None:
    """Without a learned profile (a few days only), a long gap is a straight line."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    ts = T0 + HOUR * np.arange(49)
    meter.add_readings(ts, 10 + 0.5 * np.arange(49), NOW)
    meter.add_reading(float(ts[-1]) + 5 * DAY, 10 + 24.0 + 60.0, NOW)
    gap = meter.hourly(float(ts[-1]), float(ts[-1]) + 5 * DAY)
    assert not gap.filled.any()
    assert gap.values == pytest.approx(np.full(5 * 24, 60.0 / 120))


def test_open_interval_is_estimated_then_replaced() -> None:
    """After the last reading hours are extrapolated (marked); the next reading replaces them."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    for d in range(10):
        meter.add_reading(T0 + d * DAY, 100 + 2.4 * d, NOW)
    last = T0 + 9 * DAY
    now = last + 10 * HOUR
    series = meter.hourly(now=now)
    estimate = series.between(last, now + HOUR)
    assert estimate.estimated.all()
    assert estimate.total == pytest.approx(1.0)  # 0.1 per hour for 10 hours
    assert not meter.hourly().estimated.any()
    meter.add_reading(last + 12 * HOUR, 100 + 2.4 * 9 + 0.6, now + 2 * HOUR)
    after = meter.hourly(now=now + 2 * HOUR).between(last, last + 12 * HOUR)
    assert not after.estimated.any()
    assert after.total == pytest.approx(0.6)


def test_a_single_reading_has_no_consumption() -> None:
    """One reading says nothing about consumption (even with now)."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    meter.add_reading(T0, 5.0, NOW)
    assert len(meter.hourly(now=NOW)) == 0
    assert meter.totals(NOW).today is None


def test_gap_where_the_profile_knows_no_use_is_linear() -> None:
    """A meter used only on Monday mornings: a Tuesday-to-Friday gap has no profile weight, so
    it is spread evenly rather than lost."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    hours = 21 * 24
    hour_ts = T0 + HOUR * np.arange(hours)
    local = hour_ts + HOUR  # CET in January
    monday_10 = (((local // DAY) + 3) % 7 == 0) & ((local % DAY) // HOUR == 10)
    total = np.concatenate([[0.0], np.cumsum(np.where(monday_10, 1.0, 0.0))])
    meter.add_readings(T0 + HOUR * np.arange(hours + 1), 50 + total, NOW)
    assert meter._profile.known
    tuesday = T0 + 22 * DAY - HOUR  # 2024-01-23 00:00 CET
    last = float(total[-1])
    meter.add_reading(tuesday, 50 + last, NOW)
    meter.add_reading(tuesday + 3 * DAY, 50 + last + 3.0, NOW)
    gap = meter.hourly(tuesday, tuesday + 3 * DAY)
    assert not gap.filled.any()
    assert gap.values == pytest.approx(np.full(72, 3.0 / 72))


def test_no_hour_is_ever_non_finite() -> None:
    """Even a cumulative curve that overflows spreads into finite, non-negative hours."""
    from custom_components.energy_correlator.consumption.interpolate import recent_rate, spread

    t = np.array([T0, T0 + 2 * HOUR, T0 + 4 * HOUR])
    c = np.array([0.0, 1e308, np.inf])
    with np.errstate(all="raise"):
        series, _ = spread(t, c, 2 * DAY, None)
    assert np.isfinite(series.values).all()
    assert (series.values >= 0).all()
    assert recent_rate(t, c) == 0.0

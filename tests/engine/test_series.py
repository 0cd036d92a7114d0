"""Sample-and-hold power series: ordering, gaps, windows, cadence, bounds."""

from bisect import bisect_right
import math
import random

import pytest

from custom_components.energy_correlator.engine.series import PowerSeries
from custom_components.energy_correlator.engine.window_stats import measure_readings


def _series(points: list[tuple[float, float | None]], **kwargs: float) -> PowerSeries:
    series = PowerSeries(**kwargs)  # type: ignore[arg-type]
    for ts, watts in points:
        series.add(ts, watts)
    return series


def test_sample_and_hold_window() -> None:
    """A value holds until the next reading; the window weighs values by time."""
    series = _series([(0.0, 100.0), (10.0, 200.0), (12.0, 100.0)])
    stats = series.window(5.0, 15.0)
    # 100 W for 5 s, 200 W for 2 s, 100 W for 3 s
    assert stats.mean == pytest.approx(120.0)
    assert stats.median == 100.0
    assert stats.updates == 2
    assert not stats.gap
    assert series.value_at(11.0) == 200.0
    assert series.value_at(-1.0) is None
    assert series.last_value == 100.0


def test_window_holds_beyond_last_reading_and_reports_drift() -> None:
    """After the last reading the value holds; drift compares the later readings to the earlier."""
    series = _series([(0.0, 100.0), (1.0, 100.0), (2.0, 300.0), (3.0, 300.0)])
    stats = series.window(0.5, 10.0)
    assert stats.median == 300.0
    assert stats.drift == pytest.approx(200.0)
    # Readings 100, 100, 300, 300: interquartile range 200 W, scaled to a standard deviation.
    assert stats.spread == pytest.approx(200.0 / 1.349)


def test_window_before_history_is_a_gap() -> None:
    """A window that starts before the first reading is not trusted."""
    series = _series([(10.0, 100.0), (11.0, 100.0)])
    assert series.window(5.0, 12.0).gap
    empty = PowerSeries()
    stats = empty.window(0.0, 1.0)
    assert stats.median is None
    assert stats.mean is None
    assert stats.gap
    assert empty.last_value is None
    assert empty.interval_s() is None


def test_unavailable_readings_make_gaps() -> None:
    """None/NaN/inf are gaps: windows touching them are flagged, values held elsewhere."""
    series = _series([(0.0, 100.0), (5.0, None), (8.0, math.nan), (9.0, math.inf), (10.0, 120.0)])
    assert series.invalid == 2  # NaN and inf are bad input; None is a plain gap
    stats = series.window(2.0, 12.0)
    assert stats.gap
    assert stats.median is not None
    assert series.window(10.0, 12.0).gap is False
    only_gap = series.window(6.0, 9.5)
    assert only_gap.median is None
    assert only_gap.gap
    assert series.value_at(6.0) is None
    series.add(11.0, None)
    assert series.last_value is None


def test_out_of_order_and_duplicates() -> None:
    """Earlier times are rejected; a repeated time replaces the value."""
    series = _series([(0.0, 100.0), (1.0, 110.0)])
    assert series.add(0.5, 500.0) is False
    assert series.add(math.nan, 500.0) is False
    assert series.add(math.inf, 500.0) is False
    assert series.rejected == 3
    assert series.add(1.0, 120.0) is True
    assert series.replaced == 1
    assert series.last_value == 120.0
    assert len(series) == 2


def test_empty_or_inverted_window() -> None:
    """A zero-length window, or one ending at the first reading, has no statistics."""
    series = _series([(0.0, 100.0), (1.0, 100.0)])
    assert series.window(0.5, 0.5).median is None
    late = _series([(10.0, 100.0)])
    stats = late.window(5.0, 10.0)
    assert stats.median is None
    assert stats.gap


def test_cadence_is_median_interval() -> None:
    """The cadence is the median time between readings, robust to one long pause."""
    series = _series([(float(t), 1.0) for t in (0, 2, 4, 6)])
    assert series.interval_s() is None  # too few readings yet
    for t in (8, 10, 12, 40, 42, 44):
        series.add(float(t), 1.0)
    assert series.interval_s() == 2.0
    assert series.interval_s() == 2.0  # cached
    assert series.updates_between(0.0, 6.0) == 3


def test_horizon_bounds_memory_and_feeds_consumer() -> None:
    """Old readings are dropped beyond the horizon, after the consumer has seen them."""
    seen: list[float] = []

    def consumer(ts: list[float], _w: list[float], start: int, end: int) -> None:
        seen.extend(ts[start:end])

    series = PowerSeries(horizon_s=100.0, max_samples=50)
    series.consumer = consumer
    accepted = series.add_many([float(t) for t in range(2000)], [1.0] * 2000)
    assert accepted == 2000
    assert len(series) <= 2 * 256
    series.feed()
    assert seen == [float(t) for t in range(2000)]
    assert series.total == 2000
    times, watts = series.samples()
    assert times[-1] == 1999.0
    assert len(times) == len(watts)


def test_max_samples_caps_a_fast_meter() -> None:
    """A meter faster than the horizon allows is capped by max_samples."""
    series = PowerSeries(horizon_s=1e9, max_samples=100)
    series.add_many([t / 100 for t in range(5000)], [1.0] * 5000)
    assert len(series) <= 2 * 256
    series.feed()  # no consumer: nothing happens


@pytest.mark.parametrize("seed", range(12))
def test_running_sums_agree_with_the_readings(seed: int) -> None:
    """The fast window path (running sums) says what the readings themselves say.

    Random meters with gaps, repeated times (the later report wins, NaN <-> value), dropouts
    and trims past the horizon; every window is measured both ways: measure() takes the
    running sums where it can, window() always goes through the readings.
    """
    rng = random.Random(seed)
    series = PowerSeries(horizon_s=300.0, max_samples=400)
    t = 1.79e9 + rng.uniform(0.0, 1.0)
    level = rng.uniform(0.0, 5000.0)
    checked = fast = 0
    for step in range(3000):
        t += rng.choice((0.2, 1.0, 1.0, 2.0, 6.0, 15.0)) * rng.uniform(0.8, 1.2)
        if rng.random() < 0.02:
            level = rng.uniform(-2000.0, 20000.0)  # a step (negative: export)
        roll = rng.random()
        watts = None if roll < 0.03 else level + rng.gauss(0.0, 20.0)
        if roll > 0.99:
            watts = level * 10.0  # an outlier: such windows take the median path
        series.add(t, watts)
        if rng.random() < 0.05:  # the same time reported again
            series.add(t, None if rng.random() < 0.3 else level + rng.gauss(0.0, 20.0))
        if step % 7:
            continue
        start = t - rng.uniform(0.0, 60.0)
        end = start + rng.uniform(0.5, 40.0)
        for inside in (False, True):
            got = series.measure(start, end, inside)
            want = series.window(start, end)
            times, watts_kept = series.samples()
            first, last = _bounds(times, start, end)
            if inside and first == last:  # nothing reported inside: no value, and no gap
                assert got[8] is None
                assert not got[4]
                continue
            if inside:  # window() has no inside-only form: compare with the readings path
                want_t = measure_readings(
                    times, watts_kept, first, last, start, end, (inside, False, False)
                )
                level_want, spread, drift, updates, gap = (
                    want_t[8],
                    want_t[1],
                    want_t[2],
                    want_t[3],
                    want_t[4],
                )
            else:
                level_want, spread, drift, updates, gap = (
                    want.level,
                    want.spread,
                    want.drift,
                    want.updates,
                    want.gap,
                )
            assert got[3] == updates
            assert got[4] == gap
            assert got[1] == pytest.approx(spread, abs=1e-9)
            assert got[2] == pytest.approx(drift, rel=1e-9, abs=1e-6)
            if level_want is None:
                assert got[8] is None
            else:
                assert got[8] == pytest.approx(level_want, rel=1e-9, abs=1e-6)
            checked += 1
            fast += got[6] == () and got[8] is not None
    assert checked > 500
    assert fast > 100  # the running sums did their part


def _bounds(times: list[float], start: float, end: float) -> tuple[int, int]:
    """[first, last): the readings inside (start, end], as measure() finds them."""
    first = bisect_right(times, start)
    return first, bisect_right(times, end, first)

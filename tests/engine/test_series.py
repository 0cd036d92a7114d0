"""Sample-and-hold power series: ordering, gaps, windows, cadence, bounds."""

import math

import pytest

from custom_components.energy_correlator.engine.series import PowerSeries


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

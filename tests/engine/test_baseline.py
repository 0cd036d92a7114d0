"""Whole-home aggregates: energy, local midnight, cost, peak, per-night standby."""

from collections.abc import Callable
from datetime import datetime
import json
import math
from zoneinfo import ZoneInfo

import pytest

from custom_components.energy_correlator.engine.baseline import NIGHTS_KEPT, Baseline

BERLIN = ZoneInfo("Europe/Berlin")


def _local(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN).timestamp()


def _feed(
    baseline: Baseline,
    start: float,
    end: float,
    power: Callable[[float], float | None],
    step: float = 60.0,
) -> None:
    times: list[float] = []
    watts: list[float] = []
    t = start
    while t < end:
        value = power(t)
        times.append(t)
        watts.append(math.nan if value is None else value)
        t += step
    baseline.consume(times, watts, 0, len(times))
    baseline.advance_to(end)


def test_energy_integrates_held_values_and_skips_gaps() -> None:
    """1 kW for an hour is 1 kWh; an unavailable half hour adds nothing."""
    baseline = Baseline("Europe/Berlin")
    start = _local("2026-06-01T10:00")
    _feed(baseline, start, start + 3600.0, lambda _t: 1000.0)
    assert baseline.energy_today_kwh == pytest.approx(1.0)
    _feed(
        baseline,
        start + 3600.0,
        start + 7200.0,
        lambda t: None if t < start + 5400.0 else 1000.0,
    )
    assert baseline.energy_total_kwh == pytest.approx(1.5)
    baseline.advance_to(start)  # going back does nothing
    assert baseline.energy_total_kwh == pytest.approx(1.5)


def test_local_midnight_resets_today_and_cost() -> None:
    """Today's energy restarts at local midnight, the month's cost at a new month."""
    baseline = Baseline("Europe/Berlin")
    baseline.price = 0.5
    start = _local("2026-06-30T23:00")
    _feed(baseline, start, start + 7200.0, lambda _t: 1000.0)
    assert baseline.energy_total_kwh == pytest.approx(2.0)
    assert baseline.energy_today_kwh == pytest.approx(1.0)
    assert baseline.cost_month == pytest.approx(0.5)  # July began at midnight
    assert baseline.energy_today(start + 7200.0) == pytest.approx(1.0)
    assert baseline.energy_today(start + 86_400.0) == pytest.approx(1.0)  # still July 1
    assert baseline.energy_today(start + 2 * 86_400.0) == 0.0
    _feed(baseline, start + 7200.0, _local("2026-07-02T01:00"), lambda _t: 1000.0)
    assert baseline.cost_month == pytest.approx(12.5)


def test_peak_over_rolling_window() -> None:
    """The peak forgets values older than the window."""
    baseline = Baseline("UTC", peak_window_s=3600.0)
    assert baseline.peak_w(0.0) is None
    _feed(baseline, 0.0, 600.0, lambda t: 5000.0 if t == 120.0 else 300.0)
    assert baseline.peak_w(600.0) == 5000.0
    _feed(baseline, 600.0, 9000.0, lambda _t: 400.0)
    assert baseline.peak_w(9000.0) == 400.0
    assert baseline.peak_w(100_000.0) is None


def test_standby_from_each_night() -> None:
    """A low percentile of 01:00-05:00 local, one value per covered night, bounded."""
    baseline = Baseline("Europe/Berlin", standby_percentile=10.0)
    start = _local("2026-06-01T00:00")

    def power(t: float) -> float:
        hour = datetime.fromtimestamp(t, BERLIN).hour
        return 150.0 + (t % 600) / 10 if 1 <= hour < 5 else 800.0

    _feed(baseline, start, start + 3 * 86_400.0, power)
    assert [key for key, _ in baseline.nights] == ["2026-06-01", "2026-06-02", "2026-06-03"]
    assert baseline.standby_w == 150.0  # lowest tenth of 150, 156 .. 204
    _feed(baseline, start + 3 * 86_400.0, start + 20 * 86_400.0, power, step=300.0)
    assert len(baseline.nights) == NIGHTS_KEPT


def test_poorly_covered_night_is_skipped() -> None:
    """A night the meter mostly missed gives no standby value."""
    baseline = Baseline("UTC")
    _feed(
        baseline,
        0.0,
        86_400.0,
        lambda t: None if 3600.0 <= t < 3 * 3600.0 + 1800.0 else 200.0,
    )
    assert baseline.standby_w is None


def test_night_window_across_midnight() -> None:
    """A 23:00-04:00 night spans midnight."""
    baseline = Baseline("UTC", night_start_hour=23, night_end_hour=4)
    _feed(baseline, 22 * 3600.0, 30 * 3600.0, lambda _t: 90.0)
    assert baseline.standby_w == 90.0


def test_round_trip_and_restart() -> None:
    """Accumulators survive a restart on the same day; a new day starts from zero."""
    baseline = Baseline("Europe/Berlin")
    baseline.price = 1.0
    start = _local("2026-06-01T00:00")
    _feed(baseline, start, start + 6 * 3600.0, lambda _t: 100.0)
    state = json.loads(json.dumps(baseline.to_dict()))
    same_day = Baseline("Europe/Berlin")
    same_day.load_dict(state)
    same_day.advance_to(start + 7 * 3600.0)  # restart: first reading, nothing integrated
    assert same_day.energy_today_kwh == pytest.approx(0.6)
    assert same_day.cost_month == pytest.approx(0.6)
    assert same_day.standby_w == pytest.approx(100.0)
    assert same_day.peak_w(start + 7 * 3600.0) == 100.0
    next_month = Baseline("Europe/Berlin")
    next_month.load_dict(state)
    next_month.advance_to(_local("2026-07-05T12:00"))
    assert next_month.energy_today_kwh == 0.0
    assert next_month.cost_month == 0.0
    assert next_month.energy_total_kwh == pytest.approx(0.6)
    next_month.reset()
    assert next_month.energy_total_kwh == 0.0
    assert next_month.standby_w is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"timezone": "../etc"}, "time zone"),
        ({"night_start_hour": 25}, "0..23"),
        ({"night_start_hour": 3, "night_end_hour": 3}, "empty"),
        ({"peak_window_s": 0.0}, "peak_window_s"),
    ],
)
def test_bad_settings(kwargs: dict, message: str) -> None:
    """Bad settings are refused with a clear message."""
    with pytest.raises(ValueError, match=message):
        Baseline(**kwargs)


@pytest.mark.parametrize("key", ["energy_total_kwh", "export_total_kwh", "cost_month"])
@pytest.mark.parametrize("bad", ["inf", "nan", -1.0, "x"])
def test_a_broken_stored_total_is_refused(key: str, bad: object) -> None:
    """A corrupted store cannot make a total negative or infinite: the part is refused."""
    baseline = Baseline("UTC")
    with pytest.raises(ValueError):
        baseline.load_dict({key: bad})
    restored = Baseline("UTC")
    restored.load_dict({key: 2.5})
    assert restored.to_dict()[key] == 2.5

"""The reading ledger: every kind of bad input is refused with its reason, good ones kept."""

import math
from zoneinfo import ZoneInfo

import pytest

from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MAX_RATE_PER_HOUR,
    MeterConfig,
    MeterKind,
    Notice,
    ReadingSource,
    Refusal,
    UtilityMeter,
)

TZ = ZoneInfo("Europe/Amsterdam")
T0 = 1_704_067_200.0  # 2024-01-01 00:00 UTC
NOW = T0 + 400 * DAY


def daily_meter(days: int = 20, per_day: float = 1.0, **config: object) -> UtilityMeter:
    """A meter read once a day, rising `per_day`."""
    meter = UtilityMeter("m", MeterConfig(**config), TZ)  # type: ignore[arg-type]
    for d in range(days):
        assert meter.add_reading(T0 + d * DAY, 1000 + d * per_day, NOW).accepted
    return meter


@pytest.mark.parametrize(
    ("ts", "value", "reason"),
    [
        (T0, math.nan, Refusal.NOT_A_NUMBER),
        (T0, math.inf, Refusal.NOT_A_NUMBER),
        (math.nan, 1.0, Refusal.NOT_A_NUMBER),
        (T0, -0.5, Refusal.NEGATIVE),
        (NOW + 301, 1.0, Refusal.FUTURE),
    ],
)
def test_bad_values_are_refused(ts: float, value: float, reason: Refusal) -> None:
    """Not a number, negative and future readings never enter the ledger."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    result = meter.add_reading(ts, value, NOW)
    assert not result.accepted
    assert result.reason is reason
    assert meter.readings() == []
    assert meter.pending_import() is None


def test_a_reading_a_little_in_the_future_is_clock_skew() -> None:
    """Within the tolerance a later time is accepted (clocks differ by seconds)."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    assert meter.add_reading(NOW + 200, 1.0, NOW).accepted


def test_duplicates() -> None:
    """The same reading twice is harmless; the same time with another value is a conflict."""
    meter = daily_meter(3)
    again = meter.add_reading(T0 + DAY, 1001.0, NOW)
    assert (again.accepted, again.reason) == (False, Refusal.DUPLICATE)
    other = meter.add_reading(T0 + DAY, 1001.5, NOW)
    assert (other.accepted, other.reason) == (False, Refusal.CONFLICT)
    assert [r.value for r in meter.readings()] == [1000, 1001, 1002]


def test_out_of_order_readings_are_placed_in_time() -> None:
    """A late reading between two others is inserted where it belongs."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    for ts, value in ((T0 + 2 * DAY, 1002.0), (T0, 1000.0), (T0 + DAY, 1001.5)):
        assert meter.add_reading(ts, value, NOW, ReadingSource.MANUAL).accepted
    assert [r.value for r in meter.readings()] == [1000.0, 1001.5, 1002.0]
    assert meter.hourly().total == pytest.approx(2.0)


def test_typo_between_agreeing_neighbours_is_refused() -> None:
    """12345 between 1234.5 and 1236 breaks monotonicity while the neighbours agree."""
    meter = UtilityMeter("m", MeterConfig(resets=False), TZ)
    meter.add_reading(T0, 1234.5, NOW, ReadingSource.MANUAL)
    meter.add_reading(T0 + 30 * DAY, 1236.0, NOW, ReadingSource.MANUAL)
    for value in (12345.0, 123.45):
        result = meter.add_reading(T0 + 10 * DAY, value, NOW, ReadingSource.MANUAL)
        assert (result.accepted, result.reason) == (False, Refusal.TYPO)
        assert result.previous is not None
        assert result.next is not None
        assert (result.previous.value, result.next.value) == (1234.5, 1236.0)


def test_absurd_rise_of_the_newest_reading_is_a_typo() -> None:
    """A rise of years' worth of consumption in a day is refused; a normal one is taken."""
    meter = daily_meter(20)
    result = meter.add_reading(T0 + 20 * DAY, 1019.0 + 900, NOW)
    assert (result.accepted, result.reason) == (False, Refusal.TYPO)
    assert meter.add_reading(T0 + 20 * DAY, 1021.5, NOW).accepted  # a busy day is fine


def test_absurd_low_oldest_reading_is_a_typo() -> None:
    """A reading before all others, far too low for the usual rate, is refused."""
    meter = daily_meter(20)
    result = meter.add_reading(T0 - DAY, 100.0, NOW)
    assert (result.accepted, result.reason) == (False, Refusal.TYPO)
    assert meter.add_reading(T0 - DAY, 999.0, NOW).accepted


def test_no_typo_check_before_the_usual_rate_is_known() -> None:
    """Two readings say nothing about the usual rate: a big rise (below the kind's absolute
    bound of 100 kWh an hour) is taken."""
    meter = daily_meter(2)
    assert meter.add_reading(T0 + 2 * DAY, 3000.0, NOW).accepted


def test_small_decrease_is_refused_as_noise() -> None:
    """A drop smaller than the tolerance is neither a reset nor consumption (below the two
    newest readings: between them it outvotes the newest, see test_sensor_spike.py)."""
    meter = daily_meter(5)
    result = meter.add_reading(T0 + 5 * DAY, 1002.5, NOW)
    assert (result.accepted, result.reason) == (False, Refusal.DECREASE)


def test_reset_of_total_increasing_counts_from_the_new_value() -> None:
    """A drop to near zero is a reset: the interval consumed the new value."""
    meter = daily_meter(5)
    result = meter.add_reading(T0 + 5 * DAY, 0.5, NOW)
    assert (result.accepted, result.notice) == (True, Notice.RESET)
    meter.add_reading(T0 + 6 * DAY, 1.5, NOW)
    hourly = meter.hourly()
    assert hourly.total == pytest.approx(4 + 0.5 + 1.0)
    assert hourly.values.min() >= 0
    assert meter.drops() == []


def test_unexplained_drop_is_listed_until_a_replacement_explains_it() -> None:
    """A meter that never resets and drops: provisionally a reset, listed for a repair."""
    meter = daily_meter(5, resets=False)
    result = meter.add_reading(T0 + 5 * DAY, 2.0, NOW)
    assert (result.accepted, result.notice) == (True, Notice.UNEXPLAINED_DROP)
    assert [(d.previous, d.value) for d in meter.drops()] == [(1004.0, 2.0)]
    swap = meter.replace(T0 + 4.5 * DAY, 1004.5, 1.5, NOW)
    assert swap.accepted
    assert meter.drops() == []
    assert meter.hourly().total == pytest.approx(4 + 0.5 + 0.5)


def test_manual_drop_is_refused() -> None:
    """A hand-typed reading lower than the one before: use replace_meter, not a reset."""
    meter = daily_meter(5)
    result = meter.add_reading(T0 + 5 * DAY, 2.0, NOW, ReadingSource.MANUAL)
    assert (result.accepted, result.reason) == (False, Refusal.DECREASE)


def test_newest_reading_heals_an_older_typo() -> None:
    """Two readings that agree outvote the one between them: the older typo is removed."""
    meter = daily_meter(5)
    assert meter.add_reading(T0 + 5 * DAY, 1009.0, NOW, ReadingSource.MANUAL).accepted
    result = meter.add_reading(T0 + 6 * DAY, 1005.5, NOW, ReadingSource.MANUAL)
    assert (result.accepted, result.notice) == (True, Notice.TYPO_REMOVED)
    assert result.removed is not None
    assert result.removed.value == 1009.0
    assert [r.value for r in meter.readings()][-2:] == [1004.0, 1005.5]


def test_sensor_readings_are_thinned_to_first_and_last_per_hour() -> None:
    """Readings every 10 s keep two per hour, and the hourly consumption is unchanged."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    full = UtilityMeter("f", MeterConfig(), TZ)
    values = [(T0 + 10 * i, 100 + 0.001 * i) for i in range(3 * 360 + 1)]
    for ts, value in values:
        meter.add_reading(ts, value, NOW)
    assert len(meter.readings()) <= 7
    for ts, value in [*values[::180], values[-1]]:
        full.add_reading(ts, value, NOW, ReadingSource.MANUAL)
    assert meter.hourly().values == pytest.approx(full.hourly().values)
    assert meter.hourly().total == pytest.approx(values[-1][1] - values[0][1])


def test_horizon_forgets_old_readings() -> None:
    """Memory is bounded: readings older than the horizon go."""
    meter = UtilityMeter("m", MeterConfig(horizon=10 * DAY), TZ)
    for d in range(40):
        meter.add_reading(T0 + d * DAY, d, NOW)
    readings = meter.readings()
    assert readings[-1].ts - readings[0].ts <= 10.1 * DAY
    assert len(readings) < 13


def test_batch_and_single_readings_agree() -> None:
    """add_readings takes the same readings and refuses the same ones as add_reading."""
    ts = [T0 + i * HOUR for i in range(200)]
    values = [100 + 0.1 * i for i in range(200)]
    values[50] = 100_000.0  # a typo (beyond 100 kWh in an hour)
    values[120] = math.nan
    values[150] = 0.2  # a reset
    values[151:] = [0.2 + 0.1 * (i - 150) for i in range(151, 200)]
    batch = UtilityMeter("b", MeterConfig(), TZ)
    result = batch.add_readings(ts, values, NOW)
    single = UtilityMeter("s", MeterConfig(), TZ)
    for t, v in zip(ts, values, strict=True):
        single.add_reading(t, v, NOW, ReadingSource.HISTORY)
    assert result.refused == {Refusal.NOT_A_NUMBER: 1, Refusal.IMPLAUSIBLE: 1}
    assert result.resets == 1
    assert result.accepted == 198
    assert batch.readings() == single.readings()
    assert batch.hourly().total == pytest.approx(single.hourly().total)


def test_history_older_than_live_readings_goes_in_as_one_block() -> None:
    """A history batch before the live readings is judged against them: it is taken whole,
    except a reading above the live ones and an absurd typo."""
    live = UtilityMeter("m", MeterConfig(), TZ)
    for d in range(3):
        live.add_reading(T0 + (30 + d) * DAY, 130.0 + d, NOW)
    ts = [T0 + i * HOUR for i in range(24 * 30)]
    values = [100 + i / 24 for i in range(24 * 30)]
    values[100] = 5000.0  # a typo in the history
    result = live.add_readings(ts, values, NOW)
    assert result.accepted == 24 * 30 - 1
    assert result.refused == {Refusal.TYPO: 1}
    readings = live.readings()
    assert [r.ts for r in readings] == sorted(r.ts for r in readings)
    assert live.hourly().total == pytest.approx(132.0 - 100.0)
    pending = live.pending_import()
    assert pending is not None
    assert pending.start == T0
    above = live.add_readings([T0 + 29.9 * DAY], [140.0], NOW)
    assert above.refused == {Refusal.TYPO: 1}


def test_reading_between_the_two_sides_of_a_drop() -> None:
    """Around a stored reset, a reading above the old or below the new value fits; one
    between them fits neither side."""
    meter = daily_meter(5)
    assert meter.add_reading(T0 + 6 * DAY, 2.0, NOW).notice is Notice.RESET
    assert meter.add_reading(T0 + 5.5 * DAY, 500.0, NOW).reason is Refusal.DECREASE
    assert meter.add_reading(T0 + 5.2 * DAY, 1004.5, NOW).accepted
    assert meter.add_reading(T0 + 5.8 * DAY, 1.0, NOW).accepted


def test_oldest_reading_above_the_next_is_a_reset_or_noise() -> None:
    """A reading before all others and higher than the first: a reset between them when the
    drop is large, noise (refused) when small."""
    meter = daily_meter(3)
    assert meter.add_reading(T0 - DAY, 1000.5, NOW).reason is Refusal.DECREASE
    result = meter.add_reading(T0 - DAY, 5000.0, NOW)
    assert (result.accepted, result.notice) == (True, Notice.RESET)


def test_a_reading_inside_an_hour_with_first_and_last_is_redundant() -> None:
    """Between the first and last sensor reading of one hour nothing new is learned."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    meter.add_reading(T0, 1.0, NOW)
    meter.add_reading(T0 + 3000, 2.0, NOW)
    meter.mark_imported(meter.pending_import().version)  # type: ignore[union-attr]
    assert meter.add_reading(T0 + 1500, 1.5, NOW).accepted
    assert len(meter.readings()) == 2
    assert meter.pending_import() is None


@pytest.mark.parametrize("kind", list(MeterKind))
def test_the_absolute_bound_applies_from_the_first_reading_on(kind: MeterKind) -> None:
    """Before any usual rate is known, a rise beyond the kind's maximum rate is refused as
    implausible; the meter is not stuck: the next correct reading is taken."""
    meter = UtilityMeter("m", MeterConfig(kind=kind), TZ)
    assert meter.add_reading(T0, 100.0, NOW).accepted
    limit = MAX_RATE_PER_HOUR[kind]
    absurd = meter.add_reading(T0 + HOUR, 1e308, NOW)
    assert (absurd.accepted, absurd.reason) == (False, Refusal.IMPLAUSIBLE)
    assert absurd.previous is not None
    assert absurd.previous.value == 100.0
    too_much = meter.add_reading(T0 + 2 * HOUR, 100.0 + 2.01 * limit, NOW)
    assert (too_much.accepted, too_much.reason) == (False, Refusal.IMPLAUSIBLE)
    assert meter.add_reading(T0 + 2 * HOUR, 100.0 + 1.99 * limit, NOW).accepted
    assert meter.add_reading(T0 + 3 * HOUR, 100.0 + 2.5 * limit, NOW).accepted
    assert [r.value for r in meter.readings()] == [100.0, 100.0 + 1.99 * limit, 100 + 2.5 * limit]


def test_an_absurd_first_reading_is_refused() -> None:
    """A first reading no meter can show (1e308) is refused: nothing can follow it."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    result = meter.add_reading(T0, 1e308, NOW)
    assert (result.accepted, result.reason) == (False, Refusal.IMPLAUSIBLE)
    assert meter.readings() == []
    assert meter.add_reading(T0 + HOUR, 12005.0, NOW).accepted


def test_a_coarse_meter_may_step_an_hours_worth_at_once() -> None:
    """Readings seconds apart may rise up to one hour's maximum (a unit-step meter)."""
    meter = UtilityMeter("m", MeterConfig(kind=MeterKind.GAS), TZ)
    assert meter.add_reading(T0, 10.0, NOW).accepted
    assert meter.add_reading(T0 + 1, 11.0, NOW).accepted
    assert not meter.add_reading(T0 + 2, 37.0, NOW).accepted


def test_an_older_reading_far_below_is_implausible() -> None:
    """Before the oldest reading: the rise from it to the next must be plausible too."""
    meter = UtilityMeter("m", MeterConfig(kind=MeterKind.WATER), TZ)
    assert meter.add_reading(T0 + DAY, 500.0, NOW).accepted
    result = meter.add_reading(T0, 100.0, NOW)  # 400 m³ of water in a day
    assert (result.accepted, result.reason) == (False, Refusal.IMPLAUSIBLE)
    assert meter.add_reading(T0, 400.0, NOW).accepted


def test_the_bound_is_overridable_per_meter() -> None:
    """A meter with a larger supply sets its own maximum rate per hour."""
    meter = UtilityMeter("m", MeterConfig(max_rate=1000.0), TZ)
    assert meter.add_reading(T0, 0.0, NOW).accepted
    assert meter.add_reading(T0 + HOUR, 900.0, NOW).accepted
    assert not meter.add_reading(T0 + 2 * HOUR, 2000.0, NOW).accepted


def test_a_history_batch_with_an_absurd_value_is_judged_by_the_bound() -> None:
    """The vectorised batch path refuses the same readings as the one-by-one path."""
    meter = UtilityMeter("m", MeterConfig(kind=MeterKind.GAS), TZ)
    ts = [T0 + HOUR * i for i in range(48)]
    values = [10.0 + i for i in range(48)]
    values[20] = 1e308
    values[30] = 1e13
    result = meter.add_readings(ts, values, NOW, ReadingSource.HISTORY)
    assert result.accepted == 46
    assert result.refused == {Refusal.IMPLAUSIBLE: 2}
    assert max(r.value for r in meter.readings()) == 57.0
    first = UtilityMeter("m", MeterConfig(kind=MeterKind.GAS), TZ)
    lead = first.add_readings([T0, T0 + HOUR], [1e308, 5.0], NOW, ReadingSource.HISTORY)
    assert (lead.accepted, lead.refused) == (1, {Refusal.IMPLAUSIBLE: 1})
    before = first.add_readings([T0 - HOUR], [0.0], NOW, ReadingSource.HISTORY)
    assert before.accepted == 1
    far = first.add_readings([T0 - 2 * HOUR], [0.0], NOW, ReadingSource.HISTORY)
    assert far.accepted == 1
    below = UtilityMeter("m", MeterConfig(kind=MeterKind.GAS), TZ)
    assert below.add_reading(T0 + HOUR, 100.0, NOW).accepted
    block = below.add_readings([T0 - HOUR, T0], [1.0, 2.0], NOW, ReadingSource.HISTORY)
    assert block.refused == {Refusal.IMPLAUSIBLE: 2}  # ~99 m³ in two hours, 98 in one
    assert all(math.isfinite(v) for v in below.hourly().values)


def test_a_stored_absurd_value_is_forgotten_on_load() -> None:
    """A 1e308 kept before the bound existed: forgotten on load (the meter is no longer stuck),
    the hours from the reading before it are imported again."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    for h, value in enumerate((100.0, 101.0, 102.0)):
        assert meter.add_reading(T0 + h * HOUR, value, NOW).accepted
    pending = meter.pending_import()
    assert pending is not None
    meter.mark_imported(pending.version)
    data = meter.to_dict()
    data["ledger"]["ts"].append(T0 + 3 * HOUR)
    data["ledger"]["values"].append(1e308)
    data["ledger"]["codes"] += "m"
    restored = UtilityMeter.from_dict(data, MeterConfig(), TZ)
    assert [r.value for r in restored.readings()] == [100.0, 101.0, 102.0]
    again = restored.pending_import()
    assert again is not None
    assert again.start == T0 + 2 * HOUR
    assert restored.add_reading(T0 + 4 * HOUR, 103.0, NOW).accepted
    assert restored.hourly().total == pytest.approx(3.0)
    untouched = UtilityMeter.from_dict(meter.to_dict(), MeterConfig(), TZ)
    assert untouched.pending_import() is None


def test_a_stored_swap_with_an_absurd_knot_is_forgotten_whole() -> None:
    """Both knots of a swap go when one is absurd: no half swap stays."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    assert meter.add_reading(T0, 100.0, NOW).accepted
    assert meter.replace(T0 + HOUR, 101.0, 0.0, NOW).accepted
    assert meter.add_reading(T0 + 2 * HOUR, 1.0, NOW).accepted
    data = meter.to_dict()
    data["ledger"]["values"][1] = math.inf
    restored = UtilityMeter.from_dict(data, MeterConfig(), TZ)
    assert [r.value for r in restored.readings()] == [100.0, 1.0]
    assert restored.pending_import() is not None
    first = meter.to_dict()
    first["ledger"]["values"][0] = 1e300
    kept = UtilityMeter.from_dict(first, MeterConfig(), TZ)
    assert [r.value for r in kept.readings()] == [1.0]  # the swap's knots are no readings
    assert kept.hourly().total == pytest.approx(1.0)

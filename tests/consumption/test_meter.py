"""The meter facade: replacements, the changed-hours range, calendar totals, persistence."""

from datetime import date
import json
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    DamagedStateError,
    MeterConfig,
    MeterKind,
    Refusal,
    UtilityMeter,
    daily,
    monthly,
)

TZ = ZoneInfo("Europe/Amsterdam")
T0 = 1_704_067_200.0  # 2024-01-01 00:00 UTC = 01:00 Amsterdam
NOW = T0 + 400 * DAY


def daily_meter(days: int = 20, per_day: float = 1.0) -> UtilityMeter:
    """A meter read once a day at midnight UTC."""
    meter = UtilityMeter("m", MeterConfig(kind=MeterKind.GAS), TZ)
    for d in range(days):
        meter.add_reading(T0 + d * DAY, 1000 + d * per_day, NOW)
    return meter


def test_replacement_is_continuous() -> None:
    """Old meter final 1020.5, new meter starts at 3: no negative or giant consumption."""
    meter = daily_meter(20)
    swap = meter.replace(T0 + 19.5 * DAY, 1019.5, 3.0, NOW)
    assert swap.accepted
    assert swap.replacement is not None
    assert not swap.replacement.mismatch
    meter.add_reading(T0 + 21 * DAY, 4.5, NOW)
    series = meter.hourly()
    assert series.values.min() >= 0
    assert series.total == pytest.approx(19 + 0.5 + 1.5)
    assert meter.replacements() == [swap.replacement]


def test_replacement_far_off_the_usual_rate_is_flagged() -> None:
    """An implied consumption 10x the usual over the swap is a mismatch (warn, not guess)."""
    meter = daily_meter(20)
    swap = meter.replace(T0 + 20 * DAY, 1029.0, 0.0, NOW)
    assert swap.accepted
    assert swap.replacement is not None
    assert swap.replacement.mismatch
    assert swap.replacement.implied == pytest.approx(10.0)
    assert swap.replacement.expected == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ts", "old_final", "new_first", "reason"),
    [
        (T0 + 19.5 * DAY, 1010.0, 0.0, Refusal.DECREASE),  # below the old meter's last
        (T0 + 10.5 * DAY, 1010.7, 1015.0, Refusal.DECREASE),  # above the next reading
        (T0 + 5 * DAY, 1005.0, 0.0, Refusal.CONFLICT),  # at a reading's time
        (NOW + DAY, 1030.0, 0.0, Refusal.FUTURE),
        (T0 + 25 * DAY, -1.0, 0.0, Refusal.NEGATIVE),
        (T0 + 25 * DAY, float("nan"), 0.0, Refusal.NOT_A_NUMBER),
        (T0 + 25 * DAY, 1e308, 0.0, Refusal.IMPLAUSIBLE),  # no meter shows that much
        (T0 + 25 * DAY, 1020.0, 1e13, Refusal.IMPLAUSIBLE),
    ],
)
def test_contradicting_replacement_is_refused(
    ts: float, old_final: float, new_first: float, reason: Refusal
) -> None:
    """A swap that contradicts the stored readings is refused with a reason."""
    meter = daily_meter(20)
    swap = meter.replace(ts, old_final, new_first, NOW)
    assert (swap.accepted, swap.reason) == (False, reason)
    assert meter.replacements() == []


def test_changed_hours_start_where_a_late_reading_lands() -> None:
    """pending_import names the first changed hour; a change during the import keeps it."""
    meter = daily_meter(20)
    pending = meter.pending_import()
    assert pending is not None
    assert pending.start == T0
    meter.mark_imported(pending.version)
    assert meter.pending_import() is None
    meter.add_reading(T0 + 10.5 * DAY, 1010.7, NOW)  # late, between two readings
    pending = meter.pending_import()
    assert pending is not None
    assert pending.start == T0 + 10 * DAY
    meter.add_reading(T0 + 20 * DAY, 1020.0, NOW)  # arrives while that import runs
    meter.mark_imported(pending.version)
    still = meter.pending_import()
    assert still is not None
    assert still.start == T0 + 10 * DAY
    meter.mark_imported(still.version)
    assert meter.pending_import() is None
    refused = meter.add_reading(T0 + 3 * DAY, 1.0, NOW)  # refused: nothing changes
    assert not refused.accepted
    assert meter.pending_import() is None


def test_reimport_all_marks_every_hour_once() -> None:
    """Every hour from the first reading is pending again (a meter without readings has none);
    one import clears it, and the series is the same as before."""
    empty = UtilityMeter("m", MeterConfig(kind=MeterKind.WATER), TZ)
    empty.reimport_all()
    assert empty.pending_import() is None
    meter = daily_meter(20)
    before = meter.hourly().values.copy()
    meter.mark_imported(meter.pending_import().version)  # type: ignore[union-attr]
    meter.reimport_all()
    pending = meter.pending_import()
    assert pending is not None
    assert pending.start == T0
    assert np.array_equal(meter.hourly().values, before)
    meter.mark_imported(pending.version)
    assert meter.pending_import() is None


def test_days_and_months_are_local() -> None:
    """Local days (Amsterdam, across the DST change) and months; partial days not complete."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    start = 1_711_234_800.0  # 2024-03-23 23:00 UTC = 2024-03-24 00:00 CET
    hours = 24 * 14
    ts = start + HOUR * np.arange(hours + 1)
    meter.add_readings(ts, 10 + 0.5 * np.arange(hours + 1), NOW)
    days = daily(meter.hourly(), TZ)
    assert days.day(0) == date(2024, 3, 24)
    assert days.values[0] == pytest.approx(12.0)
    assert days.values[7] == pytest.approx(11.5)  # 2024-03-31 has 23 hours
    assert days.complete[0]
    assert not days.complete[-1]  # the series ends at 23:00 UTC = 01:00 CEST
    months = monthly(meter.hourly(), TZ)
    assert [str(m) for m in months.months] == ["2024-03", "2024-04"]
    assert months.values.sum() == pytest.approx(0.5 * hours)


def test_totals_today_this_month_last_month() -> None:
    """The sensors' numbers: today and this month include the estimate up to now."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    start = 1_706_742_000.0  # 2024-02-01 00:00 CET
    for d in range(45):
        meter.add_reading(start + d * DAY, 100 + 2.4 * d, NOW)
    now = start + 44 * DAY + 6 * HOUR  # 2024-03-16 06:00 CET
    totals = meter.totals(now)
    assert totals.last_month == pytest.approx(29 * 2.4)
    assert totals.today == pytest.approx(0.6)
    assert totals.today_estimated
    assert totals.this_month == pytest.approx(15 * 2.4 + 0.6)
    assert UtilityMeter("e", MeterConfig(), TZ).totals(now).today is None


def test_round_trip_through_json() -> None:
    """to_dict/from_dict keep readings, replacements, profile and the pending import."""
    meter = daily_meter(20)
    meter.replace(T0 + 19.5 * DAY, 1019.5, 3.0, NOW)
    meter.add_reading(T0 + 21 * DAY, 4.5, NOW)
    data = json.loads(json.dumps(meter.to_dict()))
    restored = UtilityMeter.from_dict(data, meter.config, TZ)
    assert restored.meter_id == meter.meter_id
    assert restored.readings() == meter.readings()
    assert restored.replacements() == meter.replacements()
    assert restored.hourly().values == pytest.approx(meter.hourly().values)
    assert restored.pending_import() is not None
    assert restored.last_reading == meter.last_reading


def test_live_readings_respread_only_the_tail_and_agree_with_a_fresh_spread() -> None:
    """After the cached series is refreshed piecewise, it equals spreading everything anew;
    anomalies and daily views follow the new readings."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    ts = T0 + HOUR * np.arange(24 * 60)
    meter.add_readings(ts, 100 + 0.2 * np.arange(24 * 60), NOW)
    assert meter.hourly().total == pytest.approx(0.2 * (24 * 60 - 1))
    before = meter.anomalies()
    t, value = float(ts[-1]), 100 + 0.2 * (24 * 60 - 1)
    for step in range(1, 200):
        t += 600 if step % 50 else 3 * DAY  # a long gap now and then
        value += 0.05 if step % 50 else 15.0
        assert meter.add_reading(t, value, NOW).accepted
        if step % 20 == 0:
            meter.hourly()
            meter.daily(t + 60)
    late = meter.add_reading(T0 + 30.5 * DAY + 900, 100 + 0.2 * 732 + 0.1, NOW)  # mid-series
    assert late.accepted
    fresh = UtilityMeter.from_dict(meter.to_dict(), meter.config, TZ)
    mine, theirs = meter.hourly(), fresh.hourly()
    assert mine.start == theirs.start
    assert mine.values == pytest.approx(theirs.values, rel=1e-9, abs=1e-12)
    assert (mine.filled == theirs.filled).all()
    assert (mine.resolved == theirs.resolved).all()
    assert meter.daily().values == pytest.approx(fresh.daily().values)
    assert meter.anomalies() == fresh.anomalies()
    assert before == []


def test_last_month_of_january_is_last_december() -> None:
    """The month before January is December of the year before."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    start = 1_701_385_200.0  # 2023-12-01 00:00 CET
    for d in range(45):
        meter.add_reading(start + d * DAY, 10 + d, NOW)
    totals = meter.totals(start + 44 * DAY + 6 * HOUR)  # 2024-01-14 06:00 CET
    assert totals.last_month == pytest.approx(31.0)
    assert totals.this_month == pytest.approx(13.25)
    assert totals.today == pytest.approx(0.25)


def test_empty_meter_views() -> None:
    """No readings: empty series, days and months, no anomalies, nothing to import."""
    meter = UtilityMeter("m", MeterConfig(), TZ)
    assert len(meter.hourly(now=NOW)) == 0
    assert len(meter.daily(NOW).values) == 0
    assert len(meter.monthly(NOW).values) == 0
    assert meter.anomalies(NOW) == []
    assert meter.last_reading is None
    assert meter.pending_import() is None
    assert meter.learn_profile() is False


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("ledger"),
        lambda d: d["ledger"].pop("codes"),
        lambda d: d["ledger"]["values"].append(5.0),
        lambda d: d["ledger"].update(codes="x" * len(d["ledger"]["ts"])),
        lambda d: d["ledger"]["ts"].reverse(),
        lambda d: d["ledger"]["values"].__setitem__(0, "abc"),
        lambda d: d.update(replacements=[{"nonsense": 1}]),
    ],
)
def test_damaged_store_data_is_refused(damage: object) -> None:
    """from_dict raises DamagedStateError (a ValueError) on data that is not a meter."""
    data = json.loads(json.dumps(daily_meter(5).to_dict()))
    damage(data)  # type: ignore[operator]
    with pytest.raises(DamagedStateError, match=r"^(ledger|meter): "):
        UtilityMeter.from_dict(data, MeterConfig(), TZ)

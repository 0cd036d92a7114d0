"""A sensor's one-off spike is outvoted by the readings around it, as a typed typo is.

Found on a real Home Assistant with a camera-read water meter: 812.0, a misread 815.1, then the
real 812.2 and 812.3. Both later readings were refused as a "decrease", so the meter stood at the
misread value and refused every true reading until the water meter itself passed 815.1 (at
0.3 m³ a day: ten days of gaps and 3.1 m³ put on the wrong day).
"""

from zoneinfo import ZoneInfo

from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MeterConfig,
    MeterKind,
    Notice,
    Refusal,
    UtilityMeter,
)

TZ = ZoneInfo("Europe/Amsterdam")
T0 = 1_704_067_200.0  # 2024-01-01 00:00 UTC
NOW = T0 + 400 * DAY


def test_a_misread_spike_is_removed_by_the_next_reading() -> None:
    """812.0, 815.1 (misread), 812.2: the spike goes, 812.2 and later readings are kept."""
    meter = UtilityMeter("w", MeterConfig(kind=MeterKind.WATER), TZ)
    assert meter.add_reading(T0, 812.0, NOW).accepted
    assert meter.add_reading(T0 + DAY, 815.1, NOW).accepted
    result = meter.add_reading(T0 + 2 * DAY, 812.2, NOW)
    assert (result.accepted, result.notice) == (True, Notice.TYPO_REMOVED)
    assert result.removed is not None
    assert result.removed.value == 815.1
    assert meter.add_reading(T0 + 3 * DAY, 812.5, NOW).accepted
    assert [r.value for r in meter.readings()] == [812.0, 812.2, 812.5]
    assert meter.hourly().total == 812.5 - 812.0


def test_a_spike_within_an_hour_of_live_reports() -> None:
    """The same on a sensor reporting every few seconds (readings thinned per hour)."""
    meter = UtilityMeter("w", MeterConfig(kind=MeterKind.WATER), TZ)
    for ts, value in [(T0, 812.0), (T0 + 6, 812.1), (T0 + 12, 815.1)]:
        assert meter.add_reading(ts, value, NOW).accepted
    assert meter.add_reading(T0 + 18, 812.2, NOW).notice is Notice.TYPO_REMOVED
    assert meter.add_reading(T0 + 24, 812.3, NOW).accepted
    assert max(r.value for r in meter.readings()) == 812.3
    assert meter.hourly().total == 812.3 - 812.0


def test_a_decrease_below_the_reading_before_is_still_refused() -> None:
    """Nothing agrees with a value below both stored readings: it is refused, nothing removed."""
    meter = UtilityMeter("w", MeterConfig(kind=MeterKind.WATER), TZ)
    assert meter.add_reading(T0, 812.0, NOW).accepted
    assert meter.add_reading(T0 + HOUR, 812.4, NOW).accepted
    result = meter.add_reading(T0 + 2 * HOUR, 811.9, NOW)
    assert (result.accepted, result.reason) == (False, Refusal.DECREASE)
    assert [r.value for r in meter.readings()] == [812.0, 812.4]

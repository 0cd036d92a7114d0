"""Learning a meter's past from the recorder's long-term statistics and states."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.energy_correlator.consumption import (
    DAY,
    HOUR,
    MeterConfig,
    MeterKind,
    UtilityMeter,
)
from custom_components.energy_correlator.meters.history import async_read_history

GAS = "sensor.gas_meter"
ATTRS = {"unit_of_measurement": "m³", "device_class": "gas", "state_class": "total_increasing"}
TZ = ZoneInfo("Europe/Amsterdam")


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def test_history_from_statistics_and_states(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """60 days of hourly statistics (in litres) and 2 days of states (with gaps) become
    readings in m³ that give consumption over the whole stretch."""
    now = dt_util.utcnow()
    hour0 = (now.timestamp() // HOUR) * HOUR
    stats_start = hour0 - 62 * DAY
    rows = [
        {
            "start": dt_util.utc_from_timestamp(stats_start + HOUR * i),
            "state": 1_000_000.0 + 100.0 * (i + 1),  # litres: 0.1 m³ an hour
            "sum": 100.0 * (i + 1),
        }
        for i in range(60 * 24)
    ]
    async_import_statistics(
        hass,
        {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": "Gas",
            "source": "recorder",
            "statistic_id": GAS,
            "unit_class": "volume",
            "unit_of_measurement": "L",
        },
        rows,
    )
    last_stat = 1000.0 + 0.1 * 60 * 24
    states_start = stats_start + 60 * DAY
    values = ["unavailable", str(last_stat + 0.5), "unknown", "abc", str(last_stat + 1.0)]
    for i, state in enumerate(values):
        hass.states.async_set(GAS, state, ATTRS, timestamp=states_start + (i + 1) * 6 * HOUR)
    await async_wait_recording_done(hass)

    found = await async_read_history(
        hass, GAS, "m³", now - timedelta(days=90), now, chunk=timedelta(days=7)
    )
    assert found.from_statistics == 60 * 24
    assert found.from_states == 2
    assert found.skipped == 3
    assert min(found.values) == pytest.approx(1000.1)
    assert max(found.values) == pytest.approx(last_stat + 1.0)

    meter = UtilityMeter("gas", MeterConfig(kind=MeterKind.GAS), TZ)
    result = meter.add_readings(found.ts, found.values, now.timestamp())
    assert result.accepted == 60 * 24 + 2
    assert meter.hourly().total == pytest.approx(0.1 * (60 * 24 - 1) + 1.0)
    assert len(meter.daily().values) >= 60


async def test_no_history(recorder_mock: Recorder, hass: HomeAssistant) -> None:
    """A meter the recorder never saw gives no readings."""
    now = dt_util.utcnow()
    found = await async_read_history(hass, "sensor.new", "kWh", now - timedelta(days=3), now)
    assert (found.ts, found.from_statistics, found.from_states) == ([], 0, 0)


async def test_energy_meter_in_wh_and_rows_without_state(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    """States in Wh become kWh; a statistics row without a state is a gap, not zero."""
    entity = "sensor.energy_total"
    now = dt_util.utcnow()
    hour0 = (now.timestamp() // HOUR) * HOUR
    rows = [
        {"start": dt_util.utc_from_timestamp(hour0 - 10 * HOUR + HOUR * i), "sum": float(i)}
        for i in range(3)
    ]
    async_import_statistics(
        hass,
        {
            "mean_type": StatisticMeanType.NONE,
            "has_sum": True,
            "name": "Energy",
            "source": "recorder",
            "statistic_id": entity,
            "unit_class": "energy",
            "unit_of_measurement": "kWh",
        },
        rows,
    )
    attrs = {"unit_of_measurement": "Wh", "device_class": "energy"}
    hass.states.async_set(entity, "1500", attrs, timestamp=hour0 - 2 * HOUR)
    await async_wait_recording_done(hass)
    found = await async_read_history(hass, entity, "Wh", now - timedelta(days=1), now)
    assert found.skipped == 3
    assert found.values == [pytest.approx(1.5)]

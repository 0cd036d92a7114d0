"""Absurd readings (a typo of many digits, a sensor reporting 1e308) in a real hass with the
recorder: refused from a meter's very first readings on, and nothing downstream is poisoned:
consumption, cost and the long-term statistic stay sane and later good readings are taken."""

from datetime import timedelta
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.statistics import statistics_during_period
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from custom_components.energy_correlator.meters.importer import meter_statistic_id
from tests.meters.conftest import ENERGY_ATTRS, GAS_ATTRS, SetUp, meter, meter_device

START = "2026-02-02 12:00:00+00:00"  # local (US/Pacific) 04:00; action times are local


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in conftest, but the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


async def _settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def _stats(hass: HomeAssistant, entry: UtilityConfigEntry) -> list[dict[str, Any]]:
    coordinator = entry.runtime_data.coordinator
    await coordinator.importer.async_wait()
    await async_wait_recording_done(hass)
    sid = meter_statistic_id(next(iter(entry.subentries)))
    rows = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        dt_util.parse_datetime("2026-01-01 00:00:00+00:00"),
        None,
        {sid},
        "hour",
        None,
        {"sum", "change"},
    )
    return [dict(row) for row in rows.get(sid, [])]


def _value(hass: HomeAssistant, entity_id: str) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.state)


async def test_the_action_refuses_an_absurd_reading_on_a_new_meter(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """1e308 on a meter with one reading (no usual rate yet) is refused with a translated
    message; the meter is not stuck: the next correct reading is taken."""
    freezer.move_to(START)
    entry = await setup_utility(meter("Electricity", "electricity", unit="kWh", price=0.3))
    device_id = meter_device(hass, entry, next(iter(entry.subentries)))

    async def read(value: float, when: str) -> Any:
        return await hass.services.async_call(
            DOMAIN,
            "add_meter_reading",
            {"meter": device_id, "value": value, "timestamp": when},
            blocking=True,
            return_response=True,
        )

    await read(12000, "2026-02-01 12:00:00")
    with pytest.raises(ServiceValidationError) as err:
        await read(1e308, "2026-02-01 18:00:00")
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "reading_implausible"
    assert "can plausibly have consumed" in str(err.value)
    assert "12000 at" in str(err.value)
    with pytest.raises(ServiceValidationError) as err:  # 3000 kWh in 6 hours of a home
        await read(15000, "2026-02-01 18:00:00")
    assert err.value.translation_key == "reading_implausible"
    response = await read(12005, "2026-02-01 20:00:00")
    assert response is not None
    assert response["consumption_since_previous"] == pytest.approx(5.0)
    await _settle(hass, freezer)
    rows = await _stats(hass, entry)
    assert rows
    assert all(math.isfinite(row["sum"]) and row["sum"] <= 5.0 + 1e-9 for row in rows)


async def test_a_sensor_reporting_1e308_is_a_gap(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A gas sensor reporting 1e308 m³ once, then sane values: the absurd one is counted and
    ignored; consumption, cost and the hourly statistic stay sane."""
    freezer.move_to(START)
    hass.states.async_set("sensor.gas", "1000", GAS_ATTRS)
    entry = await setup_utility(meter("Gas", "gas", "sensor.gas", price=1.25))
    runtime = entry.runtime_data.coordinator.meters[next(iter(entry.subentries))]
    for value in ("1000.5", "1e308", "1001.5", "1002"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    await _settle(hass, freezer)
    assert runtime.refused["implausible"] == 1
    assert [r.value for r in runtime.meter.readings()] == [1000.0, 1000.5, 1001.5, 1002.0]
    assert _value(hass, "sensor.gas_consumption_today") == pytest.approx(2.0, abs=0.01)
    assert _value(hass, "sensor.gas_cost_today") == pytest.approx(2.5, abs=0.02)
    rows = await _stats(hass, entry)
    assert rows
    sums = [row["sum"] for row in rows]
    assert all(math.isfinite(s) for s in sums)
    assert sums[-1] == pytest.approx(2.0, abs=0.01)
    assert max(row["change"] for row in rows) <= 1.0 + 1e-9
    # later good readings are accepted
    freezer.tick(timedelta(hours=1))
    hass.states.async_set("sensor.gas", "1003", GAS_ATTRS)
    await hass.async_block_till_done()
    assert runtime.meter.readings()[-1].value == 1003.0


async def test_an_electricity_sensor_rising_beyond_a_home_supply_is_refused(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_utility: SetUp,
    freezer: FrozenDateTimeFactory,
) -> None:
    """From the first readings on: 500 kWh within an hour is beyond any home's supply."""
    freezer.move_to(START)
    hass.states.async_set("sensor.energy", "100", ENERGY_ATTRS)
    entry = await setup_utility(meter("Power", "electricity", "sensor.energy"))
    runtime = entry.runtime_data.coordinator.meters[next(iter(entry.subentries))]
    for value in ("600", "101"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.energy", value, ENERGY_ATTRS)
        await hass.async_block_till_done()
    assert runtime.refused["implausible"] == 1
    assert [r.value for r in runtime.meter.readings()] == [100.0, 101.0]

"""A heating meter's outdoor temperature: the subentry field, daily means from the recorder and
from live states, and anomalies that know the weather."""

from datetime import date, datetime, time, timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.models import StatisticMeanType
from homeassistant.components.recorder.statistics import async_import_statistics
from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import numpy as np
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from sqlalchemy.exc import OperationalError

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import HDD_BASE_C, HOUR
from custom_components.energy_correlator.meters import weather as weather_module
from custom_components.energy_correlator.meters.const import (
    CONF_CALORIFIC,
    CONF_CORRECTION,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_SOURCE,
    CONF_TEMPERATURE,
    CONF_UNIT,
    SUBENTRY_METER,
)
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from custom_components.energy_correlator.meters.weather import (
    KEEP_DAYS,
    MIN_KNOWN,
    DailyTemperatures,
)
from tests.meters.conftest import GAS_ATTRS, SetUp, meter
from tests.meters.test_config_flow import TRANSLATIONS, _assert_translated

OUTDOOR_C = {
    "device_class": "temperature",
    "state_class": "measurement",
    "unit_of_measurement": "°C",
}
OUTDOOR_F = {**OUTDOOR_C, "unit_of_measurement": "°F"}
DAYS = 60
SNAP_DAYS = 5  # the last complete days are a hard frost


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in test_learning: the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


def _heating_meter(name: str, source: str | None, temperature: str | None) -> Any:
    subentry = meter(name, "gas", source, unit=None if source else "m³")
    if temperature is not None:
        subentry["data"] = {**subentry["data"], CONF_TEMPERATURE: temperature}
    return subentry


def _runtime(entry: UtilityConfigEntry, name: str) -> Any:
    return next(r for r in entry.runtime_data.coordinator.meters.values() if r.name == name)


async def _sub(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    _assert_translated(result, TRANSLATIONS["config_subentries"][SUBENTRY_METER])
    return result


# The subentry flow.


@pytest.mark.parametrize(
    ("meter_type", "temperature", "error"),
    [
        ("gas", "sensor.gas_b", "temperature_wrong_type"),  # a gas meter is no thermometer
        ("gas", "sensor.humidity", "temperature_wrong_type"),  # % is not a temperature
        ("gas", "sensor.nowhere", "temperature_not_found"),
        ("water", "sensor.outdoor", "temperature_not_heating"),
    ],
)
async def test_temperature_field_errors_then_success(
    hass: HomeAssistant, setup_utility: SetUp, meter_type: str, temperature: str, error: str
) -> None:
    """A sensor that is no outdoor temperature is refused on its field (translated); a °F
    sensor is taken, and the new gas meter follows it."""
    hass.states.async_set("sensor.gas_b", "10", GAS_ATTRS)
    hass.states.async_set("sensor.outdoor", "41", OUTDOOR_F)
    hass.states.async_set("sensor.humidity", "80", {**OUTDOOR_C, "unit_of_measurement": "%"})
    entry = await setup_utility(_heating_meter("Old gas", None, None))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    _assert_translated(result, TRANSLATIONS["config_subentries"][SUBENTRY_METER])
    form = {CONF_NAME: "Gas", CONF_METER_TYPE: meter_type, CONF_UNIT: "m³"}
    result = await _sub(hass, result, {**form, CONF_TEMPERATURE: temperature})
    assert result["errors"] == {CONF_TEMPERATURE: error}
    result = await _sub(
        hass,
        result,
        {
            **form,
            CONF_METER_TYPE: "gas",
            CONF_SOURCE: "sensor.gas_b",
            CONF_TEMPERATURE: "sensor.outdoor",
        },
    )
    assert result["step_id"] == "gas"
    result = await _sub(hass, result, {CONF_CALORIFIC: 11.5, CONF_CORRECTION: 0.9})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    subentry = next(s for s in entry.subentries.values() if s.title == "Gas")
    assert subentry.data[CONF_TEMPERATURE] == "sensor.outdoor"
    runtime = _runtime(entry, "Gas")
    assert runtime.weather is not None
    assert runtime.weather.entity_id == "sensor.outdoor"
    assert _runtime(entry, "Old gas").weather is None


async def test_a_heat_pump_electricity_meter_takes_the_temperature(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """An electricity meter may heat (a heat pump, electric heating): its outdoor
    temperature is accepted and followed like a gas meter's."""
    hass.states.async_set("sensor.outdoor", "5", OUTDOOR_C)
    entry = await setup_utility(_heating_meter("Old gas", None, None))
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_METER), context={"source": SOURCE_USER}
    )
    result = await _sub(
        hass,
        result,
        {
            CONF_NAME: "Heat pump",
            CONF_METER_TYPE: "electricity",
            CONF_UNIT: "kWh",
            CONF_TEMPERATURE: "sensor.outdoor",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    runtime = _runtime(entry, "Heat pump")
    assert runtime.weather is not None
    assert runtime.weather.entity_id == "sensor.outdoor"


async def test_reconfigure_removes_the_temperature(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """Reconfigure suggests the current sensor; clearing it removes it from the meter."""
    hass.states.async_set("sensor.gas_a", "10", GAS_ATTRS)
    hass.states.async_set("sensor.outdoor", "5", OUTDOOR_C)
    entry = await setup_utility(_heating_meter("Gas", "sensor.gas_a", "sensor.outdoor"))
    assert _runtime(entry, "Gas").weather is not None
    subentry_id = next(iter(entry.subentries))
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    suggested = {
        str(marker): (marker.description or {}).get("suggested_value")
        for marker in result["data_schema"].schema
    }
    assert suggested[CONF_TEMPERATURE] == "sensor.outdoor"
    result = await _sub(
        hass, result, {CONF_NAME: "Gas", CONF_METER_TYPE: "gas", CONF_SOURCE: "sensor.gas_a"}
    )
    result = await _sub(hass, result, {CONF_CALORIFIC: 11.5, CONF_CORRECTION: 0.9})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert CONF_TEMPERATURE not in entry.subentries[subentry_id].data
    assert _runtime(entry, "Gas").weather is None


# Live daily means.


def test_daily_means_from_held_states() -> None:
    """A time-weighted mean of held values per local day; an unknown state only pauses it;
    a day with less than MIN_KNOWN known time has no mean; absurd stored data is skipped."""
    tz = dt_util.get_time_zone("Europe/Amsterdam")
    assert tz is not None
    day = date(2026, 1, 5)
    midnight = datetime.combine(day, time(), tz).timestamp()
    weather = DailyTemperatures("sensor.outdoor")
    assert not weather.add(midnight, 10.0, tz)
    assert not weather.add(midnight + 6 * HOUR, None, tz)  # unavailable: 6 h of 10 °C known
    assert not weather.add(midnight + 12 * HOUR, 20.0, tz)  # back: 12 h of 20 °C follow
    assert weather.add(midnight + 24.5 * HOUR, 20.0, tz)  # the next day closes this one
    assert weather.days[day] == pytest.approx((10 * 6 + 20 * 12) / 18)
    assert weather.unknown_states == 1
    # A day known for less than MIN_KNOWN: no mean for it.
    next_midnight = datetime.combine(day + timedelta(days=1), time(), tz).timestamp()
    weather.add(next_midnight + MIN_KNOWN - HOUR, None, tz)
    assert not weather.advance(next_midnight + 2 * 24 * HOUR, tz)
    assert day + timedelta(days=1) not in weather.days
    # Stored days of another sensor, or damaged ones, are not taken.
    stored = weather.to_dict()
    assert DailyTemperatures("sensor.outdoor", stored).days == weather.days
    assert DailyTemperatures("sensor.other", stored).days == {}
    damaged = {"entity_id": "sensor.outdoor", "days": {"yesterday": 3.0, "2026-01-02": "x"}}
    assert DailyTemperatures("sensor.outdoor", damaged).days == {}
    # A state older than the held one changes nothing; the record is bounded.
    assert not weather.advance(midnight, tz)
    weather.merge({date(2000, 1, 1) + timedelta(days=i): 1.0 for i in range(KEEP_DAYS + 2)})
    assert len(weather.days) == KEEP_DAYS
    assert date(2000, 1, 1) not in weather.days
    assert weather.record() is weather.record()


async def test_live_states_give_a_day_and_unavailable_changes_nothing(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """°F states become a °C mean for the day; an unavailable or text state is counted as a
    gap and asks for no recompute; a renamed sensor is followed, a removed one keeps its days."""
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "demo", "outdoor", suggested_object_id="outdoor")
    hass.states.async_set("sensor.outdoor", "50", OUTDOOR_F)
    entry = await setup_utility(_heating_meter("Gas", None, "sensor.outdoor"))
    runtime = _runtime(entry, "Gas")
    coordinator = entry.runtime_data.coordinator
    weather = runtime.weather
    tz = coordinator.tz
    now = dt_util.utcnow().timestamp()
    yesterday = datetime.fromtimestamp(now, tz).date() - timedelta(days=1)
    start = datetime.combine(yesterday - timedelta(days=1), time(), tz).timestamp()
    for hours, state in ((0, "41"), (8, "unavailable"), (12, "abc"), (16, "59"), (24.5, "50")):
        hass.states.async_set("sensor.outdoor", state, OUTDOOR_F, timestamp=start + hours * HOUR)
    await hass.async_block_till_done()
    # 8 h at 5 °C, 8 h unknown, 8 h at 15 °C.
    assert weather.days[yesterday - timedelta(days=1)] == pytest.approx(10.0)
    assert weather.unknown_states == 2
    data = coordinator.data
    hass.states.async_set("sensor.outdoor", "unavailable", OUTDOOR_F)
    await hass.async_block_till_done()
    assert coordinator.data is data
    assert weather.unknown_states == 3
    # Renamed: followed and kept in the subentry.
    registry.async_update_entity("sensor.outdoor", new_entity_id="sensor.garden")
    await hass.async_block_till_done()
    assert weather.entity_id == "sensor.garden"
    assert next(iter(entry.subentries.values())).data[CONF_TEMPERATURE] == "sensor.garden"
    registry.async_remove("sensor.garden")
    await hass.async_block_till_done()
    assert yesterday - timedelta(days=1) in weather.days
    assert coordinator.stored_data()["meters"][runtime.subentry_id]["weather"]["entity_id"] == (
        "sensor.garden"
    )


# The recorder's history and the anomaly vote.


def _winter_days(tz: Any) -> tuple[list[date], np.ndarray]:
    """DAYS complete local days up to yesterday; mild with some spread, then a hard frost."""
    today = dt_util.now(tz).date()
    days = [today - timedelta(days=DAYS - i) for i in range(DAYS)]
    rng = np.random.default_rng(7)
    temperature = 5.0 + rng.normal(0, 1.0, DAYS)
    temperature[-SNAP_DAYS:] = -8.0
    return days, temperature


async def _record_winter(hass: HomeAssistant, tz: Any) -> None:
    """Hourly statistics of two gas meters using 0.8 + 0.35 HDD a day, and of an outdoor
    sensor in °F (the recorder converts it), as the recorder keeps them."""
    days, temperature = _winter_days(tz)
    rng = np.random.default_rng(8)
    gas_rows: list[dict[str, Any]] = []
    outdoor_rows: list[dict[str, Any]] = []
    total = 1000.0
    for day, celsius in zip(days, temperature, strict=True):
        use = (0.8 + 0.35 * max(HDD_BASE_C - celsius, 0.0)) * rng.lognormal(0, 0.03)
        midnight = datetime.combine(day, time(), tz)
        for hour in range(24):
            start = dt_util.as_utc(midnight) + timedelta(hours=hour)
            if start >= dt_util.as_utc(datetime.combine(day + timedelta(days=1), time(), tz)):
                break
            total += use / 24
            gas_rows.append({"start": start, "state": float(total), "sum": float(total - 1000.0)})
            fahrenheit = float(celsius * 9 / 5 + 32)  # numpy floats do not bind on PostgreSQL
            outdoor_rows.append(
                {"start": start, "mean": fahrenheit, "min": fahrenheit, "max": fahrenheit}
            )
    for statistic_id in ("sensor.gas_a", "sensor.gas_b"):
        async_import_statistics(
            hass,
            {
                "mean_type": StatisticMeanType.NONE,
                "has_sum": True,
                "name": None,
                "source": "recorder",
                "statistic_id": statistic_id,
                "unit_class": "volume",
                "unit_of_measurement": "m³",
            },
            gas_rows,
        )
    async_import_statistics(
        hass,
        {
            "mean_type": StatisticMeanType.ARITHMETIC,
            "has_sum": False,
            "name": None,
            "source": "recorder",
            "statistic_id": "sensor.outdoor",
            "unit_class": "temperature",
            "unit_of_measurement": "°F",
        },
        outdoor_rows,
    )
    await async_wait_recording_done(hass)
    for statistic_id in ("sensor.gas_a", "sensor.gas_b"):
        hass.states.async_set(statistic_id, f"{total:.3f}", GAS_ATTRS)
    hass.states.async_set("sensor.outdoor", "17.6", OUTDOOR_F)


async def test_cold_snap_is_no_anomaly_with_the_outdoor_temperature(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_utility: SetUp,
) -> None:
    """Two gas meters with the same winter from the recorder; the frost of the last days
    raises the anomaly sensor of the one without weather only, and the diagnostics say which
    one uses the weather line."""
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    tz = dt_util.get_default_time_zone()
    await _record_winter(hass, tz)
    entry: UtilityConfigEntry = await setup_utility(
        _heating_meter("With weather", "sensor.gas_a", "sensor.outdoor"),
        _heating_meter("Without weather", "sensor.gas_b", None),
    )
    coordinator = entry.runtime_data.coordinator
    for task in list(coordinator.learning):
        await task
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    with_weather, without = _runtime(entry, "With weather"), _runtime(entry, "Without weather")
    days, temperature = _winter_days(tz)
    assert len(with_weather.weather.days) >= DAYS - 1
    assert with_weather.weather.days[days[-1]] == pytest.approx(temperature[-1], abs=0.01)

    registry = er.async_get(hass)

    def anomaly_state(runtime: Any) -> str:
        entity_id = registry.async_get_entity_id(
            "binary_sensor", DOMAIN, f"{runtime.subentry_id}_anomaly"
        )
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        return state.state

    assert anomaly_state(without) == "on"
    assert anomaly_state(with_weather) == "off"
    snapshots = coordinator.data.meters
    assert snapshots[with_weather.subentry_id].anomaly_judged
    frost = set(days[-SNAP_DAYS:])
    assert frost & {a.day for a in without.meter.anomalies()}
    assert not frost & {
        a.day for a in with_weather.meter.anomalies(None, with_weather.weather.record())
    }

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    meters = diagnostics["meters"]
    weather = meters[with_weather.subentry_id]["weather"]
    assert weather["fit_used"] is True
    assert weather["fit"]["per_degree_day"] == pytest.approx(0.35, rel=0.15)
    assert weather["from_statistics"] >= DAYS - 1
    assert meters[without.subentry_id]["weather"] is None
    await coordinator.importer.async_wait()


async def test_recorder_failure_keeps_the_meter_working(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    setup_utility: SetUp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A database error while reading the temperature's statistics is logged; the meter
    works on, without weather days."""
    hass.states.async_set("sensor.gas_a", "10", GAS_ATTRS)
    hass.states.async_set("sensor.outdoor", "5", OUTDOOR_C)

    def broken(*_args: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("database is locked"))

    with patch(f"{weather_module.__name__}.statistics_during_period", broken):
        entry: UtilityConfigEntry = await setup_utility(
            _heating_meter("Gas", "sensor.gas_a", "sensor.outdoor")
        )
        coordinator = entry.runtime_data.coordinator
        for task in list(coordinator.learning):
            await task
    assert "Could not read the history of sensor.outdoor for Gas" in caplog.text
    runtime = _runtime(entry, "Gas")
    assert runtime.weather.days == {}
    assert runtime.meter.last_reading is not None
    await coordinator.importer.async_wait()

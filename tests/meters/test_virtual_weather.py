"""A virtual heating meter's outdoor temperature: its own option (the form's field and its
checks), else its parts' sensor; a cold snap the real gas meter knows is no anomaly is none
for the virtual gas -> kWh meter either."""

from datetime import datetime, time, timedelta
from typing import Any

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

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.consumption import HDD_BASE_C
from custom_components.energy_correlator.meters.const import (
    CONF_BASE,
    CONF_NAME,
    CONF_OUTPUT,
    CONF_SUBTRACT,
    CONF_TEMPERATURE,
    SUBENTRY_VIRTUAL,
)
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter, virtual
from tests.meters.test_config_flow import TRANSLATIONS, _assert_translated
from tests.meters.test_weather import DAYS, OUTDOOR_C, OUTDOOR_F, SNAP_DAYS, _winter_days


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest, recorder_db_url: str) -> None:
    """As in test_weather: the recorder's database must be prepared before hass exists."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


def _with_temperature(subentry: Any, temperature: str) -> Any:
    subentry["data"] = {**subentry["data"], CONF_TEMPERATURE: temperature}
    return subentry


async def _sub(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    _assert_translated(result, TRANSLATIONS["config_subentries"][SUBENTRY_VIRTUAL])
    return result


# The form and the choice of the weather.


@pytest.mark.parametrize(
    ("base", "temperature", "error"),
    [
        ("water", "sensor.outdoor", "temperature_not_heating"),  # water follows no cold
        ("gas", "sensor.humidity", "temperature_wrong_type"),
        ("gas", "sensor.nowhere", "temperature_not_found"),
    ],
)
async def test_virtual_temperature_field_errors_then_success(
    hass: HomeAssistant, setup_utility: SetUp, base: str, temperature: str, error: str
) -> None:
    """A sensor that cannot be the outdoor temperature of this virtual meter is refused on
    its field (translated); a °F sensor on a gas base is taken and followed; reconfigured
    without it, the virtual meter has no weather."""
    hass.states.async_set("sensor.outdoor", "41", OUTDOOR_F)
    hass.states.async_set("sensor.humidity", "80", {**OUTDOOR_C, "unit_of_measurement": "%"})
    entry: UtilityConfigEntry = await setup_utility(
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        meter("Household", "electricity", unit="kWh", subentry_id="house"),
        meter("Gas", "gas", unit="m³", subentry_id="gas"),
        meter("Hot water", "gas", unit="m³", subentry_id="hot"),
        meter("Water", "water", unit="m³", subentry_id="water"),
        meter("Garden", "water", unit="m³", subentry_id="garden"),
    )
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_VIRTUAL), context={"source": SOURCE_USER}
    )
    form = {CONF_NAME: "Heating", CONF_OUTPUT: "energy"}
    subtract = {"water": ["garden"], "gas": ["hot"]}[base]
    output = {CONF_OUTPUT: "volume"} if base == "water" else {}
    result = await _sub(
        hass,
        result,
        {
            **form,
            **output,
            CONF_BASE: base,
            CONF_SUBTRACT: subtract,
            CONF_TEMPERATURE: temperature,
        },
    )
    assert result["errors"] == {CONF_TEMPERATURE: error}
    good = {**form, CONF_BASE: "gas", CONF_SUBTRACT: ["hot"]}
    result = await _sub(hass, result, {**good, CONF_TEMPERATURE: "sensor.outdoor"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    virtual_id = next(sid for sid, sub in entry.subentries.items() if sub.title == "Heating")
    assert entry.subentries[virtual_id].data[CONF_TEMPERATURE] == "sensor.outdoor"
    runtime = entry.runtime_data.coordinator.virtuals[virtual_id]
    assert runtime.weather is not None
    assert runtime.weather is runtime.own_weather
    assert runtime.weather.entity_id == "sensor.outdoor"

    result = await entry.start_subentry_reconfigure_flow(hass, virtual_id)
    result = await _sub(hass, result, good)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert CONF_TEMPERATURE not in entry.subentries[virtual_id].data
    assert entry.runtime_data.coordinator.virtuals[virtual_id].weather is None


async def test_virtual_meter_inherits_its_parts_temperature(
    hass: HomeAssistant, setup_utility: SetUp
) -> None:
    """Without a sensor of its own, a gas- or electricity-based virtual meter (heating gas, a
    heat pump) uses its base's, else a subtracted meter's; a water-based one none."""
    hass.states.async_set("sensor.outdoor", "5", OUTDOOR_C)
    hass.states.async_set("sensor.garden", "6", OUTDOOR_C)
    entry: UtilityConfigEntry = await setup_utility(
        _with_temperature(meter("Gas", "gas", unit="m³", subentry_id="gas"), "sensor.outdoor"),
        _with_temperature(meter("Hot", "gas", unit="m³", subentry_id="hot"), "sensor.garden"),
        meter("Boiler", "gas", unit="m³", subentry_id="boiler"),
        meter("Grid", "electricity", unit="kWh", subentry_id="grid"),
        virtual("Heating", "gas", ["hot"], "energy", subentry_id="heating"),
        virtual("Rest", "boiler", ["hot"], "volume", subentry_id="rest"),
        virtual("Other", "grid", ["gas"], "energy", subentry_id="other"),
        meter("Water", "water", unit="m³", subentry_id="water"),
        meter("Garden", "water", unit="m³", subentry_id="garden"),
        virtual("Tap", "water", ["garden"], "volume", subentry_id="tap"),
        _with_temperature(
            virtual("Own", "boiler", ["gas"], "energy", subentry_id="own"), "sensor.garden"
        ),
    )
    coordinator = entry.runtime_data.coordinator
    virtuals, meters = coordinator.virtuals, coordinator.meters
    assert virtuals["heating"].weather is meters["gas"].weather  # the base's first
    assert virtuals["rest"].weather is meters["hot"].weather  # else a subtracted meter's
    assert virtuals["other"].weather is meters["gas"].weather  # a heat pump's base heats too
    assert virtuals["tap"].weather is None
    own = virtuals["own"]
    assert own.weather is own.own_weather
    assert own.weather is not meters["gas"].weather
    assert own.weather is not None
    assert own.weather.entity_id == "sensor.garden"
    stored = coordinator.stored_data()["meters"]
    assert stored["own"]["weather"]["entity_id"] == "sensor.garden"
    assert "weather" not in stored["heating"]  # its base keeps the days
    assert stored["heating"]["part_names"] == {"gas": "Gas", "hot": "Hot"}


# The cold snap.


async def _record_winter(hass: HomeAssistant, tz: Any) -> None:
    """Hourly statistics of two gas meters counting heating (0.5 + 0.35 HDD a day) and hot
    water (0.3 a day), of the hot-water gas meter alone, and of an outdoor sensor in °F."""
    days, temperature = _winter_days(tz)
    rng = np.random.default_rng(8)
    rows: dict[str, list[dict[str, Any]]] = {"total": [], "hot": [], "outdoor": []}
    total = hot = 1000.0
    for day, celsius in zip(days, temperature, strict=True):
        heating = (0.5 + 0.35 * max(HDD_BASE_C - celsius, 0.0)) * rng.lognormal(0, 0.03)
        water = 0.3 * rng.lognormal(0, 0.03)
        midnight = dt_util.as_utc(datetime.combine(day, time(), tz))
        next_midnight = dt_util.as_utc(datetime.combine(day + timedelta(days=1), time(), tz))
        start = midnight
        hours = (next_midnight - midnight) / timedelta(hours=1)
        while start < next_midnight:
            total += (heating + water) / hours
            hot += water / hours
            rows["total"].append(
                {"start": start, "state": float(total), "sum": float(total - 1000)}
            )
            rows["hot"].append({"start": start, "state": float(hot), "sum": float(hot - 1000)})
            fahrenheit = float(celsius * 9 / 5 + 32)  # numpy floats do not bind on PostgreSQL
            rows["outdoor"].append(
                {"start": start, "mean": fahrenheit, "min": fahrenheit, "max": fahrenheit}
            )
            start += timedelta(hours=1)
    for statistic_id, key in (
        ("sensor.gas_a", "total"),
        ("sensor.gas_b", "total"),
        ("sensor.gas_hot", "hot"),
    ):
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
            rows[key],
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
        rows["outdoor"],
    )
    await async_wait_recording_done(hass)
    for statistic_id, value in (("sensor.gas_a", total), ("sensor.gas_b", total)):
        hass.states.async_set(statistic_id, f"{value:.3f}", GAS_ATTRS)
    hass.states.async_set("sensor.gas_hot", f"{hot:.3f}", GAS_ATTRS)
    hass.states.async_set("sensor.outdoor", "17.6", OUTDOOR_F)


async def test_cold_snap_is_no_anomaly_of_the_virtual_heating_meter(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    setup_utility: SetUp,
) -> None:
    """Heating gas in kWh = gas total - hot water, over a winter whose last days freeze: the
    real gas meter with the outdoor temperature is not alarmed, nor is the virtual meter that
    inherits its sensor or has its own; the ones without weather are (so the frost would be
    an anomaly). The diagnostics say which sensor each virtual meter uses."""
    from pytest_homeassistant_custom_component.components.diagnostics import (
        get_diagnostics_for_config_entry,
    )

    tz = dt_util.get_default_time_zone()
    await _record_winter(hass, tz)
    entry: UtilityConfigEntry = await setup_utility(
        _with_temperature(
            meter("With weather", "gas", "sensor.gas_a", subentry_id="a"), "sensor.outdoor"
        ),
        meter("Without weather", "gas", "sensor.gas_b", subentry_id="b"),
        meter("Hot water", "gas", "sensor.gas_hot", subentry_id="hot"),
        virtual("Heating inherited", "a", ["hot"], "energy", subentry_id="inherited"),
        _with_temperature(
            virtual("Heating own", "b", ["hot"], "energy", subentry_id="own"), "sensor.outdoor"
        ),
        virtual("Heating plain", "b", ["hot"], "energy", subentry_id="plain"),
    )
    coordinator = entry.runtime_data.coordinator
    while coordinator.learning:
        await coordinator.learning.pop()
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    own = coordinator.virtuals["own"]
    days, temperature = _winter_days(tz)
    assert own.weather is not None
    assert len(own.weather.days) >= DAYS - 1
    assert own.weather.days[days[-1]] == pytest.approx(temperature[-1], abs=0.01)

    registry = er.async_get(hass)

    def anomaly_state(subentry_id: str) -> str:
        entity_id = registry.async_get_entity_id("binary_sensor", DOMAIN, f"{subentry_id}_anomaly")
        assert entity_id is not None
        state = hass.states.get(entity_id)
        assert state is not None
        return state.state

    assert anomaly_state("b") == "on"
    assert anomaly_state("plain") == "on"
    assert anomaly_state("a") == "off"
    assert anomaly_state("inherited") == "off"
    assert anomaly_state("own") == "off"
    snapshots = coordinator.data.meters
    assert snapshots["inherited"].anomaly_judged
    assert snapshots["own"].anomaly_judged
    real = coordinator.meters["a"]
    assert real.weather is not None
    assert not set(days[-SNAP_DAYS:]) & {
        a.day for a in real.meter.anomalies(None, real.weather.record())
    }

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    virtual_meters = diagnostics["virtual_meters"]
    assert virtual_meters["inherited"]["weather"]["entity"] == "sensor.outdoor"
    assert virtual_meters["inherited"]["weather"]["own"] is False
    assert virtual_meters["own"]["weather"]["own"] is True
    assert virtual_meters["own"]["weather"]["days"] >= DAYS - 1
    assert virtual_meters["plain"]["weather"] is None
    assert virtual_meters["plain"]["missing_parts"] == []
    await coordinator.importer.async_wait()

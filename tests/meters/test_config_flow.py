"""Utility-meter flows: the first meter, meter and virtual-meter subentries, options."""

from collections.abc import Generator
import json
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import SOURCE_USER, ConfigSubentry, ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.config_flow import EnergyCorrelatorConfigFlow
from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    CONF_INFLUX_VERIFY_SSL,
    DOMAIN,
    OPT_PRICE_ENTITY,
)
from custom_components.energy_correlator.influx import InfluxValidationError
from custom_components.energy_correlator.meters.config_flow import (
    MeterSubentryFlow,
    UtilityOptionsFlow,
    VirtualMeterSubentryFlow,
)
from custom_components.energy_correlator.meters.const import (
    CONF_BASE,
    CONF_CALORIFIC,
    CONF_CORRECTION,
    CONF_ENTRY_KIND,
    CONF_METER_TYPE,
    CONF_NAME,
    CONF_OUTPUT,
    CONF_PRICE,
    CONF_SOURCE,
    CONF_SUBTRACT,
    CONF_UNIT,
    DEFAULT_CALORIFIC,
    DEFAULT_CORRECTION,
    ENTRY_KIND_UTILITY,
    OPT_GAP_DAYS,
    OPT_MIN_METHODS,
    SUBENTRY_METER,
    SUBENTRY_VIRTUAL,
    UTILITY_UNIQUE_ID,
)
from custom_components.energy_correlator.meters.flow_forms import DEFAULT_UTILITY_OPTIONS

TRANSLATIONS = json.loads(
    (
        Path(__file__).parents[2] / "custom_components" / DOMAIN / "translations" / "en.json"
    ).read_text(encoding="utf-8")
)
VALIDATE = "custom_components.energy_correlator.config_flow.async_validate_influx"
GAS_SENSOR = {
    "device_class": "gas",
    "state_class": "total_increasing",
    "unit_of_measurement": "m³",
}
ENERGY_SENSOR = {
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",
}
INFLUX_INPUT = {
    CONF_INFLUX_URL: "http://127.0.0.1:8086",
    CONF_INFLUX_TOKEN: "t0ken-t0ken",
    CONF_INFLUX_ORG: "home",
    CONF_INFLUX_BUCKET: "energy",
    CONF_INFLUX_VERIFY_SSL: True,
}
MANUAL_GAS = {CONF_NAME: "Old gas meter", CONF_METER_TYPE: "gas", CONF_UNIT: "m³"}


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Generator[AsyncMock]:
    """Entries created or reloaded by the flows do not really set up."""
    with (
        patch(
            "custom_components.energy_correlator.async_setup_entry",
            new_callable=AsyncMock,
            return_value=True,
        ) as setup,
        patch(
            "custom_components.energy_correlator.async_unload_entry",
            new_callable=AsyncMock,
            return_value=True,
        ),
    ):
        yield setup


@pytest.fixture(autouse=True)
def meters(hass: HomeAssistant) -> None:
    """A gas meter sensor, an electricity total, a water sensor, and sensors that do not fit."""
    hass.states.async_set("sensor.gas", "1234.5", GAS_SENSOR)
    hass.states.async_set("sensor.grid_energy", "9000", ENERGY_SENSOR)
    hass.states.async_set("sensor.heat_pump_energy", "300", ENERGY_SENSOR)
    hass.states.async_set("sensor.gas_flow", "1.2", {**GAS_SENSOR, "state_class": "measurement"})
    hass.states.async_set("sensor.temperature", "21", {"unit_of_measurement": "°C"})
    hass.states.async_set("sensor.price", "0.31", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.gas_price", "1.4", {"unit_of_measurement": "EUR/m³"})
    hass.states.async_set("sensor.tariff", "peak", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.price_loading", "unavailable", {"unit_of_measurement": "EUR/kWh"})
    hass.states.async_set("sensor.odd_gas", "5", {**GAS_SENSOR, "unit_of_measurement": "barrels"})


def _assert_translated(result: FlowResult[Any, Any], strings: dict[str, Any]) -> None:
    """Every step, field, menu option, error and abort shown has English text."""
    if result["type"] is FlowResultType.ABORT:
        assert result["reason"] in strings["abort"] or result["reason"] == "reconfigure_successful"
        return
    if result["type"] is FlowResultType.CREATE_ENTRY:
        return
    step = strings["step"][result["step_id"]]
    assert step["title"]
    if result["type"] is FlowResultType.MENU:
        assert set(cast(list[str], result["menu_options"])) <= set(step["menu_options"])
        return
    for marker in result["data_schema"].schema:
        assert str(marker) in step["data"]
        assert str(marker) in step["data_description"]
    for error in (result["errors"] or {}).values():
        assert error in strings["error"]


def _suggested(result: FlowResult[Any, Any], key: str) -> Any:
    for marker in result["data_schema"].schema:
        if marker == key:
            return (marker.description or {}).get("suggested_value")
    raise KeyError(key)


async def _flow(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    _assert_translated(result, TRANSLATIONS["config"])
    return result


async def _start_utility(hass: HomeAssistant) -> Any:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    _assert_translated(result, TRANSLATIONS["config"])
    assert result["type"] is FlowResultType.MENU
    return await _flow(hass, result, {"next_step_id": "utility_meters"})


def _utility_entry(hass: HomeAssistant, *meters: tuple[str, dict[str, Any]]) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Utility meters",
        unique_id=UTILITY_UNIQUE_ID,
        data={CONF_ENTRY_KIND: ENTRY_KIND_UTILITY},
        options=DEFAULT_UTILITY_OPTIONS,
        subentries_data=[
            ConfigSubentryData(data=data, subentry_type=kind, title=data[CONF_NAME], unique_id=None)
            for kind, data in meters
        ],
    )
    entry.add_to_hass(hass)
    return entry


def _meter(name: str, meter_type: str, source: str | None, unit: str | None = None) -> Any:
    return (
        SUBENTRY_METER,
        {
            CONF_NAME: name,
            CONF_METER_TYPE: meter_type,
            CONF_SOURCE: source,
            CONF_UNIT: unit,
            CONF_PRICE: None,
            OPT_PRICE_ENTITY: None,
        },
    )


def _subentry_id(entry: MockConfigEntry, title: str) -> str:
    return next(sid for sid, sub in entry.subentries.items() if sub.title == title)


async def test_first_flow_with_a_sensor_meter(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    """A home without a power meter is done in one go: the entry comes with its first meter."""
    result = await _start_utility(hass)
    assert result["step_id"] == "utility_meter"
    result = await _flow(
        hass,
        result,
        {
            CONF_NAME: " Grid ",
            CONF_METER_TYPE: "electricity",
            CONF_SOURCE: "sensor.grid_energy",
            CONF_PRICE: 0.31,
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert entry.unique_id == UTILITY_UNIQUE_ID
    assert entry.data == {CONF_ENTRY_KIND: ENTRY_KIND_UTILITY}
    assert entry.options == DEFAULT_UTILITY_OPTIONS
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_METER
    assert subentry.title == "Grid"
    assert dict(subentry.data) == {
        CONF_NAME: "Grid",
        CONF_METER_TYPE: "electricity",
        CONF_SOURCE: "sensor.grid_energy",
        CONF_UNIT: None,
        CONF_PRICE: 0.31,
        OPT_PRICE_ENTITY: None,
    }
    await hass.async_block_till_done()
    assert len(mock_setup_entry.mock_calls) == 1


async def test_first_flow_manual_gas_asks_calorific_value(hass: HomeAssistant) -> None:
    """A gas meter asks for calorific value and z-factor, pre-filled with the defaults."""
    result = await _start_utility(hass)
    result = await _flow(hass, result, MANUAL_GAS)
    assert result["step_id"] == "utility_gas"
    assert _suggested(result, CONF_CALORIFIC) == DEFAULT_CALORIFIC
    assert _suggested(result, CONF_CORRECTION) == DEFAULT_CORRECTION
    result = await _flow(hass, result, {CONF_CALORIFIC: 10.9, CONF_CORRECTION: 0.95})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = result["result"].subentries.values()
    assert subentry.data[CONF_SOURCE] is None
    assert subentry.data[CONF_UNIT] == "m³"
    assert subentry.data[CONF_CALORIFIC] == 10.9
    assert subentry.data[CONF_CORRECTION] == 0.95


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({**MANUAL_GAS, CONF_NAME: "  "}, {CONF_NAME: "name_required"}),
        ({CONF_NAME: "Gas", CONF_METER_TYPE: "gas"}, {CONF_UNIT: "unit_required"}),
        ({**MANUAL_GAS, CONF_UNIT: "kWh"}, {CONF_UNIT: "unit_wrong_kind"}),
        ({**MANUAL_GAS, CONF_SOURCE: "sensor.gone"}, {CONF_SOURCE: "source_not_found"}),
        ({**MANUAL_GAS, CONF_SOURCE: "sensor.grid_energy"}, {CONF_SOURCE: "source_wrong_type"}),
        ({**MANUAL_GAS, CONF_SOURCE: "sensor.gas_flow"}, {CONF_SOURCE: "source_not_cumulative"}),
        ({**MANUAL_GAS, CONF_SOURCE: "sensor.odd_gas"}, {CONF_SOURCE: "source_unit_unknown"}),
        (
            {**MANUAL_GAS, CONF_PRICE: 1.1, OPT_PRICE_ENTITY: "sensor.price"},
            {OPT_PRICE_ENTITY: "price_twice"},
        ),
        ({**MANUAL_GAS, OPT_PRICE_ENTITY: "sensor.gone"}, {OPT_PRICE_ENTITY: "price_not_found"}),
        (
            {**MANUAL_GAS, OPT_PRICE_ENTITY: "sensor.temperature"},
            {OPT_PRICE_ENTITY: "price_not_a_price"},
        ),
        (  # a gas price on an electricity meter
            {
                CONF_NAME: "Grid",
                CONF_METER_TYPE: "electricity",
                CONF_SOURCE: "sensor.grid_energy",
                OPT_PRICE_ENTITY: "sensor.gas_price",
            },
            {OPT_PRICE_ENTITY: "price_wrong_unit"},
        ),
        (  # water priced per kWh
            {
                CONF_NAME: "Water",
                CONF_METER_TYPE: "water",
                CONF_UNIT: "m³",
                OPT_PRICE_ENTITY: "sensor.price",
            },
            {OPT_PRICE_ENTITY: "price_wrong_unit"},
        ),
        (  # a text, not a number
            {**MANUAL_GAS, OPT_PRICE_ENTITY: "sensor.tariff"},
            {OPT_PRICE_ENTITY: "price_not_a_number"},
        ),
        (  # an energy counter is no price
            {**MANUAL_GAS, OPT_PRICE_ENTITY: "sensor.grid_energy"},
            {OPT_PRICE_ENTITY: "price_not_a_price"},
        ),
    ],
)
async def test_first_meter_errors_then_success(
    hass: HomeAssistant, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    """A refused meter shows the error on its field, keeps the input, and can be corrected."""
    result = await _start_utility(hass)
    result = await _flow(hass, result, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result, CONF_NAME) == user_input[CONF_NAME]
    result = await _flow(hass, result, {**MANUAL_GAS, CONF_SOURCE: "sensor.gas"})
    assert result["step_id"] == "utility_gas"


async def test_first_meter_with_a_price_still_loading(hass: HomeAssistant) -> None:
    """An unavailable price sensor is accepted: its integration may still be starting."""
    result = await _start_utility(hass)
    result = await _flow(hass, result, {**MANUAL_GAS, OPT_PRICE_ENTITY: "sensor.price_loading"})
    assert result["step_id"] == "utility_gas"


async def test_utility_single_instance(hass: HomeAssistant) -> None:
    """A second utility entry is refused: meters are added to the existing one."""
    _utility_entry(hass)
    result = await _start_utility(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "utility_already_configured"


async def test_utility_entry_reconfigure_points_to_meters(hass: HomeAssistant) -> None:
    """The entry has nothing to reconfigure itself; each meter has its own reconfigure."""
    entry = _utility_entry(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "utility_reconfigure_meters"


def test_subentry_types_only_on_the_utility_entry(hass: HomeAssistant) -> None:
    """The power entry has no subentries."""
    power = MockConfigEntry(domain=DOMAIN, data={"meter_entity": "sensor.power"})
    utility = _utility_entry(hass)
    assert EnergyCorrelatorConfigFlow.async_get_supported_subentry_types(power) == {}
    assert EnergyCorrelatorConfigFlow.async_get_supported_subentry_types(utility) == {
        SUBENTRY_METER: MeterSubentryFlow,
        SUBENTRY_VIRTUAL: VirtualMeterSubentryFlow,
    }


async def _sub(hass: HomeAssistant, kind: str, result: Any, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)
    _assert_translated(result, TRANSLATIONS["config_subentries"][kind])
    return result


async def _start_sub(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> Any:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )
    _assert_translated(result, TRANSLATIONS["config_subentries"][kind])
    return result


async def test_add_meter_subentry(hass: HomeAssistant) -> None:
    """A further meter is a subentry; a sensor already used by a meter is refused."""
    entry = _utility_entry(hass, _meter("Gas", "gas", "sensor.gas"))
    result = await _start_sub(hass, entry, SUBENTRY_METER)
    assert result["step_id"] == "user"
    water = {CONF_NAME: "Water", CONF_METER_TYPE: "gas", CONF_SOURCE: "sensor.gas"}
    result = await _sub(hass, SUBENTRY_METER, result, water)
    assert result["errors"] == {CONF_SOURCE: "source_in_use"}
    heat_pump = {
        CONF_NAME: "Heat pump",
        CONF_METER_TYPE: "electricity",
        CONF_SOURCE: "sensor.heat_pump_energy",
    }
    result = await _sub(
        hass, SUBENTRY_METER, result, {**heat_pump, OPT_PRICE_ENTITY: "sensor.gas_price"}
    )
    assert result["errors"] == {OPT_PRICE_ENTITY: "price_wrong_unit"}
    result = await _sub(
        hass, SUBENTRY_METER, result, {**heat_pump, OPT_PRICE_ENTITY: "sensor.price"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    subentry = entry.subentries[_subentry_id(entry, "Heat pump")]
    assert subentry.data[OPT_PRICE_ENTITY] == "sensor.price"
    assert subentry.data[CONF_PRICE] is None


async def test_add_gas_meter_subentry(hass: HomeAssistant) -> None:
    """A gas subentry asks the calorific value."""
    entry = _utility_entry(hass)
    result = await _start_sub(hass, entry, SUBENTRY_METER)
    result = await _sub(hass, SUBENTRY_METER, result, {**MANUAL_GAS, CONF_SOURCE: "sensor.gas"})
    assert result["step_id"] == "gas"
    assert _suggested(result, CONF_CALORIFIC) == DEFAULT_CALORIFIC
    result = await _sub(hass, SUBENTRY_METER, result, {CONF_CALORIFIC: 11, CONF_CORRECTION: 0.9})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.subentries[_subentry_id(entry, "Old gas meter")].data[CONF_CALORIFIC] == 11.0


async def test_reconfigure_meter_subentry(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """Reconfigure pre-fills the meter's values (its own source is not 'in use') and reloads."""
    gas = _meter("Gas", "gas", "sensor.gas")
    gas[1][CONF_CALORIFIC] = 10.5
    gas[1][CONF_CORRECTION] = 0.9
    entry = _utility_entry(hass, gas)
    subentry_id = _subentry_id(entry, "Gas")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["step_id"] == "reconfigure"
    assert _suggested(result, CONF_SOURCE) == "sensor.gas"
    assert _suggested(result, CONF_PRICE) is None
    result = await _sub(
        hass,
        SUBENTRY_METER,
        result,
        {
            CONF_NAME: "Gas meter",
            CONF_METER_TYPE: "gas",
            CONF_SOURCE: "sensor.gas",
            CONF_PRICE: 1.2,
        },
    )
    assert result["step_id"] == "gas"
    assert _suggested(result, CONF_CALORIFIC) == 10.5
    result = await _sub(hass, SUBENTRY_METER, result, {CONF_CALORIFIC: 10.6, CONF_CORRECTION: 0.9})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()  # the reload it scheduled ends inside the test
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Gas meter"
    assert subentry.data[CONF_PRICE] == 1.2
    assert subentry.data[CONF_CALORIFIC] == 10.6


async def test_reconfigure_electricity_meter(hass: HomeAssistant) -> None:
    """A non-gas meter finishes on the first form."""
    entry = _utility_entry(hass, _meter("Grid", "electricity", "sensor.grid_energy"))
    subentry_id = _subentry_id(entry, "Grid")
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await _sub(
        hass,
        SUBENTRY_METER,
        result,
        {CONF_NAME: "Grid", CONF_METER_TYPE: "electricity", CONF_UNIT: "kWh"},
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[subentry_id].data[CONF_SOURCE] is None
    assert entry.subentries[subentry_id].data[CONF_UNIT] == "kWh"


async def test_virtual_meter_needs_two_meters(hass: HomeAssistant) -> None:
    """Nothing to subtract from with one meter."""
    entry = _utility_entry(hass, _meter("Grid", "electricity", "sensor.grid_energy"))
    result = await _start_sub(hass, entry, SUBENTRY_VIRTUAL)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "too_few_meters"


async def test_virtual_meter_errors_then_success_and_reconfigure(hass: HomeAssistant) -> None:
    """Base minus subtracted meters; a volume cannot come from energy meters."""
    entry = _utility_entry(
        hass,
        _meter("Grid", "electricity", "sensor.grid_energy"),
        _meter("Heat pump", "electricity", "sensor.heat_pump_energy"),
        _meter("Gas", "gas", "sensor.gas"),
        _meter("Water", "water", None, "L"),
    )
    water = _subentry_id(entry, "Water")
    grid = _subentry_id(entry, "Grid")
    pump = _subentry_id(entry, "Heat pump")
    gas = _subentry_id(entry, "Gas")
    result = await _start_sub(hass, entry, SUBENTRY_VIRTUAL)
    assert result["step_id"] == "user"
    good = {CONF_NAME: "Household", CONF_BASE: grid, CONF_SUBTRACT: [pump], CONF_OUTPUT: "energy"}
    # Nothing subtracted is the form's own error: a required select would be pre-selected by the
    # frontend with its first option, the base's too ("base subtracted from itself").
    untouched = {CONF_NAME: "Household", CONF_BASE: grid, CONF_OUTPUT: "energy"}
    result = await _sub(hass, SUBENTRY_VIRTUAL, result, untouched)
    assert result["errors"] == {CONF_SUBTRACT: "nothing_subtracted"}
    for bad, errors in (
        ({CONF_NAME: " "}, {CONF_NAME: "name_required"}),
        ({CONF_SUBTRACT: []}, {CONF_SUBTRACT: "nothing_subtracted"}),
        ({CONF_SUBTRACT: [grid]}, {CONF_SUBTRACT: "base_subtracted"}),
        ({CONF_SUBTRACT: [gas], CONF_OUTPUT: "volume"}, {CONF_OUTPUT: "volume_from_energy"}),
        ({CONF_SUBTRACT: [water]}, {CONF_OUTPUT: "energy_from_water"}),
        (  # m³ of gas minus m³ of water is no quantity at all
            {CONF_BASE: gas, CONF_SUBTRACT: [water], CONF_OUTPUT: "volume"},
            {CONF_SUBTRACT: "volume_gas_and_water"},
        ),
    ):
        result = await _sub(hass, SUBENTRY_VIRTUAL, result, {**good, **bad})
        assert result["errors"] == errors
    result = await _sub(hass, SUBENTRY_VIRTUAL, result, good)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    virtual_id = _subentry_id(entry, "Household")
    assert dict(entry.subentries[virtual_id].data) == {
        CONF_NAME: "Household",
        CONF_BASE: grid,
        CONF_SUBTRACT: [pump],
        CONF_OUTPUT: "energy",
    }

    result = await entry.start_subentry_reconfigure_flow(hass, virtual_id)
    assert _suggested(result, CONF_BASE) == grid
    result = await _sub(hass, SUBENTRY_VIRTUAL, result, {**good, CONF_SUBTRACT: [pump, gas]})
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[virtual_id].data[CONF_SUBTRACT] == [pump, gas]


async def test_virtual_meter_reconfigure_after_a_part_was_deleted(hass: HomeAssistant) -> None:
    """A deleted meter is not pre-filled (the frontend submits what is pre-filled; an id that
    is no option any more was an untranslated schema error)."""
    entry = _utility_entry(
        hass,
        _meter("Gas", "gas", "sensor.gas"),
        _meter("Hot water gas", "gas", None, "m³"),
        _meter("Old gas", "gas", None, "m³"),
    )
    gas = _subentry_id(entry, "Gas")
    hot = _subentry_id(entry, "Hot water gas")
    old = _subentry_id(entry, "Old gas")
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType(
                {
                    CONF_NAME: "Heating",
                    CONF_BASE: gas,
                    CONF_SUBTRACT: [hot, old],
                    CONF_OUTPUT: "volume",
                }
            ),
            subentry_type=SUBENTRY_VIRTUAL,
            title="Heating",
            unique_id=None,
        ),
    )
    virtual_id = _subentry_id(entry, "Heating")
    hass.config_entries.async_remove_subentry(entry, old)

    result = await entry.start_subentry_reconfigure_flow(hass, virtual_id)
    assert _suggested(result, CONF_SUBTRACT) == [hot]
    assert _suggested(result, CONF_BASE) == gas
    suggested = {
        str(marker): marker.description["suggested_value"]
        for marker in result["data_schema"].schema
        if marker.description and marker.description.get("suggested_value") is not None
    }
    result = await _sub(hass, SUBENTRY_VIRTUAL, result, suggested)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[virtual_id].data[CONF_SUBTRACT] == [hot]


async def _options(hass: HomeAssistant, result: Any, user_input: dict[str, Any]) -> Any:
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    _assert_translated(result, TRANSLATIONS["options"])
    return result


async def test_options_without_influxdb(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """Gap length and thresholds, pre-filled; the methods count is stored as int."""
    entry = _utility_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    _assert_translated(result, TRANSLATIONS["options"])
    assert result["step_id"] == "utility_options"
    assert _suggested(result, OPT_GAP_DAYS) == 2.0
    result = await _options(
        hass, result, {**DEFAULT_UTILITY_OPTIONS, OPT_GAP_DAYS: 3.0, OPT_MIN_METHODS: 3.0}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[OPT_GAP_DAYS] == 3.0
    assert entry.options[OPT_MIN_METHODS] == 3
    assert isinstance(entry.options[OPT_MIN_METHODS], int)


async def test_options_with_influxdb(hass: HomeAssistant, mock_setup_entry: AsyncMock) -> None:
    """InfluxDB is checked with the power entry's test write; errors go on the field. The
    connection is kept in the entry's data under the power entry's keys (the shared sink)."""
    entry = _utility_entry(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    with patch(VALIDATE, side_effect=InfluxValidationError("invalid_auth")):
        result = await _options(
            hass, result, {**DEFAULT_UTILITY_OPTIONS, CONF_INFLUX_ENABLED: True}
        )
        assert result["step_id"] == "influxdb"
        result = await _options(hass, result, INFLUX_INPUT)
    assert result["errors"] == {CONF_INFLUX_TOKEN: "invalid_auth"}
    with patch(VALIDATE, return_value=None):
        result = await _options(hass, result, INFLUX_INPUT)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_INFLUX_ENABLED] is True
    assert entry.data == {
        CONF_ENTRY_KIND: ENTRY_KIND_UTILITY,
        **INFLUX_INPUT,
        CONF_INFLUX_ENABLED: True,
    }
    assert CONF_INFLUX_URL not in entry.options
    reloads = len(mock_setup_entry.mock_calls)

    # Changing only the token: the options stay, the entry still reloads for the new connection;
    # the stored token is not sent back to the browser.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await _options(hass, result, {**DEFAULT_UTILITY_OPTIONS, CONF_INFLUX_ENABLED: True})
    assert _suggested(result, CONF_INFLUX_URL) == INFLUX_INPUT[CONF_INFLUX_URL]
    assert _suggested(result, CONF_INFLUX_TOKEN) is None
    with patch(VALIDATE, return_value=None):
        result = await _options(hass, result, {**INFLUX_INPUT, CONF_INFLUX_TOKEN: "new-t0ken"})
    await hass.async_block_till_done()
    assert entry.data[CONF_INFLUX_TOKEN] == "new-t0ken"
    assert len(mock_setup_entry.mock_calls) == reloads + 1

    # Turning it off forgets the connection.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await _options(hass, result, DEFAULT_UTILITY_OPTIONS)
    assert entry.data == {CONF_ENTRY_KIND: ENTRY_KIND_UTILITY, CONF_INFLUX_ENABLED: False}


def test_translated_steps_exist() -> None:
    """Every translated subentry step is a step of its flow."""
    for kind, flow in (
        (SUBENTRY_METER, MeterSubentryFlow),
        (SUBENTRY_VIRTUAL, VirtualMeterSubentryFlow),
    ):
        for step_id in TRANSLATIONS["config_subentries"][kind]["step"]:
            assert hasattr(flow, f"async_step_{step_id}")
    assert hasattr(UtilityOptionsFlow, "async_step_utility_options")


async def test_shared_sink_reauth_works_for_the_utility_entry(hass: HomeAssistant) -> None:
    """A 401 on the shared sink asks every attached entry for a new token: the utility entry
    keeps its connection under the power entry's keys, so the same reauth step serves it."""
    entry = _utility_entry(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, **INFLUX_INPUT, CONF_INFLUX_ENABLED: True}
    )
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    with patch(VALIDATE, return_value=None):
        result = await _flow(hass, result, {CONF_INFLUX_TOKEN: "fresh-t0ken"})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_INFLUX_TOKEN] == "fresh-t0ken"

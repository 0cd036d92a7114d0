"""Meter discovery: which sensors are candidates, how they rank, and why one is refused."""

from typing import Any, cast

from homeassistant.components.energy.data import EnergyPreferences, async_get_manager
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.const import CONF_ENERGY_SENSOR, CONF_METER
from custom_components.energy_correlator.meter_discovery import (
    async_discover_circuits,
    async_discover_meters,
    meter_title,
    validate_meter,
    validate_meter_input,
)

POWER_W = {"device_class": "power", "unit_of_measurement": "W"}
POWER_KW = {"device_class": "power", "unit_of_measurement": "kW"}


def _set(hass: HomeAssistant, entity_id: str, state: str, attrs: dict[str, Any]) -> None:
    hass.states.async_set(entity_id, state, attrs)


async def _set_grid(hass: HomeAssistant, *sources: dict[str, Any]) -> None:
    """Energy dashboard preferences with the given grid (and other) sources."""
    manager = await async_get_manager(hass)
    manager.data = cast(
        EnergyPreferences,
        {"energy_sources": list(sources), "device_consumption": []},
    )


@pytest.mark.parametrize(
    ("entity_id", "state", "attrs", "error"),
    [
        ("sensor.missing", None, {}, "meter_not_found"),
        ("sensor.temp", "21", {"unit_of_measurement": "°C"}, "meter_not_power"),
        ("sensor.nounit", "21", {}, "meter_not_power"),
        ("sensor.p", "unavailable", POWER_W, "meter_unavailable"),
        ("sensor.p", "unknown", POWER_W, "meter_unavailable"),
        ("sensor.p", "high", POWER_W, "meter_not_numeric"),
        ("sensor.p", "1200", POWER_W, None),
        ("sensor.p", "1.2", POWER_KW, None),
        ("sensor.p", "0.0012", {"device_class": "power", "unit_of_measurement": "MW"}, None),
        ("sensor.p", "nan", POWER_W, "meter_not_numeric"),
        (
            "sensor.p",
            "1200",
            {"device_class": "power", "unit_of_measurement": "Wh"},
            "meter_not_power",
        ),
    ],
)
async def test_validate_meter(
    hass: HomeAssistant, entity_id: str, state: str | None, attrs: dict[str, Any], error: str | None
) -> None:
    """Each kind of unusable meter has its own error."""
    if state is not None:
        _set(hass, entity_id, state, attrs)
    assert validate_meter(hass, entity_id) == error


async def test_validate_meter_input_energy(hass: HomeAssistant) -> None:
    """A chosen energy sensor must exist; leaving it empty is fine."""
    _set(hass, "sensor.p", "100", POWER_W)
    _set(hass, "sensor.e", "12.5", {"device_class": "energy", "unit_of_measurement": "kWh"})
    assert validate_meter_input(hass, {CONF_METER: "sensor.p"}) == {}
    assert validate_meter_input(hass, {CONF_METER: "sensor.p", CONF_ENERGY_SENSOR: ""}) == {}
    assert (
        validate_meter_input(hass, {CONF_METER: "sensor.p", CONF_ENERGY_SENSOR: "sensor.e"}) == {}
    )
    assert validate_meter_input(
        hass, {CONF_METER: "sensor.gone", CONF_ENERGY_SENSOR: "sensor.gone_too"}
    ) == {CONF_METER: "meter_not_found", CONF_ENERGY_SENSOR: "energy_not_found"}


async def test_meter_title(hass: HomeAssistant) -> None:
    """The friendly name when the meter exists, else its entity id."""
    _set(hass, "sensor.p", "100", {**POWER_W, "friendly_name": "House power"})
    assert meter_title(hass, "sensor.p") == "House power"
    assert meter_title(hass, "sensor.gone") == "sensor.gone"


async def test_ranking_without_energy_prefs(hass: HomeAssistant) -> None:
    """Main-meter names first, then the largest reading; non-power sensors are no candidates."""
    _set(hass, "sensor.kettle_power", "2000", POWER_W)
    _set(hass, "sensor.tv_power", "0.12", POWER_KW)
    _set(hass, "sensor.plug", "unavailable", POWER_W)
    _set(hass, "sensor.mystery", "3000", {"unit_of_measurement": "W"})  # no device class
    _set(hass, "sensor.temperature", "21", {"unit_of_measurement": "°C"})
    # Any unit Home Assistant's PowerConverter knows is power: 21 BTU/h are 6.2 W.
    _set(hass, "sensor.watts_btu", "21", {"device_class": "power", "unit_of_measurement": "BTU/h"})
    _set(hass, "sensor.no_unit", "5000", {"device_class": "power"})
    _set(hass, "switch.kettle", "on", {})
    _set(hass, "sensor.meter_1", "800", {**POWER_W, "friendly_name": "Whole house"})
    _set(hass, "sensor.total_power", "450", POWER_W)

    discovery = await async_discover_meters(hass)

    assert discovery.candidates == [
        "sensor.meter_1",
        "sensor.total_power",
        "sensor.kettle_power",
        "sensor.tv_power",
        "sensor.watts_btu",
        "sensor.plug",
    ]
    assert discovery.best == "sensor.meter_1"
    assert discovery.energy_sensor is None


async def test_ranking_energy_prefs_first(hass: HomeAssistant) -> None:
    """Energy dashboard grid power sensors come first, in their order, even without a class."""
    _set(hass, "sensor.house_power", "5000", POWER_W)
    _set(hass, "sensor.grid_b", "10", {"unit_of_measurement": "W"})
    _set(hass, "sensor.grid_a", "20", POWER_W)
    _set(hass, "sensor.grid_energy", "1234", {"device_class": "energy"})
    await _set_grid(
        hass,
        {"type": "solar", "stat_energy_from": "sensor.solar", "stat_rate": "sensor.solar_w"},
        {"type": "grid", "stat_energy_from": "sensor.missing_energy", "stat_rate": "sensor.grid_b"},
        {
            "type": "grid",
            "stat_energy_from": "sensor.grid_energy",
            "power_config": {"stat_rate": "sensor.grid_a"},
        },
        {"type": "grid", "stat_energy_from": None, "stat_rate": "sensor.not_there"},
    )

    discovery = await async_discover_meters(hass)

    assert discovery.candidates == ["sensor.grid_b", "sensor.grid_a", "sensor.house_power"]
    assert discovery.energy_sensor == "sensor.grid_energy"


async def test_grid_without_power(hass: HomeAssistant) -> None:
    """A grid source with no power sensor adds nothing; no sensors at all gives no best."""
    await _set_grid(hass, {"type": "grid", "stat_energy_from": "sensor.e"})

    discovery = await async_discover_meters(hass)

    assert discovery.candidates == []
    assert discovery.best is None
    assert discovery.energy_sensor is None


async def test_energy_never_configured(hass: HomeAssistant) -> None:
    """No stored Energy preferences (energy not set up) is not an error."""
    manager = await async_get_manager(hass)
    assert manager.data is None
    _set(hass, "sensor.p", "1", POWER_W)

    discovery = await async_discover_meters(hass)

    assert discovery.candidates == ["sensor.p"]


ENERGY_KWH = {"device_class": "energy", "unit_of_measurement": "kWh", "state_class": "total"}


@pytest.mark.parametrize(
    ("sensors", "expected"),
    [
        # A kWh counter named like a main meter.
        (
            {"sensor.house_energy": ENERGY_KWH, "sensor.kettle_energy": ENERGY_KWH},
            "sensor.house_energy",
        ),
        # Wh is an energy unit too.
        ({"sensor.home_energy": {**ENERGY_KWH, "unit_of_measurement": "Wh"}}, "sensor.home_energy"),
        # Production is never the home's consumption.
        ({"sensor.solar_total_energy": ENERGY_KWH}, None),
        # Not a counter (no total state class), or not energy.
        ({"sensor.home_energy": {**ENERGY_KWH, "state_class": "measurement"}}, None),
        ({"sensor.home_energy": {**ENERGY_KWH, "device_class": "gas"}}, None),
        # A device's own counter is no home meter.
        ({"sensor.kettle_energy": ENERGY_KWH}, None),
    ],
)
async def test_energy_meter_proposed(
    hass: HomeAssistant, sensors: dict[str, dict[str, str]], expected: str | None
) -> None:
    """Without Energy preferences, a home-wide kWh counter is proposed as the energy meter."""
    _set(hass, "sensor.house_power", "800", POWER_W)
    for entity_id, attrs in sensors.items():
        _set(hass, entity_id, "12.5", attrs)

    assert (await async_discover_meters(hass)).energy_sensor == expected


async def test_energy_meter_of_the_meters_device(hass: HomeAssistant) -> None:
    """The meter's own device's counter beats a main-meter name."""
    entry = MockConfigEntry(domain="test")
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("test", "p1")}
    )
    ent_reg = er.async_get(hass)
    for object_id in ("p1_power", "p1_import"):
        ent_reg.async_get_or_create(
            "sensor", "test", object_id, suggested_object_id=object_id, device_id=device.id
        )
    _set(hass, "sensor.p1_power", "800", POWER_W)
    _set(hass, "sensor.p1_import", "9000", ENERGY_KWH)
    _set(hass, "sensor.house_energy", "12", ENERGY_KWH)

    discovery = await async_discover_meters(hass)

    assert discovery.best == "sensor.p1_power"
    assert discovery.energy_sensor == "sensor.p1_import"


@pytest.mark.parametrize(
    ("entity_id", "friendly_name", "proposed"),
    [
        ("sensor.circuit_3_power", None, True),
        ("sensor.kitchen", "Kitchen channel 2", True),
        ("sensor.ct1", None, True),
        ("sensor.em_phase_l2_power", None, True),
        ("sensor.l3", None, True),
        ("sensor.kettle_power", None, False),
        ("sensor.solar_ct_power", None, False),
        ("sensor.pv_circuit_power", None, False),
        ("sensor.cthulhu_power", None, False),
    ],
)
async def test_circuit_names(
    hass: HomeAssistant, entity_id: str, friendly_name: str | None, proposed: bool
) -> None:
    """Sensors without a device are circuits only when named like one, and never production."""
    _set(hass, "sensor.house_power", "800", POWER_W)
    attrs = {**POWER_W, **({"friendly_name": friendly_name} if friendly_name else {})}
    _set(hass, entity_id, "100", attrs)

    circuits = await async_discover_circuits(hass, "sensor.house_power")

    assert circuits == ([entity_id] if proposed else [])


async def test_legacy_grid_format(hass: HomeAssistant) -> None:
    """Preferences in the pre-2026.3 grid format (flow_from / power lists) are read too."""
    _set(hass, "sensor.grid_w", "10", POWER_W)
    _set(hass, "sensor.grid_w2", "10", POWER_W)
    _set(hass, "sensor.grid_kwh", "1", ENERGY_KWH)
    _set(hass, "sensor.biggest", "9000", POWER_W)
    await _set_grid(
        hass,
        {
            "type": "grid",
            "flow_from": [{"stat_energy_from": "sensor.grid_kwh"}],
            "flow_to": [],
            "power": [
                {"stat_rate": "sensor.grid_w"},
                {"power_config": {"stat_rate": "sensor.grid_w2"}},
            ],
        },
    )

    discovery = await async_discover_meters(hass)

    assert discovery.candidates[:2] == ["sensor.grid_w", "sensor.grid_w2"]
    assert discovery.energy_sensor == "sensor.grid_kwh"


async def test_our_own_sensors_and_configured_meters_are_not_proposed(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A second entry's flow proposes neither the configured meter nor our own sensors.

    Seen on a real instance: the second flow pre-selected "Peak power (24 h)" of the first
    entry as the whole-home meter and its "Energy today" as the energy meter (they read the
    most and are named after the home).
    """
    ours = {
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
    }
    assert any(hass.states.get(e) for e in ours if e.startswith("sensor."))
    _set(hass, "sensor.grid_power", "120", POWER_W)
    _set(
        hass,
        "sensor.grid_energy",
        "5.0",
        {
            "device_class": "energy",
            "unit_of_measurement": "kWh",
            "state_class": "total_increasing",
        },
    )
    discovery = await async_discover_meters(hass)
    assert discovery.candidates == ["sensor.grid_power"]
    assert discovery.energy_sensor == "sensor.grid_energy"
    assert not ours & set(await async_discover_circuits(hass, "sensor.grid_power"))


async def test_our_own_sensor_is_refused_as_meter(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Picking one of our sensors as the meter is a form error (it would feed on itself)."""
    peak = next(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), init_integration.entry_id
        )
        if entity.original_device_class == "power" and hass.states.get(entity.entity_id)
    )
    assert validate_meter(hass, peak) == "meter_is_ours"


async def test_energy_sensor_of_another_entry_is_not_proposed(hass: HomeAssistant) -> None:
    """A second meter's flow does not pre-select the house's energy counter that the first
    entry already reads (seen on a real instance: a garage meter got the home's kWh)."""
    energy = {
        "device_class": "energy",
        "unit_of_measurement": "kWh",
        "state_class": "total_increasing",
    }
    _set(hass, "sensor.home_power", "900", POWER_W)
    _set(hass, "sensor.home_energy", "5000", {**energy, "friendly_name": "Home energy"})
    _set(hass, "sensor.garage_power", "90", POWER_W)
    MockConfigEntry(
        domain="energy_correlator",
        data={CONF_METER: "sensor.home_power", CONF_ENERGY_SENSOR: "sensor.home_energy"},
    ).add_to_hass(hass)
    await _set_grid(
        hass, {"type": "grid", "flow_from": [{"stat_energy_from": "sensor.home_energy"}]}
    )
    discovery = await async_discover_meters(hass)
    assert discovery.best == "sensor.garage_power"
    assert discovery.energy_sensor is None

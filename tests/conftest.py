"""Shared fixtures. Importing the integration at module level makes `custom_components` resolve to
this checkout before pytest-homeassistant-custom-component's own testing config."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

import custom_components.energy_correlator  # noqa: F401
from custom_components.energy_correlator.const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_INFLUX_ENABLED,
    CONF_METER,
    DOMAIN,
)
from custom_components.energy_correlator.flow_schemas import DEFAULT_OPTIONS

METER = "sensor.home_power"
SWITCHES = ("switch.kettle", "switch.heater")
LIGHTS = ("light.kitchen",)


@pytest.fixture(autouse=True)
def _enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let hass load custom integrations, only for tests that use hass (engine tests stay fast)."""
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's snapshot extension (tests/snapshots/, registry entries and states as
    core serializes them); syrupy's own fixture would otherwise win over the plugin's."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """A realistic entry: one W meter, the default watched domains, no InfluxDB, default options."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Energy Correlator",
        entry_id="01JECORRELATORENTRY0000001",  # fixed: unique ids (snapshots) start with it
        unique_id=METER,
        data={
            CONF_METER: METER,
            CONF_DOMAINS: ["switch", "light", "fan", "climate"],
            CONF_INCLUDE: [],
            CONF_EXCLUDE: [],
            CONF_CIRCUITS: [],
            CONF_INFLUX_ENABLED: False,
        },
        options=dict(DEFAULT_OPTIONS),
    )


def set_meter(hass: HomeAssistant, watts: float | str, unit: str = "W") -> None:
    """Report the whole-home meter (a repeated value is still a `state_reported` sample)."""
    hass.states.async_set(
        METER,
        str(watts),
        {"unit_of_measurement": unit, "device_class": "power", "state_class": "measurement"},
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """A loaded entry with a meter at 300 W, two switches off and one dimmable light off."""
    set_meter(hass, 300)
    for entity_id in SWITCHES:
        hass.states.async_set(entity_id, "off")
    for entity_id in LIGHTS:
        hass.states.async_set(entity_id, "off", {"supported_color_modes": ["brightness"]})
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    return mock_config_entry


def our_entity_id(hass: HomeAssistant, key: str, platform: str = "sensor") -> str | None:
    """Entity id of the only loaded entry's entity whose unique id is `<entry id>_<key>`."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entity_id := er.async_get(hass).async_get_entity_id(
            platform, DOMAIN, f"{entry.entry_id}_{key}"
        ):
            return entity_id
    return None

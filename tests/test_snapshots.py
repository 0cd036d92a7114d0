"""Snapshots of every platform's entities (registry entry and state) and of diagnostics, after a
learned kettle, as core's Platinum integrations keep them (tests/snapshots/, syrupy with Home
Assistant's extension). A change to an entity's metadata, state or attributes shows up here;
update deliberately with `pytest tests/test_snapshots.py --snapshot-update`."""

from collections.abc import Iterator
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.json import json_dumps
from homeassistant.util.json import json_loads
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.energy_correlator.diagnostics import (
    async_get_config_entry_diagnostics,
)

from .activity import cycles
from .conftest import LIGHTS, SWITCHES, set_meter

START = "2026-06-01T10:00:00+00:00"


@pytest.fixture
def platforms() -> list[Platform]:
    """All platforms (diagnostics); the platform tests load one each."""
    return [Platform.SENSOR, Platform.BINARY_SENSOR]


@pytest.fixture
def only(platforms: list[Platform]) -> Iterator[None]:
    """Load just these platforms (snapshot_platform wants one)."""
    with patch("custom_components.energy_correlator.PLATFORMS", platforms):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Every entity enabled by default, as core's snapshot tests have them (the exported energy
    is disabled by default in a home that has not exported)."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
async def learned(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    only: None,
) -> MockConfigEntry:
    """A loaded entry at a fixed time that has learned a 2 kW kettle from three cycles."""
    freezer.move_to(START)
    set_meter(hass, 300)
    for entity_id in SWITCHES:
        hass.states.async_set(entity_id, "off")
    for entity_id in LIGHTS:
        hass.states.async_set(entity_id, "off", {"supported_color_modes": ["brightness"]})
    mock_config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await cycles(hass, freezer, "switch.kettle", 300, 2000, 3)
    return mock_config_entry


@pytest.mark.parametrize("platforms", [[Platform.SENSOR]])
@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    learned: MockConfigEntry,
) -> None:
    """The service device's sensors and the kettle's own three."""
    await snapshot_platform(hass, entity_registry, snapshot, learned.entry_id)


@pytest.mark.parametrize("platforms", [[Platform.BINARY_SENSOR]])
async def test_binary_sensors(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    learned: MockConfigEntry,
) -> None:
    """Phantom load and high consumption."""
    await snapshot_platform(hass, entity_registry, snapshot, learned.entry_id)


async def test_diagnostics(
    hass: HomeAssistant, snapshot: SnapshotAssertion, learned: MockConfigEntry
) -> None:
    """The whole diagnostics download after learning, as the download serializes it.

    (Called directly: the frozen clock would expire the HTTP client's token.)
    """
    result = await async_get_config_entry_diagnostics(hass, learned)
    assert json_loads(json_dumps(result)) == snapshot

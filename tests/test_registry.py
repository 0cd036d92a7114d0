"""Entity registry life: renames persist in the entry, removals clean up, unique ids migrate,
two entries live side by side."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.energy_correlator.const import (
    CONF_ENERGY_SENSOR,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_METER,
    DOMAIN,
    EVENT_CORRELATION,
    OPT_PRICE_ENTITY,
)

from .activity import cycles, run
from .conftest import METER, our_entity_id, set_meter

KETTLE = "switch.kettle"
PLUG = "switch.plug"  # on the include list
FAN = "fan.attic"  # excluded
ENERGY = "sensor.home_energy"
PRICE = "sensor.electricity_price"


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    set_meter(hass, 300)
    for entity_id in (KETTLE, PLUG, FAN):
        hass.states.async_set(entity_id, "off")
    hass.states.async_set(ENERGY, "1.0", {"unit_of_measurement": "kWh"})
    hass.states.async_set(PRICE, "0.25")
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def entry(mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The conftest entry with lists, an energy sensor and a price entity to rename."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=METER,
        data={
            **mock_config_entry.data,
            CONF_INCLUDE: [PLUG],
            CONF_EXCLUDE: [FAN],
            CONF_ENERGY_SENSOR: ENERGY,
        },
        options={**mock_config_entry.options, OPT_PRICE_ENTITY: PRICE},
    )


async def test_renames_are_written_to_the_entry_and_survive_a_reload(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    entry: MockConfigEntry,
) -> None:
    """Include/exclude lists, the price entity and the energy sensor follow renames in the
    entry's data and options, not only in memory: after a reload they still point right."""
    for entity_id in (KETTLE, PLUG, FAN, ENERGY, PRICE):
        domain, object_id = entity_id.split(".")
        entity_registry.async_get_or_create(
            domain, "test", object_id, suggested_object_id=object_id
        )
    await _setup(hass, entry)
    await cycles(hass, freezer, PLUG, 300, 800, 2)

    entity_registry.async_update_entity(PLUG, new_entity_id="switch.socket")
    entity_registry.async_update_entity(FAN, new_entity_id="fan.loft")
    entity_registry.async_update_entity(PRICE, new_entity_id="sensor.tibber_price")
    await hass.async_block_till_done()
    assert entry.data[CONF_INCLUDE] == ["switch.socket"]
    assert entry.data[CONF_EXCLUDE] == ["fan.loft"]
    assert entry.options[OPT_PRICE_ENTITY] == "sensor.tibber_price"

    entity_registry.async_update_entity(ENERGY, new_entity_id="sensor.grid_energy")
    await hass.async_block_till_done()  # the energy sensor is read at setup: reloaded
    assert entry.data[CONF_ENERGY_SENSOR] == "sensor.grid_energy"
    assert entry.state is ConfigEntryState.LOADED

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert coordinator.engine.profile("switch.socket") is not None
    assert coordinator.engine.profile(PLUG) is None
    hass.states.async_set("switch.socket", "off")
    hass.states.async_set("fan.loft", "off")
    await run(hass, freezer, 5, 300)
    events = coordinator.data.stats.events
    hass.states.async_set("fan.loft", "on")  # still excluded under its new name
    await run(hass, freezer, 5, 300)
    assert coordinator.data.stats.events == events


async def test_meter_rename_moves_the_unique_id(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> None:
    """The entry's unique id follows its meter, so adding the renamed meter again is refused."""
    entity_registry.async_get_or_create(
        "sensor", "test", "home_power", suggested_object_id="home_power"
    )
    await _setup(hass, entry)
    entity_registry.async_update_entity(METER, new_entity_id="sensor.grid_power")
    await hass.async_block_till_done()
    assert entry.data[CONF_METER] == "sensor.grid_power"
    assert entry.unique_id == "sensor.grid_power"

    set_meter(hass, 300)  # the old id, now free, is another sensor
    hass.states.async_set("sensor.grid_power", "300", {"unit_of_measurement": "W"})
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "power_meter"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_METER: "sensor.grid_power"}
    )
    assert result["reason"] == "already_configured"


async def test_removed_source_takes_its_entities_and_profile(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    entry: MockConfigEntry,
) -> None:
    """Removing a learned device from Home Assistant removes its sensors and what was learned."""
    source = entity_registry.async_get_or_create(
        "switch", "test", "kettle", suggested_object_id="kettle"
    )
    await _setup(hass, entry)
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    ours = our_entity_id(hass, f"{source.id}_estimated_energy")
    assert ours is not None
    assert entry.runtime_data.coordinator.engine.profile(KETTLE) is not None

    entity_registry.async_remove(KETTLE)
    hass.states.async_remove(KETTLE)
    await run(hass, freezer, 10, 300)
    assert entry.runtime_data.coordinator.engine.profile(KETTLE) is None
    assert entity_registry.async_get(ours) is None
    assert hass.states.get(ours) is None
    assert not [
        e
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if source.id in e.unique_id
    ]


async def test_entities_registered_under_old_unique_ids_keep_their_ids(
    hass: HomeAssistant, entity_registry: er.EntityRegistry, entry: MockConfigEntry
) -> None:
    """Version 1.1 unique ids (`<meter>_<key>`, `<meter>_<source>_<key>`) move to
    `<entry id>_…`; an entity-id source becomes its registry id; the entity ids stay."""
    entry.add_to_hass(hass)
    kettle = entity_registry.async_get_or_create(
        "switch", "test", "kettle", suggested_object_id="kettle"
    )
    old = {
        f"{METER}_untracked_power": f"{entry.entry_id}_untracked_power",
        f"{METER}_{kettle.id}_learned_power": f"{entry.entry_id}_{kettle.id}_learned_power",
        f"{METER}_{KETTLE}_estimated_energy": f"{entry.entry_id}_{kettle.id}_estimated_energy",
        f"{METER}_switch.gone_estimated_power": f"{entry.entry_id}_switch.gone_estimated_power",
        "a_meter_subentry_consumption": "a_meter_subentry_consumption",  # not ours to move
    }
    registered = {
        unique_id: entity_registry.async_get_or_create(
            "sensor", DOMAIN, unique_id, config_entry=entry
        ).entity_id
        for unique_id in old
    }
    await _setup(hass, entry)
    assert (entry.version, entry.minor_version) == (1, 2)
    for unique_id, new_unique_id in old.items():
        assert (
            entity_registry.async_get_entity_id("sensor", DOMAIN, new_unique_id)
            == (registered[unique_id])
        )


async def test_an_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Version 2 data is not guessed at."""
    newer = MockConfigEntry(
        domain=DOMAIN, version=2, data=dict(mock_config_entry.data), unique_id=METER
    )
    newer.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(newer.entry_id)
    assert newer.state is ConfigEntryState.MIGRATION_ERROR


async def test_two_meters_side_by_side(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Two entries watching the same kettle: each event says which entry saw it, and each
    entry has its own sensors for the kettle."""
    entity_registry.async_get_or_create("switch", "test", "kettle", suggested_object_id="kettle")
    hass.states.async_set("sensor.garage_power", "300", {"unit_of_measurement": "W"})
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Garage",
        unique_id="sensor.garage_power",
        data={**mock_config_entry.data, CONF_METER: "sensor.garage_power"},
        options=dict(mock_config_entry.options),
    )
    second.add_to_hass(hass)
    events = async_capture_events(hass, EVENT_CORRELATION)
    await _setup(hass, mock_config_entry)  # sets up both entries of the domain
    assert second.state is ConfigEntryState.LOADED

    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    assert {e.data["entry_id"] for e in events} == {mock_config_entry.entry_id, second.entry_id}
    # Only the first entry's meter moved: only it learned the kettle.
    assert mock_config_entry.runtime_data.coordinator.engine.profile(KETTLE) is not None
    assert second.runtime_data.coordinator.data.devices == {}
    first_ids = {
        e.unique_id
        for e in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
    }
    second_ids = {
        e.unique_id for e in er.async_entries_for_config_entry(entity_registry, second.entry_id)
    }
    assert first_ids.isdisjoint(second_ids)
    assert len(second_ids) == len(first_ids) - 3  # the kettle's three sensors: first only
    # With two meters, each entry's device sensors say which meter they come from.
    kettle_energy = next(
        e.entity_id
        for e in er.async_entries_for_config_entry(entity_registry, mock_config_entry.entry_id)
        if e.unique_id.endswith("_estimated_energy")
        and e.translation_key
        and e.translation_key.endswith("_by_meter")
    )
    state = hass.states.get(kettle_energy)
    assert state is not None
    assert state.name.endswith(f"estimated energy ({mock_config_entry.title})")

"""The listener: meter samples (W/kW, gaps, repeats), device events, new entities, renames."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.energy_correlator.const import (
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_METER,
    DEFAULT_DOMAINS,
    EVENT_CORRELATION,
)
from custom_components.energy_correlator.engine import Engine
from custom_components.energy_correlator.flow_schemas import EXTRA_DOMAINS
from custom_components.energy_correlator.listener import device_level
from tests.conftest import METER, set_meter


async def run_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: int,
    value: float | str,
    unit: str = "W",
) -> None:
    """A 1 s meter reporting `value` for `seconds`, with the clock moving along."""
    for _ in range(seconds):
        freezer.tick(1)
        set_meter(hass, value, unit)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


def _references(engine: Engine) -> dict[str, str]:
    """Which device is checked against which power sensor, as the engine stores it."""
    references: dict[str, str] = engine.to_dict()["references"]
    return references


def engine_of(entry: MockConfigEntry) -> Engine:
    """The entry's live engine."""
    return entry.runtime_data.coordinator.engine


@pytest.mark.parametrize(
    ("entity_id", "state", "attrs", "expected"),
    [
        ("switch.a", "on", {}, 1.0),
        ("switch.a", "off", {}, 0.0),
        ("light.a", "on", {"brightness": 51}, pytest.approx(0.2)),
        ("switch.a", "unavailable", {}, None),
    ],
)
def test_device_level(entity_id: str, state: str, attrs: dict, expected: float | None) -> None:
    """Levels for startup come from the same rules as events."""
    assert device_level(State(entity_id, state, attrs)) == expected


async def test_correlation_published_within_30s(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A kettle switched on under a 1 s meter is on the bus within 30 s, with its delta."""
    events = async_capture_events(hass, EVENT_CORRELATION)
    await run_meter(hass, freezer, 40, 300)
    switched_at = dt_util.utcnow()
    hass.states.async_set("switch.kettle", "on")
    await hass.async_block_till_done()
    for _ in range(30):
        await run_meter(hass, freezer, 1, 2300)
        if events:
            break
    assert events, "no correlation within 30 s"
    assert (dt_util.utcnow() - switched_at).total_seconds() <= 30
    payload = events[0].data
    assert payload["entity_id"] == "switch.kettle"
    assert payload["domain"] == "switch"
    assert payload["state"] == "on"
    assert payload["previous_state"] == "off"
    assert payload["power_before_w"] == pytest.approx(300, abs=1)
    assert payload["power_after_w"] == pytest.approx(2300, abs=1)
    assert payload["power_delta_w"] == pytest.approx(2000, abs=5)
    assert payload["transition"] == "onoff"
    assert payload["overlapped"] is False
    assert 0 < payload["confidence"] <= 1
    assert set(payload) >= {"power_delta_pct", "confidence"}


async def test_kw_meter_is_converted(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A meter in kW feeds watts, so deltas come out in W."""
    events = async_capture_events(hass, EVENT_CORRELATION)
    await run_meter(hass, freezer, 40, 0.3, "kW")
    assert engine_of(init_integration).current_power_w() == pytest.approx(300)
    hass.states.async_set("switch.heater", "on")
    await run_meter(hass, freezer, 40, 1.8, "kW")
    assert events
    assert events[0].data["power_delta_w"] == pytest.approx(1500, abs=5)


async def test_unavailable_meter_is_a_gap(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """unavailable/unknown/non-numeric never become 0 W."""
    engine = engine_of(init_integration)
    await run_meter(hass, freezer, 5, 300)
    for bad in ("unavailable", "unknown", "garbage"):
        await run_meter(hass, freezer, 6, bad)  # at least one heartbeat
        assert engine.current_power_w() is None
        assert init_integration.runtime_data.coordinator.data.meter_power_w is None
    await run_meter(hass, freezer, 2, 450)
    assert engine.current_power_w() == pytest.approx(450)


async def test_repeated_value_is_a_sample(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """state_reported (same value again) reaches the engine: the cadence is learned."""
    engine = engine_of(init_integration)
    before = engine.stats.samples
    await run_meter(hass, freezer, 10, 300)
    assert engine.stats.samples >= before + 10
    assert engine.meter_interval_s() == pytest.approx(1.0, abs=0.1)


async def test_new_entity_in_watched_domain_is_picked_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A switch created after setup is watched without a restart."""
    events = async_capture_events(hass, EVENT_CORRELATION)
    hass.states.async_set("switch.new_toaster", "off")
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("switch.new_toaster", "on")
    await run_meter(hass, freezer, 40, 1100)
    assert [e.data["entity_id"] for e in events] == ["switch.new_toaster"]
    assert events[0].data["power_delta_w"] == pytest.approx(800, abs=5)


async def test_new_registry_entity_is_watched_at_once(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A switch registered after setup is tracked from its registry event, before any heartbeat."""
    engine = engine_of(init_integration)
    entity_registry.async_get_or_create(
        "switch", "test", "toaster-1", suggested_object_id="toaster"
    )
    await hass.async_block_till_done()
    hass.states.async_set("switch.toaster", "off")
    hass.states.async_set("switch.toaster", "on")
    await hass.async_block_till_done()
    assert engine.stats.events == 1
    assert engine.device_level("switch.toaster") == 1.0


async def test_registry_entities_of_other_domains_are_not_tracked(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Registering a lock (not a watched domain) changes nothing."""
    engine = engine_of(init_integration)
    entity_registry.async_get_or_create("lock", "test", "door-1", suggested_object_id="door")
    await hass.async_block_till_done()
    hass.states.async_set("lock.door", "locked")
    hass.states.async_set("lock.door", "unlocked")
    await hass.async_block_till_done()
    assert engine.stats.events == 0


async def test_entity_without_registry_entry_waits_for_the_heartbeat(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """Without a registry entry a new switch is found by the next heartbeat, its level adopted."""
    engine = engine_of(init_integration)
    hass.states.async_set("switch.fan_heater", "on")
    await hass.async_block_till_done()
    hass.states.async_set("switch.fan_heater", "off")  # not tracked yet: no event
    await hass.async_block_till_done()
    assert engine.stats.events == 0
    await run_meter(hass, freezer, 6, 300)  # one heartbeat (5 s)
    assert engine.device_level("switch.fan_heater") == 0.0
    hass.states.async_set("switch.fan_heater", "on")
    await hass.async_block_till_done()
    assert engine.stats.events == 1


async def test_listening_starts_when_home_assistant_has_started(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Set up during startup: heartbeats run, devices are followed once HA has started."""
    hass.set_state(CoreState.not_running)
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    engine = engine_of(mock_config_entry)
    freezer.tick(6)
    async_fire_time_changed(hass)  # a heartbeat before the start: nothing to rescan yet
    await hass.async_block_till_done()
    hass.states.async_set("switch.kettle", "on")
    await hass.async_block_till_done()
    assert engine.stats.events == 0

    await hass.async_start()
    await hass.async_block_till_done()
    assert engine.device_level("switch.kettle") == 1.0
    hass.states.async_set("switch.kettle", "off")
    await hass.async_block_till_done()
    assert engine.stats.events == 1


async def test_one_state_changed_listener_at_most(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """Unrelated state changes cost at most one filtered bus listener, none when HA has one.

    Meters and devices go through HA's shared entity-keyed dispatcher: once anything in HA
    tracks an entity (an automation), the integration adds no listener of its own.
    """
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    before = hass.bus.async_listeners().get("state_changed", 0)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.bus.async_listeners().get("state_changed", 0) - before <= 1

    await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    unsub = async_track_state_change_event(hass, "sensor.outdoor_temperature", lambda _e: None)
    before = hass.bus.async_listeners().get("state_changed", 0)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.bus.async_listeners().get("state_changed", 0) == before
    unsub()


async def test_unwatched_and_excluded_are_ignored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Excluded entities and other domains are not events."""
    mock_config_entry.add_to_hass(hass)
    data = {**mock_config_entry.data, CONF_EXCLUDE: ["switch.heater"]}
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    set_meter(hass, 300)
    hass.states.async_set("switch.heater", "off")
    hass.states.async_set("lock.door", "locked")
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    engine = engine_of(mock_config_entry)
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("switch.heater", "on")
    hass.states.async_set("lock.door", "unlocked")
    await run_meter(hass, freezer, 40, 2300)
    assert engine.stats.events == 0


async def test_included_entity_outside_watched_domains(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """An explicitly included entity is watched even when its domain is not."""
    mock_config_entry.add_to_hass(hass)
    data = {**mock_config_entry.data, CONF_INCLUDE: ["input_boolean.boiler"]}
    hass.config_entries.async_update_entry(mock_config_entry, data=data)
    set_meter(hass, 300)
    hass.states.async_set("input_boolean.boiler", "off")
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_CORRELATION)
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("input_boolean.boiler", "on")
    await run_meter(hass, freezer, 40, 3300)
    assert [e.data["entity_id"] for e in events] == ["input_boolean.boiler"]


async def test_rename_moves_the_profile(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Renaming a learned device in the entity registry keeps what was learned."""
    kettle = entity_registry.async_get_or_create(
        "switch", "test", "kettle-1", suggested_object_id="kettle"
    )
    assert kettle.entity_id == "switch.kettle"
    set_meter(hass, 300)
    hass.states.async_set("switch.kettle", "off")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    engine = engine_of(mock_config_entry)
    await run_meter(hass, freezer, 40, 300)
    hass.states.async_set("switch.kettle", "on")
    await run_meter(hass, freezer, 40, 2300)
    assert engine.profile("switch.kettle") is not None

    entity_registry.async_update_entity("switch.kettle", new_entity_id="switch.boiler")
    await hass.async_block_till_done()
    assert engine.profile("switch.kettle") is None
    moved = engine.profile("switch.boiler")
    assert moved is not None
    assert moved.entity_id == "switch.boiler"

    # The new id is watched: switching it off is an event of switch.boiler.
    events = async_capture_events(hass, EVENT_CORRELATION)
    hass.states.async_set("switch.boiler", "on")
    await run_meter(hass, freezer, 20, 2300)
    hass.states.async_set("switch.boiler", "off")
    await run_meter(hass, freezer, 40, 300)
    assert [e.data["entity_id"] for e in events] == ["switch.boiler"]


async def test_device_power_sensor_is_the_reference(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A smart plug's own power sensor is declared for self-validation and tracked."""
    plug_entry = MockConfigEntry(domain="test")
    plug_entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=plug_entry.entry_id, identifiers={("test", "plug")}
    )
    entity_registry.async_get_or_create(
        "switch", "test", "plug-switch", suggested_object_id="plug", device_id=device.id
    )
    entity_registry.async_get_or_create(
        "sensor",
        "test",
        "plug-power",
        suggested_object_id="plug_power",
        device_id=device.id,
        original_device_class="power",
    )
    set_meter(hass, 300)
    hass.states.async_set("switch.plug", "off")
    hass.states.async_set("sensor.plug_power", "0.5", {"unit_of_measurement": "W"})
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    engine = engine_of(mock_config_entry)
    assert _references(engine) == {"switch.plug": "sensor.plug_power"}
    assert engine.current_power_w("sensor.plug_power") == pytest.approx(0.5)

    entity_registry.async_update_entity("sensor.plug_power", new_entity_id="sensor.plug_w")
    await hass.async_block_till_done()
    assert _references(engine) == {"switch.plug": "sensor.plug_w"}
    entity_registry.async_update_entity("switch.plug", new_entity_id="switch.socket")
    await hass.async_block_till_done()
    assert _references(engine) == {"switch.socket": "sensor.plug_w"}
    entity_registry.async_remove("sensor.plug_w")
    await hass.async_block_till_done()
    assert _references(engine) == {}


async def test_back_from_unavailable_sets_the_level(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """unavailable -> on is no event (no measured delta) but the engine learns the level."""
    engine = engine_of(init_integration)
    hass.states.async_set("switch.heater", "unavailable")
    await run_meter(hass, freezer, 2, 300)
    hass.states.async_set("switch.heater", "on")
    await run_meter(hass, freezer, 2, 300)
    assert engine.device_level("switch.heater") == 1.0
    assert engine.stats.events == 0


async def test_meter_rename_updates_the_entry(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Renaming the configured meter rewrites the entry and reloads it on the new id."""
    entity_registry.async_get_or_create(
        "sensor", "test", "grid-power", suggested_object_id="home_power"
    )
    set_meter(hass, 300)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    old_coordinator = mock_config_entry.runtime_data.coordinator

    entity_registry.async_update_entity(METER, new_entity_id="sensor.grid_power")
    await hass.async_block_till_done()
    assert mock_config_entry.data[CONF_METER] == "sensor.grid_power"
    assert mock_config_entry.state is ConfigEntryState.LOADED
    coordinator = mock_config_entry.runtime_data.coordinator
    assert coordinator is not old_coordinator
    assert coordinator.engine.config.main_meter == "sensor.grid_power"


async def test_broken_hvac_action_does_not_stop_the_rescan(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A climate entity whose hvac_action is a list (seen on a real instance) is adopted with an
    unknown level; the heartbeat's rescan goes on to track the other new entities."""
    engine = engine_of(init_integration)
    hass.states.async_set("climate.broken", "heat", {"hvac_action": ["heating"]})
    hass.states.async_set("switch.fan_heater", "off")
    await hass.async_block_till_done()
    await run_meter(hass, freezer, 6, 300)  # one heartbeat (5 s)
    assert "Traceback" not in caplog.text
    assert engine.device_level("switch.fan_heater") == 0.0
    hass.states.async_set("switch.fan_heater", "on")
    await hass.async_block_till_done()
    assert engine.stats.events == 1


def test_every_offered_domain_has_levels() -> None:
    """No device type on the devices form is silently ignored: each has an off level (valve,
    lock and lawn_mower were offered, but their changes never became events)."""
    for domain in (*DEFAULT_DOMAINS, *EXTRA_DOMAINS):
        assert device_level(State(f"{domain}.x", "off")) is not None, domain

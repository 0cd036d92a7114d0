"""Sensors: the service device's figures and the per-device sensors, from real meter activity."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)

from custom_components.energy_correlator.const import (
    CONF_INFLUX_BUCKET,
    CONF_INFLUX_ENABLED,
    CONF_INFLUX_ORG,
    CONF_INFLUX_TOKEN,
    CONF_INFLUX_URL,
    DOMAIN,
)

from .activity import PLUG_ATTRS, cycles, run, switch
from .conftest import LIGHTS, METER, SWITCHES, our_entity_id, set_meter

KETTLE = "switch.kettle"


def eid(hass: HomeAssistant, key: str, platform: str = "sensor") -> str:
    """Entity id of one of our entities by its unique id."""
    entity_id = our_entity_id(hass, key, platform)
    assert entity_id is not None, key
    return entity_id


def value(hass: HomeAssistant, key: str) -> float:
    """Numeric state of one of our sensors."""
    return float(hass.states.get(eid(hass, key)).state)


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """What init_integration does, for tests that prepare registries or caches first."""
    set_meter(hass, 300)
    for entity_id in SWITCHES:
        hass.states.async_set(entity_id, "off")
    for entity_id in LIGHTS:
        hass.states.async_set(entity_id, "off", {"supported_color_modes": ["brightness"]})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def test_service_device_sensors_after_one_correlation(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A kettle switching on shows up in the correlation sensors and the meter figures."""
    # Before any event the rate is unknown (0 % would say every event failed).
    assert hass.states.get(eid(hass, "correlation_rate")).state == STATE_UNKNOWN
    await switch(hass, freezer, KETTLE, "on", 300, 2300)

    last = hass.states.get(eid(hass, "last_correlation"))
    assert last.name.endswith("Last power change")
    assert float(last.state) == pytest.approx(2000, abs=5)
    assert last.attributes[ATTR_UNIT_OF_MEASUREMENT] == "W"
    assert last.attributes["entity_id"] == KETTLE
    assert last.attributes["device"] == "kettle"  # its friendly name
    assert last.attributes["direction"] == "increase"
    assert last.attributes["previous_state"] == "off"
    assert last.attributes["state"] == "on"
    assert last.attributes["power_before_w"] == pytest.approx(300, abs=1)
    assert last.attributes["power_after_w"] == pytest.approx(2300, abs=1)
    assert 0 < last.attributes["confidence"] <= 1
    assert value(hass, "correlations_found") == 1
    assert value(hass, "events_processed") == 1
    assert value(hass, "peak_power") == pytest.approx(2300)
    assert value(hass, "daily_energy") > 0
    assert value(hass, "skipped_overlap") == 0
    # 2300 W on the meter, the kettle's first delta already taught: 300 W are nobody's.
    assert value(hass, "untracked_power") == pytest.approx(300, abs=5)

    cost = hass.states.get(eid(hass, "cost_month"))
    assert cost.attributes[ATTR_UNIT_OF_MEASUREMENT] == hass.config.currency
    last_reset = dt_util.parse_datetime(cost.attributes["last_reset"])
    assert last_reset is not None
    local = dt_util.as_local(last_reset)
    assert (local.day, local.hour, local.minute) == (1, 0, 0)

    await switch(hass, freezer, KETTLE, "off", 2300, 300)
    last = hass.states.get(eid(hass, "last_correlation"))
    assert float(last.state) == pytest.approx(-2000, abs=5)
    assert last.attributes["direction"] == "decrease"

    # Two events are not enough to trust a profile: no per-device sensors yet.
    assert our_entity_id(hass, f"{KETTLE}_learned_power") is None


async def test_diagnostic_sensors_are_diagnostic_and_sink_ones_absent(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Diagnostics carry their category; without InfluxDB there are no sink sensors."""
    registry = er.async_get(hass)
    for key in ("events_processed", "correlation_rate", "skipped_gap", "skipped_low_confidence"):
        entry = registry.async_get(eid(hass, key))
        assert entry.entity_category is er.EntityCategory.DIAGNOSTIC
    assert our_entity_id(hass, "sink_points_pending") is None
    assert hass.states.get(eid(hass, "top_consumer")).state == STATE_UNKNOWN

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert registry.async_get(eid(hass, "untracked_power")).device_id == device.id


async def test_learned_device_gets_its_sensors_and_tops_the_list(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """After a few agreeing cycles the kettle has learned/estimated power and energy sensors."""
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)

    learned_id = eid(hass, f"{KETTLE}_learned_power")
    learned = hass.states.get(learned_id)
    assert float(learned.state) == pytest.approx(2000, rel=0.02)
    assert learned.attributes["source_entity_id"] == KETTLE
    assert learned.attributes["events"] >= 3
    assert learned.attributes["confidence"] >= 0.5
    assert learned.attributes["on_delta_w"] == pytest.approx(2000, rel=0.02)
    assert learned.attributes["off_delta_w"] == pytest.approx(2000, rel=0.02)
    # The switch has no device: its sensors stand alone and name the source, without the
    # meter-named service device's name in front ("Home power kettle learned power").
    assert learned.name == "kettle learned power"
    assert er.async_get(hass).async_get(learned_id).device_id is None
    assert float(hass.states.get(eid(hass, f"{KETTLE}_estimated_power")).state) == 0

    await switch(hass, freezer, KETTLE, "on", 300, 2300)
    assert float(hass.states.get(eid(hass, f"{KETTLE}_estimated_power")).state) == pytest.approx(
        2000, rel=0.02
    )
    energy_id = eid(hass, f"{KETTLE}_estimated_energy")
    before = float(hass.states.get(energy_id).state)
    await run(hass, freezer, 360, 2300)
    after = float(hass.states.get(energy_id).state)
    assert after - before == pytest.approx(2.0 * 360 / 3600, rel=0.1)

    top = hass.states.get(eid(hass, "top_consumer"))
    assert top.state == "kettle"
    row = top.attributes["top_consumers"][0]
    assert row["entity_id"] == KETTLE
    assert row["learned_power_w"] == pytest.approx(2000, rel=0.02)
    # less than a day watched: what was observed, no monthly projection
    assert row["kwh_per_month"] is None
    assert row["cost_per_month"] is None
    assert 0 < row["observed_days"] < 1
    assert value(hass, "correlation_rate") > 0


async def test_device_sensors_join_the_source_device_and_follow_a_rename(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """A source with a device gets the sensors on that device; a rename keeps unique ids."""
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "kettle")}, name="Kettle"
    )
    source = er.async_get(hass).async_get_or_create(
        "switch", "demo", "kettle", suggested_object_id="kettle", device_id=device.id
    )
    assert source.entity_id == KETTLE
    await setup(hass, mock_config_entry)
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)

    registry = er.async_get(hass)
    learned_id = eid(hass, f"{source.id}_learned_power")
    assert registry.async_get(learned_id).device_id == device.id
    assert registry.async_get(learned_id).config_entry_id == mock_config_entry.entry_id
    assert learned_id == "sensor.kettle_learned_power"

    registry.async_update_entity(KETTLE, new_entity_id="switch.big_kettle")
    hass.states.async_remove(KETTLE)
    hass.states.async_set("switch.big_kettle", "off")
    await run(hass, freezer, 10, 300)

    learned = hass.states.get(learned_id)
    assert learned.attributes["source_entity_id"] == "switch.big_kettle"
    assert float(learned.state) == pytest.approx(2000, rel=0.02)
    ours = [
        e.unique_id
        for e in er.async_entries_for_config_entry(registry, mock_config_entry.entry_id)
        if source.id in e.unique_id
    ]
    assert len(ours) == 3


async def test_energy_sensor_restores_and_never_decreases(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """The estimated energy comes back from the restore cache and keeps counting after relearn.

    Registered under a version 1.1 unique id (`<meter>_<source>_<key>`): the entry's migration
    moves it, so it keeps its entity id and history."""
    mock_config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    energy = registry.async_get_or_create(
        "sensor",
        DOMAIN,
        f"{METER}_{KETTLE}_estimated_energy",
        suggested_object_id="kettle_estimated_energy",
        config_entry=mock_config_entry,
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(energy.entity_id, "12.5"),
                {"native_value": 12.5, "native_unit_of_measurement": "kWh"},
            )
        ],
    )
    set_meter(hass, 300)
    hass.states.async_set(KETTLE, "off")
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert float(hass.states.get(energy.entity_id).state) == 12.5
    # The registry brought the whole set back, before any profile exists.
    assert hass.states.get(eid(hass, f"{KETTLE}_learned_power")).state == STATE_UNKNOWN

    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    await switch(hass, freezer, KETTLE, "on", 300, 2300)
    await run(hass, freezer, 180, 2300)
    grown = float(hass.states.get(energy.entity_id).state)
    assert grown > 12.5

    # Relearn removes the sensors it made unknown; learned again, they come back with the
    # same entity ids and the energy total goes on from where it was.
    await hass.services.async_call(DOMAIN, "relearn", {"entity_id": KETTLE}, blocking=True)
    await run(hass, freezer, 10, 2300)
    assert hass.states.get(energy.entity_id) is None
    assert registry.async_get(energy.entity_id) is None
    await switch(hass, freezer, KETTLE, "off", 2300, 300)
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    assert float(hass.states.get(energy.entity_id).state) >= grown


async def test_self_validation_against_the_device_own_power_sensor(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """A smart plug on the kettle's device gives the learned power an error figure."""
    other = MockConfigEntry(domain="demo")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("demo", "kettle")}, name="Kettle"
    )
    registry = er.async_get(hass)
    registry.async_get_or_create(
        "switch", "demo", "kettle", suggested_object_id="kettle", device_id=device.id
    )
    registry.async_get_or_create(
        "sensor",
        "demo",
        "kettle_power",
        suggested_object_id="kettle_power",
        device_id=device.id,
        original_device_class="power",
    )
    hass.states.async_set("sensor.kettle_power", "0", PLUG_ATTRS)
    await setup(hass, mock_config_entry)

    plug = "sensor.kettle_power"
    for _ in range(2):
        for state, before, after in (("on", 300, 2300), ("off", 2300, 300)):
            await run(hass, freezer, 35, before, {plug: (before - 300) * 1.05})
            hass.states.async_set(KETTLE, state)
            await run(hass, freezer, 45, after, {plug: (after - 300) * 1.05})

    learned = hass.states.get("sensor.kettle_learned_power")
    assert learned.attributes["reference_power_w"] == pytest.approx(2100, rel=0.02)
    assert abs(learned.attributes["validation_error_pct"]) == pytest.approx(4.8, abs=1.0)
    impact = await hass.services.async_call(
        DOMAIN, "device_impact", {"entity_id": KETTLE}, blocking=True, return_response=True
    )
    assert impact is not None
    assert impact["validation_error_pct"] == pytest.approx(
        learned.attributes["validation_error_pct"], abs=0.05
    )


async def test_device_sensors_come_back_after_a_reload(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """The registry brings per-device sensors back at once, with their ids, and no doubles."""
    await cycles(hass, freezer, KETTLE, 300, 2000, 2)
    registry = er.async_get(hass)
    before = {
        e.unique_id for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    }
    energy_id = eid(hass, f"{KETTLE}_estimated_energy")
    energy = float(hass.states.get(energy_id).state)

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    after = {
        e.unique_id for e in er.async_entries_for_config_entry(registry, init_integration.entry_id)
    }
    assert after == before
    assert float(hass.states.get(eid(hass, f"{KETTLE}_learned_power")).state) == pytest.approx(
        2000, rel=0.02
    )
    assert float(hass.states.get(energy_id).state) >= energy


@pytest.mark.usefixtures("socket_enabled")
async def test_sink_sensors_when_influxdb_is_enabled(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """With the sink on, its backlog and health show up; a dead server is counted, not hidden."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=METER,
        data={
            **mock_config_entry.data,
            CONF_INFLUX_ENABLED: True,
            CONF_INFLUX_URL: "http://127.0.0.1:9",
            CONF_INFLUX_TOKEN: "secret",
            CONF_INFLUX_ORG: "home",
            CONF_INFLUX_BUCKET: "energy",
        },
        options=mock_config_entry.options,
    )
    await setup(hass, entry)
    # Past the backlog sensor's longest write interval (5 min): a slow rise is written by then.
    await run(hass, freezer, 310, 300)

    registry = er.async_get(hass)
    # Nothing reaches a dead server: every heartbeat's meter point waits in the backlog.
    assert float(hass.states.get(eid(hass, "sink_points_pending")).state) >= 5
    assert float(hass.states.get(eid(hass, "sink_points_dropped")).state) == 0
    assert registry.async_get(eid(hass, "sink_success_rate")).entity_category is (
        er.EntityCategory.DIAGNOSTIC
    )
    for key in ("sink_points_written", "sink_last_error"):
        assert (
            registry.async_get(eid(hass, key)).disabled_by is er.RegistryEntryDisabler.INTEGRATION
        )
    assert await hass.config_entries.async_unload(entry.entry_id)

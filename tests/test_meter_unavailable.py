"""The meter goes away: the entities computed from it turn unavailable after a minute and come
back with it; the integration says so once each way (quality scale: entity-unavailable,
log-when-unavailable)."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.energy_correlator.const import (
    CONF_ENERGY_SENSOR,
    METER_UNAVAILABLE_AFTER,
)
from tests.conftest import set_meter

FROM_METER = ("untracked_power", "daily_energy", "peak_power", "cost_month", "high_consumption")
NOT_FROM_METER = ("standby_baseline", "correlations_found", "events_processed", "phantom_load")
GONE = "has been unavailable for over"
BACK = "is back: its entities are available again"


def entity_ids(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """translation key -> entity id of the entry's entities."""
    return {
        reg.translation_key: reg.entity_id
        for reg in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if reg.translation_key is not None
    }


def states(hass: HomeAssistant, ids: dict[str, str], keys: tuple[str, ...]) -> dict[str, str]:
    """key -> current state."""
    return {key: hass.states.get(ids[key]).state for key in keys}  # type: ignore[union-attr]


async def tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the clock and let timers and heartbeats run."""
    freezer.tick(seconds)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


async def test_entities_follow_the_meter(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Away for 59 s: nothing changes; past a minute: unavailable; back: available at once."""
    ids = entity_ids(hass, init_integration)
    await tick(hass, freezer, 5)
    assert STATE_UNAVAILABLE not in states(hass, ids, FROM_METER + NOT_FROM_METER).values()

    set_meter(hass, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    for _ in range(11):  # 55 s of heartbeats
        await tick(hass, freezer, 5)
    assert STATE_UNAVAILABLE not in states(hass, ids, FROM_METER).values()
    assert GONE not in caplog.text

    await tick(hass, freezer, METER_UNAVAILABLE_AFTER.total_seconds() - 55 + 1)
    assert set(states(hass, ids, FROM_METER).values()) == {STATE_UNAVAILABLE}
    assert STATE_UNAVAILABLE not in states(hass, ids, NOT_FROM_METER).values()
    for _ in range(24):  # two more minutes away: still one message
        await tick(hass, freezer, 5)
    assert caplog.text.count(GONE) == 1
    assert BACK not in caplog.text

    set_meter(hass, 420)
    await hass.async_block_till_done()  # no heartbeat needed: back with the meter
    assert STATE_UNAVAILABLE not in states(hass, ids, FROM_METER).values()
    assert float(hass.states.get(ids["untracked_power"]).state) == 420.0  # type: ignore[union-attr]
    for _ in range(3):
        await tick(hass, freezer, 5)
    assert caplog.text.count(BACK) == 1
    assert caplog.text.count(GONE) == 1


async def test_short_outages_are_not_reported(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two 40 s outages do not add up to a lost meter."""
    ids = entity_ids(hass, init_integration)
    for _ in range(2):
        set_meter(hass, STATE_UNAVAILABLE)
        await tick(hass, freezer, 40)
        set_meter(hass, 300)
        await tick(hass, freezer, 40)
    assert STATE_UNAVAILABLE not in states(hass, ids, FROM_METER).values()
    assert GONE not in caplog.text
    assert BACK not in caplog.text


async def test_meter_missing_at_startup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A meter whose integration never starts: unavailable a minute after setup, then back."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    ids = entity_ids(hass, mock_config_entry)
    assert hass.states.get(ids["untracked_power"]).state != STATE_UNAVAILABLE  # type: ignore[union-attr]

    await tick(hass, freezer, METER_UNAVAILABLE_AFTER.total_seconds() + 1)
    assert set(states(hass, ids, FROM_METER).values()) == {STATE_UNAVAILABLE}

    set_meter(hass, 300)
    await hass.async_block_till_done()
    assert STATE_UNAVAILABLE not in states(hass, ids, FROM_METER).values()
    assert caplog.text.count(GONE) == caplog.text.count(BACK) == 1


async def test_daily_energy_from_an_energy_sensor_stays(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    mock_config_entry: MockConfigEntry,
) -> None:
    """With an energy sensor, today's energy does not depend on the power meter."""
    hass.states.async_set("sensor.home_energy", "1000", {"unit_of_measurement": "kWh"})
    set_meter(hass, 300)
    entry = MockConfigEntry(
        domain=mock_config_entry.domain,
        unique_id=mock_config_entry.unique_id,
        data={**mock_config_entry.data, CONF_ENERGY_SENSOR: "sensor.home_energy"},
        options=dict(mock_config_entry.options),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    ids = entity_ids(hass, entry)

    set_meter(hass, STATE_UNAVAILABLE)
    await tick(hass, freezer, METER_UNAVAILABLE_AFTER.total_seconds() + 5)
    assert hass.states.get(ids["untracked_power"]).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert hass.states.get(ids["daily_energy"]).state != STATE_UNAVAILABLE  # type: ignore[union-attr]


async def test_unload_while_away_cancels_the_timer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An entry unloaded during an outage says nothing about it later."""
    set_meter(hass, STATE_UNAVAILABLE)
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(init_integration.entry_id)
    await tick(hass, freezer, METER_UNAVAILABLE_AFTER.total_seconds() + 5)
    assert GONE not in caplog.text

"""Binary sensors: high consumption after a sustained high meter, phantom load after a night."""

from datetime import datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.energy_correlator.const import (
    OPT_HIGH_POWER_DURATION_S,
    OPT_HIGH_POWER_W,
    OPT_PHANTOM_THRESHOLD_W,
)

from .activity import run
from .conftest import our_entity_id, set_meter


def eid(hass: HomeAssistant, key: str) -> str:
    """Entity id of one of our binary sensors by its unique id."""
    entity_id = our_entity_id(hass, key, "binary_sensor")
    assert entity_id is not None, key
    return entity_id


async def test_high_consumption_needs_the_configured_duration(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Above the threshold it turns on only once the duration has passed, and off below it."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            **mock_config_entry.options,
            OPT_HIGH_POWER_W: 3000,
            OPT_HIGH_POWER_DURATION_S: 60,
        },
    )
    set_meter(hass, 300)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    high = eid(hass, "high_consumption")
    assert hass.states.get(high).state == STATE_OFF

    await run(hass, freezer, 30, 4000)
    assert hass.states.get(high).state == STATE_OFF
    await run(hass, freezer, 40, 4000)
    state = hass.states.get(high)
    assert state.state == STATE_ON
    assert state.attributes["power_w"] == 4000
    assert state.attributes["threshold_w"] == 3000
    assert state.attributes["duration_s"] == 60
    assert state.attributes["device_class"] == "problem"

    await run(hass, freezer, 10, 500)
    assert hass.states.get(high).state == STATE_OFF


async def test_phantom_load_after_a_night_above_the_threshold(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, mock_config_entry: MockConfigEntry
) -> None:
    """Unknown until a local night has been seen; then on when its baseline is too high."""
    start = datetime(2026, 11, 20, 0, 30, tzinfo=dt_util.get_default_time_zone())
    freezer.move_to(start)
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={**mock_config_entry.options, OPT_PHANTOM_THRESHOLD_W: 200}
    )
    set_meter(hass, 250)
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    phantom = eid(hass, "phantom_load")
    assert hass.states.get(phantom).state == STATE_UNKNOWN

    # 00:30 -> 05:30 local: a whole night at 250-260 W, one reading every 10 s.
    for step in range(5 * 360):
        freezer.tick(10)
        set_meter(hass, 250 + step % 10)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    await run(hass, freezer, 10, 255)

    state = hass.states.get(phantom)
    assert state.state == STATE_ON
    assert 249 <= state.attributes["standby_baseline_w"] <= 260
    assert state.attributes["threshold_w"] == 200

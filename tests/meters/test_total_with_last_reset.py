"""A `total` sensor with a `last_reset` (HA's utility_meter helper, a daily or monthly cycle)
starts over at each cycle: a reset, not a swap to ask about.

Found on a real Home Assistant: such a daily energy sensor going 6.0 → 0.1 kWh at its new cycle
raised "Daily elec went down: was the meter replaced?" (it would, every day).
"""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.energy_correlator.const import DOMAIN
from tests.meters.conftest import SetUp, meter

CYCLE = {
    "device_class": "energy",
    "state_class": "total",
    "unit_of_measurement": "kWh",
    "last_reset": "2026-12-01T00:00:00+00:00",
}


async def test_a_new_cycle_is_a_reset(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """No swap issue; the new cycle's value is counted as used since the reading before."""
    freezer.move_to("2026-12-01 20:00:00+00:00")
    hass.states.async_set("sensor.daily", "5.0", CYCLE)
    entry = await setup_utility(meter("Daily", "electricity", "sensor.daily", subentry_id="d"))
    new_cycle = {**CYCLE, "last_reset": "2026-12-02T00:00:00+00:00"}
    for value, attrs in (("5.5", CYCLE), ("6.0", CYCLE), ("0.1", new_cycle), ("0.3", new_cycle)):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.daily", value, attrs)
        await hass.async_block_till_done()
    await entry.runtime_data.coordinator.async_refresh()
    assert not [
        issue_id
        for domain, issue_id in ir.async_get(hass).issues
        if domain == DOMAIN and issue_id.startswith("meter_drop_")
    ]
    runtime = entry.runtime_data.coordinator.meters["d"]
    assert runtime.meter.drops() == []
    assert runtime.meter.hourly().total == pytest.approx(1.0 + 0.1 + 0.2)


async def test_a_total_without_last_reset_still_asks(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """A plain `total` meter that drops is still a suspected swap."""
    freezer.move_to("2026-12-01 20:00:00+00:00")
    attrs = {key: value for key, value in CYCLE.items() if key != "last_reset"}
    hass.states.async_set("sensor.heat", "500", attrs)
    entry = await setup_utility(meter("Heat", "heat", "sensor.heat", subentry_id="h"))
    for value in ("501", "3"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.heat", value, attrs)
        await hass.async_block_till_done()
    await entry.runtime_data.coordinator.async_refresh()
    assert len(entry.runtime_data.coordinator.meters["h"].meter.drops()) == 1

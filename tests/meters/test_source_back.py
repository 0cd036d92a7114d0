"""A source sensor that is missing (not yet set up, or set over the REST API and not restored after
a restart) and then reports again: its readings are taken and the repair issue goes."""

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.energy_correlator.const import DOMAIN
from custom_components.energy_correlator.meters.data import UtilityConfigEntry
from tests.meters.conftest import GAS_ATTRS, SetUp, meter

START = "2026-03-10 00:00:00+00:00"


async def test_missing_source_that_comes_back_is_followed_again(
    hass: HomeAssistant, setup_utility: SetUp, freezer: FrozenDateTimeFactory
) -> None:
    """Missing at setup: a repair issue; back: its readings count and the issue is deleted."""
    freezer.move_to(START)
    entry: UtilityConfigEntry = await setup_utility(meter("Gas", "gas", "sensor.gas"))
    (subentry_id,) = entry.subentries
    issue_id = f"meter_source_removed_{subentry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    for value in ("100", "101", "102.5"):
        freezer.tick(timedelta(hours=1))
        hass.states.async_set("sensor.gas", value, GAS_ATTRS)
        await hass.async_block_till_done()
    freezer.tick(timedelta(seconds=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    runtime = entry.runtime_data.coordinator.meters[subentry_id]
    assert [r.value for r in runtime.meter.readings()] == [100.0, 101.0, 102.5]
    assert runtime.meter.hourly().values.sum() == pytest.approx(2.5)
    assert not runtime.source_missing
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

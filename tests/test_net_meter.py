"""A net meter (solar export makes it negative): no sensor ever shows a negative or non-finite
value, energy and cost never decrease, and a device switched while exporting is still learned."""

import math

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from .conftest import set_meter

KETTLE = "switch.kettle"
NEVER_DECREASE = (
    "daily_energy",
    "cost_month",
    "estimated_energy_named",
    "estimated_energy",
    "exported_energy",
)


class Watch:
    """Reads every numeric sensor of the entry after each second and checks it."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry) -> None:
        """Nothing seen yet."""
        self.hass = hass
        self.entry = entry
        self.last: dict[str, float] = {}
        self.checked = 0

    def check(self) -> None:
        """Finite and not negative; energy and cost not below their last value."""
        registry = er.async_get(self.hass)
        for reg in er.async_entries_for_config_entry(registry, self.entry.entry_id):
            state = self.hass.states.get(reg.entity_id)
            if reg.domain != "sensor" or state is None:
                continue
            if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
                continue
            try:
                value = float(state.state)
            except ValueError:
                continue  # the top consumer's name
            assert math.isfinite(value), reg.entity_id
            if reg.translation_key == "last_correlation":
                continue  # a delta: an off-event is negative by definition
            assert value >= 0.0, (reg.entity_id, value)
            if reg.translation_key in NEVER_DECREASE:
                assert value >= self.last.get(reg.entity_id, 0.0), reg.entity_id
                self.last[reg.entity_id] = value
            self.checked += 1


async def meter(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, watch: Watch, seconds: int, watts: float
) -> None:
    """A 1 s net meter reporting `watts`, every sensor checked each second."""
    for _ in range(seconds):
        freezer.tick(1)
        set_meter(hass, watts)
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        watch.check()


async def test_net_meter_sensors_never_negative(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """Import, export with a kettle cycling inside it, import again."""
    watch = Watch(hass, init_integration)
    await meter(hass, freezer, watch, 120, 500)
    for _ in range(3):  # the kettle runs while the panels export 3 kW
        await meter(hass, freezer, watch, 40, -3000)
        hass.states.async_set(KETTLE, "on")
        await meter(hass, freezer, watch, 40, -1000)
        hass.states.async_set(KETTLE, "off")
    await meter(hass, freezer, watch, 600, -3000)
    await meter(hass, freezer, watch, 120, 400)

    coordinator = init_integration.runtime_data.coordinator
    profile = coordinator.engine.profile(KETTLE)
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(2000.0, rel=0.05)  # a delta across zero
    data = coordinator.data
    # Import only: 120 s at 500 W and 120 s at 400 W, nothing taken off for the export.
    assert data.daily_energy_kwh == pytest.approx((120 * 500 + 120 * 400) / 3_600_000, rel=0.05)
    assert data.peak_power_w == pytest.approx(500.0)
    assert watch.checked > 1000

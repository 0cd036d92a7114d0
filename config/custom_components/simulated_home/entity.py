"""Shared base of the simulated entities: push-only, refreshed by the meter's tick."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from . import DATA_HOME, DOMAIN, SIGNAL_UPDATE, now_s
from .model import Appliance, SimulatedHome


class SimulatedEntity(Entity):
    """An entity of the simulated home; subclasses say when a tick changes their state."""

    _attr_should_poll = False

    def __init__(self, home: SimulatedHome, key: str, name: str) -> None:
        """Name the entity after the simulated thing; the key makes the id stable."""
        self.home = home
        self._attr_unique_id = f"{DOMAIN}_{key}"
        self._attr_name = name

    async def async_added_to_hass(self) -> None:
        """Follow the meter's ticks."""
        self.async_on_remove(
            async_dispatcher_connect(self.hass, SIGNAL_UPDATE, self._async_on_tick)
        )

    @callback
    def _async_on_tick(self) -> None:
        """Write the state on every tick (meters); appliances override this."""
        self.async_write_ha_state()


class ApplianceEntity(SimulatedEntity):
    """A switchable appliance; writes its state only when it changes by itself (auto-off)."""

    def __init__(self, home: SimulatedHome, appliance: Appliance) -> None:
        """Bind the entity to its appliance in the model."""
        super().__init__(home, appliance.key, appliance.name)
        self.appliance = appliance
        self._written_on = appliance.on
        self._attr_extra_state_attributes = {"nominal_power_w": appliance.watts}

    @callback
    def _async_on_tick(self) -> None:
        if self.appliance.on != self._written_on:
            self._written_on = self.appliance.on
            self.async_write_ha_state()

    def _switch(self, on: bool, level: float | None = None) -> None:
        self.home.set_on(self.appliance.key, on, now_s(), level)
        self._written_on = on
        self.async_write_ha_state()


def appliances(hass: HomeAssistant, keys: tuple[str, ...]) -> list[Appliance]:
    """The model's appliances with these keys, in order."""
    home = hass.data[DATA_HOME]
    return [home.appliances[key] for key in keys]

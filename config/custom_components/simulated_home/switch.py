"""Switched appliances: kettle (boils and switches off), heater (slow ramp), washing machine."""

from typing import Any

from homeassistant.components.switch import SwitchDeviceClass, SwitchEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DATA_HOME
from .entity import ApplianceEntity, appliances


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add one switch per switched appliance."""
    home = hass.data[DATA_HOME]
    keys = ("kettle", "heater", "washing_machine")
    async_add_entities(ApplianceSwitch(home, a) for a in appliances(hass, keys))


class ApplianceSwitch(ApplianceEntity, SwitchEntity):
    """A smart plug or relay in front of an appliance."""

    _attr_device_class = SwitchDeviceClass.OUTLET

    @property
    def is_on(self) -> bool:
        """Whether the appliance is switched on."""
        return self.appliance.on

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Switch the appliance on."""
        self._switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the appliance off."""
        self._switch(False)

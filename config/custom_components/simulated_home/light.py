"""Lamps: a dimmable living-room lamp whose draw follows brightness, and two plain ones."""

from typing import Any

from homeassistant.components.light import ATTR_BRIGHTNESS, ColorMode, LightEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DATA_HOME
from .entity import ApplianceEntity, appliances
from .model import Appliance, Kind, SimulatedHome


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the lamps."""
    home = hass.data[DATA_HOME]
    keys = ("living_room_lamp", "desk_lamp", "hall_light")
    async_add_entities(Lamp(home, a) for a in appliances(hass, keys))


class Lamp(ApplianceEntity, LightEntity):
    """A lamp; dimmable when its appliance is."""

    def __init__(self, home: SimulatedHome, appliance: Appliance) -> None:
        """Pick the colour mode from the appliance kind."""
        super().__init__(home, appliance)
        mode = ColorMode.BRIGHTNESS if appliance.kind is Kind.DIMMABLE else ColorMode.ONOFF
        self._attr_color_mode = mode
        self._attr_supported_color_modes = {mode}

    @property
    def is_on(self) -> bool:
        """Whether the lamp is lit."""
        return self.appliance.on

    @property
    def brightness(self) -> int | None:
        """Brightness 0..255 of a dimmable lamp."""
        if self._attr_color_mode is ColorMode.ONOFF:
            return None
        return round(self.appliance.level * 255)

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Light the lamp, at the asked brightness if dimmable."""
        level = kwargs[ATTR_BRIGHTNESS] / 255 if ATTR_BRIGHTNESS in kwargs else None
        self._switch(True, level)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Switch the lamp off."""
        self._switch(False)

"""The TV: ~120 W while on, half a watt in standby."""

from homeassistant.components.media_player import (
    MediaPlayerDeviceClass,
    MediaPlayerEntity,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
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
    """Add the TV."""
    async_add_entities(Television(hass.data[DATA_HOME], a) for a in appliances(hass, ("tv",)))


class Television(ApplianceEntity, MediaPlayerEntity):
    """A TV that can only be switched on and off."""

    _attr_device_class = MediaPlayerDeviceClass.TV
    _attr_supported_features = MediaPlayerEntityFeature.TURN_ON | MediaPlayerEntityFeature.TURN_OFF

    @property
    def state(self) -> MediaPlayerState:
        """On or off."""
        return MediaPlayerState.ON if self.appliance.on else MediaPlayerState.OFF

    async def async_turn_on(self) -> None:
        """Switch the TV on."""
        self._switch(True)

    async def async_turn_off(self) -> None:
        """Switch the TV to standby."""
        self._switch(False)

"""The fridge compressor: visible for humans, but not a device the correlator watches."""

from homeassistant.components.binary_sensor import BinarySensorDeviceClass, BinarySensorEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DATA_HOME
from .entity import SimulatedEntity


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the fridge compressor's running sensor."""
    async_add_entities(
        [FridgeCompressor(hass.data[DATA_HOME], "fridge_compressor", "Fridge compressor")]
    )


class FridgeCompressor(SimulatedEntity, BinarySensorEntity):
    """On while the compressor runs (about a third of the time)."""

    _attr_device_class = BinarySensorDeviceClass.RUNNING
    _written: bool | None = None

    @property
    def is_on(self) -> bool:
        """Whether the compressor runs."""
        return self.home.fridge.on

    @callback
    def _async_on_tick(self) -> None:
        if self.home.fridge.on != self._written:
            self._written = self.home.fridge.on
            self.async_write_ha_state()

"""The simulated whole-home meter: power (W) every 1-2 s and the energy it integrates (kWh)."""

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from . import DATA_HOME
from .entity import SimulatedEntity
from .utility import utility_sensors


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add the meter's two sensors."""
    home = hass.data[DATA_HOME]
    async_add_entities(
        [
            HomePowerSensor(home, "home_power", "Home power"),
            HomeEnergySensor(home, "home_energy", "Home energy"),
            *utility_sensors(home.seed),
        ]
    )


class HomePowerSensor(SimulatedEntity, SensorEntity):
    """Whole-home power as a grid meter reports it: the true draw plus ~1.5 % noise."""

    _attr_device_class = SensorDeviceClass.POWER
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_native_unit_of_measurement = UnitOfPower.WATT
    _attr_suggested_display_precision = 0

    @property
    def native_value(self) -> float:
        """The meter's last reading."""
        return self.home.meter_w


class HomeEnergySensor(SimulatedEntity, SensorEntity):
    """Energy integrated from the meter's readings since the simulation started."""

    _attr_device_class = SensorDeviceClass.ENERGY
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_native_unit_of_measurement = UnitOfEnergy.KILO_WATT_HOUR
    _attr_suggested_display_precision = 3

    @property
    def native_value(self) -> float:
        """Kilowatt-hours so far."""
        return round(self.home.energy_kwh, 5)

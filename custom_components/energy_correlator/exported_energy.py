"""Exported energy: what a net meter sent to the grid (solar), for the Energy dashboard's
"Return to grid".

The engine integrates the meter's negative readings apart from import (`export_total_kwh`, kept
in the entry's store). This sensor shows that total as one monotonic meter: it restores its last
state at startup and adds the engine's increments to it, so a store older than the last state
(a crash between saves) or a counter that starts over (`reset_statistics`) never makes it drop.

Created for every power-meter entry, so the entity never appears out of nowhere; like core's
HomeWizard export sensor it is enabled by default only where export was already seen when it is
first registered (a meter below zero or exported energy in the store), so a home without solar
gets no permanently-zero entity in its lists. The user can enable it at any time.
"""

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy
from homeassistant.core import callback

from .coordinator import EnergyCorrelatorCoordinator
from .data import CorrelatorData
from .entity import EnergyCorrelatorEntity
from .monotonic_total import MonotonicTotal
from .write_policy import ENERGY, WriteGate

EXPORTED_ENERGY = SensorEntityDescription(
    key="exported_energy",
    translation_key="exported_energy",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
)


def export_seen(data: CorrelatorData) -> bool:
    """Whether this home has exported: energy sent already, or the meter below zero now."""
    return data.export_total_kwh > 0.0 or (data.meter_power_w or 0.0) < 0.0


class ExportedEnergySensor(EnergyCorrelatorEntity, RestoreSensor):
    """Energy sent to the grid in kWh: restored, never decreasing, never negative."""

    def __init__(self, coordinator: EnergyCorrelatorCoordinator) -> None:
        """Enabled by default where export was seen; the total comes from restore and engine."""
        super().__init__(coordinator, EXPORTED_ENERGY)
        self._attr_entity_registry_enabled_default = export_seen(coordinator.data)
        self._counter = MonotonicTotal()
        self._writes = WriteGate(ENERGY)

    async def async_added_to_hass(self) -> None:
        """Restore the last total before following the engine."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._counter.restore(last.native_value)
        self._counter.follow(self.coordinator.data.export_total_kwh)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Add the engine's increment, then write the state when it is worth a row."""
        self._counter.follow(self.coordinator.data.export_total_kwh)
        if self._writes.due(self.coordinator.data.now, self.native_value, self.available):
            super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Unavailable while the meter it is integrated from is (after a minute)."""
        return super().available and self.coordinator.meter_available

    @property
    def native_value(self) -> float | None:
        """The monotonic total in kWh."""
        return self._counter.value

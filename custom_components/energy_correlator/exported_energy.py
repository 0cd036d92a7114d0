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

import math

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
        self._total: float | None = None
        self._engine_last: float | None = None
        self._writes = WriteGate(ENERGY)

    async def async_added_to_hass(self) -> None:
        """Restore the last total before following the engine."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and last.native_value is not None:
            try:
                total = float(last.native_value)  # type: ignore[arg-type]
            except TypeError, ValueError:
                total = math.nan
            self._total = total if math.isfinite(total) and total >= 0.0 else None
        self._follow_engine()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Add the engine's increment, then write the state when it is worth a row."""
        self._follow_engine()
        if self._writes.due(self.coordinator.data.now, self.native_value, self.available):
            super()._handle_coordinator_update()

    def _follow_engine(self) -> None:
        engine_kwh = self.coordinator.data.export_total_kwh
        if not math.isfinite(engine_kwh):
            return  # never add what Home Assistant could not show (a corrupted store)
        if self._engine_last is None:
            # The store and the restored state may disagree (a crash between saves): the larger
            # one is the newer; nothing is counted twice.
            self._total = max(self._total or 0.0, engine_kwh)
        elif engine_kwh >= self._engine_last:
            self._total = (self._total or 0.0) + engine_kwh - self._engine_last
        else:  # the engine's counter started over (reset_statistics)
            self._total = (self._total or 0.0) + max(engine_kwh, 0.0)
        self._engine_last = engine_kwh

    @property
    def available(self) -> bool:
        """Unavailable while the meter it is integrated from is (after a minute)."""
        return super().available and self.coordinator.meter_available

    @property
    def native_value(self) -> float | None:
        """The monotonic total in kWh."""
        return None if self._total is None else round(self._total, 4)

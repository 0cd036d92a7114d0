"""Per-device sensors: learned power, estimated power and estimated energy of a watched device.

They appear once the engine has a confident profile of the device, come back at startup from the
entity registry (so the energy sensor restores and keeps counting before the first refresh lists
the device), and sit on the watched device's own device page.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import EnergyCorrelatorCoordinator
from .data import DeviceData, EnergyCorrelatorConfigEntry
from .entity import EnergyCorrelatorDeviceEntity, finite_state
from .monotonic_total import MonotonicTotal
from .unique_ids import device_source, source_entity_id, source_key
from .write_policy import ENERGY, POWER, WriteGate

# A profile this sure (0..1) earns the device its own sensors.
MIN_CONFIDENCE = 0.5

ATTR_SOURCE_ENTITY_ID = "source_entity_id"


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _profile_attrs(device: DeviceData) -> Mapping[str, Any]:
    profile = device.profile
    attrs: dict[str, Any] = {
        "kind": str(profile.kind),
        "events": profile.events,
        "confidence": round(profile.confidence, 3),
        "on_delta_w": _round(profile.on_delta_w),
        "off_delta_w": _round(profile.off_delta_w),
        "spread_w": _round(profile.spread_w),
        "standby_w": _round(profile.standby_w),
        "uncertainty_w": _round(profile.uncertainty_w),
        "modes": [
            {"power_w": _round(mode.power_w), "events": mode.events, "share": mode.share}
            for mode in profile.modes
        ],
    }
    if profile.reference_power_w is not None:
        attrs["reference_power_w"] = _round(profile.reference_power_w)
    if profile.validation_error_pct is not None:
        attrs["validation_error_pct"] = _round(profile.validation_error_pct)
    return attrs


@dataclass(frozen=True, kw_only=True)
class DeviceSensorDescription(SensorEntityDescription):
    """A sensor about one watched device, read from its `DeviceData`."""

    value_fn: Callable[[DeviceData], StateType]
    attr_fn: Callable[[DeviceData], Mapping[str, Any]] = lambda _: {}


LEARNED_POWER = DeviceSensorDescription(
    key="learned_power",
    translation_key="learned_power",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
    value_fn=lambda d: _round(d.profile.learned_power_w),
    attr_fn=_profile_attrs,
)
ESTIMATED_POWER = DeviceSensorDescription(
    key="estimated_power",
    translation_key="estimated_power",
    device_class=SensorDeviceClass.POWER,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfPower.WATT,
    suggested_display_precision=0,
    value_fn=lambda d: _round(d.estimated_power_w),
)
ESTIMATED_ENERGY = SensorEntityDescription(
    key="estimated_energy",
    translation_key="estimated_energy",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=3,
)


def is_confident(device: DeviceData) -> bool:
    """Whether a device has earned its own sensors."""
    profile = device.profile
    return profile.learned_power_w is not None and profile.confidence >= MIN_CONFIDENCE


@callback
def async_setup_device_sensors(
    hass: HomeAssistant,
    entry: EnergyCorrelatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the per-device sensors known from the registry and from data, then follow new ones."""
    coordinator = entry.runtime_data.coordinator
    ent_reg = er.async_get(hass)
    known: set[str] = set()

    def _create(source: str, entity_id: str) -> list[SensorEntity]:
        known.add(source)
        entities: list[SensorEntity] = [
            DeviceSensor(coordinator, LEARNED_POWER, source, entity_id),
            DeviceSensor(coordinator, ESTIMATED_POWER, source, entity_id),
            EstimatedEnergySensor(coordinator, ESTIMATED_ENERGY, source, entity_id),
        ]
        for entity in entities:  # removed (relearn, source gone): may be created again
            entity.async_on_remove(lambda: known.discard(source))
        return entities

    restored: list[SensorEntity] = []
    for reg_entry in er.async_entries_for_config_entry(ent_reg, entry.entry_id):
        if reg_entry.domain != SENSOR_DOMAIN:
            continue
        source = device_source(entry, reg_entry.unique_id)
        if source is None or source in known:
            continue
        if (entity_id := source_entity_id(hass, source)) is not None:
            restored.extend(_create(source, entity_id))
    if restored:
        async_add_entities(restored)

    @callback
    def _async_add_learned() -> None:
        new: list[SensorEntity] = []
        for entity_id, device in coordinator.data.devices.items():
            if not is_confident(device):
                continue
            if (source := source_key(hass, entity_id)) not in known:
                new.extend(_create(source, entity_id))
        if new:
            async_add_entities(new)

    _async_add_learned()
    entry.async_on_unload(coordinator.async_add_listener(_async_add_learned))


class DeviceSensor(EnergyCorrelatorDeviceEntity, SensorEntity):
    """Learned or estimated power of one watched device."""

    entity_description: DeviceSensorDescription
    _writes: WriteGate | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it is worth a row (write_policy.py)."""
        if self._writes is None:
            self._writes = WriteGate(POWER)
        attrs = (self.available, self.extra_state_attributes)
        if self._writes.due(self.coordinator.data.now, self.native_value, attrs):
            super()._handle_coordinator_update()

    @property
    def native_value(self) -> StateType:
        """Unknown while the engine has no profile (e.g. right after a relearn)."""
        if (device := self.device_data) is None:
            return None
        return finite_state(self.entity_description.value_fn(device))

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The source entity, plus what the description adds."""
        attrs: dict[str, Any] = {ATTR_SOURCE_ENTITY_ID: self.source_entity_id}
        if (device := self.device_data) is not None:
            attrs.update(self.entity_description.attr_fn(device))
        return attrs


class EstimatedEnergySensor(EnergyCorrelatorDeviceEntity, RestoreSensor):
    """Estimated energy of one device: restored at startup and never decreasing.

    The engine's own counter may start over (relearn, lost storage); this sensor only adds the
    engine's increments to what it had, so the Energy dashboard sees one monotonic meter.
    """

    def __init__(
        self,
        coordinator: EnergyCorrelatorCoordinator,
        description: SensorEntityDescription,
        source: str,
        entity_id: str,
    ) -> None:
        """Start empty; the total comes from the restored state or the engine."""
        super().__init__(coordinator, description, source, entity_id)
        self._counter = MonotonicTotal()
        self._writes = WriteGate(ENERGY)

    async def async_added_to_hass(self) -> None:
        """Restore the last total before the first update."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is not None:
            self._counter.restore(last.native_value)
        self._follow_engine()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Add the engine's increment, then write the state when it is worth a row."""
        self._follow_engine()
        attrs = (self.available, self.extra_state_attributes)
        if self._writes.due(self.coordinator.data.now, self.native_value, attrs):
            super()._handle_coordinator_update()

    def _follow_engine(self) -> None:
        if (device := self.device_data) is not None:
            self._counter.follow(device.energy_kwh)

    @property
    def native_value(self) -> float | None:
        """The monotonic total in kWh."""
        return self._counter.value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The source entity."""
        return {ATTR_SOURCE_ENTITY_ID: self.source_entity_id}

"""The base entity of a meter: one service device per meter (physical or virtual)."""

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from ..const import DOMAIN
from .coordinator import UtilityCoordinator
from .data import MeterSnapshot

MODELS = {
    "electricity": "Electricity meter",
    "gas": "Gas meter",
    "water": "Water meter",
    "heat": "Heat meter",
}


class MeterEntity(CoordinatorEntity[UtilityCoordinator]):
    """An entity of one meter's device; its unique id is the subentry id and the key."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: UtilityCoordinator, subentry_id: str, description: EntityDescription
    ) -> None:
        """Describe the entity and link it to the meter's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.subentry_id = subentry_id
        snapshot = coordinator.data.meters[subentry_id]
        self._attr_unique_id = f"{subentry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, subentry_id)},
            name=snapshot.name,
            entry_type=DeviceEntryType.SERVICE,
            manufacturer="Energy Correlator",
            model="Virtual meter" if snapshot.virtual else MODELS[str(snapshot.kind)],
        )

    @property
    def available(self) -> bool:
        """A virtual meter missing a part is unavailable, not a made-up value (its repair
        issue tells why)."""
        return super().available and not self.snapshot.missing_parts

    @property
    def snapshot(self) -> MeterSnapshot:
        """The meter in the coordinator's latest snapshot."""
        return self.coordinator.data.meters[self.subentry_id]

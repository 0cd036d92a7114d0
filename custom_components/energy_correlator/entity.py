"""Shared base entities: the integration's own service device, and per-device entities that
join the watched device's own device (the helper way, through `device_entry`)."""

import math

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device import async_entity_id_to_device
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import EnergyCorrelatorCoordinator
from .data import DeviceData
from .meters.config_flow import is_utility_entry
from .unique_ids import device_unique_id, service_unique_id


def finite_state(value: StateType) -> StateType:
    """A state Home Assistant accepts: a non-finite number is unknown, never NaN or inf."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def service_device_info(entry: ConfigEntry) -> DeviceInfo:
    """The one service device each entry owns."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name=entry.title,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="Energy Correlator",
        model="Power correlation",
    )


class EnergyCorrelatorEntity(CoordinatorEntity[EnergyCorrelatorCoordinator]):
    """An entity of the integration's own service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: EnergyCorrelatorCoordinator, description: EntityDescription
    ) -> None:
        """Describe the entity and link it to the entry's service device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = service_unique_id(entry, description.key)
        self._attr_device_info = service_device_info(entry)


class EnergyCorrelatorDeviceEntity(CoordinatorEntity[EnergyCorrelatorCoordinator]):
    """An entity about one watched device, shown on that device's own page ("Kettle Estimated
    energy"), or standing alone as "Kettle estimated energy" when the source has no device.

    It remembers the source by entity-registry id, so it keeps its unique id and history when the
    user renames the source, and reads the engine's data under whatever the entity id is now.
    """

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: EnergyCorrelatorCoordinator,
        description: EntityDescription,
        source: str,
        entity_id: str,
    ) -> None:
        """Create it for `source` (registry id or entity id) whose entity id is `entity_id`."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._source = source
        self._last_entity_id = entity_id
        self._attr_unique_id = device_unique_id(entry, source, description.key)
        placeholders: dict[str, str] = {}
        if (device := async_entity_id_to_device(coordinator.hass, entity_id)) is not None:
            self.device_entry = device
            key = str(description.translation_key)
        else:
            # Without a device of its own the entity stands alone (like a helper without a
            # source device): on our meter-named service device it would read "Home power Kettle
            # estimated energy" everywhere. Its name says which device it is about.
            key = f"{description.translation_key}_named"
            placeholders["source"] = self._source_name(entity_id)
        if _other_power_entries(coordinator.hass, entry):
            # Two meters may both watch the kettle: each entry's sensors name their meter.
            key = f"{key}_by_meter"
            placeholders["meter"] = entry.title
        self._attr_translation_key = key
        if placeholders:
            self._attr_translation_placeholders = placeholders

    def _source_name(self, entity_id: str) -> str:
        """Friendly name of the source, for entities that cannot join its device."""
        if (state := self.coordinator.hass.states.get(entity_id)) is not None:
            return state.name
        return entity_id

    @property
    def source_entity_id(self) -> str:
        """The source's current entity id (follows renames through the registry)."""
        if (entry := er.async_get(self.coordinator.hass).async_get(self._source)) is not None:
            self._last_entity_id = entry.entity_id
        return self._last_entity_id

    @property
    def device_data(self) -> DeviceData | None:
        """What the coordinator knows about the source now."""
        return self.coordinator.data.devices.get(self.source_entity_id)


def _other_power_entries(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Whether another power-meter entry exists (the utility-meter entry does not count)."""
    return any(
        other.entry_id != entry.entry_id and not is_utility_entry(other)
        for other in hass.config_entries.async_entries(DOMAIN)
    )

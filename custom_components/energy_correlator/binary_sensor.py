"""Alerts worth an automation: a high standby load at night, and sustained high consumption."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    DEFAULT_HIGH_POWER_DURATION_S,
    DEFAULT_HIGH_POWER_W,
    DEFAULT_PHANTOM_THRESHOLD_W,
    OPT_HIGH_POWER_DURATION_S,
    OPT_HIGH_POWER_W,
    OPT_PHANTOM_THRESHOLD_W,
)
from .data import CorrelatorData, EnergyCorrelatorConfigEntry
from .entity import EnergyCorrelatorEntity
from .meters.binary_sensor import async_setup_utility_binary_sensors
from .meters.config_flow import is_utility_entry
from .meters.data import UtilityConfigEntry
from .write_policy import WriteGate

PARALLEL_UPDATES = 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True, kw_only=True)
class CorrelatorBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor read from the coordinator's snapshot."""

    is_on_fn: Callable[[CorrelatorData], bool | None]
    attr_fn: Callable[[CorrelatorData, Mapping[str, Any]], Mapping[str, Any]]
    needs_meter: bool = False  # unavailable while the meter is (after a minute)


BINARY_SENSORS: tuple[CorrelatorBinarySensorDescription, ...] = (
    CorrelatorBinarySensorDescription(
        key="phantom_load",
        translation_key="phantom_load",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda d: d.phantom_load,
        attr_fn=lambda d, options: {
            "standby_baseline_w": _round(d.standby_baseline_w),
            "threshold_w": options.get(OPT_PHANTOM_THRESHOLD_W, DEFAULT_PHANTOM_THRESHOLD_W),
        },
    ),
    CorrelatorBinarySensorDescription(
        key="high_consumption",
        translation_key="high_consumption",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda d: d.high_consumption,
        needs_meter=True,
        attr_fn=lambda d, options: {
            "power_w": _round(d.meter_power_w),
            "threshold_w": options.get(OPT_HIGH_POWER_W, DEFAULT_HIGH_POWER_W),
            "duration_s": options.get(OPT_HIGH_POWER_DURATION_S, DEFAULT_HIGH_POWER_DURATION_S),
        },
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyCorrelatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of the service device."""
    if is_utility_entry(entry):
        await async_setup_utility_binary_sensors(
            hass, cast(UtilityConfigEntry, entry), async_add_entities
        )
        return
    coordinator = entry.runtime_data.coordinator
    async_add_entities(
        CorrelatorBinarySensor(coordinator, description) for description in BINARY_SENSORS
    )


class CorrelatorBinarySensor(EnergyCorrelatorEntity, BinarySensorEntity):
    """A binary sensor whose state is a function of the coordinator's snapshot."""

    entity_description: CorrelatorBinarySensorDescription
    # The meter's power changes on every beat: shown for automations, not recorded; its own
    # changes are written with the state or every few minutes (write_policy.py).
    _unrecorded_attributes = frozenset({"power_w"})
    _writes: WriteGate | None = None

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it is worth a row."""
        if self._writes is None:
            self._writes = WriteGate(None)
        attrs = dict(self.extra_state_attributes)
        volatile = attrs.pop("power_w", None)
        if self._writes.due(
            self.coordinator.data.now, self.is_on, (self.available, attrs), volatile
        ):
            super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Unavailable while the meter it is computed from is."""
        return super().available and (
            not self.entity_description.needs_meter or self.coordinator.meter_available
        )

    @property
    def is_on(self) -> bool | None:
        """The description's state (unknown until the engine can tell)."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The value behind the state and the configured thresholds."""
        return self.entity_description.attr_fn(
            self.coordinator.data, self.coordinator.config_entry.options
        )

"""Per-meter anomaly: on when the latest complete day was unusual (at least two of three tests)."""

from collections.abc import Mapping
from typing import Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .data import UtilityConfigEntry
from .entity import MeterEntity

ANOMALY = BinarySensorEntityDescription(
    key="anomaly",
    translation_key="meter_anomaly",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_utility_binary_sensors(
    hass: HomeAssistant,
    entry: UtilityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """One anomaly sensor per meter, on its own subentry."""
    coordinator = entry.runtime_data.coordinator
    for subentry_id in coordinator.data.meters:
        async_add_entities(
            [MeterAnomalySensor(coordinator, subentry_id, ANOMALY)],
            config_subentry_id=subentry_id,
        )


class MeterAnomalySensor(MeterEntity, BinarySensorEntity):
    """Unknown until enough complete days exist to judge."""

    @property
    def is_on(self) -> bool | None:
        """Whether the latest complete day is an anomaly."""
        snapshot = self.snapshot
        if not snapshot.anomaly_judged:
            return None
        return snapshot.anomaly is not None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The anomalous day's value, the expected range and the tests that fired."""
        snapshot = self.snapshot
        anomaly = snapshot.anomaly or snapshot.latest_anomaly
        if anomaly is None:
            return {
                "day": None,
                "value": None,
                "expected_low": None,
                "expected_high": None,
                "methods": [],
            }
        return {
            "day": anomaly.day.isoformat(),
            "value": round(anomaly.value, 4),
            "expected_low": round(anomaly.expected_low, 4),
            "expected_high": round(anomaly.expected_high, 4),
            "methods": list(anomaly.methods),
            "unit": snapshot.unit,
        }

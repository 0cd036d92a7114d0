"""Per-meter sensors: consumption today / this month / last month, cost, days since a reading.

Today and this month are `total` with a `last_reset` at the start of the local day / month: a
late reading may lower them (interpolation spreads it), which `total_increasing` would take as
a reset. Last month is a finished figure with no state class. The Energy dashboard should use
the meter's external statistic (interpolated per hour), not these sensors.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from ..consumption import MeterKind
from ..entity import finite_state
from .coordinator import UtilityCoordinator
from .data import MeterSnapshot, UtilityConfigEntry
from .entity import MeterEntity
from .importer import meter_statistic_id

DEVICE_CLASSES = {
    MeterKind.ELECTRICITY: SensorDeviceClass.ENERGY,
    MeterKind.HEAT: SensorDeviceClass.ENERGY,
    MeterKind.GAS: SensorDeviceClass.GAS,
    MeterKind.WATER: SensorDeviceClass.WATER,
}


@dataclass(frozen=True, kw_only=True)
class MeterSensorDescription(SensorEntityDescription):
    """A sensor of a meter, read from its snapshot."""

    value_fn: Callable[[MeterSnapshot], StateType]
    attr_fn: Callable[[MeterSnapshot], Mapping[str, Any] | None] = lambda _: None
    exists_fn: Callable[[MeterSnapshot], bool] = lambda _: True
    consumption: bool = False  # device class and unit of the meter
    currency: bool = False
    resets: Literal["day", "month"] | None = None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _cost_attrs(snapshot: MeterSnapshot) -> Mapping[str, Any] | None:
    cost = snapshot.cost
    if cost is None:
        return None
    return {
        "price": cost.price,
        "price_entity": cost.price_entity,
        "price_unavailable": cost.unavailable_reason,
        "priced_since": None
        if cost.priced_since is None
        else dt_util.utc_from_timestamp(cost.priced_since).isoformat(),
    }


def _consumption_attrs(snapshot: MeterSnapshot, estimated: bool) -> Mapping[str, Any]:
    attrs: dict[str, Any] = {
        "estimated": estimated,
        "statistic_id": meter_statistic_id(snapshot.subentry_id),
    }
    if snapshot.virtual:
        attrs["clamped_total"] = _round(snapshot.clamped_total)
    return attrs


SENSORS: tuple[MeterSensorDescription, ...] = (
    MeterSensorDescription(
        key="consumption_today",
        translation_key="consumption_today",
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        consumption=True,
        resets="day",
        value_fn=lambda s: _round(s.totals.today),
        attr_fn=lambda s: _consumption_attrs(s, s.totals.today_estimated),
    ),
    MeterSensorDescription(
        key="consumption_this_month",
        translation_key="consumption_this_month",
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=1,
        consumption=True,
        resets="month",
        value_fn=lambda s: _round(s.totals.this_month),
        attr_fn=lambda s: _consumption_attrs(s, s.totals.this_month_estimated),
    ),
    MeterSensorDescription(
        key="consumption_last_month",
        translation_key="consumption_last_month",
        suggested_display_precision=1,
        consumption=True,
        value_fn=lambda s: _round(s.totals.last_month),
    ),
    MeterSensorDescription(
        key="cost_today",
        translation_key="cost_today",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        currency=True,
        resets="day",
        value_fn=lambda s: None if s.cost is None else _round(s.cost.today),
        attr_fn=_cost_attrs,
        exists_fn=lambda s: s.cost is not None,
    ),
    MeterSensorDescription(
        key="cost_this_month",
        translation_key="cost_this_month",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        currency=True,
        resets="month",
        value_fn=lambda s: None if s.cost is None else _round(s.cost.this_month),
        attr_fn=_cost_attrs,
        exists_fn=lambda s: s.cost is not None,
    ),
    MeterSensorDescription(
        key="days_since_reading",
        translation_key="days_since_reading",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        suggested_display_precision=1,
        value_fn=lambda s: _round(s.days_since_reading, 2),
        attr_fn=lambda s: {
            "last_reading": None if s.last_reading is None else s.last_reading.value,
            "last_reading_time": None
            if s.last_reading is None
            else dt_util.utc_from_timestamp(s.last_reading.ts).isoformat(),
        },
        exists_fn=lambda s: not s.virtual,
    ),
)


async def async_setup_utility_sensors(
    hass: HomeAssistant,
    entry: UtilityConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Each meter's sensors, on its own subentry."""
    coordinator = entry.runtime_data.coordinator
    for subentry_id, snapshot in coordinator.data.meters.items():
        async_add_entities(
            (
                MeterSensor(coordinator, subentry_id, description)
                for description in SENSORS
                if description.exists_fn(snapshot)
            ),
            config_subentry_id=subentry_id,
        )


class MeterSensor(MeterEntity, SensorEntity):
    """A sensor whose state is a function of its meter's snapshot."""

    entity_description: MeterSensorDescription

    def __init__(
        self,
        coordinator: UtilityCoordinator,
        subentry_id: str,
        description: MeterSensorDescription,
    ) -> None:
        """Units and device class from the meter (consumption) or the currency (cost)."""
        super().__init__(coordinator, subentry_id, description)
        snapshot = self.snapshot
        if description.consumption:
            self._attr_device_class = DEVICE_CLASSES[snapshot.kind]
            self._attr_native_unit_of_measurement = snapshot.unit
        if description.currency:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency

    @property
    def native_value(self) -> StateType:
        """The description's value; an overflow (absurd readings) is unknown, not inf."""
        return finite_state(self.entity_description.value_fn(self.snapshot))

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The description's attributes."""
        return self.entity_description.attr_fn(self.snapshot)

    @property
    def last_reset(self) -> datetime | None:
        """Start of the local day or month for `total` sensors."""
        if (resets := self.entity_description.resets) is None:
            return None
        now = dt_util.as_local(dt_util.utc_from_timestamp(self.coordinator.data.now))
        start = dt_util.start_of_local_day(now)
        return start.replace(day=1) if resets == "month" else start

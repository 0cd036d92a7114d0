"""Sensors of the integration's own device; per-device sensors come from device_sensor.py."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfEnergy, UnitOfPower
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .const import CONF_METER
from .coordinator import EnergyCorrelatorCoordinator
from .data import CorrelatorData, EnergyCorrelatorConfigEntry
from .device_sensor import async_setup_device_sensors
from .entity import EnergyCorrelatorEntity, finite_state
from .exported_energy import ExportedEnergySensor
from .influx import SinkStats
from .meters.config_flow import is_utility_entry
from .meters.data import UtilityConfigEntry
from .meters.sensor import async_setup_utility_sensors
from .write_policy import BACKLOG, ENERGY, MONEY, POWER, RATE_PCT, WriteGate, WritePolicy

PARALLEL_UPDATES = 0

TOP_CONSUMERS_SHOWN = 10


@dataclass(frozen=True, kw_only=True)
class CorrelatorSensorDescription(SensorEntityDescription):
    """A sensor of the service device, read from the coordinator's snapshot."""

    value_fn: Callable[[CorrelatorData], StateType]
    attr_fn: Callable[[CorrelatorData], Mapping[str, Any] | None] = lambda _: None
    exists_fn: Callable[[CorrelatorData], bool] = lambda _: True
    resets: Literal["month"] | None = None  # state_class TOTAL with last_reset
    currency: bool = False  # unit is hass.config.currency
    friendly_state: bool = False  # the value is an entity id: show its friendly name
    write_policy: WritePolicy | None = None  # None: every change is written
    volatile_attributes: bool = False  # attributes change on every beat: not recorded
    # Computed from the meter's readings: unavailable while the meter is (after a minute).
    needs_meter_fn: Callable[[EnergyCorrelatorCoordinator], bool] = lambda _: False
    device_attr: bool = False  # add "device": the friendly name of the "entity_id" attribute
    meter_attr: bool = False  # add "meter_entity_id" (the dashboard's "current power")


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def _last_correlation_attrs(data: CorrelatorData) -> Mapping[str, Any] | None:
    if (corr := data.last_correlation) is None:
        return None
    delta = corr.power_delta_w
    return {
        "entity_id": corr.entity_id,
        # What the sign of the state means, in words (translated state attribute).
        "direction": None if delta is None else ("increase" if delta >= 0 else "decrease"),
        "domain": corr.domain,
        "kind": str(corr.kind),
        "previous_state": corr.previous_state,
        "state": corr.state,
        "power_before_w": _round(corr.power_before_w, 1),
        "power_after_w": _round(corr.power_after_w, 1),
        "power_delta_pct": _round(corr.power_delta_pct, 1),
        "confidence": round(corr.confidence, 3),
        "status": str(corr.status),
        "time": dt_util.utc_from_timestamp(corr.ts).isoformat(),
    }


def _top_consumer_attrs(data: CorrelatorData) -> Mapping[str, Any]:
    price = data.price_per_kwh
    return {
        "top_consumers": [
            {
                "entity_id": row.entity_id,
                "learned_power_w": round(row.learned_power_w, 1),
                "kwh_per_month": _round(row.kwh_per_month, 3),
                "cost_per_month": None
                if price is None or row.kwh_per_month is None
                else round(row.kwh_per_month * price, 2),
                "observed_days": round(row.observed_days, 3),
            }
            for row in data.top_consumers[:TOP_CONSUMERS_SHOWN]
        ]
    }


def _has_sink(data: CorrelatorData) -> bool:
    return data.sink is not None


def _from_meter(_coordinator: EnergyCorrelatorCoordinator) -> bool:
    return True


def _power(
    key: str, value_fn: Callable[[CorrelatorData], StateType], *, from_meter: bool = True
) -> CorrelatorSensorDescription:
    return CorrelatorSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=value_fn,
        write_policy=POWER,
        needs_meter_fn=_from_meter if from_meter else lambda _: False,
    )


def _sink(
    key: str,
    value_fn: Callable[[SinkStats], StateType],
    *,
    state_class: SensorStateClass | None = None,
    enabled_default: bool = True,
    percent: bool = False,
    write_policy: WritePolicy | None = None,
) -> CorrelatorSensorDescription:
    """A diagnostic sensor of the InfluxDB sink; only entries that write to InfluxDB have one."""
    return CorrelatorSensorDescription(
        key=key,
        translation_key=key,
        state_class=state_class,
        native_unit_of_measurement=PERCENTAGE if percent else None,
        suggested_display_precision=1 if percent else None,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=enabled_default,
        value_fn=lambda d: None if d.sink is None else value_fn(d.sink),
        exists_fn=_has_sink,
        write_policy=write_policy,
    )


def _counter(
    key: str, value_fn: Callable[[CorrelatorData], StateType]
) -> CorrelatorSensorDescription:
    return CorrelatorSensorDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value_fn,
    )


SENSORS: tuple[CorrelatorSensorDescription, ...] = (
    CorrelatorSensorDescription(
        key="untracked_power",
        translation_key="untracked_power",
        device_class=SensorDeviceClass.POWER,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda d: _round(d.untracked_power_w, 1),
        meter_attr=True,
        needs_meter_fn=_from_meter,
        write_policy=POWER,
    ),
    CorrelatorSensorDescription(
        key="daily_energy",
        translation_key="daily_energy",
        device_class=SensorDeviceClass.ENERGY,
        # Like utility_meter's daily cycle: a drop at local midnight starts a new cycle.
        state_class=SensorStateClass.TOTAL_INCREASING,
        native_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
        suggested_display_precision=2,
        value_fn=lambda d: _round(d.daily_energy_kwh, 4),
        write_policy=ENERGY,
        needs_meter_fn=lambda c: not c.has_energy_sensor,  # else it follows the energy sensor
    ),
    _power("peak_power", lambda d: _round(d.peak_power_w, 1)),
    # Last complete night's standby: still true while the meter is away.
    _power("standby_baseline", lambda d: _round(d.standby_baseline_w, 1), from_meter=False),
    CorrelatorSensorDescription(
        key="correlations_found",
        translation_key="correlations_found",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda d: d.stats.correlations,
    ),
    CorrelatorSensorDescription(
        key="last_correlation",
        translation_key="last_correlation",
        device_class=SensorDeviceClass.POWER,
        native_unit_of_measurement=UnitOfPower.WATT,
        suggested_display_precision=0,
        value_fn=lambda d: (
            None if d.last_correlation is None else _round(d.last_correlation.power_delta_w, 1)
        ),
        attr_fn=_last_correlation_attrs,
        device_attr=True,
    ),
    CorrelatorSensorDescription(
        key="top_consumer",
        translation_key="top_consumer",
        value_fn=lambda d: d.top_consumers[0].entity_id if d.top_consumers else None,
        attr_fn=_top_consumer_attrs,
        friendly_state=True,
        volatile_attributes=True,  # kWh/month include the open interval
    ),
    CorrelatorSensorDescription(
        key="cost_month",
        translation_key="cost_month",
        device_class=SensorDeviceClass.MONETARY,
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        value_fn=lambda d: _round(d.cost_month, 4),
        resets="month",
        currency=True,
        write_policy=MONEY,
        needs_meter_fn=_from_meter,
    ),
    # Diagnostics.
    _counter("events_processed", lambda d: d.stats.events),
    CorrelatorSensorDescription(
        key="correlation_rate",
        translation_key="correlation_rate",
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Unknown until an event was correlated: 0 % would claim every event failed.
        value_fn=lambda d: round(d.stats.correlation_rate_pct, 2) if d.stats.correlations else None,
    ),
    _counter("skipped_overlap", lambda d: d.stats.skipped_overlap),
    _counter("skipped_gap", lambda d: d.stats.skipped_gap),
    _counter("skipped_low_confidence", lambda d: d.stats.skipped_low_confidence),
    _sink(
        "sink_points_written",
        lambda sink: sink.points_written,
        state_class=SensorStateClass.TOTAL_INCREASING,
        enabled_default=False,  # changes with every batch
    ),
    _sink(
        "sink_points_pending",
        lambda sink: sink.points_pending,
        state_class=SensorStateClass.MEASUREMENT,
        write_policy=BACKLOG,  # points in flight come and go with every flush
    ),
    _sink(
        "sink_points_dropped",
        lambda sink: sink.points_dropped,
        state_class=SensorStateClass.TOTAL_INCREASING,
    ),
    _sink(
        "sink_last_error",
        lambda sink: (sink.last_error or "")[:255] or None,
        enabled_default=False,
    ),
    _sink(
        "sink_success_rate",
        lambda sink: _round(sink.success_pct, 2),
        state_class=SensorStateClass.MEASUREMENT,
        percent=True,
        write_policy=RATE_PCT,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EnergyCorrelatorConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the service device's sensors, then the per-device ones (now and as they are learned)."""
    if is_utility_entry(entry):
        await async_setup_utility_sensors(hass, cast(UtilityConfigEntry, entry), async_add_entities)
        return
    coordinator = entry.runtime_data.coordinator
    has_sink = entry.runtime_data.sink is not None
    if not has_sink:
        _async_remove_sink_sensors(hass, entry)
    async_add_entities(
        CorrelatorSensor(coordinator, description)
        for description in SENSORS
        if has_sink or description.exists_fn(coordinator.data)
    )
    async_add_entities([ExportedEnergySensor(coordinator)])
    async_setup_device_sensors(hass, entry, async_add_entities)


def _async_remove_sink_sensors(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> None:
    """InfluxDB was turned off: its sensors leave the entity registry (not left unavailable)."""
    sink_keys = {d.translation_key for d in SENSORS if d.exists_fn is _has_sink}
    registry = er.async_get(hass)
    for registry_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registry_entry.domain == "sensor" and registry_entry.translation_key in sink_keys:
            registry.async_remove(registry_entry.entity_id)


class CorrelatorSensor(EnergyCorrelatorEntity, SensorEntity):
    """A sensor whose state is a function of the coordinator's snapshot."""

    entity_description: CorrelatorSensorDescription
    # Big and changing on almost every beat: shown, not kept in the recorder's database.
    _unrecorded_attributes = frozenset({"top_consumers"})

    def __init__(
        self, coordinator: EnergyCorrelatorCoordinator, description: CorrelatorSensorDescription
    ) -> None:
        """Set the currency unit where the description asks for it."""
        super().__init__(coordinator, description)
        if description.currency:
            self._attr_native_unit_of_measurement = coordinator.hass.config.currency
        self._writes = WriteGate(description.write_policy)
        self._needs_meter = description.needs_meter_fn(coordinator)

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it is worth a row (write_policy.py)."""
        attrs = self.extra_state_attributes
        volatile = self.entity_description.volatile_attributes
        if self._writes.due(
            self.coordinator.data.now,
            self.native_value,
            (self.available, self.last_reset, None if volatile else attrs),
            attrs if volatile else None,
        ):
            super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Unavailable while the meter it is computed from is."""
        return super().available and (not self._needs_meter or self.coordinator.meter_available)

    @property
    def native_value(self) -> StateType:
        """The description's value; entity ids shown by their friendly names."""
        value = finite_state(self.entity_description.value_fn(self.coordinator.data))
        if (
            self.entity_description.friendly_state
            and isinstance(value, str)
            and (state := self.hass.states.get(value)) is not None
        ):
            return state.name
        return value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        """The description's attributes (with the device's name where the description asks)."""
        attrs = self.entity_description.attr_fn(self.coordinator.data)
        if self.entity_description.meter_attr:
            return {
                **(attrs or {}),
                "meter_entity_id": self.coordinator.config_entry.data[CONF_METER],
            }
        if not self.entity_description.device_attr or attrs is None:
            return attrs
        entity_id = attrs["entity_id"]
        state = self.hass.states.get(entity_id)
        return {"device": state.name if state is not None else entity_id, **attrs}

    @property
    def last_reset(self) -> datetime | None:
        """Start of the local month for the monthly cost (state_class total)."""
        if self.entity_description.resets != "month":
            return None
        now = dt_util.as_local(dt_util.utc_from_timestamp(self.coordinator.data.now))
        return dt_util.start_of_local_day(now.replace(day=1))

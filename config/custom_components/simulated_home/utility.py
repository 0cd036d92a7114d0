"""Utility meters of the simulated home, so `scripts/develop` shows the utility-meter wing.

- `sensor.gas_meter`: a gas meter read every hour (m³, total_increasing); heating in the
  morning and evening, more in winter.
- `sensor.water_meter`: a water meter read by a camera once a day (06:00 UTC) that misses about a
  third of the days (m³, total_increasing): the gaps the utility wing fills honestly.
The manual-reading helper (`input_number.cellar_gas_reading`) lives in configuration.yaml.
Totals start from fixed values and grow with HA's clock, so frozen time in tests moves them.
"""

from collections.abc import Callable
from datetime import datetime
import math
import random

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import UnitOfVolume
from homeassistant.core import CALLBACK_TYPE, HassJob, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from . import DOMAIN, now_s

GAS_START_M3 = 4321.0
WATER_START_M3 = 812.0
WATER_MISSED_SHARE = 0.35
HOUR_S = 3600.0


def gas_m3_per_hour(ts: float) -> float:
    """The home's gas use in the hour starting at `ts`: a base, heating peaks, a season."""
    local = dt_util.as_local(dt_util.utc_from_timestamp(ts))
    winter = 0.5 + 0.5 * math.cos(2 * math.pi * (local.timetuple().tm_yday - 15) / 365)
    heating = 0.45 if 6 <= local.hour < 9 or 17 <= local.hour < 22 else 0.08
    return 0.03 + heating * (0.3 + 0.7 * winter)


def water_m3_per_hour(ts: float) -> float:
    """Water: showers in the morning, cooking and dishes in the evening, little at night."""
    hour = dt_util.as_local(dt_util.utc_from_timestamp(ts)).hour
    if 6 <= hour < 9:
        return 0.035
    if 17 <= hour < 22:
        return 0.02
    return 0.002


class CumulativeMeter:
    """A meter's true total since a fixed start, integrated hour by hour up to `now`."""

    def __init__(self, start_total: float, per_hour: Callable[[float], float], now: float) -> None:
        """The meter at `now` (the simulation starts here)."""
        self.total = start_total
        self._per_hour = per_hour
        self._until = now

    def advance(self, now: float) -> float:
        """The total at `now`."""
        rate = self._per_hour
        while self._until < now:
            step = min(HOUR_S - self._until % HOUR_S, now - self._until)
            self.total += rate(self._until) * step / HOUR_S
            self._until += step
        return self.total


class _UtilityMeterSensor(SensorEntity):
    """A cumulative meter sensor that reports when its reader reads it."""

    _attr_should_poll = False
    _attr_state_class = SensorStateClass.TOTAL_INCREASING
    _attr_native_unit_of_measurement = UnitOfVolume.CUBIC_METERS
    _attr_suggested_display_precision = 3
    period_s = HOUR_S  # how often the reader looks
    offset_s = 0.0  # when in the period it looks (seconds after the period's start, UTC)

    def __init__(self, key: str, name: str, meter: CumulativeMeter) -> None:
        """Name and id from the key; the value is read at start."""
        self._attr_unique_id = f"{DOMAIN}_{key}"
        self._attr_name = name
        self.meter = meter
        self._attr_native_value = round(meter.advance(now_s()), 3)
        self._cancel: CALLBACK_TYPE | None = None

    async def async_added_to_hass(self) -> None:
        """Start looking (timers end with Home Assistant, like the power meter's)."""
        self._schedule()
        self.async_on_remove(self._stop)

    @callback
    def _stop(self) -> None:
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    @callback
    def _schedule(self) -> None:
        now = now_s()
        due = (now - self.offset_s) // self.period_s * self.period_s + self.period_s + self.offset_s
        job = HassJob(self._look, f"{DOMAIN} {self.entity_id}", cancel_on_shutdown=True)
        self._cancel = async_call_later(self.hass, due - now, job)

    @callback
    def _look(self, _now: datetime) -> None:
        if self.sees():
            self._attr_native_value = round(self.meter.advance(now_s()), 3)
            self.async_write_ha_state()
        self._schedule()

    def sees(self) -> bool:
        """Whether the reader gets a value this time."""
        return True


class GasMeterSensor(_UtilityMeterSensor):
    """Read at the start of every hour."""

    _attr_device_class = SensorDeviceClass.GAS


class WaterMeterSensor(_UtilityMeterSensor):
    """Read by a camera once a day; some days it sees nothing (no report at all)."""

    _attr_device_class = SensorDeviceClass.WATER
    period_s = 24 * HOUR_S
    offset_s = 6 * HOUR_S  # 06:00 UTC: the morning in Europe

    def __init__(self, key: str, name: str, meter: CumulativeMeter, seed: int | None) -> None:
        """The camera's misses are seeded."""
        super().__init__(key, name, meter)
        self.rng = random.Random(seed)

    def sees(self) -> bool:
        """About a third of the days the camera reads nothing."""
        return self.rng.random() >= WATER_MISSED_SHARE


def utility_sensors(seed: int | None) -> list[SensorEntity]:
    """The simulated home's gas and water meters."""
    now = now_s()
    return [
        GasMeterSensor(
            "gas_meter", "Gas meter", CumulativeMeter(GAS_START_M3, gas_m3_per_hour, now)
        ),
        WaterMeterSensor(
            "water_meter",
            "Water meter",
            CumulativeMeter(WATER_START_M3, water_m3_per_hour, now),
            seed,
        ),
    ]

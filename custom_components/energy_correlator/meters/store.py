"""Persistence of the utility meters: readings, replacements, prices seen, anomalies announced.

One file for the utility entry (`.storage/energy_correlator.utility.<entry_id>`): per meter
(subentry id) the core's own `to_dict()` under "meter" and the shell's small state beside it.
Saves are delayed and batched; Home Assistant's final write flushes a pending one.
"""

from typing import Any, TypedDict

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN
from .const import METER_STORAGE_MINOR_VERSION, METER_STORAGE_VERSION


class StoredMeter(TypedDict, total=False):
    """One meter's part of the file."""

    meter: dict[str, Any]  # UtilityMeter.to_dict()
    unit: str  # kWh or m³: the unit of the stored readings
    prices: list[list[float]]  # [ts, price] changes of the price entity
    announced: list[str]  # ISO days whose anomaly event was fired
    learned: bool  # history was read from the recorder once
    weather: dict[str, Any]  # DailyTemperatures.to_dict() of a heating meter's outdoor sensor
    part_names: dict[str, str]  # a virtual meter's parts (subentry id -> name), also deleted
    statistics_version: (
        int  # const.STATISTICS_VERSION its statistics were imported with (absent: 1)
    )


class StoredUtility(TypedDict, total=False):
    """The file's payload."""

    meters: dict[str, StoredMeter]


class MeterStore(Store[StoredUtility]):
    """Typed store with a migration hook for future schema versions."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """One store for the utility entry."""
        super().__init__(
            hass,
            METER_STORAGE_VERSION,
            f"{DOMAIN}.utility.{entry_id}",
            minor_version=METER_STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> StoredUtility:
        """Bring an older file up to date (1.x minor bumps only add keys)."""
        return StoredUtility(meters=dict(old_data.get("meters") or {}))

"""The Energy dashboard in one step: learned devices offered as individual devices.

When devices are learned, a fixable repair issue "Add N learned devices to the Energy dashboard"
appears; its fix flow (repairs.py) adds each one with its estimated energy (`stat_consumption`)
and estimated power (`stat_rate`), never twice. A device is offered only once the recorder has
its energy statistic (a few minutes after its sensors appear), so Home Assistant's own
`energy/validate` has nothing to report about it. New devices offer the issue again, even when
the user ignored it before.
"""

from dataclasses import dataclass
from typing import cast

from homeassistant.components import recorder
from homeassistant.components.energy.data import (
    DeviceConsumption,
    EnergyManager,
    EnergyPreferencesUpdate,
    async_get_manager,
)
from homeassistant.components.recorder.statistics import get_metadata
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .data import EnergyCorrelatorConfigEntry
from .device_sensor import ESTIMATED_ENERGY, ESTIMATED_POWER
from .energy_prefs import async_energy_prefs, device_statistics

ISSUE_PREFIX = "energy_dashboard_devices_"
ISSUE_TRANSLATION_KEY = "energy_dashboard_devices"
ISSUE_TRANSLATION_KEY_ONE = "energy_dashboard_device"  # "Add 1 learned device ..."
# Where `async_get_manager` (a singleton) keeps the manager; read without awaiting it.
_ENERGY_MANAGER_KEY = "energy_manager"
# How often devices waiting for their first statistics are looked at again.
RECHECK_S = 300.0


def issue_id(entry_id: str) -> str:
    """The repair issue of one entry."""
    return f"{ISSUE_PREFIX}{entry_id}"


@dataclass(frozen=True, slots=True, order=True)
class LearnedDevice:
    """One learned device as the Energy dashboard takes it."""

    energy_entity_id: str
    power_entity_id: str | None

    def consumption(self) -> DeviceConsumption:
        """Its entry in the Energy preferences (the name shown is the entity's own)."""
        device = DeviceConsumption(stat_consumption=self.energy_entity_id)
        if self.power_entity_id is not None:
            device["stat_rate"] = self.power_entity_id
        return device


@callback
def learned_devices(hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> list[LearnedDevice]:
    """The entry's per-device energy sensors that have a number now, with their power sensor."""
    ent_reg = er.async_get(hass)
    by_unique_id = {
        reg.unique_id: reg.entity_id
        for reg in er.async_entries_for_config_entry(ent_reg, entry.entry_id)
        if reg.domain == SENSOR_DOMAIN and not reg.disabled
    }
    energy_suffix = f"_{ESTIMATED_ENERGY.key}"
    devices = []
    for unique_id, entity_id in by_unique_id.items():
        if not unique_id.endswith(energy_suffix) or not _has_number(hass, entity_id):
            continue
        power_unique_id = unique_id.removesuffix(energy_suffix) + f"_{ESTIMATED_POWER.key}"
        power = by_unique_id.get(power_unique_id)
        devices.append(LearnedDevice(entity_id, power if _has_number(hass, power) else None))
    return sorted(devices)


def _has_number(hass: HomeAssistant, entity_id: str | None) -> bool:
    state = hass.states.get(entity_id) if entity_id else None
    return state is not None and state.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


async def async_devices_to_offer(
    hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry
) -> list[LearnedDevice]:
    """Learned devices not yet in the Energy dashboard whose energy statistics exist."""
    if "recorder" not in hass.config.components or "energy" not in hass.config.components:
        return []
    used = device_statistics(await async_energy_prefs(hass))
    missing = [d for d in learned_devices(hass, entry) if d.energy_entity_id not in used]
    if not missing:
        return []
    wanted = {d.energy_entity_id for d in missing}
    metadata = await recorder.get_instance(hass).async_add_executor_job(
        lambda: get_metadata(hass, statistic_ids=wanted)
    )
    return [d for d in missing if d.energy_entity_id in metadata]


async def async_add_to_energy_dashboard(hass: HomeAssistant, devices: list[LearnedDevice]) -> int:
    """Add the devices as individual devices; those already there are left alone. The count."""
    manager = await async_get_manager(hass)
    current = list((manager.data or manager.default_preferences())["device_consumption"])
    used = device_statistics({"device_consumption": current})
    new = [d.consumption() for d in devices if d.energy_entity_id not in used]
    if new:
        update = {"device_consumption": [*current, *new]}
        await manager.async_update(cast(EnergyPreferencesUpdate, update))
    return len(new)


class EnergyDashboardOffer:
    """Keeps the entry's repair issue in line with the learned devices (on each heartbeat)."""

    def __init__(self, hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry) -> None:
        """Nothing offered yet."""
        self._hass = hass
        self._entry = entry
        self._issue_id = issue_id(entry.entry_id)
        self._offered: set[LearnedDevice] = set()
        self._last: tuple[list[LearnedDevice], object] | None = None
        self._checked_at = 0.0
        self._checking = False

    @callback
    def async_check(self) -> None:
        """Cheap on most beats: only a change (or devices still waiting) asks the recorder."""
        if self._checking or self._entry.state is not ConfigEntryState.LOADED:
            return
        manager_data = _energy_data(self._hass)
        current = (learned_devices(self._hass, self._entry), manager_data)
        now = dt_util.utcnow().timestamp()
        if current == self._last and now - self._checked_at < RECHECK_S:
            return
        self._last, self._checked_at, self._checking = current, now, True
        self._entry.async_create_background_task(
            self._hass, self._async_update_issue(), f"{DOMAIN} energy dashboard offer"
        )

    async def _async_update_issue(self) -> None:
        try:
            devices = set(await async_devices_to_offer(self._hass, self._entry))
        finally:
            self._checking = False
        if not devices:
            self._offered = set()
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
            return
        if not devices <= self._offered:
            # New devices: a fresh issue, so an earlier "ignore" does not hide them.
            ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
        self._offered = devices
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            self._issue_id,
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_TRANSLATION_KEY_ONE
            if len(devices) == 1
            else ISSUE_TRANSLATION_KEY,
            translation_placeholders={"count": str(len(devices)), "title": self._entry.title},
            data={"entry_id": self._entry.entry_id},
        )

    @callback
    def async_stop(self) -> None:
        """The entry unloads: its offer goes with it."""
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)


def _energy_data(hass: HomeAssistant) -> object:
    """The Energy preferences as loaded now (None before the energy manager exists)."""
    manager = hass.data.get(_ENERGY_MANAGER_KEY)
    return manager.data if isinstance(manager, EnergyManager) else None

"""Reads Home Assistant's Energy dashboard preferences, in both grid formats.

Until 2026.3 a grid source held lists (`flow_from: [{stat_energy_from}]`, `power: [{stat_rate |
power_config}]`); since then each grid connection is its own source with `stat_energy_from`,
`stat_rate` and `power_config` at the top. The energy store migrates old files when it loads them,
but preferences written through the API or restored from a backup may still carry the old shape,
so both are read here, in one place.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.components.energy.data import async_get_manager
from homeassistant.core import HomeAssistant


@dataclass(frozen=True, slots=True, kw_only=True)
class GridSensors:
    """The grid's power and energy sensors, in the order the Energy dashboard lists them."""

    power: list[str]
    energy: list[str]


async def async_energy_prefs(hass: HomeAssistant) -> Mapping[str, Any] | None:
    """The stored preferences, None when the Energy dashboard was never set up."""
    manager = await async_get_manager(hass)
    return manager.data


def grid_sensors(prefs: Mapping[str, Any] | None) -> GridSensors:
    """Grid power and energy sensors from either grid format."""
    power: list[str] = []
    energy: list[str] = []
    for source in _grid_connections(prefs):
        if rate := _power_of(source):
            power.append(rate)
        if stat_energy := source.get("stat_energy_from"):
            energy.append(stat_energy)
    return GridSensors(power=power, energy=energy)


def device_statistics(prefs: Mapping[str, Any] | None) -> set[str]:
    """Every statistic already used by an individual device (energy or power)."""
    used: set[str] = set()
    for device in (prefs or {}).get("device_consumption", []):
        used.update(stat for key in ("stat_consumption", "stat_rate") if (stat := device.get(key)))
    return used


def _grid_connections(prefs: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    """One mapping per grid connection, the legacy lists unfolded like HA's own migration."""
    for source in (prefs or {}).get("energy_sources", []):
        if source.get("type") != "grid":
            continue
        if "flow_from" not in source:
            yield source
            continue
        flows = list(source.get("flow_from") or [])
        powers = list(source.get("power") or [])
        for index in range(max(len(flows), len(powers))):
            flow = flows[index] if index < len(flows) else {}
            power = powers[index] if index < len(powers) else {}
            yield {**power, "stat_energy_from": flow.get("stat_energy_from")}


def _power_of(source: Mapping[str, Any]) -> str | None:
    """A connection's power sensor: `stat_rate`, else the one its `power_config` names."""
    if rate := source.get("stat_rate"):
        return str(rate)
    config = source.get("power_config") or {}
    rate = config.get("stat_rate") or config.get("stat_rate_from")
    return str(rate) if rate else None

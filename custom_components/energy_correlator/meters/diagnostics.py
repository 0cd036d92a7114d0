"""Diagnostics of the utility entry and of each meter's device: readings, gaps, replacements.

Readings are the user's consumption, not secrets; the InfluxDB token in the options is redacted.
"""

from dataclasses import asdict
from itertools import pairwise
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.util import dt as dt_util

from ..const import CONF_INFLUX_TOKEN, DOMAIN
from ..consumption import DAY
from .const import DEFAULT_GAP_DAYS, OPT_GAP_DAYS
from .data import UtilityConfigEntry
from .importer import meter_statistic_id
from .runtime import MeterRuntime

READINGS_SHOWN = 500
TO_REDACT = {CONF_INFLUX_TOKEN}


def _time(ts: float) -> str:
    return dt_util.utc_from_timestamp(ts).isoformat()


def weather_diagnostics(runtime: MeterRuntime) -> dict[str, Any] | None:
    """A heating meter's outdoor temperature: its days, and whether the vote uses its line."""
    if (weather := runtime.weather) is None:
        return None
    fit = runtime.meter.weather_fit(weather.record())
    days = sorted(weather.days)
    return {
        "entity": weather.entity_id,
        "days": len(days),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "from_statistics": weather.from_statistics,
        "unknown_states": weather.unknown_states,
        "fit_used": fit is not None,
        "fit": None if fit is None else asdict(fit),
    }


def meter_diagnostics(runtime: MeterRuntime, gap_days: float) -> dict[str, Any]:
    """One meter: its settings, the readings (newest READINGS_SHOWN), gaps and swaps."""
    readings = runtime.meter.readings()
    gaps = [
        {"from": _time(a.ts), "to": _time(b.ts), "days": round((b.ts - a.ts) / DAY, 2)}
        for a, b in pairwise(readings)
        if b.ts - a.ts > gap_days * DAY
    ]
    last = runtime.meter.last_reading
    return {
        "name": runtime.name,
        "meter_type": str(runtime.kind),
        "source": runtime.source,
        "source_missing": runtime.source_missing,
        "unit": runtime.unit,
        "manual_unit": runtime.manual_unit,
        "statistic_id": meter_statistic_id(runtime.subentry_id),
        "statistics_version": runtime.statistics_version,
        "history_learned": runtime.learned,
        "readings_count": len(readings),
        "readings": [
            {"time": _time(r.ts), "value": r.value, "source": str(r.source)}
            for r in readings[-READINGS_SHOWN:]
        ],
        "last_reading": None if last is None else {"time": _time(last.ts), "value": last.value},
        "gaps": gaps,
        "replacements": [
            {**asdict(swap), "time": _time(swap.ts)} for swap in runtime.meter.replacements()
        ],
        "unexplained_drops": [
            {**asdict(drop), "time": _time(drop.ts)} for drop in runtime.meter.drops()
        ],
        "refused": dict(runtime.refused),
        "unknown_states": runtime.gaps,
        "wrong_unit": runtime.wrong_unit,
        "price": {
            "fixed": runtime.price.fixed,
            "entity": runtime.price.entity_id,
            "available": runtime.price.available,
            "problem": runtime.price.problem,
            "current": runtime.price.current,
        },
        "weather": weather_diagnostics(runtime),
    }


async def async_get_utility_diagnostics(
    hass: HomeAssistant, entry: UtilityConfigEntry
) -> dict[str, Any]:
    """Every meter, the virtual meters and the statistics importer."""
    coordinator = entry.runtime_data.coordinator
    gap_days = float(entry.options.get(OPT_GAP_DAYS, DEFAULT_GAP_DAYS))
    importer = coordinator.importer
    return {
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "meters": {
            subentry_id: meter_diagnostics(runtime, gap_days)
            for subentry_id, runtime in coordinator.meters.items()
        },
        "virtual_meters": {
            subentry_id: {
                "name": virtual.name,
                "base": virtual.base,
                "subtract": virtual.subtract,
                "output": str(virtual.output),
                "clamped_total": virtual.clamped_total,
                "statistic_id": meter_statistic_id(subentry_id),
                "missing_parts": list(virtual.missing(coordinator.meters).ids),
                "weather": None
                if virtual.weather is None
                else {
                    "entity": virtual.weather.entity_id,
                    "own": virtual.weather is virtual.own_weather,
                    "days": len(virtual.weather.days),
                },
            }
            for subentry_id, virtual in coordinator.virtuals.items()
        },
        "statistics_import": {
            "imports": importer.imports,
            "failures": importer.failures,
            "last_error": importer.last_error,
        },
    }


async def async_get_meter_device_diagnostics(
    hass: HomeAssistant, entry: UtilityConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """One meter's device."""
    everything = await async_get_utility_diagnostics(hass, entry)
    for domain, subentry_id in device.identifiers:
        if domain != DOMAIN:
            continue
        if subentry_id in everything["meters"]:
            return everything["meters"][subentry_id]
        if subentry_id in everything["virtual_meters"]:
            return everything["virtual_meters"][subentry_id]
    return {}

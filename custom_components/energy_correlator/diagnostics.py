"""Diagnostics download: configuration (secrets redacted), what was learned and the sink's health.

The InfluxDB token is redacted by key and, as a second line of defence, wherever its text shows
up in any value (an error message quoting a header, for instance); credentials inside the URL are
removed while the host stays visible, because the host is what a bug report needs.
"""

from dataclasses import asdict
from typing import Any, cast

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntry
from homeassistant.util import dt as dt_util

from .const import CONF_INFLUX_TOKEN, CONF_INFLUX_URL
from .data import EnergyCorrelatorConfigEntry
from .influx.settings import redact_url
from .meters.config_flow import is_utility_entry
from .meters.data import UtilityConfigEntry
from .meters.diagnostics import (
    async_get_meter_device_diagnostics,
    async_get_utility_diagnostics,
)

TO_REDACT = {CONF_INFLUX_TOKEN, "token", "password", "api_key"}
RECENT_CORRELATIONS = 50


def _scrub(value: Any, secrets: list[str]) -> Any:
    """Replace every occurrence of a secret inside strings, recursively."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, secrets) for item in value]
    return value


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry
) -> dict[str, Any]:
    """Everything a bug report needs, nothing a stranger should see."""
    if is_utility_entry(entry):
        return await async_get_utility_diagnostics(hass, cast(UtilityConfigEntry, entry))
    coordinator = entry.runtime_data.coordinator
    sink = entry.runtime_data.sink
    engine = coordinator.engine
    now = dt_util.utcnow().timestamp()

    data = async_redact_data(dict(entry.data), TO_REDACT)
    if isinstance(url := data.get(CONF_INFLUX_URL), str):
        data[CONF_INFLUX_URL] = redact_url(url)

    result: dict[str, Any] = {
        "config": data,
        "options": async_redact_data(dict(entry.options), TO_REDACT),
        "engine": {
            "stats": asdict(engine.stats),
            "correlation_rate_pct": engine.stats.correlation_rate_pct,
            "meter_power_w": engine.current_power_w(),
            "meter_interval_s": engine.meter_interval_s(),
            "untracked_power_w": engine.untracked_power_w(now),
            "standby_baseline_w": engine.standby_baseline_w(),
            "peak_w": engine.peak_w(now),
            "energy_today_kwh": engine.energy_today_kwh(now),
            "export_today_kwh": engine.export_today_kwh(now),
            "export_total_kwh": engine.export_total_kwh(),
            "next_due": engine.next_due(),
        },
        "profiles": [asdict(profile) for profile in engine.profiles()],
        "recent_correlations": [
            correlation.as_dict()
            for correlation in engine.recent_correlations(limit=RECENT_CORRELATIONS)
        ],
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval_s": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
        },
        "sink": asdict(sink.stats) if sink is not None else None,
        "store": {"unreadable_parts": list(coordinator.unreadable_parts)},
        "refused_readings": engine.refused_readings(),
        # rises of the configured energy sensor not counted as implausible (daily_energy.py)
        "energy_sensor_refused_rises": coordinator.daily_energy.refused,
    }
    secrets = [
        secret
        for secret in (entry.data.get(CONF_INFLUX_TOKEN),)
        if isinstance(secret, str) and len(secret) >= 4
    ]
    scrubbed: dict[str, Any] = _scrub(result, secrets)
    return scrubbed


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: EnergyCorrelatorConfigEntry, device: DeviceEntry
) -> dict[str, Any]:
    """A utility meter's device: that meter; the power entry's device: the whole entry."""
    if is_utility_entry(entry):
        return await async_get_meter_device_diagnostics(
            hass, cast(UtilityConfigEntry, entry), device
        )
    return await async_get_config_entry_diagnostics(hass, entry)

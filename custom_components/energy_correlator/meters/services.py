"""Actions of utility meters: a manual reading, and a meter swap.

A meter is chosen by its device (each meter has one). Values are in the meter's own unit (the
unit of its manual readings, or its source sensor's); they are kept in kWh or m³. A refused
reading raises a translated error and nothing is stored.
"""

import math
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import probatio as vol

from ..const import DOMAIN
from ..consumption import Reading, ReadingResult, Refusal
from ..units import state_unit
from .config_flow import is_utility_entry
from .coordinator import UtilityCoordinator
from .runtime import MeterRuntime

SERVICE_ADD_READING = "add_meter_reading"
SERVICE_REPLACE = "replace_meter"
ATTR_METER = "meter"
ATTR_VALUE = "value"
ATTR_TIMESTAMP = "timestamp"
ATTR_OLD_FINAL = "old_final"
ATTR_NEW_FIRST = "new_first"
ATTR_WHEN = "when"

# Values are taken as text so a non-number gets a translated error, not a schema message.
_VALUE = vol.Any(vol.Coerce(float), cv.string)

ADD_READING_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_METER): cv.string,
        vol.Required(ATTR_VALUE): _VALUE,
        vol.Optional(ATTR_TIMESTAMP): cv.datetime,
    }
)
REPLACE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_METER): cv.string,
        vol.Required(ATTR_OLD_FINAL): _VALUE,
        vol.Required(ATTR_NEW_FIRST): _VALUE,
        vol.Optional(ATTR_WHEN): cv.datetime,
    }
)


def _error(key: str, **placeholders: Any) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={name: str(value) for name, value in placeholders.items()},
    )


def _number(value: Any, meter: str) -> float:
    """A finite number, else a translated error."""
    try:
        number = float(value)
    except TypeError, ValueError:
        raise _error("reading_not_a_number", value=value, meter=meter) from None
    if not math.isfinite(number):
        raise _error("reading_not_a_number", value=value, meter=meter)
    return number


def _meter(hass: HomeAssistant, device_id: str) -> tuple[UtilityCoordinator, MeterRuntime]:
    """The coordinator and meter behind a meter's device."""
    device = dr.async_get(hass).async_get(device_id)
    subentry_ids = (
        {ident for domain, ident in device.identifiers if domain == DOMAIN} if device else set()
    )
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if not is_utility_entry(entry):
            continue
        coordinator: UtilityCoordinator = entry.runtime_data.coordinator
        for subentry_id in subentry_ids:
            if subentry_id in coordinator.meters:
                return coordinator, coordinator.meters[subentry_id]
            if subentry_id in coordinator.virtuals:
                raise _error("meter_is_virtual", meter=coordinator.virtuals[subentry_id].name)
    raise _error("unknown_meter", meter=device.name if device else device_id)


def _runtime(hass: HomeAssistant, subentry_id: str) -> tuple[UtilityCoordinator, MeterRuntime]:
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        if (
            is_utility_entry(entry)
            and subentry_id in (coord := entry.runtime_data.coordinator).meters
        ):
            return coord, coord.meters[subentry_id]
    raise _error("unknown_meter", meter=subentry_id)


def meter_unit(hass: HomeAssistant, runtime: MeterRuntime) -> str:
    """The unit values are given in: the manual unit, the source's, else kWh / m³."""
    if runtime.manual_unit:
        return runtime.manual_unit
    state = hass.states.get(runtime.source) if runtime.source else None
    return (state_unit(state) if state else None) or runtime.unit


def _canonical(hass: HomeAssistant, runtime: MeterRuntime, value: Any) -> float:
    number = _number(value, runtime.name)
    unit = meter_unit(hass, runtime)
    canonical = runtime.canonical(number, unit)
    if canonical is None:
        raise _error("reading_wrong_unit", meter=runtime.name, unit=unit)
    return canonical


def _time(ts: float) -> str:
    return dt_util.utc_from_timestamp(ts).isoformat()


def _shown_time(ts: float) -> str:
    """A time in an error message: local, to the minute (as the meter-swap repair shows it)."""
    return dt_util.as_local(dt_util.utc_from_timestamp(ts)).strftime("%Y-%m-%d %H:%M")


def _reading_json(reading: Reading | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {"time": _time(reading.ts), "value": reading.value}


def _refused(
    hass: HomeAssistant,
    runtime: MeterRuntime,
    reason: Refusal,
    value: float,
    result: ReadingResult,
) -> ServiceValidationError:
    """The refusal with the stored neighbours, so the user sees what the value clashes with;
    in the unit the value was typed in (a GJ meter's message speaks GJ, not kWh)."""
    previous, following = result.previous, result.next
    unit = meter_unit(hass, runtime)
    per_unit = runtime.canonical(1.0, unit) or 1.0  # kWh / m³ of one typed unit

    def shown(canonical: float) -> str:
        return f"{canonical / per_unit:g}"

    return _error(
        f"reading_{reason}",
        meter=runtime.name,
        value=shown(value),
        unit=unit,
        previous="-" if previous is None else shown(previous.value),
        previous_time="-" if previous is None else _shown_time(previous.ts),
        next="-" if following is None else shown(following.value),
        next_time="-" if following is None else _shown_time(following.ts),
    )


async def _async_add_reading(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    coordinator, runtime = _meter(hass, call.data[ATTR_METER])
    value = _canonical(hass, runtime, call.data[ATTR_VALUE])
    when = call.data.get(ATTR_TIMESTAMP)
    ts = dt_util.as_utc(when).timestamp() if when is not None else dt_util.utcnow().timestamp()
    result = coordinator.add_manual_reading(runtime, ts, value)
    if not result.accepted and result.reason is not Refusal.DUPLICATE:
        raise _refused(hass, runtime, result.reason or Refusal.NOT_A_NUMBER, value, result)
    await coordinator.async_refresh()
    previous = result.previous
    since = None if previous is None or previous.ts > ts else value - previous.value
    return {
        "meter": runtime.name,
        "reading": {"time": _time(ts), "value": value, "unit": runtime.unit},
        "duplicate": not result.accepted,
        "previous": _reading_json(previous),
        "consumption_since_previous": None if since is None or since < 0 else since,
        "notice": None if result.notice is None else str(result.notice),
        "removed": _reading_json(result.removed),  # an older reading this one showed a typo
    }


async def async_replace(
    hass: HomeAssistant, subentry_id: str, ts: float, old_final: float, new_first: float
) -> dict[str, Any]:
    """Tell a meter swap (values in kWh or m³); shared by the action and the repair flow."""
    coordinator, runtime = _runtime(hass, subentry_id)
    result = coordinator.replace(runtime, ts, old_final, new_first)
    if not result.accepted or result.replacement is None:
        reason = result.reason or Refusal.CONFLICT
        raise _error(f"replace_{reason}", meter=runtime.name, time=_shown_time(ts))
    await coordinator.async_refresh()
    swap = result.replacement
    return {
        "meter": runtime.name,
        "time": _time(swap.ts),
        "old_final": swap.old_final,
        "new_first": swap.new_first,
        "unit": runtime.unit,
        "implied_consumption": swap.implied,
        "expected_consumption": swap.expected,
        "mismatch": swap.mismatch,
    }


async def _async_replace_meter(hass: HomeAssistant, call: ServiceCall) -> ServiceResponse:
    _, runtime = _meter(hass, call.data[ATTR_METER])
    old_final = _canonical(hass, runtime, call.data[ATTR_OLD_FINAL])
    new_first = _canonical(hass, runtime, call.data[ATTR_NEW_FIRST])
    when = call.data.get(ATTR_WHEN)
    ts = dt_util.as_utc(when).timestamp() if when is not None else dt_util.utcnow().timestamp()
    return await async_replace(hass, runtime.subentry_id, ts, old_final, new_first)


@callback
def async_setup_meter_services(hass: HomeAssistant) -> None:
    """Register the utility-meter actions."""

    async def add_reading(call: ServiceCall) -> ServiceResponse:
        return await _async_add_reading(hass, call)

    async def replace_meter(call: ServiceCall) -> ServiceResponse:
        return await _async_replace_meter(hass, call)

    hass.services.async_register(
        DOMAIN,
        SERVICE_ADD_READING,
        add_reading,
        schema=ADD_READING_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REPLACE,
        replace_meter,
        schema=REPLACE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )

"""Logbook platform: the Activity panel's timeline of power changes.

Each correlation is told on the watched device's own entity ("Kettle turned on: +1 990 W
(confidence 92 %)"), so it shows in the Activity panel, in a logbook card and on the device's page.
A utility meter's anomaly is told on the meter's entity. Both are read from the bus event's
documented fields only, so an event from an older or newer version still reads well.
"""

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.const import ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_CORRELATION

# Fired by the utility-meter wing for an anomalous day (meters/runtime.py: name, value,
# expected_low, expected_high, unit, meter_id, and entity_id: the meter's anomaly sensor).
from .meters.config_flow import is_utility_entry
from .meters.const import EVENT_METER_ANOMALY

# Why a correlation did not teach its device, in words.
_NOT_LEARNED = {
    "overlap": "other devices changed at the same time",
    "gap": "the meter was not reporting",
    "low_confidence": "the meter was too noisy",
    "too_slow": "the meter reports too rarely",
}


def _number(value: Any, digits: int = 0) -> str:
    """A number with a space between thousands, as people write power ("1 990")."""
    return f"{float(value):,.{digits}f}".replace(",", " ")


def _change(state: str | None, previous: str | None) -> str:
    """What the device did: turned on/off, or changed from one state to another."""
    if state in (STATE_ON, STATE_OFF) and previous != state:
        return f"turned {state}"
    if previous and previous != state:
        return f"changed from {previous} to {state}"
    return f"changed ({state})"


def describe_correlation(
    data: Mapping[str, Any], name: str, meter: str | None = None
) -> dict[str, Any]:
    """The logbook entry of one correlation event; `meter` names the entry that saw it when
    more than one power meter watches the device."""
    message = _change(data.get("state"), data.get("previous_state"))
    delta = data.get("power_delta_w")
    if delta is None:
        message += ": no power change could be measured"
    else:
        message += f": {'+' if delta >= 0 else '-'}{_number(abs(delta))} W"
        if (confidence := data.get("confidence")) is not None:
            message += f" (confidence {float(confidence) * 100:.0f} %)"
    if meter:
        message += f", seen by {meter}"
    if (status := data.get("status")) in _NOT_LEARNED:
        message += f"; not learned: {_NOT_LEARNED[status]}"
    return {
        LOGBOOK_ENTRY_NAME: name,
        LOGBOOK_ENTRY_MESSAGE: message,
        LOGBOOK_ENTRY_ENTITY_ID: data.get(ATTR_ENTITY_ID),
    }


def describe_meter_anomaly(data: Mapping[str, Any]) -> dict[str, Any]:
    """The logbook entry of a utility meter's anomalous consumption."""
    unit = f" {data['unit']}" if data.get("unit") else ""
    message = "unusual consumption"
    if (value := data.get("value")) is not None:
        message += f": {_number(value, 2)}{unit}"
    low, high = data.get("expected_low"), data.get("expected_high")
    if low is not None and high is not None:
        message += f", expected {_number(low, 2)} to {_number(high, 2)}{unit}"
    entry: dict[str, Any] = {
        LOGBOOK_ENTRY_NAME: data.get("name") or data.get("meter_id") or "Utility meter",
        LOGBOOK_ENTRY_MESSAGE: message,
    }
    if entity_id := data.get(ATTR_ENTITY_ID):
        entry[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
    return entry


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe our bus events for the logbook."""

    @callback
    def _correlation(event: Event) -> dict[str, Any]:
        entity_id = event.data.get(ATTR_ENTITY_ID)
        state = hass.states.get(entity_id) if entity_id else None
        return describe_correlation(
            event.data, state.name if state else str(entity_id), _meter_name(event)
        )

    @callback
    def _meter_name(event: Event) -> str | None:
        """The entry's title when another power entry may have seen the same change."""
        entry = hass.config_entries.async_get_entry(str(event.data.get("entry_id")))
        if entry is None or entry.domain != DOMAIN:
            return None
        power = [e for e in hass.config_entries.async_entries(DOMAIN) if not is_utility_entry(e)]
        return entry.title if len(power) > 1 else None

    @callback
    def _anomaly(event: Event) -> dict[str, Any]:
        return describe_meter_anomaly(event.data)

    async_describe_event(DOMAIN, EVENT_CORRELATION, _correlation)
    async_describe_event(DOMAIN, EVENT_METER_ANOMALY, _anomaly)

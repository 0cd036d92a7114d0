"""Narrow reads of the recorder's `states` table for backfill: (time, state) of a meter and
(time, state, attributes) of a device in a time range, straight from SQL.

Why not the history API: it builds a Row and a State (or dict) per row. Over 90 days of a 1 s
meter (7.8 M rows) enough of those are alive at some young garbage collection to be promoted,
and the promotions trigger CPython's full collections, which stop the event loop for hundreds
of ms in a Home Assistant process. Here each row is read and dropped at once; a meter's chunk
becomes two `array("d")` (not tracked by the garbage collector at all).

Blocking: every function runs in the recorder's executor and opens its own read-only session
(never shared across jobs or threads).
"""

from array import array
from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import HomeAssistant
from homeassistant.util.json import json_loads_object
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from .units import number, to_watts

# A meter's samples: times (s) and watts (NaN = a gap: unknown, unavailable, no unit).
type Samples = tuple[array[float], array[float]]
# A device's state change: time, state, attributes.
type Change = tuple[float, str, Mapping[str, Any]]

_METER_ROWS = text(
    "SELECT last_updated_ts, state FROM states"
    " WHERE metadata_id = :metadata_id"
    " AND last_updated_ts >= :start AND last_updated_ts < :end"
    " ORDER BY last_updated_ts"
)
_METER_BEFORE = text(
    "SELECT last_updated_ts, state FROM states"
    " WHERE metadata_id = :metadata_id AND last_updated_ts < :start"
    " ORDER BY last_updated_ts DESC LIMIT 1"
)
_DEVICE_ROWS = text(
    "SELECT s.metadata_id, s.last_updated_ts, s.state,"
    " COALESCE(a.shared_attrs, s.attributes) FROM states s"
    " LEFT JOIN state_attributes a ON s.attributes_id = a.attributes_id"
    " WHERE s.metadata_id IN :metadata_ids"
    " AND s.last_updated_ts >= :start AND s.last_updated_ts < :end"
    " ORDER BY s.metadata_id, s.last_updated_ts"
).bindparams(bindparam("metadata_ids", expanding=True))
_DEVICE_BEFORE = text(
    "SELECT s.last_updated_ts, s.state, COALESCE(a.shared_attrs, s.attributes) FROM states s"
    " LEFT JOIN state_attributes a ON s.attributes_id = a.attributes_id"
    " WHERE s.metadata_id = :metadata_id AND s.last_updated_ts < :start"
    " ORDER BY s.last_updated_ts DESC LIMIT 1"
)
_NAN = float("nan")


def metadata_ids(hass: HomeAssistant, entity_ids: Iterable[str]) -> dict[str, int]:
    """The recorder's ids of the entities that have history (the others are left out)."""
    with session_scope(hass=hass, read_only=True) as session:
        found = get_instance(hass).states_meta_manager.get_many(entity_ids, session, False)
    return {entity_id: mid for entity_id, mid in found.items() if mid is not None}


def _watts(text_: str | None, unit: str | None) -> float:
    value = None if text_ is None else number(text_)
    watts = None if value is None else to_watts(value, unit)
    return _NAN if watts is None else watts


def _meter(
    session: Session, metadata_id: int, unit: str | None, start: float, end: float, first: bool
) -> Samples:
    times: array[float] = array("d")
    watts: array[float] = array("d")
    params = {"metadata_id": metadata_id, "start": start, "end": end}
    if first:  # the value held at the start
        for _, state in session.execute(_METER_BEFORE, params):
            times.append(start)
            watts.append(_watts(state, unit))
    for ts, state in session.execute(_METER_ROWS, params):
        times.append(ts)
        watts.append(_watts(state, unit))
    return times, watts


def _change(ts: float, state: str | None, attrs: str | None) -> Change:
    """A device row; attributes that are not a JSON object count as none."""
    try:
        parsed = json_loads_object(attrs) if attrs else {}
    except ValueError:
        parsed = {}
    return ts, state or "", parsed


def _devices(
    session: Session, devices: Mapping[str, int], start: float, end: float, first: bool
) -> dict[str, list[Change]]:
    changes: dict[str, list[Change]] = {}
    if first:  # the state each held at the start
        for entity_id, mid in devices.items():
            params = {"metadata_id": mid, "start": start}
            for _, state, attrs in session.execute(_DEVICE_BEFORE, params):
                changes[entity_id] = [_change(start, state, attrs)]
    entities = {mid: entity_id for entity_id, mid in devices.items()}
    rows = session.execute(
        _DEVICE_ROWS, {"metadata_ids": list(entities), "start": start, "end": end}
    )
    for mid, ts, state, attrs in rows:
        changes.setdefault(entities[mid], []).append(_change(ts, state, attrs))
    return changes


def read_chunk(
    hass: HomeAssistant,
    start: float,
    end: float,
    meters: Mapping[str, tuple[int, str | None]],
    devices: Mapping[str, int],
    first: bool,
) -> tuple[dict[str, Samples], dict[str, list[Change]]]:
    """Rows in [start, end) of the meters ({entity: (metadata id, unit)}) and devices
    ({entity: metadata id}); with `first`, also each one's state at `start` (timed `start`)."""
    with session_scope(hass=hass, read_only=True) as session:
        samples = {
            entity_id: _meter(session, mid, unit, start, end, first)
            for entity_id, (mid, unit) in meters.items()
        }
        changes = _devices(session, devices, start, end, first) if devices else {}
    return samples, changes

"""The seed design, kept only as the baseline to beat (never used by the integration).

For each device event: the meter's value 5 s before and 5 s after (sample-and-hold), a fixed 10 W
threshold, learned power = mean of |delta|. Generous to it: each delta is divided by the change of
level (brightness, fan percentage), so it, too, estimates power at full level.
"""

from collections.abc import Iterable
from typing import Any

import numpy as np

from tests.sim import MeterSample, StateChange

OFFSET_S = 5.0
THRESHOLD_W = 10.0


def level_of(domain: str, state: str | None, attrs: dict[str, Any]) -> float | None:
    """0..1 power level an HA state stands for; None when it is unknown."""
    if state in {None, "unknown", "unavailable"}:
        return None
    if domain == "climate":
        return 1.0 if attrs.get("hvac_action") in {"heating", "cooling"} else 0.0
    if state in {"off", "standby", "idle", "docked"}:
        return 0.0
    if domain == "light" and attrs.get("brightness") is not None:
        return float(attrs["brightness"]) / 255
    if domain == "fan" and attrs.get("percentage") is not None:
        return float(attrs["percentage"]) / 100
    return 1.0


def naive_learn(records: Iterable[MeterSample | StateChange], meter_id: str) -> dict[str, float]:
    """Learned power per entity id by the seed design (entities with no usable event are absent)."""
    sample_ts: list[float] = []
    sample_w: list[float] = []
    changes: list[StateChange] = []
    for record in records:
        if isinstance(record, MeterSample):
            if record.meter_id == meter_id:
                sample_ts.append(record.ts)
                sample_w.append(np.nan if record.watts is None else record.watts)
        else:
            changes.append(record)
    ts = np.asarray(sample_ts)
    watts = np.asarray(sample_w)
    deltas: dict[str, list[float]] = {}
    for change in changes:
        old = level_of(change.domain, change.old_state, change.old_attrs)
        new = level_of(change.domain, change.new_state, change.new_attrs)
        if old is None or new is None or old == new:
            continue
        before = _value_at(ts, watts, change.ts - OFFSET_S)
        after = _value_at(ts, watts, change.ts + OFFSET_S)
        if before is None or after is None:
            continue
        delta = after - before
        if abs(delta) < THRESHOLD_W:
            continue
        deltas.setdefault(change.entity_id, []).append(abs(delta) / abs(new - old))
    return {entity: float(np.mean(values)) for entity, values in deltas.items()}


def naive_event_deltas(
    records: Iterable[MeterSample | StateChange], meter_id: str
) -> dict[tuple[str, float], float]:
    """(entity_id, HA time) -> the seed design's raw delta for each device event (no threshold:
    per event, a small measured delta is simply its answer)."""
    sample_ts: list[float] = []
    sample_w: list[float] = []
    changes: list[StateChange] = []
    for record in records:
        if isinstance(record, MeterSample):
            if record.meter_id == meter_id:
                sample_ts.append(record.ts)
                sample_w.append(np.nan if record.watts is None else record.watts)
        else:
            changes.append(record)
    ts = np.asarray(sample_ts)
    watts = np.asarray(sample_w)
    deltas: dict[tuple[str, float], float] = {}
    for change in changes:
        old = level_of(change.domain, change.old_state, change.old_attrs)
        new = level_of(change.domain, change.new_state, change.new_attrs)
        if old is None or new is None or old == new:
            continue
        before = _value_at(ts, watts, change.ts - OFFSET_S)
        after = _value_at(ts, watts, change.ts + OFFSET_S)
        if before is not None and after is not None:
            deltas[change.entity_id, change.ts] = after - before
    return deltas


def _value_at(ts: np.ndarray, watts: np.ndarray, t: float) -> float | None:
    """Sample-and-hold value at t (None before the first sample or inside a gap)."""
    i = int(np.searchsorted(ts, t, side="right")) - 1
    if i < 0 or np.isnan(watts[i]):
        return None
    return float(watts[i])

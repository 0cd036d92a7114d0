"""Feed simulator records through an Engine the way the HA shell would."""

from collections.abc import Iterable

from custom_components.energy_correlator.engine import Correlation, Engine, classify_change

from .models import MeterSample, StateChange

FINAL_TICK_AFTER_S = 120.0  # the last tick comes this long after the last record


def replay(
    engine: Engine, records: Iterable[MeterSample | StateChange], tick_every_s: float = 5.0
) -> list[Correlation]:
    """Samples -> add_power, state changes -> classify_change -> add_event, ticks on sim time."""
    correlations: list[Correlation] = []
    next_tick: float | None = None
    last_ts: float | None = None
    for record in records:
        ts = record.ts
        if next_tick is None:
            next_tick = ts + tick_every_s
        while ts >= next_tick:
            correlations.extend(engine.tick(next_tick))
            next_tick += tick_every_s
        if isinstance(record, MeterSample):
            engine.add_power(record.meter_id, ts, record.watts)
        else:
            event = classify_change(
                record.entity_id,
                record.domain,
                record.old_state,
                record.old_attrs,
                record.new_state,
                record.new_attrs,
                ts,
            )
            if event is not None:
                engine.add_event(event)
        last_ts = ts
    if last_ts is not None:
        correlations.extend(engine.tick(last_ts + FINAL_TICK_AFTER_S))
    return correlations

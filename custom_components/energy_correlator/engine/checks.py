"""Input checks shared by the engine facade: bad input gets a clear error, never a crash later."""

from dataclasses import fields
import math
from typing import Any

from .models import DeviceEvent, EngineConfig, EngineStats


def validate_config(config: EngineConfig) -> None:
    """Refuse a config the engine cannot run with (ValueError names the field)."""
    if not isinstance(config.main_meter, str) or not config.main_meter:
        raise ValueError("main_meter must be a non-empty entity id")
    if not math.isfinite(config.horizon_s) or config.horizon_s <= 0:
        raise ValueError(f"horizon_s must be > 0, got {config.horizon_s!r}")
    if config.recent_correlations < 0:
        raise ValueError("recent_correlations must be >= 0")
    if not math.isfinite(config.max_power_w) or config.max_power_w <= 0:
        raise ValueError(f"max_power_w must be > 0, got {config.max_power_w!r}")
    if not 0.0 <= config.standby_percentile <= 100.0:
        raise ValueError("standby_percentile must be within 0..100")


def parse_stats(data: dict[str, Any], current: EngineStats) -> EngineStats:
    """Counters from stored data; missing ones keep `current`, bad ones raise ValueError."""
    values = {}
    for item in fields(EngineStats):
        raw = data.get(item.name, getattr(current, item.name))
        value = int(raw)
        if value < 0:
            raise ValueError(f"stats.{item.name} must be >= 0")
        values[item.name] = value
    return EngineStats(**values)


def validate_event(event: DeviceEvent) -> None:
    """Refuse an event that would corrupt windows or levels."""
    if not isinstance(event, DeviceEvent):
        raise TypeError(f"expected a DeviceEvent, got {type(event).__name__}")
    if not event.entity_id:
        raise ValueError("event without an entity id")
    if not math.isfinite(event.ts):
        raise ValueError(f"event time must be finite, got {event.ts!r}")
    if not (0.0 <= event.previous_level <= 1.0 and 0.0 <= event.level <= 1.0):
        bad = event.level if 0.0 <= event.previous_level <= 1.0 else event.previous_level
        raise ValueError(f"event level must be within 0..1, got {bad!r}")

"""Pure-Python correlation engine: no Home Assistant imports below this package."""

from .engine import Engine
from .models import (
    Correlation,
    DeviceEvent,
    EngineConfig,
    EngineStats,
    PowerMode,
    ProfileSummary,
    Status,
    TopConsumer,
    TransitionKind,
)
from .transitions import classify_change, level_of

__all__ = [
    "Correlation",
    "DeviceEvent",
    "Engine",
    "EngineConfig",
    "EngineStats",
    "PowerMode",
    "ProfileSummary",
    "Status",
    "TopConsumer",
    "TransitionKind",
    "classify_change",
    "level_of",
]

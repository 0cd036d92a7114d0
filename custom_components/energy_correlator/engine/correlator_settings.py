"""The correlator's timing and acceptance tunables, validated once from the engine's config."""

from dataclasses import dataclass
import math

from .models import EngineConfig

DEFAULT_GUARD_S = 3.0
DEFAULT_WINDOW_S = 20.0
DEFAULT_MIN_CONFIDENCE = 0.3

# before length, after length, too slow, shortest usable window, readings needed, ceiling
type Timing = tuple[float, float, bool, float, int, float]


@dataclass(frozen=True, slots=True)
class CorrelatorSettings:
    """Timing and acceptance tunables (from EngineConfig and its `extra`)."""

    guard_s: float
    settle_s: float
    window_s: float
    before_cap_s: float
    after_cap_s: float
    min_updates: int
    min_delta_w: float
    min_confidence: float

    @classmethod
    def from_config(cls, config: EngineConfig) -> CorrelatorSettings:
        """Validate and collect the settings; ValueError names the bad one."""
        extra = config.extra
        settings = cls(
            guard_s=float(extra.get("guard_s", DEFAULT_GUARD_S)),
            settle_s=float(config.settle_s),
            window_s=float(extra.get("window_s", DEFAULT_WINDOW_S)),
            before_cap_s=float(config.before_window_s),
            after_cap_s=float(config.after_window_s),
            min_updates=int(config.min_updates),
            min_delta_w=float(config.min_delta_w),
            min_confidence=float(extra.get("min_confidence", DEFAULT_MIN_CONFIDENCE)),
        )
        for name in ("guard_s", "settle_s", "min_delta_w"):
            value = getattr(settings, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("window_s", "before_cap_s", "after_cap_s"):
            value = getattr(settings, name)
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        if settings.min_updates < 1:
            raise ValueError("min_updates must be at least 1")
        if not 0.0 <= settings.min_confidence <= 1.0:
            raise ValueError("min_confidence must be within 0..1")
        return settings

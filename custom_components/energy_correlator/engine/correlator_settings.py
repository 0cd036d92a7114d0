"""The correlator's timing and acceptance tunables, validated once from the engine's config,
and the window timing they give at a meter's cadence."""

from dataclasses import dataclass
import math

from .models import EngineConfig

DEFAULT_GUARD_S = 3.0
DEFAULT_WINDOW_S = 20.0
DEFAULT_MIN_CONFIDENCE = 0.3
SLOW_TOLERANCE = 1.1  # a meter whose windows would just exceed the ceiling still counts
MAX_WINDOW_S = 60.0  # a quiet or slow meter's window may grow to this (from the configured cap)
SLOW_MIN_UPDATES = 2  # readings per window at meters too slow for min_updates in MAX_WINDOW_S

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

    def timing(self, cadence: float | None) -> Timing:
        """Window lengths, whether too slow, shortest usable window, readings a window needs,
        and the ceiling a quiet window may grow to, at this cadence."""
        needed = self.needed_updates(cadence)
        ceiling_before = max(MAX_WINDOW_S, self.before_cap_s)
        ceiling_after = max(MAX_WINDOW_S, self.after_cap_s)
        too_slow = cadence is not None and (needed + 0.5) * cadence > SLOW_TOLERANCE * min(
            ceiling_before, ceiling_after
        )
        return (
            self.window_length(cadence, self.before_cap_s),
            self.window_length(cadence, self.after_cap_s),
            too_slow,
            max((cadence or 1.0) * needed, 0.25 * self.window_s),
            needed,
            min(ceiling_before, ceiling_after),
        )

    def window_length(self, cadence: float | None, cap: float) -> float:
        """Long enough for the readings a window needs at this cadence (and the nominal length).

        The cap is the configured longest window; a slow meter may stretch it up to
        MAX_WINDOW_S so that its windows still hold the readings they need.
        """
        if cadence is None:
            return min(self.window_s, cap)
        wanted = (self.needed_updates(cadence) + 0.5) * cadence
        return min(max(cap, min(wanted, MAX_WINDOW_S)), max(self.window_s, wanted))

    def needed_updates(self, cadence: float | None) -> int:
        """Meter readings a window needs: min_updates, or fewer (2) at a slow meter."""
        if cadence is None or (self.min_updates + 0.5) * cadence <= MAX_WINDOW_S:
            return self.min_updates
        return min(self.min_updates, SLOW_MIN_UPDATES)

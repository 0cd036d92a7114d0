"""Energy since local midnight from the home's cumulative energy sensor (when one is set).

Kept apart from the coordinator: a small state machine with its own rules (resets, a net meter
running backwards, implausible rises), stored with the coordinator's data.
"""

import math
from typing import Any

from .const import DEFAULT_MAX_POWER_W, ENERGY_STEP_SLACK_S, LOGGER

RESET_SHARE = 0.5  # a cumulative reading that falls below half its last value was reset


class DailyEnergy:
    """Energy since local midnight from a cumulative energy sensor's readings.

    Sums the increases between readings of the same local day, so a sensor that resets (a daily
    utility meter, a replaced device) counts from its new value instead of going negative, and
    a net meter that runs backwards while exporting adds nothing: never a decrease. With the
    reading's time, a rise beyond what `max_power_w` can draw since the last reading (plus
    ENERGY_STEP_SLACK_S) is not counted (a glitch at 1e308 kWh); the reading becomes the new
    reference, so a replaced meter that starts higher counts on from there.
    """

    def __init__(self, max_power_w: float = DEFAULT_MAX_POWER_W) -> None:
        """Nothing seen yet."""
        self.max_power_w = max_power_w
        self.day: str | None = None
        self.total_kwh = 0.0
        self.last_kwh: float | None = None
        self.last_ts: float | None = None
        self.refused = 0  # rises not counted as implausible (diagnostics)

    def update(self, day: str, reading_kwh: float | None, ts: float | None = None) -> float:
        """Add one reading (None: unavailable, nothing added); returns today's energy."""
        if day != self.day:
            self.day = day
            self.total_kwh = 0.0
        if reading_kwh is not None:
            if self.last_kwh is not None:
                step = reading_kwh - self.last_kwh
                if step >= 0:
                    rise = step
                elif reading_kwh < RESET_SHARE * self.last_kwh and reading_kwh >= 0:
                    rise = reading_kwh  # a reset: counting starts from zero
                else:  # a net meter running backwards (export): today's import is unchanged
                    rise = 0.0
                if not self._plausible(rise, ts):
                    self.refused += 1
                    LOGGER.debug("Energy reading %s kWh refused: an implausible rise", reading_kwh)
                elif math.isfinite(total := self.total_kwh + rise):
                    self.total_kwh = total  # two absurd readings never make an infinite day
            if reading_kwh != self.last_kwh:
                self.last_ts = ts
            self.last_kwh = reading_kwh
        return self.total_kwh

    def _plausible(self, rise_kwh: float, ts: float | None) -> bool:
        """Whether the maximum power can have used this much since the last reading."""
        if ts is None or rise_kwh == 0.0:
            return True
        elapsed = ENERGY_STEP_SLACK_S + max(ts - (self.last_ts or ts), 0.0)
        return rise_kwh <= self.max_power_w / 1000.0 * elapsed / 3600.0

    def as_dict(self) -> dict[str, Any]:
        """For the store."""
        return {"day": self.day, "total_kwh": self.total_kwh, "last_kwh": self.last_kwh}

    def load(self, data: dict[str, Any]) -> None:
        """Inverse of `as_dict`."""
        self.day = data.get("day")
        self.total_kwh = float(data.get("total_kwh") or 0.0)
        last = data.get("last_kwh")
        self.last_kwh = None if last is None else float(last)

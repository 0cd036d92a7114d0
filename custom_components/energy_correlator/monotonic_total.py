"""One monotonic kWh meter over an engine counter that may start over.

The engine's energy counters (a device's estimated energy, the home's exported energy) start
over on relearn, reset_statistics or a lost store, and its stored value may be older than the
sensor's last state (a crash between saves). The Energy dashboard needs one meter that never
drops: the sensor restores its last state and adds only the engine's increments to it.

Pure: no Home Assistant import.
"""

import math
from typing import Any


class MonotonicTotal:
    """The total a sensor shows: restored, then grown by the engine counter's increments."""

    __slots__ = ("_last", "total")

    def __init__(self) -> None:
        """Nothing known yet (the sensor is unknown until restored or followed)."""
        self.total: float | None = None
        self._last: float | None = None  # the engine counter at the last follow

    def restore(self, value: Any) -> None:
        """The sensor's last state; anything but a finite number >= 0 is ignored."""
        try:
            total = float(value)
        except TypeError, ValueError:
            return
        if math.isfinite(total) and total >= 0.0:
            self.total = total

    def follow(self, counter_kwh: float) -> None:
        """Add what the engine's counter grew by since the last call."""
        if not math.isfinite(counter_kwh):
            return  # never add what Home Assistant could not show (a corrupted store)
        if self._last is None:
            # the store and the restored state may disagree: the larger one is the newer, and
            # nothing is counted twice
            self.total = max(self.total or 0.0, counter_kwh)
        elif counter_kwh >= self._last:
            self.total = (self.total or 0.0) + counter_kwh - self._last
        else:  # the counter started over
            self.total = (self.total or 0.0) + max(counter_kwh, 0.0)
        self._last = counter_kwh

    @property
    def value(self) -> float | None:
        """The total in kWh (4 decimals), None while unknown."""
        return None if self.total is None else round(self.total, 4)

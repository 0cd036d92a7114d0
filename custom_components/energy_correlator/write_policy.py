"""When a sensor's new value is worth a state write (a row in the recorder's database).

The heartbeat recomputes every sensor every few seconds; energy grows and power jitters a little
on each beat. Writing all of that costs a small database dearly, so a value is written on a
meaningful change or at a bounded interval (see README, "How often data updates"):

- power: a change of at least max(1 W, 1 %) is written, at most every 30 s; a jump of at least
  max(25 W, 10 %) (a device switching) at once; any other change after 5 minutes;
- energy and cost: a growth of at least 0.01 (kWh, currency) is written, at most every minute;
  a drop (the daily or monthly reset) at once; any other change after 5 minutes;
- the InfluxDB sink's pending points (a handful in flight between two flushes all the time): a
  change of at least max(50 points, 10 %) at most every 30 s, any other change after 5 minutes;
  its success rate: a change of at least 0.5 points at most every minute, else after 5 minutes;
- everything else (names, counters, availability, attributes) on every change, except
  attributes declared volatile, whose own changes are written after 5 minutes.

Pure: time is an argument, no Home Assistant import.
"""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class WritePolicy:
    """Thresholds of one kind of value."""

    step: float  # a change at least this big (absolute) ...
    step_pct: float = 0.0  # ... or this percentage of the last written value, whichever larger
    min_interval_s: float  # a step-sized change waits this long after the last write
    max_interval_s: float = 300.0  # any change is written at the latest after this
    jump: float | None = None  # a change at least this big (and jump_pct) is written at once
    jump_pct: float = 0.0
    drop_at_once: bool = False  # a decrease is a reset: write it at once

    def _at_least(self, delta: float, last: float, absolute: float, pct: float) -> bool:
        return delta >= max(absolute, abs(last) * pct / 100)

    def due(self, last: float, value: float, elapsed_s: float) -> bool:
        """Whether `value` is worth writing `elapsed_s` after `last` was written."""
        delta = abs(value - last)
        if delta == 0:
            return False
        if self.drop_at_once and value < last:
            return True
        if self.jump is not None and self._at_least(delta, last, self.jump, self.jump_pct):
            return True
        if elapsed_s >= self.min_interval_s and self._at_least(
            delta, last, self.step, self.step_pct
        ):
            return True
        return elapsed_s >= self.max_interval_s


POWER = WritePolicy(
    step=1.0, step_pct=1.0, min_interval_s=30.0, jump=25.0, jump_pct=10.0, max_interval_s=300.0
)
ENERGY = WritePolicy(step=0.01, min_interval_s=60.0, max_interval_s=300.0, drop_at_once=True)
MONEY = ENERGY
BACKLOG = WritePolicy(step=50.0, step_pct=10.0, min_interval_s=30.0, max_interval_s=300.0)
RATE_PCT = WritePolicy(step=0.5, min_interval_s=60.0, max_interval_s=300.0)
VOLATILE_ATTRIBUTES_S = 300.0


class WriteGate:
    """One entity's memory of what it last wrote, and the decision for the next value."""

    __slots__ = ("_at", "_fixed", "_policy", "_value", "_volatile")

    def __init__(self, policy: WritePolicy | None) -> None:
        """`policy` None: every change is written (Home Assistant skips identical states)."""
        self._policy = policy
        self._at: float | None = None
        self._value: Any = None
        self._fixed: Any = None
        self._volatile: Any = None

    def due(self, now: float, value: Any, fixed: Any = None, volatile: Any = None) -> bool:
        """Whether to write now; if so, remember it as written.

        `value` goes through the policy when it and the last written value are numbers;
        `fixed` (availability, attributes) is written on every change; `volatile` (attributes
        that change on every beat) after VOLATILE_ATTRIBUTES_S.
        """
        if self._at is None or fixed != self._fixed or self._value_due(now, value):
            write = True
        else:
            write = volatile != self._volatile and now - self._at >= VOLATILE_ATTRIBUTES_S
        if write:
            self._at, self._value, self._fixed, self._volatile = now, value, fixed, volatile
        return write

    def _value_due(self, now: float, value: Any) -> bool:
        last = self._value
        numbers = (int, float)
        if (
            self._policy is None
            or not isinstance(value, numbers)
            or not isinstance(last, numbers)
            or self._at is None
        ):
            return value != last
        return self._policy.due(float(last), float(value), now - self._at)

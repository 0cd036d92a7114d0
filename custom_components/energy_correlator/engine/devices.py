"""Per-device level, time on and estimated energy (integrated from learned power over time).

Energy is booked lazily: at each level change, and before the device's profile changes (the
engine books it first), so the open interval is always valued at the power that held during
it. Reads add the open interval without booking it; nothing walks all devices per tick.
"""

from collections.abc import Callable, Iterator
import math
from typing import Any

type PowerAt = Callable[[str, float], float | None]


class DeviceState:
    """What the engine tracks about one device between events."""

    __slots__ = ("energy_kwh", "level", "observed_s", "on_level_s", "on_s", "since")

    def __init__(self, level: float = 0.0, since: float | None = None) -> None:
        """A device at `level` since `since` (None: not yet placed in time)."""
        self.level = level
        self.since = since
        self.energy_kwh = 0.0
        self.observed_s = 0.0
        self.on_s = 0.0
        self.on_level_s = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (the time anchor is dropped: a restart is not integrated)."""
        return {
            "level": self.level,
            "energy_kwh": self.energy_kwh,
            "observed_s": self.observed_s,
            "on_s": self.on_s,
            "on_level_s": self.on_level_s,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceState:
        """Inverse of to_dict; raises ValueError/TypeError on malformed data."""
        state = cls(level=_unit(float(data.get("level", 0.0))))
        state.energy_kwh = _non_negative(float(data.get("energy_kwh", 0.0)))
        state.observed_s = _non_negative(float(data.get("observed_s", 0.0)))
        state.on_s = _non_negative(float(data.get("on_s", 0.0)))
        state.on_level_s = _non_negative(float(data.get("on_level_s", 0.0)))
        return state


def _unit(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"level must be within 0..1, got {value!r}")
    return value


def _non_negative(value: float) -> float:
    if not math.isfinite(value) or value < 0.0:
        raise ValueError(f"expected a finite number >= 0, got {value!r}")
    return value


class DeviceLedger:
    """Levels and energy of every device the engine has seen."""

    def __init__(self, power_at: PowerAt) -> None:
        """`power_at(entity_id, level)` gives the learned power (None when unknown)."""
        self._power_at = power_at
        self.devices: dict[str, DeviceState] = {}

    def __iter__(self) -> Iterator[tuple[str, DeviceState]]:
        """(entity_id, state) pairs."""
        return iter(self.devices.items())

    def get(self, entity_id: str) -> DeviceState | None:
        """The device's state, None when never seen."""
        return self.devices.get(entity_id)

    def _account(self, entity_id: str, state: DeviceState, ts: float) -> None:
        since = state.since
        if since is None or ts <= since:
            if since is None:
                state.since = ts
            return
        step = ts - since
        power = self._power_at(entity_id, state.level) or 0.0
        state.energy_kwh += power * step / 3_600_000.0
        state.observed_s += step
        if state.level > 0.0:
            state.on_s += step
            state.on_level_s += state.level * step
        state.since = ts

    def book(self, entity_id: str, ts: float) -> None:
        """Book one device's energy up to `ts` (before its learned power changes)."""
        state = self.devices.get(entity_id)
        if state is not None:
            self._account(entity_id, state, ts)

    def set_level(self, entity_id: str, ts: float, level: float) -> None:
        """The device is at `level` from `ts` on (energy so far is booked at the old level)."""
        state = self.devices.get(entity_id)
        if state is None:
            self.devices[entity_id] = DeviceState(level, ts)
            return
        self._account(entity_id, state, ts)
        state.level = level

    def energy_at(self, entity_id: str, now: float | None) -> float:
        """Booked energy plus what the current level added since (without booking it)."""
        state = self.devices.get(entity_id)
        if state is None:
            return 0.0
        since = state.since
        if now is None or since is None or now <= since:
            return state.energy_kwh
        power = self._power_at(entity_id, state.level) or 0.0
        return state.energy_kwh + power * (now - since) / 3_600_000.0

    def advance(self, now: float) -> None:
        """Book every device's energy up to `now`."""
        for entity_id, state in self.devices.items():
            self._account(entity_id, state, now)

    def observed_s(self, state: DeviceState, now: float) -> float:
        """How long the device has been watched, the open interval included."""
        if state.since is not None and now > state.since:
            return state.observed_s + now - state.since
        return state.observed_s

    def usage(self, state: DeviceState, now: float) -> tuple[float, float]:
        """(share of the observed time on, mean level while on), the open interval included."""
        observed, on_s, on_level_s = state.observed_s, state.on_s, state.on_level_s
        if state.since is not None and now > state.since:
            step = now - state.since
            observed += step
            if state.level > 0.0:
                on_s += step
                on_level_s += state.level * step
        fraction = on_s / observed if observed > 0 else float(state.level > 0)
        if on_s > 0:
            return fraction, on_level_s / on_s
        return fraction, state.level if state.level > 0 else 1.0

    def rename(self, old: str, new: str) -> None:
        """Move a device's state to its new entity id."""
        if old in self.devices:
            self.devices[new] = self.devices.pop(old)

    def reset(self, now: float | None) -> None:
        """Zero energy and times, keep levels; counting restarts at `now`."""
        for state in self.devices.values():
            state.energy_kwh = state.observed_s = state.on_s = state.on_level_s = 0.0
            if state.since is not None and now is not None:
                state.since = max(state.since, now)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {entity_id: state.to_dict() for entity_id, state in self.devices.items()}

    @staticmethod
    def parse(data: dict[str, Any]) -> dict[str, DeviceState]:
        """Validated states from to_dict's output (raises on malformed entries)."""
        return {str(entity_id): DeviceState.from_dict(item) for entity_id, item in data.items()}

"""Plain data the engine exchanges with its shell.

Nothing here knows Home Assistant: the shell turns HA states into `DeviceEvent`s and meter
readings into floats, and reads `Correlation`s / `ProfileSummary`s back. Times are POSIX seconds
(floats) passed in by the caller; the engine never reads a clock.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any


class TransitionKind(StrEnum):
    """What kind of change a device event is; each kind has its own learned profile."""

    ONOFF = "onoff"  # switch/fan/humidifier/vacuum/cover... off <-> on, media_player off <-> on
    BRIGHTNESS = "brightness"  # light: level = brightness 0..1 (0 = off)
    FAN_SPEED = "fan_speed"  # fan: level = percentage 0..1 (0 = off)
    HVAC_ACTION = "hvac_action"  # climate/water_heater: level 1 heating/cooling, 0 idle/off
    MEDIA = "media"  # media_player: level 1 playing, 0.5 on/idle/paused, 0 off


class Status(StrEnum):
    """Why a correlation did or did not teach its profile."""

    OK = "ok"
    OVERLAP = "overlap"  # other events in the windows and they could not be compensated
    GAP = "gap"  # the meter was unavailable in a window
    LOW_CONFIDENCE = "low_confidence"  # too noisy / too few updates to trust
    TOO_SLOW = "too_slow"  # the meter reports too rarely to resolve this event at all


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """A watched device changed in a way that plausibly changes power."""

    entity_id: str
    ts: float
    domain: str
    kind: TransitionKind
    previous_state: str
    state: str
    previous_level: float  # 0.0 off .. 1.0 fully on
    level: float


def delta_pct(delta: float | None, before_w: float | None) -> float | None:
    """A step relative to the power before it; None below 1 W or while exporting (a
    percentage of a negative or near-zero "before" means nothing)."""
    if delta is None or before_w is None or before_w < 1.0:
        return None
    return 100.0 * delta / before_w


@dataclass(slots=True)
class Correlation:
    """The measured power change around one device event.

    Treated as immutable, but not a frozen dataclass: one is built per event on the engine's
    hot path, and a frozen dataclass of this size takes five times as long to construct.
    """

    entity_id: str
    domain: str
    kind: TransitionKind
    previous_state: str
    state: str
    ts: float
    previous_level: float
    level: float
    power_before_w: float | None
    power_after_w: float | None
    power_delta_w: float | None  # after - before, minus compensated overlaps
    power_delta_pct: float | None  # delta relative to before (None below 1 W or exporting)
    meter_updates: int  # meter updates inside both windows
    confidence: float  # 0..1
    status: Status
    overlapping: tuple[str, ...] = ()
    compensated_w: float = 0.0  # expected deltas of overlapping devices already subtracted
    reference_delta_w: float | None = None  # same windows on the device's own power sensor
    learned: bool = False  # did it teach the profile
    uncertainty_w: float | None = None  # standard error of power_delta_w (the windows' noise)
    pulse: bool = False  # a short on/off-period measured from both its edges

    def event(self) -> DeviceEvent:
        """The device event this correlation measured (learn() replays through it)."""
        return DeviceEvent(
            entity_id=self.entity_id,
            ts=self.ts,
            domain=self.domain,
            kind=self.kind,
            previous_state=self.previous_state,
            state=self.state,
            previous_level=self.previous_level,
            level=self.level,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (for events, actions, storage)."""
        data = asdict(self)
        data["kind"] = str(self.kind)
        data["status"] = str(self.status)
        data["overlapping"] = list(self.overlapping)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Correlation:
        """Inverse of `as_dict`."""
        values = dict(data)
        values["kind"] = TransitionKind(values["kind"])
        values["status"] = Status(values["status"])
        values["overlapping"] = tuple(values.get("overlapping", ()))
        return cls(**values)


@dataclass(frozen=True, slots=True)
class PowerMode:
    """One of a device's modes: a power it draws when switched on, and how often."""

    power_w: float
    events: int
    share: float  # of the events of the level that defines learned_power_w


@dataclass(frozen=True, slots=True)
class ProfileSummary:
    """What the engine has learned about one device (all its transition kinds merged)."""

    entity_id: str
    kind: TransitionKind  # the kind that defines learned_power_w
    learned_power_w: float | None  # power when fully on (level 1); None until learned
    confidence: float  # 0..1, grows with agreeing events
    events: int  # correlations that taught the profile
    on_delta_w: float | None  # robust centre of off->on deltas
    off_delta_w: float | None  # robust centre of on->off deltas (as a positive number)
    spread_w: float  # robust spread (scaled MAD) of the deltas
    standby_w: float | None  # power while off, where the data supports it
    last_seen: float | None
    curve: tuple[tuple[float, float], ...] = ()  # (level, watts) for dimmable lights / fans
    reference_power_w: float | None = None  # the device's own power sensor, when it has one
    validation_error_pct: float | None = None  # learned vs reference
    uncertainty_w: float | None = None  # standard error of learned_power_w
    modes: tuple[PowerMode, ...] = ()  # the dominant mode (learned_power_w) first

    def power_at(self, level: float) -> float:
        """Estimated power at `level` (0 = off gives standby or 0)."""
        if level <= 0:
            return self.standby_w or 0.0
        if self.learned_power_w is None:
            return 0.0
        if not self.curve:
            return self.learned_power_w
        points = sorted(self.curve)
        if level <= points[0][0]:
            return points[0][1] * level / points[0][0] if points[0][0] > 0 else points[0][1]
        for (l0, w0), (l1, w1) in pairwise(points):
            if l0 <= level <= l1:
                return w0 + (w1 - w0) * (level - l0) / (l1 - l0) if l1 > l0 else w1
        return points[-1][1]


@dataclass(frozen=True, slots=True)
class TopConsumer:
    """One row of the top consumers table."""

    entity_id: str
    learned_power_w: float
    on_fraction: float  # share of observed time the device was on
    kwh_per_day: float | None  # None until a day has been observed (no extrapolation)
    kwh_per_month: float | None  # kwh_per_day * 30, None until a day has been observed
    observed_days: float = 0.0  # how long the device has been watched
    observed_kwh: float = 0.0  # energy over that time at the learned power
    mean_power_w: float = 0.0  # observed mean draw (ranks devices however little was seen)


@dataclass(slots=True)
class EngineStats:
    """Counters the diagnostics and diagnostic sensors show."""

    samples: int = 0
    samples_rejected: int = 0  # NaN/inf/out of order
    events: int = 0
    correlations: int = 0
    learned: int = 0
    skipped_overlap: int = 0
    skipped_gap: int = 0
    skipped_low_confidence: int = 0
    skipped_too_slow: int = 0

    @property
    def correlation_rate_pct(self) -> float:
        """Share of processed events that taught a profile."""
        return 100.0 * self.learned / self.correlations if self.correlations else 0.0


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Tunables; the shell builds this from the config entry's options."""

    main_meter: str
    circuits: tuple[str, ...] = ()
    before_window_s: float = 30.0  # longest look-back before an event
    after_window_s: float = 30.0  # longest look-forward after settle
    settle_s: float = 5.0  # ignore this long after the event (inrush, reporting delay)
    min_updates: int = 3  # meter updates a window needs to be trusted
    min_delta_w: float = 5.0  # smaller deltas are "no change"
    horizon_s: float = 900.0  # power series ring buffer horizon
    timezone: str = "UTC"  # IANA name: local nights (standby) and local midnight (daily energy)
    night_start_hour: int = 1
    night_end_hour: int = 5
    standby_percentile: float = 10.0
    peak_window_s: float = 86_400.0
    recent_correlations: int = 500
    max_power_w: float = 100_000.0  # a meter reading beyond ± this is refused (plausibility.py)
    extra: dict[str, Any] = field(default_factory=dict)

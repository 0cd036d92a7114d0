"""Plain data the consumption core exchanges with its shell.

Nothing here knows Home Assistant. Times are POSIX seconds (floats) passed in by the caller;
values are in the meter's own canonical unit (kWh for electricity/heat, m³ for gas/water: the
shell converts through `units.py`). Hourly series are aligned to UTC hours (timestamps that are
multiples of 3600), as Home Assistant's long-term statistics are.
"""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import numpy as np

HOUR = 3600.0
DAY = 86_400.0


class DamagedStateError(ValueError):
    """Stored meter data that is not a valid meter (from_dict): start afresh and say so."""


class MeterKind(StrEnum):
    """What a meter measures; decides the canonical unit (kWh or m³)."""

    ELECTRICITY = "electricity"
    GAS = "gas"
    WATER = "water"
    HEAT = "heat"


class ReadingSource(StrEnum):
    """Where a reading came from. Manual readings are never thinned; sensor ones are."""

    SENSOR = "sensor"
    MANUAL = "manual"
    HISTORY = "history"


class Refusal(StrEnum):
    """Why a reading was not taken (translation keys of the shell's errors)."""

    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    FUTURE = "future"
    DUPLICATE = "duplicate"  # same time and value as a stored reading: harmless, nothing changes
    CONFLICT = "conflict"  # same time as a stored reading, other value
    DECREASE = "decrease"  # lower than the reading before it and not a reset
    TYPO = "typo"  # contradicts its neighbours (or an absurd rate against the meter's usual one)
    IMPLAUSIBLE = "implausible"  # beyond what the meter's kind can consume (MAX_RATE_PER_HOUR)


class Notice(StrEnum):
    """Something the shell should tell the user about an accepted reading."""

    RESET = "reset"  # a total_increasing meter dropped: counted again from its new value
    UNEXPLAINED_DROP = "unexplained_drop"  # a drop on a meter that never resets: repair issue
    TYPO_REMOVED = "typo_removed"  # this reading showed an older stored one to be the typo


@dataclass(frozen=True, slots=True)
class Reading:
    """One value of a cumulative meter at one time."""

    ts: float
    value: float
    source: ReadingSource = ReadingSource.SENSOR


@dataclass(frozen=True, slots=True)
class ReadingResult:
    """What happened to one reading; refused ones carry the reason and their neighbours."""

    accepted: bool
    reason: Refusal | None = None
    notice: Notice | None = None
    previous: Reading | None = None  # stored neighbours, for the error's placeholders
    next: Reading | None = None
    removed: Reading | None = None  # an older stored reading this one showed to be a typo


@dataclass(slots=True)
class BatchResult:
    """What happened to a batch of readings (history import, replay)."""

    accepted: int = 0
    refused: dict[Refusal, int] = field(default_factory=dict)
    resets: int = 0
    drops: int = 0  # unexplained drops (each also listed by UtilityMeter.drops())
    removed: int = 0  # older stored readings shown to be typos

    def refuse(self, reason: Refusal, count: int = 1) -> None:
        """Count `count` refusals for `reason`."""
        if count:
            self.refused[reason] = self.refused.get(reason, 0) + count


@dataclass(frozen=True, slots=True)
class Drop:
    """A drop on a meter that should never drop: provisionally counted as a reset until the user
    tells the replacement (replace_meter) — the shell raises a repair issue for it."""

    ts: float
    previous: float
    value: float


@dataclass(frozen=True, slots=True)
class Replacement:
    """A physical meter swap: the old meter's final and the new meter's first reading at `ts`.

    `implied` is the old meter's consumption from its last reading to `old_final`; `expected` the
    meter's usual rate over that time (None when not known). `mismatch` when they differ by more
    than the configured tolerance (20 %): the shell warns, the core does not guess.
    """

    ts: float
    old_final: float
    new_first: float
    implied: float | None = None
    expected: float | None = None
    mismatch: bool = False


@dataclass(frozen=True, slots=True)
class ReplaceResult:
    """Outcome of UtilityMeter.replace: the replacement, or why it was refused."""

    accepted: bool
    replacement: Replacement | None = None
    reason: Refusal | None = None


@dataclass(frozen=True, slots=True)
class HourConsumption:
    """Consumption in one UTC hour [ts, ts + 3600)."""

    ts: float
    value: float
    estimated: bool  # after the last reading: extrapolated, replaced when a reading arrives
    filled: bool  # inside a long gap: spread by the meter's learned profile


@dataclass(frozen=True, slots=True, eq=False)
class HourlySeries:
    """Consecutive UTC hours from `start`; the arrays have one element per hour."""

    start: float
    values: np.ndarray  # float64, never negative
    filled: np.ndarray  # bool
    estimated: np.ndarray  # bool
    resolved: np.ndarray  # bool: inside reading intervals short enough to judge its day

    @property
    def end(self) -> float:
        """The end of the last hour (exclusive)."""
        return self.start + HOUR * len(self.values)

    @property
    def total(self) -> float:
        """The sum over all hours."""
        return float(self.values.sum())

    def __len__(self) -> int:
        """The number of hours."""
        return len(self.values)

    def hours(self) -> list[HourConsumption]:
        """The hours as records (for the statistics import and diagnostics)."""
        start = self.start
        return [
            HourConsumption(start + HOUR * i, float(v), bool(e), bool(f))
            for i, (v, e, f) in enumerate(
                zip(self.values, self.estimated, self.filled, strict=True)
            )
        ]

    def between(self, start: float, end: float) -> HourlySeries:
        """The hours that start in [start, end) (start/end rounded down to hours)."""
        first = max(0, int((start - self.start) // HOUR))
        last = min(len(self.values), max(first, int(-((self.start - end) // HOUR))))
        return HourlySeries(
            self.start + HOUR * first,
            self.values[first:last],
            self.filled[first:last],
            self.estimated[first:last],
            self.resolved[first:last],
        )

    @staticmethod
    def empty(start: float = 0.0) -> HourlySeries:
        """No hours."""
        none = np.zeros(0, bool)
        return HourlySeries(start, np.zeros(0), none, none, none)


@dataclass(frozen=True, slots=True, eq=False)
class DaySeries:
    """Local calendar days: totals, whether all the day's hours are known, and estimated."""

    days: np.ndarray  # datetime64[D], consecutive
    values: np.ndarray  # float64
    complete: np.ndarray  # bool: every hour of the (local) day is covered
    estimated: np.ndarray  # bool: some hour is an estimate after the last reading

    def day(self, i: int) -> date:
        """The i-th day as a date."""
        day: date = self.days[i].astype(object)
        return day


@dataclass(frozen=True, slots=True, eq=False)
class MonthSeries:
    """Local calendar months and their totals."""

    months: np.ndarray  # datetime64[M]
    values: np.ndarray
    estimated: np.ndarray


@dataclass(frozen=True, slots=True)
class Totals:
    """What the sensors show; None when nothing is known for that period."""

    today: float | None
    this_month: float | None
    last_month: float | None
    today_estimated: bool = False
    this_month_estimated: bool = False


@dataclass(frozen=True, slots=True)
class AnomalyConfig:
    """Thresholds of the daily anomaly vote (all options)."""

    global_z: float = 3.0
    iqr_k: float = 1.5
    rolling_z: float = 2.5
    window_days: int = 30
    min_votes: int = 2  # of the three methods
    min_deviation: float = 0.2  # and at least this far (relative) from the day's usual level
    min_days: int = 14  # complete days needed before any day is judged


@dataclass(frozen=True, slots=True, eq=False)
class DayTemperatures:
    """Outdoor mean temperature per local day in °C (NaN where unknown), for heating meters."""

    days: np.ndarray  # datetime64[D], sorted, unique
    values: np.ndarray  # float64

    def on(self, days: np.ndarray) -> np.ndarray:
        """The temperatures of `days` (datetime64[D]), NaN where none is known."""
        found = np.full(len(days), np.nan)
        if len(self.days) == 0 or len(days) == 0:
            return found
        where = np.clip(np.searchsorted(self.days, days), 0, len(self.days) - 1)
        hit = self.days[where] == days
        found[hit] = self.values[where[hit]]
        return found


@dataclass(frozen=True, slots=True)
class WeatherFit:
    """A heating meter's daily use explained by the weather: base + per_degree_day x HDD."""

    base: float  # per day without heating (kWh or m³)
    per_degree_day: float  # per heating degree day
    days: int  # days with a temperature the fit was made on


@dataclass(frozen=True, slots=True)
class Anomaly:
    """A day whose consumption at least `min_votes` methods call unusual."""

    day: date
    value: float
    expected_low: float
    expected_high: float
    methods: tuple[str, ...]  # of "global_z", "iqr", "rolling_z"


# The absolute plausibility bound, from a meter's very first reading on (before any usual rate is
# known): the most a home can consume per hour, in the canonical unit (kWh or m³). Generous on
# purpose (a large house supply, a big boiler, a garden hose and more): it only stops absurd
# values (a typo of many digits, a sensor reporting 1e308), never real consumption.
MAX_RATE_PER_HOUR: dict[MeterKind, float] = {
    MeterKind.ELECTRICITY: 100.0,  # kWh/h: a 100 kW supply
    MeterKind.GAS: 25.0,  # m³/h
    MeterKind.WATER: 10.0,  # m³/h
    MeterKind.HEAT: 100.0,  # kWh/h, like electricity
}
MAX_READING = 1e12  # no meter shows more (kWh or m³); keeps every sum far from overflow


@dataclass(frozen=True, slots=True)
class MeterConfig:
    """How one meter's readings are judged and spread."""

    kind: MeterKind = MeterKind.ELECTRICITY
    resets: bool = True  # total_increasing: a drop is a reset; False (total, manual): a Drop
    gap_fill_after: float = 2 * DAY  # longer gaps are spread by the learned profile
    future_tolerance: float = 300.0  # readings later than now + this are refused
    decrease_tolerance: float = 0.1  # a drop smaller than this fraction is noise: refused
    typo_factor: float = 50.0  # a rise this many times the usual rate (over >= 1 day) is a typo
    swap_tolerance: float = 0.2  # replacement implied vs expected consumption
    horizon: float = 5 * 366 * DAY  # readings older than the newest minus this are forgotten
    anomaly: AnomalyConfig = AnomalyConfig()
    max_rate: float | None = None  # per hour (kWh or m³); None: MAX_RATE_PER_HOUR of the kind

    @property
    def max_rate_per_second(self) -> float:
        """The plausibility bound of this meter, per second."""
        rate = MAX_RATE_PER_HOUR[self.kind] if self.max_rate is None else self.max_rate
        return rate / HOUR

    def max_rise(self, dt: float) -> float:
        """The largest plausible rise over `dt` seconds (never less than an hour's worth: a
        coarse meter may step by a whole unit at once)."""
        return self.max_rate_per_second * max(dt, HOUR)


@dataclass(frozen=True, slots=True)
class PendingImport:
    """Hours from `start` changed since the last statistics import (see mark_imported)."""

    start: float
    version: int

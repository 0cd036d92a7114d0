"""One utility meter: readings in, hourly/daily/monthly consumption and anomalies out.

The facade the shell talks to. It ties the reading ledger (validation, resets, replacements),
the interpolation (with the learned profile for long gaps), the calendar aggregation and the
anomaly vote together, and remembers from which hour the series changed since the last
statistics import. Time is always an argument; the time zone is given once at construction.
"""

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from .models import (
    Anomaly,
    BatchResult,
    DaySeries,
    Drop,
    HourlySeries,
    MeterConfig,
    MonthSeries,
    PendingImport,
    Reading,
    ReadingResult,
    ReadingSource,
    Replacement,
    ReplaceResult,
    Totals,
)


class UtilityMeter:
    """A master meter: the chain of physical meters over their periods, as one series."""

    def __init__(self, meter_id: str, config: MeterConfig, tz: tzinfo) -> None:
        """An empty meter; `tz` decides local days/months and the profile's hours."""
        raise NotImplementedError

    def add_reading(
        self, ts: float, value: float, now: float, source: ReadingSource = ReadingSource.SENSOR
    ) -> ReadingResult:
        """Take one reading (any order) or refuse it with a reason."""
        raise NotImplementedError

    def add_readings(
        self,
        ts: Sequence[float],
        values: Sequence[float],
        now: float,
        source: ReadingSource = ReadingSource.HISTORY,
    ) -> BatchResult:
        """Take many readings at once (history, replay); vectorised when they extend the end."""
        raise NotImplementedError

    def replace(self, ts: float, old_final: float, new_first: float, now: float) -> ReplaceResult:
        """A physical meter swap at `ts`: readings after `ts` belong to the new meter."""
        raise NotImplementedError

    def hourly(
        self, start: float | None = None, end: float | None = None, now: float | None = None
    ) -> HourlySeries:
        """Consumption per UTC hour in [start, end); with `now`, the open interval after the
        last reading is extrapolated up to `now` (marked estimated)."""
        raise NotImplementedError

    def daily(self, now: float | None = None) -> DaySeries:
        """Local-day totals of the hourly series."""
        raise NotImplementedError

    def monthly(self, now: float | None = None) -> MonthSeries:
        """Local-month totals of the hourly series."""
        raise NotImplementedError

    def totals(self, now: float) -> Totals:
        """Today, this month and last month (local), estimate included."""
        raise NotImplementedError

    def anomalies(self, now: float | None = None) -> list[Anomaly]:
        """Unusual complete days (the vote of anomaly.detect)."""
        raise NotImplementedError

    def pending_import(self) -> PendingImport | None:
        """The first hour changed since the last import (None: nothing to import)."""
        raise NotImplementedError

    def mark_imported(self, version: int) -> None:
        """The import of `pending_import()` with this version is done."""
        raise NotImplementedError

    def learn_profile(self) -> bool:
        """Re-learn the hour-of-day x weekday profile; True (and dirty) when it changed."""
        raise NotImplementedError

    @property
    def last_reading(self) -> Reading | None:
        """The newest stored reading."""
        raise NotImplementedError

    def readings(self) -> list[Reading]:
        """All stored readings, oldest first."""
        raise NotImplementedError

    def replacements(self) -> list[Replacement]:
        """The physical meter swaps, oldest first."""
        raise NotImplementedError

    def drops(self) -> list[Drop]:
        """Unexplained drops not yet explained by a replacement (repair issues)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state for the store."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: MeterConfig, tz: tzinfo) -> UtilityMeter:
        """A meter restored from `to_dict()`."""
        raise NotImplementedError

"""Pure utility-meter consumption core: no Home Assistant import below this package.

Readings of cumulative meters in, honest hourly consumption out: linear interpolation that
conserves every difference, profile-filled long gaps, resets, replacements, virtual meters and
daily anomalies. Time is an argument; memory is bounded by a horizon.
"""

from .aggregate import daily, monthly, totals
from .anomaly import detect, weather_fit
from .meter import UtilityMeter
from .models import (
    DAY,
    HOUR,
    MAX_RATE_PER_HOUR,
    MAX_READING,
    Anomaly,
    AnomalyConfig,
    BatchResult,
    DamagedStateError,
    DaySeries,
    DayTemperatures,
    Drop,
    HourConsumption,
    HourlySeries,
    MeterConfig,
    MeterKind,
    MonthSeries,
    Notice,
    PendingImport,
    Reading,
    ReadingResult,
    ReadingSource,
    Refusal,
    Replacement,
    ReplaceResult,
    Totals,
    WeatherFit,
)
from .virtual import VirtualSeries, subtract
from .weather import HDD_BASE_C, PLAUSIBLE_C

__all__ = [
    "DAY",
    "HDD_BASE_C",
    "HOUR",
    "MAX_RATE_PER_HOUR",
    "MAX_READING",
    "PLAUSIBLE_C",
    "Anomaly",
    "AnomalyConfig",
    "BatchResult",
    "DamagedStateError",
    "DaySeries",
    "DayTemperatures",
    "Drop",
    "HourConsumption",
    "HourlySeries",
    "MeterConfig",
    "MeterKind",
    "MonthSeries",
    "Notice",
    "PendingImport",
    "Reading",
    "ReadingResult",
    "ReadingSource",
    "Refusal",
    "ReplaceResult",
    "Replacement",
    "Totals",
    "UtilityMeter",
    "VirtualSeries",
    "WeatherFit",
    "daily",
    "detect",
    "monthly",
    "subtract",
    "totals",
    "weather_fit",
]

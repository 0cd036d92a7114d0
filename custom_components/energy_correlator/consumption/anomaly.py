"""Unusual days: a vote of three tests on daily consumption.

global z-score, IQR fence and a rolling z-score against the previous `window_days` normal days;
a day is an anomaly when at least `min_votes` agree. The tests run on the daily values divided
by the meter's own weekday factor (so a usual Saturday is not unusual).
"""

from .models import Anomaly, AnomalyConfig, DaySeries

DEFAULT = AnomalyConfig()


def detect(days: DaySeries, config: AnomalyConfig = DEFAULT) -> list[Anomaly]:
    """The anomalous complete, non-estimated days, oldest first."""
    raise NotImplementedError

"""The InfluxDB sink: one part, shared by the power and the utility-meter wings.

Entries get the sink of their server with `async_acquire_sink` (one sink, one writer and one
journaled backlog per url/org/bucket) and record points through its `record_*` callbacks.
"""

from .hub import async_acquire_sink, async_release_sink, async_remove_entry_backlog
from .points import ANOMALY_METHOD_BITS, ConsumptionPeriod, methods_bitmask
from .settings import InfluxSettings, SinkKey
from .sink import InfluxSink, SinkStats
from .validation import InfluxValidationError, async_validate_influx

__all__ = [
    "ANOMALY_METHOD_BITS",
    "ConsumptionPeriod",
    "InfluxSettings",
    "InfluxSink",
    "InfluxValidationError",
    "SinkKey",
    "SinkStats",
    "async_acquire_sink",
    "async_release_sink",
    "async_remove_entry_backlog",
    "async_validate_influx",
    "methods_bitmask",
]

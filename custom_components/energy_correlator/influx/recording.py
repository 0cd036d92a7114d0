"""The sink's recording API: one event-loop callback per measurement, never blocking or raising.

Each `record_*` takes exactly the arguments of its renderer in points.py (one signature per
measurement, kept there), renders the point at once and hands it to `_enqueue`; a value that
cannot be rendered is counted as dropped there, never raised to the caller.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from typing import Any, Concatenate

from homeassistant.core import callback

from .points import (
    circuit_line,
    correlation_line,
    meter_anomaly_line,
    meter_consumption_line,
    meter_line,
    profile_line,
    render,
)


def _recorder[**P](
    renderer: Callable[P, str | None],
) -> Callable[Concatenate[SinkRecording, P], None]:
    """A `record_*` method: queue the point `renderer` makes of the same arguments."""

    @callback
    def record(self: SinkRecording, /, *args: P.args, **kwargs: P.kwargs) -> None:
        self._enqueue(renderer, *args, **kwargs)

    record.__doc__ = f"Queue one point of `points.{renderer.__name__}` (never raises)."
    return record


class SinkRecording(ABC):
    """The `record_*` callbacks of both wings; the sink supplies `_enqueue`."""

    @abstractmethod
    def _enqueue(self, renderer: Callable[..., str | None], *args: Any, **kwargs: Any) -> None:
        """Render one point with `renderer` and queue it (the sink's backlog)."""

    record_meter = _recorder(meter_line)
    record_circuit = _recorder(circuit_line)
    record_correlation = _recorder(correlation_line)  # stamped with the event's own time
    record_profile = _recorder(profile_line)
    record_meter_consumption = _recorder(meter_consumption_line)  # ts: the hour's or day's start
    record_meter_anomaly = _recorder(meter_anomaly_line)  # methods become a float bitmask

    @callback
    def record(
        self,
        measurement: str,
        tags: Iterable[tuple[str, str | None]],
        fields: Iterable[tuple[str, float | None]],
        ts: float,
    ) -> None:
        """Queue any point: string tags (empty ones left out), float fields, POSIX seconds."""
        self._enqueue(render, measurement, tuple(tags), tuple(fields), ts)

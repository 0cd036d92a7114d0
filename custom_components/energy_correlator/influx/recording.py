"""The sink's recording API: one event-loop callback per measurement, never blocking or raising.

Each renders its point to line protocol at once (points.py) and hands it to `_enqueue`; a value
that cannot be rendered is counted as dropped there, never raised to the caller.
"""

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import callback

from ..engine.models import Correlation, ProfileSummary
from .points import (
    ConsumptionPeriod,
    circuit_line,
    correlation_line,
    meter_anomaly_line,
    meter_consumption_line,
    meter_line,
    profile_line,
    render,
)


class SinkRecording:
    """The `record_*` callbacks of both wings; the sink supplies `_enqueue`."""

    def _enqueue(self, renderer: Callable[..., str | None], *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    @callback
    def record_meter(
        self, ts: float, meter_entity: str, total_power_w: float | None, daily_kwh: float | None
    ) -> None:
        """Queue one `smart_meter` point."""
        self._enqueue(meter_line, ts, meter_entity, total_power_w, daily_kwh)

    @callback
    def record_circuit(
        self,
        ts: float,
        circuit_entity: str,
        meter_entity: str,
        power_w: float,
        percentage: float | None,
    ) -> None:
        """Queue one `smart_meter_circuit` point."""
        self._enqueue(circuit_line, ts, circuit_entity, meter_entity, power_w, percentage)

    @callback
    def record_correlation(self, correlation: Correlation) -> None:
        """Queue one `event_energy_correlation` point (at the event's time)."""
        self._enqueue(correlation_line, correlation)

    @callback
    def record_profile(self, ts: float, profile: ProfileSummary) -> None:
        """Queue one `device_power_profile` point."""
        self._enqueue(profile_line, ts, profile)

    @callback
    def record_meter_consumption(
        self,
        ts: float,
        *,
        meter_id: str,
        meter_type: str,
        unit: str,
        period: ConsumptionPeriod,
        interpolated: bool,
        consumption: float | None,
        cost: float | None = None,
    ) -> None:
        """Queue one `meter_consumption` point (`ts`: the start of the hour or day)."""
        self._enqueue(
            meter_consumption_line,
            ts,
            meter_id=meter_id,
            meter_type=meter_type,
            unit=unit,
            period=period,
            interpolated=interpolated,
            consumption=consumption,
            cost=cost,
        )

    @callback
    def record_meter_anomaly(
        self,
        ts: float,
        *,
        meter_id: str,
        value: float,
        expected_low: float | None,
        expected_high: float | None,
        methods: Iterable[str] | int,
        meter_type: str | None = None,
        unit: str | None = None,
    ) -> None:
        """Queue one `meter_anomaly` point (`methods` becomes a float bitmask)."""
        self._enqueue(
            meter_anomaly_line,
            ts,
            meter_id=meter_id,
            value=value,
            expected_low=expected_low,
            expected_high=expected_high,
            methods=methods,
            meter_type=meter_type,
            unit=unit,
        )

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

"""InfluxDB line protocol for the measurements of the sink (both wings).

Points are rendered to line protocol strings as soon as they are recorded: a string is the
smallest form to keep in the backlog, persists as-is, and replays without re-encoding. Every
field is written as a float so a field's type never conflicts across versions; tags are escaped
like influxdb-client's own `Point` does, plus backslashes (doubled: the client leaves a trailing
backslash that then escapes the separator); timestamps are integer nanoseconds (precision "ns").
"""

from collections.abc import Iterable
from enum import StrEnum
import math

from ..engine.models import Correlation, ProfileSummary, Status

MEASUREMENT_METER = "smart_meter"
MEASUREMENT_CIRCUIT = "smart_meter_circuit"
MEASUREMENT_CORRELATION = "event_energy_correlation"
MEASUREMENT_PROFILE = "device_power_profile"
MEASUREMENT_METER_CONSUMPTION = "meter_consumption"
MEASUREMENT_METER_ANOMALY = "meter_anomaly"
METER_TYPE = "home_assistant"

# influxdb_client.client.write.point._ESCAPE_KEY / _ESCAPE_MEASUREMENT, plus the backslash.
_ESCAPE_KEY = str.maketrans(
    {"\\": "\\\\", ",": r"\,", " ": r"\ ", "=": r"\=", "\n": r"\n", "\t": r"\t", "\r": r"\r"}
)
_ESCAPE_MEASUREMENT = str.maketrans(
    {"\\": "\\\\", ",": r"\,", " ": r"\ ", "\n": r"\n", "\t": r"\t", "\r": r"\r"}
)


def escape_tag(value: str) -> str:
    """Escape a tag key or value (also used for field keys)."""
    return value.translate(_ESCAPE_KEY)


def to_ns(ts: float) -> int:
    """POSIX seconds to integer nanoseconds, exact to the microsecond (float-safe)."""
    return round(ts * 1_000_000) * 1_000


def render(
    measurement: str,
    tags: Iterable[tuple[str, str | None]],
    fields: Iterable[tuple[str, float | None]],
    ts: float,
) -> str | None:
    """One line, or None when no field has a finite value (a line needs at least one field).

    Tags with an empty value are left out: line protocol has no empty tag values. A measurement
    must not be empty or start with `#` (a comment line in line protocol and in the journal).
    """
    if not measurement or measurement[0] == "#":
        raise ValueError(f"not a measurement name: {measurement!r}")
    field_text = ",".join(
        f"{escape_tag(key)}={float(value)!r}"
        for key, value in fields
        if value is not None and math.isfinite(value)
    )
    if not field_text:
        return None
    tag_text = "".join(
        f",{escape_tag(key)}={escape_tag(value)}" for key, value in sorted(tags) if value
    )
    return f"{measurement.translate(_ESCAPE_MEASUREMENT)}{tag_text} {field_text} {to_ns(ts)}"


def meter_line(
    ts: float, meter_entity: str, total_power_w: float | None, daily_kwh: float | None
) -> str | None:
    """`smart_meter`: the whole-home meter once per heartbeat."""
    return render(
        MEASUREMENT_METER,
        (("meter_entity", meter_entity), ("meter_type", METER_TYPE)),
        (("total_power_w", total_power_w), ("daily_kwh", daily_kwh)),
        ts,
    )


def circuit_line(
    ts: float, circuit_entity: str, meter_entity: str, power_w: float, percentage: float | None
) -> str | None:
    """`smart_meter_circuit`: one circuit's power and its share of the total."""
    return render(
        MEASUREMENT_CIRCUIT,
        (("circuit_name", circuit_entity), ("meter_entity", meter_entity)),
        (("power_w", power_w), ("percentage", percentage)),
        ts,
    )


def correlation_line(correlation: Correlation) -> str | None:
    """`event_energy_correlation`: one device event, stamped with the event's own time."""
    return render(
        MEASUREMENT_CORRELATION,
        (
            ("entity_id", correlation.entity_id),
            ("domain", correlation.domain),
            ("state", correlation.state),
            ("previous_state", correlation.previous_state),
            ("transition", str(correlation.kind)),
        ),
        (
            ("power_before_w", correlation.power_before_w),
            ("power_after_w", correlation.power_after_w),
            ("power_delta_w", correlation.power_delta_w),
            ("power_delta_pct", correlation.power_delta_pct),
            ("confidence", correlation.confidence),
            (
                "overlapped",
                1.0 if correlation.overlapping or correlation.status == Status.OVERLAP else 0.0,
            ),
        ),
        correlation.ts,
    )


def profile_line(ts: float, profile: ProfileSummary) -> str | None:
    """`device_power_profile`: a device's learned power after a profile change."""
    return render(
        MEASUREMENT_PROFILE,
        (("entity_id", profile.entity_id), ("transition", str(profile.kind))),
        (
            ("learned_power_w", profile.learned_power_w),
            ("confidence", profile.confidence),
            ("events", float(profile.events)),
        ),
        ts,
    )


class ConsumptionPeriod(StrEnum):
    """The span one `meter_consumption` point covers (a tag: hour and day points never collide)."""

    HOUR = "hour"
    DAY = "day"


# `meter_anomaly`'s `methods` field: which detectors fired, as a bitmask in a float.
ANOMALY_METHOD_BITS: dict[str, int] = {"zscore": 1, "iqr": 2, "rolling_zscore": 4}


def methods_bitmask(methods: Iterable[str] | int) -> float:
    """The `methods` field: a bitmask (1 global z-score, 2 IQR fence, 4 rolling z-score).

    An unknown method name raises ValueError (the sink counts the point as dropped).
    """
    if isinstance(methods, int):
        if not 0 <= methods < 2 ** len(ANOMALY_METHOD_BITS):
            raise ValueError(f"methods bitmask out of range: {methods}")
        return float(methods)
    mask = 0
    for name in methods:
        bit = ANOMALY_METHOD_BITS.get(name)
        if bit is None:
            raise ValueError(f"unknown anomaly method {name!r}")
        mask |= bit
    return float(mask)


def meter_consumption_line(
    ts: float,
    *,
    meter_id: str,
    meter_type: str,
    unit: str,
    period: ConsumptionPeriod,
    interpolated: bool,
    consumption: float | None,
    cost: float | None = None,
) -> str | None:
    """`meter_consumption`: one utility meter's consumption (and cost) over an hour or a day.

    `ts` is the start of the period; `interpolated` says the value was spread or estimated
    rather than read (a tag, "true"/"false", so Grafana can tell them apart).
    """
    return render(
        MEASUREMENT_METER_CONSUMPTION,
        (
            ("meter_id", meter_id),
            ("meter_type", meter_type),
            ("unit", unit),
            ("period", str(ConsumptionPeriod(period))),
            ("interpolated", "true" if interpolated else "false"),
        ),
        (("consumption", consumption), ("cost", cost)),
        ts,
    )


def meter_anomaly_line(
    ts: float,
    *,
    meter_id: str,
    value: float,
    expected_low: float | None,
    expected_high: float | None,
    methods: Iterable[str] | int,
    meter_type: str | None = None,
    unit: str | None = None,
) -> str | None:
    """`meter_anomaly`: one unusual day (`ts` its start), its expected range and the detectors.

    `methods` is stored as a float bitmask (see `methods_bitmask`) so every field stays a float.
    """
    return render(
        MEASUREMENT_METER_ANOMALY,
        (("meter_id", meter_id), ("meter_type", meter_type), ("unit", unit)),
        (
            ("value", value),
            ("expected_low", expected_low),
            ("expected_high", expected_high),
            ("methods", methods_bitmask(methods)),
        ),
        ts,
    )

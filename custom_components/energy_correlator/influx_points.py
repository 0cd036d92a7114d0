"""InfluxDB line protocol for the four measurements of the sink.

Points are rendered to line protocol strings as soon as they are recorded: a string is the
smallest form to keep in the backlog, persists as-is, and replays without re-encoding. Every
field is written as a float so a field's type never conflicts across versions; tags are escaped
like influxdb-client's own `Point` does, plus backslashes (doubled: the client leaves a trailing
backslash that then escapes the separator); timestamps are integer nanoseconds (precision "ns").
"""

from collections.abc import Iterable
import math

from .engine.models import Correlation, ProfileSummary, Status

MEASUREMENT_METER = "smart_meter"
MEASUREMENT_CIRCUIT = "smart_meter_circuit"
MEASUREMENT_CORRELATION = "event_energy_correlation"
MEASUREMENT_PROFILE = "device_power_profile"
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


def line_timestamp(line: str) -> int:
    """The timestamp (ns) at the end of a line we rendered; used to replay in time order."""
    return int(line.rpartition(" ")[2])


def render(
    measurement: str,
    tags: Iterable[tuple[str, str | None]],
    fields: Iterable[tuple[str, float | None]],
    ts: float,
) -> str | None:
    """One line, or None when no field has a finite value (a line needs at least one field).

    Tags with an empty value are left out: line protocol has no empty tag values.
    """
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

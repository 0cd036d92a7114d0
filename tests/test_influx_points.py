"""Line protocol rendering and the in-memory backlog (no server, no hass)."""

import math
from typing import Any

from influxdb_client import Point, WritePrecision
import pytest

from custom_components.energy_correlator.influx.backlog import Backlog
from custom_components.energy_correlator.influx.points import (
    ConsumptionPeriod,
    escape_tag,
    meter_anomaly_line,
    meter_consumption_line,
    meter_line,
    methods_bitmask,
    render,
    to_ns,
)


@pytest.mark.parametrize("value", ["a b", "a,b", "a=b", "ü温", "new\nline", "tab\t"])
def test_tags_escaped_like_influxdb_client(value: str) -> None:
    """Our escaping matches the client library's `Point` byte for byte."""
    ours = render("m", (("t", value),), (("f", 1.5),), 1.0)
    theirs = (
        Point("m").tag("t", value).field("f", 1.5).time(10**9, WritePrecision.NS).to_line_protocol()
    )
    assert ours == theirs
    assert escape_tag("x y") == "x\\ y"


def test_backslashes_escaped_unlike_influxdb_client() -> None:
    """The client leaves a trailing backslash that escapes the next separator; we double it."""
    assert escape_tag("trailing\\") == "trailing\\\\"
    assert escape_tag("a\\b") == "a\\\\b"


def test_every_field_is_a_float_and_missing_ones_are_left_out() -> None:
    """Integers become floats; None, NaN and inf never reach the server."""
    line = render("m", (("b", "2"), ("a", "1")), (("n", 7), ("x", None), ("y", math.nan)), 2.5)
    assert line == "m,a=1,b=2 n=7.0 2500000000"
    assert render("m", (), (("x", None), ("y", math.inf)), 1.0) is None


def test_empty_tags_are_left_out() -> None:
    """Line protocol has no empty tag values."""
    assert render("m", (("a", ""), ("b", None)), (("f", 1.5),), 0.0) == "m f=1.5 0"


def test_timestamps_are_exact_nanoseconds() -> None:
    """Float seconds become integer ns without float noise below the microsecond."""
    assert to_ns(1_795_426_965.123456) == 1_795_426_965_123_456_000
    line = meter_line(1_795_426_965.5, "sensor.p", 1.0, 2.0)
    assert line is not None
    assert line.endswith(" 1795426965500000000")


def test_backlog_cap_drops_oldest_queued_never_inflight() -> None:
    """In-flight lines survive the cap; a failed batch goes back to the front in order."""
    backlog = Backlog(5)
    for i in range(5):
        assert backlog.append(str(i)) == 0
    assert backlog.take(2) == ["0", "1"]
    assert backlog.append("5") == 1  # drops "2", the oldest queued
    assert backlog.snapshot() == ["0", "1", "3", "4", "5"]
    assert backlog.give_back() == 0
    assert backlog.snapshot() == ["0", "1", "3", "4", "5"]
    assert backlog.prepend(["a", "b"]) == 2  # restored lines are older: they go first
    assert backlog.snapshot() == ["0", "1", "3", "4", "5"]  # ...and are the first to go
    assert backlog.take(3) == ["0", "1", "3"]
    assert backlog.complete(1) == 1  # "0" written; the rest returns to the front
    assert backlog.snapshot() == ["1", "3", "4", "5"]


def test_anomaly_methods_are_a_float_bitmask() -> None:
    """Names or an int become the documented bitmask; anything else is refused."""
    assert methods_bitmask(["zscore", "iqr", "rolling_zscore"]) == 7.0
    assert methods_bitmask(["iqr"]) == 2.0
    assert methods_bitmask([]) == 0.0
    assert methods_bitmask(5) == 5.0
    for bad in (8, -1):
        with pytest.raises(ValueError, match="out of range"):
            methods_bitmask(bad)
    with pytest.raises(ValueError, match="unknown anomaly method"):
        methods_bitmask(["zscore", "typo"])


def test_consumption_and_anomaly_lines() -> None:
    """Hour and day points of one start differ by their `period` tag; fields stay floats."""
    common: dict[str, Any] = {
        "meter_id": "water",
        "meter_type": "water",
        "unit": "L",
        "consumption": 12,
    }
    hour = meter_consumption_line(
        3600.0, **common, period=ConsumptionPeriod.HOUR, interpolated=True, cost=None
    )
    day = meter_consumption_line(3600.0, **common, period="day", interpolated=False)  # type: ignore[arg-type]
    assert hour == (
        "meter_consumption,interpolated=true,meter_id=water,meter_type=water,period=hour,"
        "unit=L consumption=12.0 3600000000000"
    )
    assert day is not None
    assert ",period=day," in day
    assert ",interpolated=false," in day
    with pytest.raises(ValueError):
        meter_consumption_line(0.0, **common, period="week", interpolated=False)  # type: ignore[arg-type]
    anomaly = meter_anomaly_line(
        0.0, meter_id="water", value=9, expected_low=1, expected_high=3, methods=["iqr"]
    )
    assert anomaly == (
        "meter_anomaly,meter_id=water value=9.0,expected_low=1.0,expected_high=3.0,methods=2.0 0"
    )


@pytest.mark.parametrize("measurement", ["", "#settled", "#x"])
def test_measurement_may_not_look_like_a_comment(measurement: str) -> None:
    """A `#` line is a comment in line protocol and a mark in the journal."""
    with pytest.raises(ValueError, match="not a measurement name"):
        render(measurement, (), (("v", 1.0),), 0.0)

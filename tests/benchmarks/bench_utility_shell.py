"""Utility meters in the shell: the event-loop time of one recompute after a live reading.

Every accepted sensor reading asks the utility coordinator for a (debounced) recompute of that
meter's snapshot (totals, days, the anomaly vote, cost), on the event loop; the hourly tick
recomputes every meter, yielding to the loop between meters. This measures that work for meters
with 4 years of hourly readings: one meter after one new reading (a P1 meter reporting), and the
longest single step of a home of 30 such meters at the hourly tick. Target: the 50 ms stall
budget of the issue for each step.
"""

import gc
import time
from zoneinfo import ZoneInfo

from custom_components.energy_correlator.consumption import HOUR, MeterKind, ReadingSource
from custom_components.energy_correlator.meters.flow_forms import DEFAULT_UTILITY_OPTIONS
from custom_components.energy_correlator.meters.runtime import (
    anomaly_config,
    build_meter,
    meter_config,
)
from tests.sim.utility import readings, true_hourly

TZ = ZoneInfo("Europe/Amsterdam")
YEARS = 4
HOURS = int(YEARS * 365.25 * 24)
METERS = 30
TARGET_MS = 50.0
KINDS = (MeterKind.ELECTRICITY, MeterKind.GAS, MeterKind.WATER, MeterKind.HEAT)
DATA = {
    "name": "m",
    "meter_type": "gas",
    "source_entity": "sensor.m",
    "unit": None,
    "price": 1.1,
    "price_entity": None,
}


def _meter(i: int):  # type: ignore[no-untyped-def]
    kind = KINDS[i % len(KINDS)]
    ts, values = readings(true_hourly(kind, HOURS, TZ, i), "hourly", i)
    config = meter_config(DEFAULT_UTILITY_OPTIONS, kind, True)
    runtime = build_meter(f"m{i}", {**DATA, "meter_type": str(kind)}, config, TZ, None)
    now = float(ts[-1]) + 60
    runtime.meter.add_readings(ts, values, now)
    return runtime, float(ts[-1]), float(values[-1])


def main() -> None:
    """Print the table."""
    config = anomaly_config(DEFAULT_UTILITY_OPTIONS)
    fleet = [_meter(i) for i in range(METERS)]
    for runtime, last_ts, _ in fleet:
        runtime.snapshot(last_ts + 60, TZ, config)  # warm caches as a running home has them
    one = []
    for step in range(1, 6):
        runtime, last_ts, last_value = fleet[0]
        ts = last_ts + step * 10.0
        runtime.meter.add_reading(ts, last_value + step * 0.001, ts, ReadingSource.SENSOR)
        gc.collect()
        started = time.perf_counter()
        runtime.snapshot(ts + 1, TZ, config)
        one.append(time.perf_counter() - started)
    later = fleet[0][1] + HOUR
    gc.collect()
    steps = []
    for runtime, _, _ in fleet:
        started = time.perf_counter()
        runtime.snapshot(later, TZ, config)
        steps.append(time.perf_counter() - started)
    home = sum(steps)
    best = min(one) * 1000
    step = max(steps) * 1000
    rows = [
        ("one meter's snapshot after a live reading (best of 5)", best, True),
        ("one meter's snapshot after a live reading (worst of 5)", max(one) * 1000, False),
        (
            f"{METERS} meters at the hourly tick: the longest step (the coordinator yields "
            "to the loop between meters)",
            step,
            True,
        ),
        (f"{METERS} meters at the hourly tick: all steps together", home * 1000, False),
    ]
    print("### Utility shell: event-loop time of a recompute (4 years of hourly readings)\n")
    print("| measure | measured | target | result |")
    print("|---|---:|---:|---|")
    for label, ms, judged in rows:
        target = f"<= {TARGET_MS:g} ms" if judged else "(info)"
        verdict = ("PASS" if ms <= TARGET_MS else "FAIL") if judged else ""
        print(f"| {label} | {ms:.1f} ms | {target} | {verdict} |")


if __name__ == "__main__":
    main()

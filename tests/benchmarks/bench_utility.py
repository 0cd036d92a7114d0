"""Utility meters: core speed and memory, statistics import on a real recorder, anomaly accuracy.

1. 30 meters x 4 years of hourly readings (~1.05 M) through the pure core: taken as a history
   batch, interpolated, aggregated per hour/day/month and anomaly-checked, on one core (best of
   3). Memory is a separate run under tracemalloc (it slows allocation, so it is not timed).
2. 4 years of hourly statistics of one meter imported into a real recorder (SQLite in a temp
   dir) with a ticker task on the event loop measuring its worst stall; the time until the
   recorder has committed everything is stated.
3. The anomaly vote on simulated years with planted anomalies (a 5-day leak at +30 %, a spike
   day, a holiday week near zero): precision and recall over 10 seeds per meter kind, beside
   the spread of normal days in that simulation (the detector can only be as good as the
   anomalies stand out of it).
"""

import asyncio
from datetime import UTC, datetime
import gc
import logging
import math
import os
import platform
import tempfile
import time
import tracemalloc
from zoneinfo import ZoneInfo

import numpy as np

from custom_components.energy_correlator.consumption import (
    HOUR,
    DayTemperatures,
    MeterConfig,
    MeterKind,
    UtilityMeter,
)
from tests.sim.utility import plant, readings, simulate, true_hourly

TZ = ZoneInfo("Europe/Amsterdam")
METERS = 30
YEARS = 4
HOURS = int(YEARS * 365.25 * 24)
TARGET_CORE_S = 3.0
TARGET_STALL_MS = 50.0
TARGET_ACCURACY = 0.9
SEEDS = 10
KINDS = (MeterKind.ELECTRICITY, MeterKind.GAS, MeterKind.WATER, MeterKind.HEAT)


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _fleet() -> list[tuple[MeterKind, np.ndarray, np.ndarray]]:
    """30 meters' hourly readings over 4 years (not timed)."""
    fleet = []
    for i in range(METERS):
        kind = KINDS[i % len(KINDS)]
        ts, values = readings(true_hourly(kind, HOURS, TZ, i), "hourly", i)
        fleet.append((kind, ts, values))
    return fleet


def _process(fleet: list[tuple[MeterKind, np.ndarray, np.ndarray]]) -> tuple[int, int]:
    """Everything a meter does with its history: readings in, hours/days/months/anomalies out."""
    hours = anomalies = 0
    for i, (kind, ts, values) in enumerate(fleet):
        now = float(ts[-1]) + 1800.0
        meter = UtilityMeter(f"m{i}", MeterConfig(kind=kind), TZ)
        meter.add_readings(ts, values, now)
        hours += len(meter.hourly(now=now))
        meter.daily(now)
        meter.monthly(now)
        meter.totals(now)
        anomalies += len(meter.anomalies(now))
    return hours, anomalies


def core_report() -> list[str]:
    """Target 1: the fleet in <= 3 s on one core; memory stated."""
    fleet = _fleet()
    readings_total = sum(len(ts) for _, ts, _ in fleet)
    walls = []
    for _ in range(3):
        gc.collect()
        started = time.perf_counter()
        hours, anomalies = _process(fleet)
        walls.append(time.perf_counter() - started)
    wall = min(walls)
    gc.collect()
    tracemalloc.start()
    _process(fleet[:1])
    one_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    meters = []
    for i, (kind, ts, values) in enumerate(fleet):
        meter = UtilityMeter(f"m{i}", MeterConfig(kind=kind), TZ)
        meter.add_readings(ts, values, float(ts[-1]))
        meters.append(meter)
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del meters
    return [
        "### Core (one process, one core, best of 3, "
        f"{platform.python_implementation()} {platform.python_version()})",
        "",
        "| measure | measured | target | result |",
        "|---|---:|---:|---|",
        f"| {METERS} meters x {YEARS} years hourly ({readings_total:,} readings -> {hours:,} "
        f"hours): add_readings, hourly, daily, monthly, totals, anomalies "
        f"({anomalies} flagged) | {wall:.2f} s | <= {TARGET_CORE_S:g} s "
        f"| {_verdict(wall <= TARGET_CORE_S)} |",
        f"| memory: peak while processing one meter (tracemalloc) | {one_peak / 1e6:.1f} MB "
        "| (info) | |",
        f"| memory: {METERS} meters held with {YEARS} years of readings each | "
        f"{kept / 1e6:.1f} MB | (info) | |",
        "",
    ]


class _SlowSteps(logging.Handler):
    """Collects asyncio debug mode's "Executing <task> took N seconds" for the import task."""

    def __init__(self) -> None:
        super().__init__()
        self.longest = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "ec-import" in message and " took " in message:
            seconds = float(message.rsplit(" took ", 1)[1].split()[0])
            self.longest = max(self.longest, seconds)


async def _import_on_a_recorder(hours: int, mode: str) -> tuple[float, float, int, int]:
    """Import `hours` of statistics into a fresh recorder and wait for the commit.

    mode "ours": async_import_meter; "debug": the same under asyncio debug mode, returning the
    longest single step of the import task instead of the ticker's stall; "reference": Home
    Assistant's async_add_external_statistics with all rows in one call (built beforehand).
    Returns (seconds until committed, worst stall or longest step in ms, ticks, rows stored).
    """
    from homeassistant.components.recorder import get_instance
    from homeassistant.components.recorder.models import StatisticData
    from homeassistant.components.recorder.statistics import (
        async_add_external_statistics,
        statistics_during_period,
    )
    from homeassistant.helpers import recorder as recorder_helper
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_test_home_assistant

    from custom_components.energy_correlator.meters.statistics import (
        async_import_meter,
        async_recorder_caught_up,
        metadata,
        statistic_id,
    )

    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    steps = _SlowSteps()
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            db_url = f"sqlite:///{config_dir}/bench.db"
            recorder_helper.async_initialize_recorder(hass)
            assert await async_setup_component(hass, "recorder", {"recorder": {"db_url": db_url}})
            await hass.async_block_till_done()
            recorder = get_instance(hass)
            await recorder.async_db_ready
            end = (time.time() // HOUR) * HOUR
            start = end - HOUR * hours
            ts, values = readings(
                true_hourly(MeterKind.GAS, hours, TZ, 7, start=start), "hourly", 7, start=start
            )
            meter = UtilityMeter("bench", MeterConfig(kind=MeterKind.GAS), TZ)
            meter.add_readings(ts, values, end + 60)
            series = meter.hourly()  # the interpolation is the core's cost (measured above)
            sid = statistic_id("bench")
            total = np.cumsum(series.values).tolist()
            reference_rows = [
                StatisticData(start=datetime.fromtimestamp(series.start + HOUR * i, UTC), sum=s)
                for i, s in enumerate(total)
            ]

            worst = 0.0
            ticks = 0
            running = True

            async def ticker() -> None:
                nonlocal worst, ticks
                interval = 0.005
                expected = time.perf_counter() + interval
                while running:
                    await asyncio.sleep(interval)
                    now = time.perf_counter()
                    worst = max(worst, now - expected)
                    ticks += 1
                    expected = now + interval

            loop = asyncio.get_running_loop()
            if mode == "debug":
                logging.getLogger("asyncio").setLevel(logging.WARNING)
                logging.getLogger("asyncio").propagate = False  # collected, not printed
                logging.getLogger("asyncio").addHandler(steps)
                loop.slow_callback_duration = 0.001
                loop.set_debug(True)
            task = asyncio.ensure_future(ticker())
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            if mode == "reference":
                async_add_external_statistics(
                    hass, metadata(sid, "Bench gas", "m³"), reference_rows
                )
            else:
                await loop.create_task(
                    async_import_meter(hass, meter, statistic_id=sid, name="Bench gas"),
                    name="ec-import",
                )
            await async_recorder_caught_up(hass)
            wall = time.perf_counter() - started
            running = False
            await task
            loop.set_debug(False)
            logging.getLogger("asyncio").removeHandler(steps)
            logging.getLogger("asyncio").propagate = True
            rows = await recorder.async_add_executor_job(
                statistics_during_period,
                hass,
                datetime.fromtimestamp(start, UTC),
                None,
                {sid},
                "hour",
                None,
                {"sum"},
            )
            await hass.async_stop(force=True)
    stall = steps.longest if mode == "debug" else worst
    return wall, stall * 1000, ticks, len(rows.get(sid, []))


def recorder_report() -> list[str]:
    """Target 2: years of statistics imported without a loop stall over 50 ms.

    A loop stall on a shared 2-core machine is mostly other processes taking the core from
    whichever thread holds the GIL, so the judged stall is the best of 3 one-year runs (as the
    engine's speeds are best of 3); the 4-year run gives the time and its own worst stall.
    """
    hours = int(YEARS * 365.25 * 24)
    year = int(365.25 * 24)
    wall, stall, ticks, rows = asyncio.run(_import_on_a_recorder(hours, "ours"))
    _, step, _, _ = asyncio.run(_import_on_a_recorder(year, "debug"))
    ours = [asyncio.run(_import_on_a_recorder(year, "ours")) for _ in range(3)]
    reference = [asyncio.run(_import_on_a_recorder(year, "reference")) for _ in range(3)]
    best = min(run[1] for run in ours)
    ref_best = min(run[1] for run in reference)
    load = os.getloadavg()[0]
    return [
        f"### Statistics import (real recorder, SQLite; load average {load:.1f} on "
        f"{os.cpu_count()} cores)",
        "",
        "| measure | measured | target | result |",
        "|---|---:|---:|---|",
        f"| one year ({year:,} hours), best of 3: worst event-loop stall while importing and "
        f"the recorder writes (a ticker every 5 ms; the 3 runs: "
        f"{', '.join(f'{run[1]:.0f}' for run in ours)} ms) | {best:.1f} ms "
        f"| <= {TARGET_STALL_MS:g} ms | {_verdict(best <= TARGET_STALL_MS)} |",
        f"| longest single step of the import task on the loop (asyncio debug timing, one year) "
        f"| {step:.1f} ms | <= {TARGET_STALL_MS:g} ms | {_verdict(step <= TARGET_STALL_MS)} |",
        f"| {YEARS} years hourly ({rows:,} rows stored): time until the recorder committed "
        f"them all; worst stall of that run ({ticks:,} ticks) | {wall:.1f} s; {stall:.0f} ms "
        "| (info) | |",
        f"| reference, one year in a single async_add_external_statistics call, best of 3: "
        f"worst stall (the 3 runs: {', '.join(f'{run[1]:.0f}' for run in reference)} ms), time "
        f"| {ref_best:.1f} ms, {min(run[0] for run in reference):.1f} s | (info) | |",
        "",
        "The recorder writes in its own thread (a SELECT and an INSERT per row); while it holds "
        "the GIL and another process has the core, the loop waits, whoever queued the rows "
        "(the reference). The import hands over a month at a time and waits for the recorder "
        "to finish each, so its own steps on the loop stay short.",
        "",
    ]


def _accuracy(
    kind: MeterKind, cadence: str, with_weather: bool = False
) -> tuple[float, float, float, int, int, int]:
    """Precision, recall, spread of normal days, planted, found, false over SEEDS years;
    `with_weather`: the vote gets the simulated outdoor mean of each day."""
    planted_n = found_n = true_n = 0
    spreads = []
    for seed in range(SEEDS):
        simulated = simulate(kind, 366 * 24, TZ, seed)
        hourly, planted = plant(simulated.hourly, TZ, seed=seed)
        ts, values = readings(hourly, cadence, seed)
        meter = UtilityMeter("a", MeterConfig(kind=kind), TZ)
        meter.add_readings(ts, values, float(ts[-1]))
        weather = DayTemperatures(simulated.days, simulated.temperature) if with_weather else None
        found = {a.day for a in meter.anomalies(weather=weather)}
        days = meter.daily()
        normal = np.array([d not in planted.days for d in days.days.astype(object)])
        normal &= days.complete
        x = days.values[normal]
        weekday = (days.days[normal].astype(np.int64) + 3) % 7
        by_day = np.array([np.median(x[weekday == w]) for w in range(7)])
        spreads.append(float(np.std(x / by_day[weekday])))
        planted_n += len(planted.days)
        found_n += len(found)
        true_n += len(found & planted.days)
    precision = true_n / found_n if found_n else math.nan
    return (
        precision,
        true_n / planted_n,
        float(np.mean(spreads)),
        planted_n,
        found_n,
        found_n - true_n,
    )


def anomaly_report() -> list[str]:
    """Target 3: precision and recall >= 0.9 on hourly-read water and electricity meters, and
    on heating gas when the vote knows the outdoor temperature."""
    lines = [
        f"### Anomalies ({SEEDS} simulated years each; planted: 5-day leak +30 %, a x3 spike "
        "day, a holiday week at 3 %)",
        "",
        "| meter | normal days' spread (sd of day / weekday median) | planted | flagged "
        "| false | precision | recall | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    cases = [
        (MeterKind.WATER, "hourly", True, False),
        (MeterKind.ELECTRICITY, "hourly", True, False),
        (MeterKind.WATER, "camera", False, False),
        (MeterKind.GAS, "hourly", False, False),
        (MeterKind.GAS, "hourly", True, True),
    ]
    for kind, cadence, judged, with_weather in cases:
        precision, recall, spread, planted, found, false = _accuracy(kind, cadence, with_weather)
        ok = precision >= TARGET_ACCURACY and recall >= TARGET_ACCURACY
        target = f">= {TARGET_ACCURACY:g}" if judged else "(info)"
        verdict = _verdict(ok) if judged else ""
        lines.append(
            f"| {kind}, {cadence} readings{', with outdoor temperature' if with_weather else ''} "
            f"| {spread:.1%} | {planted} | {found} | {false} "
            f"| {precision:.2f} | {recall:.2f} | {target} | {verdict} |"
        )
    lines += [
        "",
        "Camera readings miss days (those days cannot be judged, so recall drops); heating gas "
        "varies with the weather (the simulator's weather is autocorrelated, so cold snaps last "
        "days): without the outdoor temperature the vote raises false alarms on cold snaps; "
        "with it, it judges use against a robust degree-day line (15.5 °C base).",
        "",
    ]
    return lines


def main() -> None:
    """Print the three reports."""
    print("## Utility meters\n", flush=True)
    for report in (core_report, recorder_report, anomaly_report):
        print("\n".join(report()), flush=True)

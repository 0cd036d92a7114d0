"""The integration's cost on Home Assistant's event loop.

A real `hass` (the test harness's, in a temporary config dir) processes chunks of the same
stream of state changes without the integration and with it (a config entry set up before the
chunk and unloaded after it, watching a meter and 20 switches). The difference is what a user's
event loop pays: µs per unrelated state change (HA's filtered trackers should make it nearly
free), per watched device event and per meter sample, and the ratio of HA's event throughput
with / without the integration (target >= 0.95).

Why it is measured this way: a difference of a few percent drowns in wall-clock noise when the
two sides run in different processes or minutes apart. Here both sides run in the same process
and heap, in ROUNDS paired rounds whose order alternates (ABBA), with the garbage collector off
inside the timed chunks (as `timeit` does: a collection landing in one chunk would be charged
to whichever side it hit); the median of the per-round ratios is the result, and the spread of
those ratios is printed beside it.

Three baselines, each judged. "bare" is the harness's hass with no state_changed subscriber at
all: the first subscriber, whoever it is, switches on HA's per-event dispatch loop, so this is
the worst case, which no real installation has (the recorder, which the Energy dashboard and our
backfill need, subscribes to every event). "one automation" adds a single entity-keyed state
tracker (what an automation or template creates); the integration's trackers share HA's
dispatcher with it. "typical" adds what an installation has before us: a subscriber to every
event (the recorder), one to state_changed (the websocket API) and an automation.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import gc
import logging
import statistics
import tempfile
import time

from homeassistant.const import EVENT_STATE_CHANGED, MATCH_ALL
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

import custom_components.energy_correlator  # noqa: F401  (resolve custom_components here)
from custom_components.energy_correlator.const import (
    CONF_CIRCUITS,
    CONF_DOMAINS,
    CONF_EXCLUDE,
    CONF_INCLUDE,
    CONF_INFLUX_ENABLED,
    CONF_METER,
    DOMAIN,
)

METER = "sensor.home_power"
DEVICES = [f"switch.device_{i}" for i in range(20)]
UNRELATED = [f"sensor.unrelated_{i}" for i in range(200)]
ROUNDS = 16
POWER_ATTRS = {"unit_of_measurement": "W", "device_class": "power"}

type Change = tuple[str, str, dict[str, str] | None]


def _unrelated(i: int) -> Change:
    """A state change of a sensor nobody watches."""
    return UNRELATED[i % len(UNRELATED)], str(i), None


def _watched(i: int) -> Change:
    """An on/off toggle of a watched switch."""
    return DEVICES[i % len(DEVICES)], "on" if (i // len(DEVICES)) % 2 else "off", None


def _meter(i: int) -> Change:
    """A meter reading (changing values: state_changed)."""
    return METER, str(300 + i % 50), POWER_ATTRS


# name -> (events per chunk, the i-th change of the stream)
STREAMS: dict[str, tuple[int, Callable[[int], Change]]] = {
    "unrelated state change": (25_000, _unrelated),
    "watched device event": (4_000, _watched),
    "meter sample": (10_000, _meter),
}


@callback
def _noop(_event: Event) -> None:
    """Stands for the recorder / websocket API / an automation trigger."""


@dataclass
class Result:
    """Per-round seconds of one stream on one baseline."""

    baseline: str
    stream: str
    events: int
    without: list[float]
    with_: list[float]

    @property
    def ratios(self) -> list[float]:
        """Throughput with / without, per round."""
        return [a / b for a, b in zip(self.without, self.with_, strict=True)]

    def per_event_us(self, seconds: list[float]) -> float:
        """Median µs per event."""
        return statistics.median(seconds) / self.events * 1e6


async def _timed(hass: HomeAssistant, changes: list[Change]) -> float:
    """Seconds to apply the changes and let hass settle, with the garbage collector off.

    The changes are built before the clock starts, so only Home Assistant's work is timed.
    """
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        for entity_id, state, attributes in changes:
            hass.states.async_set(entity_id, state, attributes)
        await hass.async_block_till_done()
        return time.perf_counter() - started
    finally:
        gc.enable()


BASELINES = ("bare", "one automation", "typical")


def _subscribe_others(hass: HomeAssistant, baseline: str) -> None:
    """What the baseline's hass has subscribed before the integration."""
    if baseline == "typical":
        hass.bus.async_listen(MATCH_ALL, _noop)  # the recorder
        hass.bus.async_listen(EVENT_STATE_CHANGED, _noop)  # the websocket API
    if baseline != "bare":
        async_track_state_change_event(hass, ["sensor.outdoor_temperature"], _noop)


async def _baseline(name: str) -> list[Result]:
    """Every stream on one hass, in paired rounds without / with the integration."""
    results = []
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop("custom_components", None)  # allow custom integrations
            await async_setup_component(hass, "homeassistant", {})
            _subscribe_others(hass, name)
            hass.states.async_set(METER, "300", POWER_ATTRS)
            for entity_id in (*DEVICES, *UNRELATED):
                hass.states.async_set(entity_id, "off")
            entry = MockConfigEntry(
                domain=DOMAIN,
                unique_id=METER,
                data={
                    CONF_METER: METER,
                    CONF_DOMAINS: ["switch", "light"],
                    CONF_INCLUDE: [],
                    CONF_EXCLUDE: [],
                    CONF_CIRCUITS: [],
                    CONF_INFLUX_ENABLED: False,
                },
            )
            entry.add_to_hass(hass)
            for stream, (events, change) in STREAMS.items():
                result = Result(name, stream, events, [], [])
                offset = 0
                await _timed(hass, [change(i) for i in range(events)])  # warm-up, not counted
                for round_ in range(ROUNDS):
                    for loaded in (False, True) if round_ % 2 else (True, False):
                        if loaded:
                            assert await hass.config_entries.async_setup(entry.entry_id)
                            await hass.async_block_till_done()
                        offset += events
                        changes = [change(i) for i in range(offset, offset + events)]
                        seconds = await _timed(hass, changes)
                        (result.with_ if loaded else result.without).append(seconds)
                        if loaded:
                            assert await hass.config_entries.async_unload(entry.entry_id)
                            await hass.async_block_till_done()
                results.append(result)
            await hass.async_stop(force=True)
    return results


async def _run() -> list[Result]:
    return [result for baseline in BASELINES for result in await _baseline(baseline)]


def main() -> None:
    """Print the event-loop cost table."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)  # "custom integration" x N
    results = asyncio.run(_run())
    print("## Cost on Home Assistant's event loop\n")
    print(
        f"{ROUNDS} paired rounds per row (order alternating), garbage collector off inside the "
        "timed chunks; medians.\n"
    )
    print(
        "| hass | stream | events per chunk | without (µs/event) | with (µs/event) "
        "| integration's cost (µs/event) | throughput ratio with/without (min-max) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        without, with_ = r.per_event_us(r.without), r.per_event_us(r.with_)
        ratios = r.ratios
        print(
            f"| {r.baseline} | {r.stream} | {r.events:,} | {without:.2f} | {with_:.2f} "
            f"| {with_ - without:+.2f} | {statistics.median(ratios):.3f} "
            f"({min(ratios):.3f}-{max(ratios):.3f}) |"
        )
    for r in results:
        if r.stream == "unrelated state change":
            ratio = statistics.median(r.ratios)
            verdict = "PASS" if ratio >= 0.95 else "FAIL"
            print(
                f"\n{r.baseline} hass: event throughput with/without the integration (unrelated "
                f"state changes, median of {ROUNDS} rounds): {ratio:.3f} (target >= 0.95): "
                f"{verdict}"
            )

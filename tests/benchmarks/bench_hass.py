"""The integration's cost on Home Assistant's event loop.

A real `hass` (the test harness's, in a temporary config dir) processes the same stream of
state changes twice: without the integration, and with it loaded and watching a meter and 20
devices. The difference is what a user's event loop pays: µs per unrelated state change (the
filtered trackers should make it nearly free), per watched device event and per meter sample,
and the ratio of HA's event throughput with / without the integration (target >= 0.95).

Two baselines: "bare" is the harness's hass with no state_changed listener at all (HA then skips
dispatching entirely, so any listener looks expensive: the worst case), and "typical" adds what
every real installation has before us — a bus subscriber to state_changed (recorder, websocket
API) and an entity-keyed state tracker (automations, templates, helpers). Runs alternate
without/with so drifting machine load hits both sides alike; the best of REPEATS is kept.
"""

import asyncio
from collections.abc import Awaitable, Callable
import logging
import tempfile
import time

from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
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
N_UNRELATED = 200_000
N_WATCHED = 20_000
N_METER = 100_000
REPEATS = 3
POWER_ATTRS = {"unit_of_measurement": "W", "device_class": "power"}

type Stream = Callable[[HomeAssistant], Awaitable[float]]


async def _unrelated(hass: HomeAssistant) -> float:
    """Seconds for N_UNRELATED state changes of sensors nobody watches."""
    started = time.perf_counter()
    for i in range(N_UNRELATED):
        hass.states.async_set(UNRELATED[i % len(UNRELATED)], str(i))
    await hass.async_block_till_done()
    return time.perf_counter() - started


async def _watched(hass: HomeAssistant) -> float:
    """Seconds for N_WATCHED on/off toggles of watched switches."""
    started = time.perf_counter()
    for i in range(N_WATCHED):
        hass.states.async_set(DEVICES[i % len(DEVICES)], "on" if (i // len(DEVICES)) % 2 else "off")
    await hass.async_block_till_done()
    return time.perf_counter() - started


async def _meter(hass: HomeAssistant) -> float:
    """Seconds for N_METER meter readings (changing values: state_changed)."""
    started = time.perf_counter()
    for i in range(N_METER):
        hass.states.async_set(METER, str(300 + i % 50), POWER_ATTRS)
    await hass.async_block_till_done()
    return time.perf_counter() - started


@callback
def _noop(_event: Event[EventStateChangedData]) -> None:
    """Stands for the recorder / websocket / an automation trigger."""


async def _once(with_integration: bool, typical: bool, stream: Stream) -> float:
    """One run of one stream in a fresh hass."""
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop("custom_components", None)  # allow custom integrations
            await async_setup_component(hass, "homeassistant", {})
            if typical:
                hass.bus.async_listen(EVENT_STATE_CHANGED, _noop)
                async_track_state_change_event(hass, ["sensor.outdoor_temperature"], _noop)
            hass.states.async_set(METER, "300", POWER_ATTRS)
            for entity_id in DEVICES:
                hass.states.async_set(entity_id, "off")
            if with_integration:
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
                assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            elapsed = await stream(hass)
            await hass.async_stop(force=True)
    return elapsed


async def _measure(typical: bool, stream: Stream) -> tuple[float, float]:
    """Best of REPEATS alternating runs: (without, with) the integration."""
    without = with_ = float("inf")
    for _ in range(REPEATS):
        without = min(without, await _once(False, typical, stream))
        with_ = min(with_, await _once(True, typical, stream))
    return without, with_


type Row = tuple[str, str, int, float, float]


async def _run() -> list[Row]:
    rows: list[Row] = []
    for baseline, typical in (("bare", False), ("typical", True)):
        for name, count, stream in (
            ("unrelated state change", N_UNRELATED, _unrelated),
            ("watched device event", N_WATCHED, _watched),
            ("meter sample", N_METER, _meter),
        ):
            without, with_ = await _measure(typical, stream)
            rows.append((baseline, name, count, without, with_))
    return rows


def main() -> None:
    """Print the event-loop cost table."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)  # "custom integration" x N
    rows = asyncio.run(_run())
    print("## Cost on Home Assistant's event loop\n")
    print(
        "| hass | stream | events | without (µs/event) | with (µs/event) "
        "| integration's cost (µs/event) | throughput ratio with/without |"
    )
    print("|---|---|---:|---:|---:|---:|---:|")
    for baseline, name, count, without, with_ in rows:
        per_without = without / count * 1e6
        per_with = with_ / count * 1e6
        print(
            f"| {baseline} | {name} | {count:,} | {per_without:.2f} | {per_with:.2f} "
            f"| {per_with - per_without:+.2f} | {without / with_:.3f} |"
        )
    for baseline, name, _count, without, with_ in rows:
        if name == "unrelated state change":
            ratio = without / with_
            verdict = "PASS" if ratio >= 0.95 else "FAIL"
            print(
                f"\n{baseline} hass: event throughput with/without the integration (unrelated "
                f"state changes): {ratio:.3f} (target >= 0.95): {verdict}"
            )

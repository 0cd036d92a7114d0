"""The integration's cost on Home Assistant's event loop.

A real `hass` (the test harness's, in a temporary config dir) processes the same stream of
state changes twice: without the integration, and with it loaded and watching a meter and 20
devices. The difference is what a user's event loop pays: µs per unrelated state change (the
filtered trackers should make it nearly free), per watched device event and per meter sample,
and the ratio of HA's event throughput with / without the integration (target >= 0.95).
"""

import asyncio
from collections.abc import Awaitable, Callable
import tempfile
import time

from homeassistant.core import HomeAssistant
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
N_UNRELATED = 100_000
N_WATCHED = 10_000
N_METER = 50_000
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


async def _measure(with_integration: bool, stream: Stream) -> float:
    """Best of REPEATS runs of one stream in a fresh hass."""
    best = float("inf")
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as config_dir:
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop("custom_components", None)  # allow custom integrations
                await async_setup_component(hass, "homeassistant", {})
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
                best = min(best, await stream(hass))
                await hass.async_stop(force=True)
    return best


async def _run() -> list[tuple[str, int, float, float]]:
    rows = []
    for name, count, stream in (
        ("unrelated state change", N_UNRELATED, _unrelated),
        ("watched device event", N_WATCHED, _watched),
        ("meter sample", N_METER, _meter),
    ):
        without = await _measure(False, stream)
        with_ = await _measure(True, stream)
        rows.append((name, count, without, with_))
    return rows


def main() -> None:
    """Print the event-loop cost table."""
    rows = asyncio.run(_run())
    print("## Cost on Home Assistant's event loop\n")
    print(
        "| stream | events | without (µs/event) | with (µs/event) | integration's cost (µs/event) "
        "| throughput ratio with/without |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, count, without, with_ in rows:
        per_without = without / count * 1e6
        per_with = with_ / count * 1e6
        print(
            f"| {name} | {count:,} | {per_without:.2f} | {per_with:.2f} "
            f"| {per_with - per_without:+.2f} | {without / with_:.3f} |"
        )
    ratio = rows[0][2] / rows[0][3]
    verdict = "PASS" if ratio >= 0.95 else "FAIL"
    print(
        f"\nHA event throughput with/without the integration (unrelated events): {ratio:.3f} "
        f"(target >= 0.95): {verdict}"
    )

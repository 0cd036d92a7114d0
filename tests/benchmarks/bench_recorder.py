"""What the integration costs the recorder's database, and backfill at scale.

`scripts/bench recorder`: a real `hass` with the recorder (SQLite in a temporary directory) and
one entry watching 10 switches. Over frozen, advancing time the switches are cycled until all 10
are learned (not counted), then two of them stay on for an hour of steady state with a 1 s meter
that jitters by a few watts. Counted: the state rows our entities wrote in that hour (the
recorder's `states` table) and the bytes of the attribute sets they reference
(`state_attributes`). Target: at most 1 row per entity per minute on average.

`scripts/bench backfill` (bench_backfill.py) runs the other half of this module's subject.
"""

# Before Home Assistant's modules: makes dt_util.utcnow follow freezegun (as in the test suite).
import pytest_homeassistant_custom_component.patch_time  # noqa: F401

# isort: split

import asyncio
from datetime import UTC, datetime, timedelta
import logging
import os
import random
import sqlite3
import tempfile

from freezegun import freeze_time
from homeassistant.components.recorder import get_instance
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, recorder as recorder_helper
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
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
from custom_components.energy_correlator.flow_schemas import DEFAULT_OPTIONS

METER = "sensor.home_power"
METER_ATTRS = {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"}
DEVICES = {f"switch.device_{i}": 150.0 + 120.0 * i for i in range(10)}
RUNNING = ("switch.device_3", "switch.device_7")
BASE_W = 300.0
JITTER_W = 3.0
STEADY_S = int(os.environ.get("EC_BENCH_ARGS") or "3600")
TARGET_ROWS_PER_ENTITY_MINUTE = 1.0


class Home:
    """The simulated house: a 1 s meter over frozen time, switches toggled by the script."""

    def __init__(self, hass: HomeAssistant, frozen: object) -> None:
        """All switches off."""
        self.hass = hass
        self.frozen = frozen
        self.on: set[str] = set()
        self.rng = random.Random(11)

    def meter_w(self) -> float:
        """Base load plus what is on, with a little jitter (every reading a change)."""
        return BASE_W + sum(DEVICES[d] for d in self.on) + self.rng.uniform(-JITTER_W, JITTER_W)

    async def run(self, seconds: int) -> None:
        """Let time pass, the meter reporting every second (heartbeats run too)."""
        for _ in range(seconds):
            self.frozen.tick(timedelta(seconds=1))  # type: ignore[attr-defined]
            self.hass.states.async_set(METER, f"{self.meter_w():.1f}", METER_ATTRS)
            async_fire_time_changed(self.hass)
            await self.hass.async_block_till_done()

    async def switch(self, entity_id: str, on: bool) -> None:
        """A quiet meter, the switch changes, the meter follows, the windows close."""
        await self.run(35)
        self.frozen.tick(timedelta(seconds=0.5))  # type: ignore[attr-defined]  # between samples
        (self.on.add if on else self.on.discard)(entity_id)
        self.hass.states.async_set(entity_id, "on" if on else "off")
        await self.run(45)
        self.frozen.tick(timedelta(seconds=0.5))  # type: ignore[attr-defined]


def _rows(
    db_path: str, entity_ids: list[str], since: float, until: float
) -> dict[str, tuple[int, int]]:
    """Per entity: state rows written in [since, until), and bytes of their attribute sets."""
    con = sqlite3.connect(db_path)
    try:
        marks = ",".join("?" * len(entity_ids))
        rows = con.execute(
            f"""SELECT m.entity_id, COUNT(*), COALESCE(SUM(LENGTH(a.shared_attrs)), 0)
                FROM states s JOIN states_meta m ON s.metadata_id = m.metadata_id
                LEFT JOIN state_attributes a ON s.attributes_id = a.attributes_id
                WHERE m.entity_id IN ({marks})
                AND s.last_updated_ts >= ? AND s.last_updated_ts < ?
                GROUP BY m.entity_id""",
            [*entity_ids, since, until],
        ).fetchall()
    finally:
        con.close()
    return {entity_id: (count, size) for entity_id, count, size in rows}


async def _measure() -> tuple[dict[str, tuple[int, int]], list[str], int]:
    with tempfile.TemporaryDirectory() as config_dir:
        db_path = f"{config_dir}/home-assistant_v2.db"
        start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
        with freeze_time(start) as frozen:
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop("custom_components", None)  # allow custom integrations
                await async_setup_component(hass, "homeassistant", {})
                recorder_helper.async_initialize_recorder(hass)
                assert await async_setup_component(
                    hass,
                    "recorder",
                    {"recorder": {"db_url": f"sqlite:///{db_path}", "commit_interval": 0}},
                )
                await hass.async_block_till_done()
                hass.states.async_set(METER, str(BASE_W), METER_ATTRS)
                for entity_id in DEVICES:
                    hass.states.async_set(entity_id, "off")
                entry = MockConfigEntry(
                    domain=DOMAIN,
                    unique_id=METER,
                    data={
                        CONF_METER: METER,
                        CONF_DOMAINS: ["switch"],
                        CONF_INCLUDE: [],
                        CONF_EXCLUDE: [],
                        CONF_CIRCUITS: [],
                        CONF_INFLUX_ENABLED: False,
                    },
                    options=dict(DEFAULT_OPTIONS),
                )
                entry.add_to_hass(hass)
                assert await hass.config_entries.async_setup(entry.entry_id)
                await hass.async_block_till_done()

                home = Home(hass, frozen)
                for _ in range(3):  # learning: every device cycled three times
                    for entity_id in DEVICES:
                        await home.switch(entity_id, True)
                        await home.switch(entity_id, False)
                for entity_id in RUNNING:
                    await home.switch(entity_id, True)
                await home.run(600)  # settle: the new devices' sensors exist and have written

                learned = len(entry.runtime_data.coordinator.data.devices)
                since = hass.states.get(METER).last_updated_timestamp
                await home.run(STEADY_S)
                until = hass.states.get(METER).last_updated_timestamp + 0.5
                frozen.tick(timedelta(seconds=10))  # the unload's rows fall after `until`
                await get_instance(hass).async_block_till_done()
                ours = [
                    e.entity_id
                    for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
                    if hass.states.get(e.entity_id) is not None
                ]
                assert await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_stop(force=True)
                return _rows(db_path, ours, since, until), ours, learned


def main() -> None:
    """Print rows per entity per hour and the verdict."""
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    rows, ours, learned = asyncio.run(_measure())
    total = sum(count for count, _ in rows.values())
    attr_bytes = sum(size for _, size in rows.values())
    per_minute = total / len(ours) / (STEADY_S / 60)
    print("## Recorder load\n")
    print(
        f"{learned} learned devices ({len(RUNNING)} running), a 1 s meter jittering by "
        f"±{JITTER_W:.0f} W, {STEADY_S // 60} minutes of steady state; {len(ours)} entities.\n"
    )
    print("| entity | state rows per hour | attribute bytes per hour |")
    print("|---|---:|---:|")
    for entity_id in sorted(ours, key=lambda e: -rows.get(e, (0, 0))[0]):
        count, size = rows.get(entity_id, (0, 0))
        print(f"| {entity_id} | {count} | {size:,} |")
    print(f"| **all {len(ours)}** | **{total}** | **{attr_bytes:,}** |")
    verdict = "PASS" if per_minute <= TARGET_ROWS_PER_ENTITY_MINUTE else "FAIL"
    print(
        f"\nRows per entity per minute: {per_minute:.3f} "
        f"(target <= {TARGET_ROWS_PER_ENTITY_MINUTE}): {verdict}"
    )

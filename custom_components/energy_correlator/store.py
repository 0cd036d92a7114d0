"""Persistence of what was learned, so a restart loses nothing.

One file per config entry (`.storage/energy_correlator.<entry_id>`) holding the engine's own
`to_dict()` under "engine" and the shell's small day state (energy sensor readings since local
midnight) under "shell". Saves are debounced while learning; the last one happens on unload and at
Home Assistant's final write. Loading keeps every part it can read: a broken aggregate (a
`null` where a number was) costs that aggregate, not the learned profiles.
"""

from collections.abc import Callable
from typing import Any, TypedDict

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .const import DOMAIN, STORAGE_MINOR_VERSION, STORAGE_SAVE_DELAY_S, STORAGE_VERSION
from .engine import Engine

# The engine's stored parts, and those kept per device (one broken device costs only itself).
ENGINE_PARTS = ("profiles", "devices", "references", "stats", "recent", "baseline", "meter_peaks")
PER_DEVICE_PARTS = frozenset({"profiles", "devices"})
_UNREADABLE = (KeyError, TypeError, ValueError, AttributeError)


class StoredData(TypedDict, total=False):
    """The file's payload."""

    engine: dict[str, Any]
    shell: dict[str, Any]


class CorrelatorStore(Store[StoredData]):
    """Typed store with a migration hook for future schema versions."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """One store per config entry."""
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            minor_version=STORAGE_MINOR_VERSION,
            atomic_writes=True,
        )
        self._data_func: Callable[[], StoredData] | None = None
        self._save_due: float | None = None  # loop time of the pending debounced save

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> StoredData:
        """Bring an older file up to date.

        Version 1.x files are already in the current shape; minor bumps only add keys, which
        `Engine.load_dict` ignores or defaults, so they load as they are. (A newer major version
        never reaches here: `Store` refuses it with UnsupportedStorageVersionError.)
        """
        return StoredData(
            engine=dict(old_data.get("engine") or {}),
            shell=dict(old_data.get("shell") or {}),
        )

    @callback
    def async_bind(self, data_func: Callable[[], StoredData]) -> CALLBACK_TYPE:
        """Remember how to build the payload and save once more when Home Assistant stops.

        Returns the unsubscribe of the stop hook (for the entry's unload).
        """
        self._data_func = data_func
        fired = False

        @callback
        def _on_stop(_event: Event) -> None:
            nonlocal fired
            fired = True
            # The final-write stage flushes a pending delayed save.
            self.async_delay_save(data_func, 0)

        unsub = self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _on_stop)

        @callback
        def _unbind() -> None:
            # A fired one-time listener is already gone; removing it again would log an error.
            if not fired:
                unsub()

        return _unbind

    @callback
    def async_schedule_save(self) -> None:
        """Save within STORAGE_SAVE_DELAY_S: at most one write per delay, never postponed.

        (`async_delay_save` alone pushes the write back on every call, so a home that learns
        continuously would only be saved at shutdown.) The payload is built at write time.
        """
        if self._data_func is None:
            return
        now = self.hass.loop.time()
        if self._save_due is not None and now < self._save_due:
            return
        self._save_due = now + STORAGE_SAVE_DELAY_S
        self.async_delay_save(self._data_func, STORAGE_SAVE_DELAY_S)

    async def async_keep_unreadable(self, payload: StoredData) -> str:
        """Copy a payload the engine could not read to a side file, so nothing is lost."""
        backup: Store[StoredData] = Store(
            self.hass,
            STORAGE_VERSION,
            f"{self.key}.unreadable",
            minor_version=STORAGE_MINOR_VERSION,
        )
        await backup.async_save(payload)
        return backup.path

    async def async_save_now(self) -> None:
        """Write immediately (unload)."""
        if self._data_func is not None:
            await self.async_save(self._data_func())


def load_engine_parts(engine: Engine, data: Any) -> list[str]:
    """Load what the engine can read of its stored state; returns the parts it could not.

    `Engine.load_dict` checks everything before it changes anything and takes a missing part as
    empty, so when the whole does not load the parts are added one at a time and a part that
    fails is left out (profiles and device states device by device).
    """
    if not isinstance(data, dict):
        return ["engine"]
    try:
        engine.load_dict(data)
    except _UNREADABLE:
        pass
    else:
        return []
    good: dict[str, Any] = {}
    broken: list[str] = []
    for part in ENGINE_PARTS:
        if part not in data:
            continue
        if _loads(engine, {**good, part: data[part]}):
            good[part] = data[part]
        elif part in PER_DEVICE_PARTS and isinstance(data[part], dict):
            kept: dict[str, Any] = {}
            for entity_id, item in data[part].items():
                if _loads(engine, {**good, part: {**kept, entity_id: item}}):
                    kept[entity_id] = item
                else:
                    broken.append(f"{part}.{entity_id}")
            good[part] = kept
        else:
            broken.append(part)
    # No reload needed: a failed attempt changes nothing, so the engine holds the last load that
    # succeeded, which had every good part read so far.
    return broken


def _loads(engine: Engine, data: dict[str, Any]) -> bool:
    try:
        engine.load_dict(data)
    except _UNREADABLE:
        return False
    return True

"""One sink per InfluxDB server, shared by every entry that writes to it.

The power entry and the utility-meter entries may point at the same server: they must write
through one sink and one backlog (two writers would fight over the journal and replay each
other's points). The hub in `hass.data` keeps one sink per (url, org, bucket), started by the
first entry that acquires it and stopped when the last one releases it. Acquiring registers the
release with the entry's unload, so a failed setup or an unload never leaves a writer behind.
"""

import asyncio
from pathlib import Path

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from ..const import DOMAIN
from .repairs import async_delete_entry_issues
from .settings import InfluxSettings, SinkKey
from .sink import InfluxSink, journal_path

DATA_SINK_HUB: HassKey[SinkHub] = HassKey(f"{DOMAIN}_influx_sinks")


class SinkHub:
    """The running sinks by server, each with the entries attached to it."""

    def __init__(self, hass: HomeAssistant) -> None:
        """No sink yet."""
        self._hass = hass
        self._sinks: dict[SinkKey, InfluxSink] = {}
        self._from_data: set[str] = set()  # entries whose settings are their entry data's
        self._lock = asyncio.Lock()

    def sink_for(self, key: SinkKey) -> InfluxSink | None:
        """The running sink of a server, if any."""
        return self._sinks.get(key)

    async def async_acquire(self, entry: ConfigEntry, settings: InfluxSettings) -> InfluxSink:
        """The server's sink with `entry` attached; the first acquire starts it."""
        async with self._lock:
            await self._async_release(entry.entry_id, keep=settings.key)  # moved server
            stored = InfluxSettings.from_entry(entry)
            if stored is not None and stored.key == settings.key:
                self._from_data.add(entry.entry_id)
            else:
                self._from_data.discard(entry.entry_id)
            sink = self._sinks.get(settings.key)
            if sink is None or sink.stopped:
                sink = InfluxSink(self._hass, settings)
                sink.attach(entry, settings)
                await sink.async_start()
                self._sinks[settings.key] = sink
            else:
                sink.attach(entry, settings)
            legacy = legacy_backlog_path(self._hass, entry.entry_id)
            if await self._hass.async_add_executor_job(legacy.exists):
                await sink.async_import(legacy)
            return sink

    async def async_release(self, entry_id: str) -> None:
        """Detach the entry; the last one out stops the sink (pending points are journaled)."""
        async with self._lock:
            await self._async_release(entry_id)

    async def _async_release(self, entry_id: str, keep: SinkKey | None = None) -> None:
        for key, sink in list(self._sinks.items()):
            if key == keep or entry_id not in sink.entry_ids:
                continue
            sink.detach(entry_id)
            if not sink.entry_ids:
                del self._sinks[key]
                await sink.async_stop(abandoned=self._abandoned(entry_id, key))

    def _abandoned(self, entry_id: str, key: SinkKey) -> bool:
        """The last entry left because its settings no longer name this server (turned off or
        moved), and no other configured entry names it: its pending points have nowhere to go."""
        entry = self._hass.config_entries.async_get_entry(entry_id)
        if entry is None or entry_id not in self._from_data:
            return False  # removed (async_remove_entry_backlog decides) or settings not stored
        settings = InfluxSettings.from_entry(entry)
        if settings is not None and settings.key == key:
            return False  # unload or reload: the points wait for the next start
        return not _still_used(self._hass, entry, key)


def _hub(hass: HomeAssistant) -> SinkHub:
    if (hub := hass.data.get(DATA_SINK_HUB)) is None:
        hub = hass.data[DATA_SINK_HUB] = SinkHub(hass)
    return hub


async def async_acquire_sink(
    hass: HomeAssistant, entry: ConfigEntry, settings: InfluxSettings | None = None
) -> InfluxSink | None:
    """The shared sink for the entry's InfluxDB settings; None when InfluxDB is not enabled.

    `settings` defaults to the entry's own (`InfluxSettings.from_entry`). The release runs by
    itself when the entry unloads (also after a failed setup); call `async_release_sink` to
    stop sending earlier.
    """
    settings = settings or InfluxSettings.from_entry(entry)
    if settings is None:
        return None
    sink = await _hub(hass).async_acquire(entry, settings)
    entry_id = entry.entry_id

    async def _release() -> None:
        await async_release_sink(hass, entry_id)

    entry.async_on_unload(_release)
    return sink


async def async_release_sink(hass: HomeAssistant, entry_id: str) -> None:
    """The entry stops writing; its repair issues go; the last one out stops the sink."""
    if (hub := hass.data.get(DATA_SINK_HUB)) is not None:
        await hub.async_release(entry_id)
    async_delete_entry_issues(hass, entry_id)


def legacy_backlog_path(hass: HomeAssistant, entry_id: str) -> Path:
    """Where a backlog of one entry was kept before sinks were shared (imported on acquire)."""
    return Path(hass.config.path(".storage", f"energy_correlator.{entry_id}.influx"))


async def async_remove_entry_backlog(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The entry is removed: its issues, its old backlog file, and its server's journal (with
    the `.unreadable` copy) unless another entry still sends to that server."""
    async_delete_entry_issues(hass, entry.entry_id)
    paths = [legacy_backlog_path(hass, entry.entry_id)]
    settings = InfluxSettings.from_entry(entry)
    if settings is not None and not _still_used(hass, entry, settings.key):
        journal = journal_path(hass, settings)
        paths += [journal, journal.with_name(f"{journal.name}.unreadable")]
    paths += [path.with_name(f"{path.name}.unreadable") for path in paths[:1]]
    await hass.async_add_executor_job(_unlink_all, paths)


def _still_used(hass: HomeAssistant, removed: ConfigEntry, key: SinkKey) -> bool:
    hub = hass.data.get(DATA_SINK_HUB)
    if hub is not None and hub.sink_for(key) is not None:
        return True
    for other in hass.config_entries.async_entries(DOMAIN):
        settings = InfluxSettings.from_entry(other)
        if other.entry_id != removed.entry_id and settings is not None and settings.key == key:
            return True
    return False


def _unlink_all(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)

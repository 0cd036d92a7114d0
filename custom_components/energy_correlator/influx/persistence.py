"""The backlog and its journal kept in step: which lines are on disk, and what is settled.

Journaling is on only while the sink cannot write and until it has caught up: a healthy sink
writes a point within seconds, and writing every point to disk as well would wear an SD card
for nothing. Turning it on writes every pending line to a fresh file (numbered 0..n-1 in
backlog order); from then on each new line is handed to the file within a second, each settled
batch is marked at once, and the file goes when the backlog is empty.
"""

import asyncio
from pathlib import Path
import time

from homeassistant.core import HomeAssistant

from .backlog import Backlog
from .journal import BacklogJournal


class JournaledBacklog:
    """Drives a `BacklogJournal` from a `Backlog`; every file operation runs in the executor."""

    def __init__(self, hass: HomeAssistant, backlog: Backlog, path: Path) -> None:
        """Not journaling yet."""
        self._backlog = backlog
        self.journal = BacklogJournal(hass, path)
        self.active = False  # new lines go to the journal too
        self._unjournaled: list[str] = []  # new lines not handed to the file yet
        self._settled_mark = 0  # the last `#settled` mark handed to the file
        self._last_sync = 0.0

    def note(self, line: str) -> None:
        """A line was appended to the backlog (call right after `Backlog.append`)."""
        if self.active:
            self._unjournaled.append(line)

    async def async_open(self) -> None:
        """Start (or compact) the journal: every pending line to a fresh, synced file."""
        lines = self._backlog.renumber()
        self._unjournaled = []
        self._settled_mark = 0
        self.active = True
        self._last_sync = time.monotonic()
        await asyncio.shield(self.journal.rewrite(lines))

    async def async_flush(self, sync: bool = False, sync_every_s: float = 5.0) -> None:
        """New lines and the settled mark to the file; fsync when asked or when due."""
        if not self.active:
            return
        lines, self._unjournaled = self._unjournaled, []
        settled = self._backlog.settled_before
        mark = settled if settled > self._settled_mark else None
        self._settled_mark = max(self._settled_mark, settled)
        now = time.monotonic()
        sync = sync or now - self._last_sync >= sync_every_s
        if not lines and mark is None and not sync:
            return
        if sync:
            self._last_sync = now
        await asyncio.shield(self.journal.append(lines, mark, sync))

    async def async_after_write(self, compact_min_lines: int) -> None:
        """A batch was settled: mark it on disk at once (no replay), compact or end the file."""
        if not self.active:
            return
        if not len(self._backlog):
            await self.async_close()
            return
        if self._backlog.settled_before > max(compact_min_lines, len(self._backlog)):
            await self.async_open()
        else:
            await self.async_flush(sync=True)

    async def async_close(self) -> None:
        """Nothing is pending: the file goes."""
        self.active = False
        self._unjournaled = []
        await asyncio.shield(self.journal.remove())

    async def async_keep(self) -> None:
        """Stopping with lines pending: all of them on disk, synced, for the next start."""
        if not self.active:
            await self.async_open()
        await self.async_flush(sync=True)
        await asyncio.shield(self.journal.close(sync=True))

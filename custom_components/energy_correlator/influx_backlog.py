"""The sink's backlog: pending points in memory, bounded, and persisted across restarts.

Zero loss means a point leaves the backlog only when the server accepted it, when the server
rejected it as bad (400), or when the cap forces the oldest out; the last two are counted. The
batch being written is held apart ("in flight") so the cap never drops a point that may already
be on the wire, and a failed batch goes back to the front in its original order.

The persisted form is plain line protocol in `.storage` (one point a line), written in small
chunks and parsed in slices, so even a large backlog never holds the event loop for long, unlike
one big JSON document serialised in a single call.
"""

import asyncio
from collections import deque
import heapq
from itertools import islice
import os
from pathlib import Path

from homeassistant.core import HomeAssistant

from .influx_points import line_timestamp

_HEADER = "# energy_correlator influxdb backlog v1 (line protocol, precision ns)\n"
_CHUNK = 2_000  # lines per write() call / per merge step: bounds each stretch on one thread
_LOAD_SLICE_BYTES = 256 * 1024  # about 2 000 lines parsed and sorted between two yields


class Backlog:
    """Pending lines, oldest first, with a cap that drops the oldest queued lines."""

    def __init__(self, cap: int) -> None:
        """Start empty; `cap` counts queued and in-flight lines together."""
        self.cap = max(1, cap)
        self._queued: deque[str] = deque()
        self._inflight: list[str] = []

    def __len__(self) -> int:
        """All pending lines: queued plus in flight."""
        return len(self._queued) + len(self._inflight)

    @property
    def queued(self) -> int:
        """Lines waiting for a batch."""
        return len(self._queued)

    @property
    def inflight(self) -> list[str]:
        """The batch being written (empty between writes)."""
        return self._inflight

    def append(self, line: str) -> int:
        """Queue one line; returns how many old lines the cap dropped for it."""
        self._queued.append(line)
        return self._enforce_cap()

    def prepend(self, lines: list[str]) -> int:
        """Put restored (older) lines before everything queued; returns lines dropped."""
        self._queued.extendleft(reversed(lines))
        return self._enforce_cap()

    def take(self, count: int) -> list[str]:
        """Move up to `count` of the oldest lines in flight and return them."""
        if self._inflight:
            raise RuntimeError("a batch is already in flight")
        queued = self._queued
        self._inflight = [queued.popleft() for _ in range(min(count, len(queued)))]
        return self._inflight

    def complete(self, count: int | None = None) -> int:
        """The first `count` (default all) in-flight lines are done; the rest go back."""
        done = len(self._inflight) if count is None else min(count, len(self._inflight))
        rest = self._inflight[done:]
        self._inflight = []
        if rest:
            self._queued.extendleft(reversed(rest))
        return done

    def give_back(self) -> int:
        """The write failed: the batch returns to the front; returns lines the cap dropped."""
        self.complete(0)
        return self._enforce_cap()

    def snapshot(self) -> list[str]:
        """Every pending line, oldest first (for persisting)."""
        return [*self._inflight, *self._queued]

    def head(self, count: int) -> list[str]:
        """A copy of the oldest `count` queued lines (for tests and diagnostics)."""
        return list(islice(self._queued, count))

    def _enforce_cap(self) -> int:
        excess = len(self) - self.cap
        if excess <= 0:
            return 0
        dropped = min(excess, len(self._queued))
        popleft = self._queued.popleft
        for _ in range(dropped):
            popleft()
        return dropped


def _sorted_lines(text: str) -> list[str]:
    """The lines we wrote, sorted by timestamp; comments and torn lines are skipped.

    Only strings and ints are kept (no (key, line) tuples): the garbage collector does not track
    them, so a large backlog does not provoke a full collection that would pause the loop.
    """
    lines: list[str] = []
    keys: list[int] = []
    for line in text.split("\n"):
        if not line or line[0] == "#":
            continue
        try:
            keys.append(line_timestamp(line))
        except ValueError:
            continue  # a torn or foreign line; nothing we wrote
        lines.append(line)
    return [lines[i] for i in sorted(range(len(keys)), key=keys.__getitem__)]


class BacklogFile:
    """The backlog as a line protocol file in `.storage`, replaced atomically on each save."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Point at this entry's file (nothing is read or written yet)."""
        self._hass = hass
        self.path = Path(hass.config.path(".storage", f"energy_correlator.{entry_id}.influx"))

    async def async_load(self) -> list[str]:
        """Persisted lines sorted by time, or [] when there is no file.

        The executor only reads bytes (I/O releases the GIL); parsing and sorting run on the
        loop in slices with yields in between: CPU-bound Python in a worker thread would make the
        loop wait for the GIL in 5 ms steps, a long C call would hold it for the whole call.
        """
        data = await self._hass.async_add_executor_job(self._read)
        blocks: list[list[str]] = []
        start = 0
        while start < len(data):
            end = data.find(b"\n", min(start + _LOAD_SLICE_BYTES, len(data)))
            end = len(data) if end < 0 else end + 1
            blocks.append(_sorted_lines(data[start:end].decode("utf-8", "replace")))
            start = end
            await asyncio.sleep(0)
        merged = heapq.merge(*blocks, key=line_timestamp)
        lines: list[str] = []
        while chunk := list(islice(merged, _CHUNK)):
            lines += chunk
            await asyncio.sleep(0)
        return lines

    async def async_save(self, lines: list[str]) -> None:
        """Replace the file with `lines`; no lines removes it."""
        await self._hass.async_add_executor_job(self._save, lines)

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""

    def _save(self, lines: list[str]) -> None:
        if not lines:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(_HEADER)
            for start in range(0, len(lines), _CHUNK):
                handle.write("\n".join(lines[start : start + _CHUNK]))
                handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

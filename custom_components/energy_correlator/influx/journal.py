"""The backlog on disk: an append-only journal, so disk writes grow with new points only.

While the sink cannot write (and until it has caught up), every new point is appended to one
file in `.storage`: plain line protocol, one point a line, plus `#settled N` marks saying that
the first N point lines of the file are done (written, rejected or dropped). Nothing already on
disk is rewritten while an outage lasts; a compaction (the pending lines to a new file, then an
atomic rename) happens at start and when settled lines outnumber pending ones, so it costs at
most as much again as the points themselves. A crash leaves at worst a torn last line, which the
next start skips. All file I/O runs in the executor, one operation after the other in the order
the sink asked for it (each is a tracked task, so a cancelled caller never cuts one off).
"""

import asyncio
from collections.abc import Callable
import os
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant

from ..const import LOGGER

HEADER_PREFIX = "# energy_correlator influxdb backlog v"
VERSION = 2  # v1: a full snapshot, no marks (read the same way)
HEADER = f"{HEADER_PREFIX}{VERSION} (line protocol, precision ns; '#settled N': lines < N done)\n"
SETTLED = "#settled "
_LOAD_SLICE_BYTES = 256 * 1024  # about 2 000 lines parsed between two yields


class BacklogJournal:
    """One journal file; the sink decides what goes in and when it is synced."""

    def __init__(self, hass: HomeAssistant, path: Path) -> None:
        """Point at the file (nothing is read or written yet)."""
        self._hass = hass
        self.path = path
        self.unreadable_path = path.with_name(f"{path.name}.unreadable")
        self.bytes_written = 0  # everything this journal wrote to disk (the benchmark reads it)
        self._handle: Any = None  # the open file while appending
        self._last: asyncio.Future[Any] | None = None  # the operation queued last

    # ---- reading (once, at start) -------------------------------------------------------------

    async def async_load(self, path: Path | None = None) -> list[str]:
        """The pending lines of the journal (or of `path`, an older backlog file), in order.

        The executor only reads bytes; parsing runs on the loop in slices with yields between:
        CPU-bound Python in a worker thread would hold the GIL against the loop. A file that is
        not ours or from a newer version is kept aside as `.unreadable` and counts as empty.
        """
        path = path or self.path
        try:
            data = await self._hass.async_add_executor_job(_read, path)
            if not data:
                return []
            first = data[: data.find(b"\n") + 1].decode("utf-8", "replace")
            if not _readable_header(first):
                aside = path.with_name(f"{path.name}.unreadable")
                await self._hass.async_add_executor_job(os.replace, path, aside)
                LOGGER.error(
                    "InfluxDB: the saved backlog %s cannot be read; kept as %s", path, aside
                )
                return []
        except OSError as err:
            LOGGER.error("InfluxDB: cannot read the saved backlog %s: %s", path, err)
            return []
        data = data[: data.rfind(b"\n") + 1]  # a torn last line (a crash mid-write) is skipped
        points: list[str] = []
        settled = 0
        start = len(first.encode())
        while start < len(data):
            end = data.find(b"\n", min(start + _LOAD_SLICE_BYTES, len(data) - 1)) + 1
            for line in data[start:end].decode("utf-8", "replace").split("\n"):
                if not line:
                    continue
                if line[0] != "#":
                    points.append(line)
                elif line.startswith(SETTLED):
                    settled = max(settled, _int_or_zero(line[len(SETTLED) :]))
            start = end
            await asyncio.sleep(0)
        return points[settled:]

    # ---- writing (queued in order; the futures never raise) ---------------------------------

    def rewrite(self, lines: list[str]) -> asyncio.Future[Any]:
        """A fresh journal holding `lines` (numbered from 0), synced, then appended to."""
        return self._queue(self._rewrite, lines)

    def append(self, lines: list[str], settled: int | None, sync: bool) -> asyncio.Future[Any]:
        """New point lines, then a `#settled` mark when given; `sync` forces them to disk."""
        text = "".join(f"{line}\n" for line in lines)
        if settled is not None:
            text += f"{SETTLED}{settled}\n"
        return self._queue(self._append, text, sync)

    def close(self, sync: bool) -> asyncio.Future[Any]:
        """Stop appending (the file stays for the next start)."""
        return self._queue(self._close, sync)

    def remove(self) -> asyncio.Future[Any]:
        """Nothing is pending: close and delete the file."""
        return self._queue(self._remove)

    def _queue(self, job: Callable[..., None], *args: Any) -> asyncio.Future[Any]:
        previous = self._last

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            await self._hass.async_add_executor_job(self._guarded, job, *args)

        name = f"energy_correlator journal {getattr(job, '__name__', 'io')}"
        self._last = self._hass.async_create_task(run(), name)
        return self._last

    def _guarded(self, job: Callable[..., None], *args: Any) -> None:
        try:
            job(*args)
        except OSError as err:
            LOGGER.error("InfluxDB: cannot write the backlog journal %s: %s", self.path, err)

    def _rewrite(self, lines: list[str]) -> None:
        self._close(sync=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(HEADER)
            for start in range(0, len(lines), 2_000):
                chunk = "".join(f"{line}\n" for line in lines[start : start + 2_000])
                handle.write(chunk)
                self.bytes_written += len(chunk.encode())
            handle.flush()
            os.fsync(handle.fileno())
        self.bytes_written += len(HEADER)
        os.replace(tmp, self.path)
        _sync_dir(self.path.parent)  # the rename itself survives a power cut
        self._handle = self.path.open("a", encoding="utf-8")

    def _append(self, text: str, sync: bool) -> None:
        if self._handle is None:
            self._handle = self.path.open("a", encoding="utf-8")
        if text:
            self._handle.write(text)
            self.bytes_written += len(text.encode())
        self._handle.flush()
        if sync:
            os.fsync(self._handle.fileno())

    def _close(self, sync: bool) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
        handle.close()

    def _remove(self) -> None:
        self._close(sync=False)
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".tmp").unlink(missing_ok=True)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _readable_header(first_line: str) -> bool:
    if not first_line.startswith(HEADER_PREFIX):
        return False
    version = first_line[len(HEADER_PREFIX) :].partition(" ")[0]
    return version.isdigit() and 1 <= int(version) <= VERSION


def _int_or_zero(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0

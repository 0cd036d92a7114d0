"""The InfluxDB sink: callbacks only enqueue; one background writer batches, retries and persists.

Unlike core's influxdb exporter, which drops a batch after its retries, this sink keeps every
point until the server takes it: failures leave the batch in the backlog (backlog.py), the
writer backs off exponentially with jitter, and while writes fail (until the backlog is empty
again) every new point is appended to the journal (persistence.py) within about a second and
forced to disk every few seconds, so a crash of Home Assistant loses at most the last second or
so (a power loss the last few seconds); the next start replays what is not marked settled.
Points leave unwritten only over the backlog cap (oldest first) or when the server rejects them
as bad (400/422); both are counted, logged and surfaced (health.py). One sink serves one server
(url, org, bucket) for every entry attached to it (hub.py): one writer, one backlog, never two.
"""

import asyncio
from collections.abc import Callable
import contextlib
from pathlib import Path
import time
from typing import Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.ssl import client_context, client_context_no_verify
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.client.write_api_async import WriteApiAsync

from ..const import DOMAIN, LOGGER, REPAIR_AFTER
from .backlog import Backlog
from .errors import WRITE_ERRORS, Failure, classify
from .health import DROP_REPORT_INTERVAL_S, SinkStats, WriteHealth
from .persistence import JournaledBacklog
from .recording import SinkRecording
from .settings import InfluxSettings, redact_url


def journal_path(hass: HomeAssistant, settings: InfluxSettings) -> Path:
    """Where the backlog of one server is kept (named by a digest: no url or token in it)."""
    return Path(hass.config.path(".storage", f"energy_correlator.influx.{settings.key.digest}"))


class InfluxSink(SinkRecording):
    """Buffered, batched, persisted writer of the integration's measurements to one server."""

    # Tunables (instance attributes so tests and the benchmark can tighten them).
    batch_size = 5_000  # Influx recommends 5 000 lines per request
    flush_interval_s = 5.0  # the oldest point waits at most about this long (when healthy)
    retry_initial_s = 1.0
    retry_max_s = 300.0
    journal_interval_s = 1.0  # while journaling, new points reach the file this often
    journal_sync_s = 5.0  # ... and are forced to disk (fsync) this often (power loss)
    journal_after_s = 2.0  # a write in flight this long (a silent server): journal meanwhile
    compact_min_lines = 10_000  # compaction waits until at least this many lines are settled
    stop_flush_timeout_s = 5.0
    write_timeout_s = 30.0
    repair_after_s = REPAIR_AFTER.total_seconds()
    drop_issue_clear_s = DROP_REPORT_INTERVAL_S  # drained and no drop for this long: clear it

    def __init__(self, hass: HomeAssistant, settings: InfluxSettings) -> None:
        """Prepare the sink; nothing runs until `async_start`."""
        self._hass = hass
        self._settings = settings
        self._backlog = Backlog(settings.max_backlog_points)
        self._health = WriteHealth(hass, self._backlog)
        self._persistence = JournaledBacklog(hass, self._backlog, journal_path(hass, settings))
        self._entries: dict[str, tuple[ConfigEntry, InfluxSettings]] = {}
        self._client: InfluxDBClientAsync | None = None
        self._write_api: WriteApiAsync | None = None
        self._client_for: tuple[str, str, str, bool] | None = None  # what the client was built for
        self._task: asyncio.Task[None] | None = None
        self._journal_task: asyncio.Task[None] | None = None
        self._write: asyncio.Future[bool] | None = None  # the request in flight
        self._write_started = 0.0
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._stopped = False
        self._unsub_stop: Callable[[], None] | None = None
        self._shrunk_to: int | None = None  # a smaller batch after a 400/413 (bisecting)

    # ---- who writes through it ---------------------------------------------------------------

    @property
    def settings(self) -> InfluxSettings:
        """The connection in use (the last attached entry's token and TLS choice win)."""
        return self._settings

    @property
    def entry_ids(self) -> set[str]:
        """The entries writing through this sink."""
        return set(self._entries)

    @property
    def stopped(self) -> bool:
        """True once stopped (it cannot be started again)."""
        return self._stopped

    @property
    def journal_bytes_written(self) -> int:
        """Bytes this sink wrote to its backlog file so far."""
        return self._persistence.journal.bytes_written

    @callback
    def attach(self, entry: ConfigEntry, settings: InfluxSettings | None = None) -> None:
        """`entry` writes through this sink: it gets its issues and reauth, its cap counts."""
        settings = settings or self._settings
        if settings.key != self._settings.key:
            raise ValueError("an entry can only attach to the sink of its own server")
        self._entries[entry.entry_id] = (entry, settings)
        self._settings = settings
        self._backlog.cap = max(1, *(s.max_backlog_points for _, s in self._entries.values()))
        self._health.issues.attach(entry)

    @callback
    def detach(self, entry_id: str) -> None:
        """The entry stops writing through this sink; its repair issues go."""
        self._entries.pop(entry_id, None)
        self._health.issues.detach(entry_id)
        if self._entries:
            caps = (s.max_backlog_points for _, s in self._entries.values())
            self._backlog.cap = max(1, *caps)

    # ---- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Replay the journal, start the writer and flush on Home Assistant stop."""
        await self._open_client()  # now, not on the first write: building it takes a while
        restored = await self._persistence.journal.async_load()
        if restored:
            self._health.dropped(self._backlog.prepend(restored), "backlog cap")
            LOGGER.info("InfluxDB: replaying %d points saved before the restart", len(restored))
            await self._persistence.async_open()  # compaction: the pending lines to a new file
        else:
            await self._persistence.async_close()
        self._task = self._hass.async_create_background_task(
            self._run(), f"{DOMAIN} influxdb writer {self._settings.key.digest}"
        )
        self._journal_task = self._hass.async_create_background_task(
            self._journal_loop(), f"{DOMAIN} influxdb journal {self._settings.key.digest}"
        )
        self._unsub_stop = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stop
        )

    async def async_import(self, path: Path) -> None:
        """Take over the pending points of an older backlog file, then delete that file."""
        lines = await self._persistence.journal.async_load(path)
        if lines:
            self._health.dropped(self._backlog.prepend(lines), "backlog cap")
            await self._persistence.async_open()
        await self._hass.async_add_executor_job(path.unlink, True)

    async def async_stop(self, *, abandoned: bool = False) -> None:
        """Stop the writer, try briefly to write what is pending, journal the rest.

        `abandoned`: nobody will send to this server again (InfluxDB was turned off or moved), so
        what is still pending is discarded with its file instead of kept for the next start.
        """
        if self._stopped:
            return
        self._stopped = self._stopping = True
        if self._unsub_stop is not None:
            self._unsub_stop()
            self._unsub_stop = None
        self._wake.set()
        self._stop_event.set()
        try:
            async with asyncio.timeout(self.stop_flush_timeout_s):
                if self._task is not None:  # on HA stop it is cancelled already
                    await asyncio.wait({self._task})
                    self._task = None
                if self._write is not None:  # a write cut off by the cancellation
                    await asyncio.wait({self._write})
                    self._settle()
                while len(self._backlog) and await self._write_batch():
                    pass
        except TimeoutError:
            pass
        for task in (self._task, self._write, self._journal_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._write = self._journal_task = None
        self._backlog.give_back()  # whatever was in flight stays pending
        if len(self._backlog) and abandoned:
            LOGGER.info(
                "InfluxDB: %d points for %s discarded: no entry sends there any more",
                len(self._backlog),
                redact_url(self._settings.url),
            )
        if len(self._backlog) and not abandoned:
            await self._persistence.async_keep()
        else:
            await self._persistence.async_close()
        await self._close_client()

    async def _async_hass_stop(self, _event: Event) -> None:
        self._unsub_stop = None  # a fired listen_once listener is gone already
        await self.async_stop()

    async def _close_client(self) -> None:
        if self._client is not None:
            client, self._client, self._write_api = self._client, None, None
            await client.close()

    async def _open_client(self) -> WriteApiAsync:
        """The write API for the current settings (a new token or TLS choice: a new client)."""
        settings = self._settings
        wanted = (settings.url, settings.token, settings.org, settings.verify_ssl)
        if self._write_api is not None and self._client_for == wanted:
            return self._write_api
        await self._close_client()
        self._client_for = wanted
        self._client = InfluxDBClientAsync(
            url=settings.url,
            token=settings.token,
            org=settings.org,
            timeout=int(self.write_timeout_s * 1000),
            ssl_context=client_context() if settings.verify_ssl else client_context_no_verify(),
        )
        self._write_api = self._client.write_api()
        return self._write_api

    # ---- enqueue (the `record_*` callbacks of SinkRecording end here) -------------------------

    @override
    def _enqueue(self, renderer: Callable[..., str | None], *args: Any, **kwargs: Any) -> None:
        if self._stopped:
            return  # nothing would write or save it; the coordinator stops first
        try:
            line = renderer(*args, **kwargs)
        except (TypeError, ValueError, AttributeError, OverflowError, KeyError) as err:
            LOGGER.debug("InfluxDB: cannot render %s%r: %s", renderer.__name__, args, err)
            self._health.dropped(1, "not a valid point")
            return
        if line is None:
            return  # no finite field: nothing to write
        dropped = self._backlog.append(line)
        self._persistence.note(line)
        if dropped:
            self._health.dropped(dropped, "backlog cap")
        if self._backlog.queued >= self._batch_limit and not self._wake.is_set():
            self._wake.set()

    @property
    def stats(self) -> SinkStats:
        """Counters for the diagnostic sensors, diagnostics and repairs."""
        return self._health.stats

    # ---- the writer ------------------------------------------------------------------------

    @property
    def _batch_limit(self) -> int:
        """Lines per request: the batch size, or less while isolating a bad point."""
        return self.batch_size if self._shrunk_to is None else min(self._shrunk_to, self.batch_size)

    async def _run(self) -> None:
        """Batch by size and age; on failure journal, back off and keep the batch."""
        try:
            while not self._stopping:
                await self._wait_for_batch()
                while self._backlog.queued and not self._stopping:
                    if not await self._write_batch():
                        await self._after_failure()
                        break
                    await self._persistence.async_after_write(self.compact_min_lines)
                    if self._backlog.queued < self._batch_limit:
                        break  # the tail waits for size or age
        finally:
            if self._write is None:  # a running write is settled by async_stop
                self._backlog.give_back()

    async def _wait_for_batch(self) -> None:
        if self._backlog.queued >= self._batch_limit:
            return
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.flush_interval_s):
                await self._wake.wait()

    async def _after_failure(self) -> None:
        """Journal from now on, then sleep an exponential back-off with jitter (half fixed)."""
        if not self._persistence.active:
            await self._persistence.async_open()
        delay = self._health.backoff_s(self.retry_initial_s, self.retry_max_s)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._stop_event.wait()

    async def _write_batch(self) -> bool:
        """Write the oldest batch; True when it left the backlog (written or dropped as bad)."""
        write_api = await self._open_client()
        batch = self._backlog.take(self._batch_limit)
        if not batch:
            return True
        self._health.attempted()
        # Shielded: cancelling the writer (HA stop) must not cut a request off half-way, or a
        # batch the server stored could be written twice; async_stop settles it instead.
        self._write_started = time.monotonic()
        self._write = asyncio.ensure_future(
            write_api.write(
                bucket=self._settings.bucket,
                org=self._settings.org,
                record="\n".join(batch),  # the client's default precision is ns, like ours
            )
        )
        with contextlib.suppress(Exception):
            await asyncio.shield(self._write)
        return self._settle()

    def _settle(self) -> bool:
        """Account for the finished write; True when its batch left the backlog."""
        write, self._write = self._write, None
        assert write is not None
        if write.cancelled():
            self._backlog.give_back()
            return False
        err = write.exception()
        if err is None:
            self._on_success(self._backlog.complete())
            return True
        if not isinstance(err, WRITE_ERRORS) and not self._health.failing:
            # A library bug must not end the writer: log it once per failure streak.
            LOGGER.error("InfluxDB: unexpected error while writing", exc_info=err)
        return self._handle_failure(err)

    def _on_success(self, count: int) -> None:
        if self._shrunk_to is not None:  # isolating a bad point: grow back step by step
            self._shrunk_to = (
                None if self._shrunk_to * 2 >= self.batch_size else self._shrunk_to * 2
            )
        self._health.succeeded(count, drop_issue_clear_s=self.drop_issue_clear_s)

    def _handle_failure(self, err: BaseException) -> bool:
        """Account for a failed write; True when the batch is settled anyway (bad point)."""
        kind, text = classify(err)
        token = self._settings.token
        text = text.replace(token, "**REDACTED**") if token else text
        if kind in (Failure.BAD_DATA, Failure.TOO_LARGE):
            self._health.rejected(kind)
            batch_len = len(self._backlog.inflight)
            if batch_len > 1:
                # Bisect: halve the batch until the bad point is alone; no back-off needed.
                self._health.dropped(self._backlog.give_back(), "backlog cap")
                self._shrunk_to = max(1, batch_len // 2)
                return True
            (line,) = self._backlog.inflight
            self._backlog.complete()
            self._health.dropped(1, "rejected by the server")
            LOGGER.warning("InfluxDB rejected a point (%s), dropped it: %s", text, line)
            return True
        self._health.dropped(self._backlog.give_back(), "backlog cap")
        self._health.failed(
            kind,
            text,
            settings=self._settings,
            entries=[entry for entry, _settings in self._entries.values()],
            repair_after_s=self.repair_after_s,
        )
        return False

    # ---- the journal (only while failing or catching up) ------------------------------------

    async def _journal_loop(self) -> None:
        """Hand new points to the journal about every second while journaling.

        A write that hangs (a server or network gone silent, not refusing) is a failure long
        before its timeout says so: journaling starts once one has been in flight too long.
        """
        while True:
            await asyncio.sleep(self.journal_interval_s)
            if (
                not self._persistence.active
                and self._write is not None
                and time.monotonic() - self._write_started >= self.journal_after_s
            ):
                await self._persistence.async_open()
            await self._persistence.async_flush(sync_every_s=self.journal_sync_s)

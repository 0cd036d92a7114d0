"""The InfluxDB sink: callbacks only enqueue; one background writer batches, retries and persists.

Unlike core's influxdb exporter, which drops a batch after its retries, this sink keeps every
point until the server takes it: failures leave the batch in the backlog (influx_backlog.py), the
writer backs off exponentially with jitter, and the backlog is saved to `.storage` while writes
fail and on stop, then replayed in time order on the next start. Points leave unwritten only
over the backlog cap (oldest first) or when the server rejects them as bad (400/422); both are
counted, logged and surfaced.
"""

import asyncio
from collections.abc import Callable
import contextlib
import random
import time
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.ssl import client_context, client_context_no_verify
from influxdb_client.client.influxdb_client_async import InfluxDBClientAsync
from influxdb_client.client.write_api_async import WriteApiAsync

from .const import DOMAIN, LOGGER, REPAIR_AFTER
from .data import SinkStats
from .engine.models import Correlation, ProfileSummary
from .influx_backlog import Backlog, BacklogFile
from .influx_errors import WRITE_ERRORS, Failure, classify
from .influx_points import circuit_line, correlation_line, meter_line, profile_line
from .influx_repairs import (
    ISSUE_BUCKET_NOT_FOUND,
    ISSUE_POINTS_DROPPED,
    ISSUE_UNREACHABLE,
    SinkIssues,
)

DROP_REPORT_INTERVAL_S = 300.0


class InfluxSink:
    """Buffered, batched, persisted writer of the integration's measurements."""

    # Tunables (instance attributes so tests and the benchmark can tighten them).
    batch_size = 5_000  # Influx recommends 5 000 lines per request
    flush_interval_s = 5.0  # the oldest point waits at most about this long (when healthy)
    retry_initial_s = 1.0
    retry_max_s = 300.0
    persist_interval_s = 60.0  # while failing, the backlog file is refreshed this often
    stop_flush_timeout_s = 5.0
    write_timeout_s = 30.0
    repair_after_s = REPAIR_AFTER.total_seconds()

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        *,
        url: str,
        token: str,
        org: str,
        bucket: str,
        verify_ssl: bool,
        max_backlog_points: int,
    ) -> None:
        """Prepare the sink; nothing runs until `async_start`."""
        self._hass = hass
        self._entry = entry
        self._url = url
        self._token = token
        self._org = org
        self._bucket = bucket
        self._verify_ssl = verify_ssl
        self._backlog = Backlog(max_backlog_points)
        self._file = BacklogFile(hass, entry.entry_id)
        self._client: InfluxDBClientAsync | None = None
        self._write_api: WriteApiAsync | None = None
        self._task: asyncio.Task[None] | None = None
        self._write: asyncio.Future[bool] | None = None  # the request in flight
        self._wake = asyncio.Event()
        self._stop_event = asyncio.Event()
        self._stopping = False
        self._stopped = False
        self._unsub_stop: Callable[[], None] | None = None
        self._batch_limit = self.batch_size
        # Counters behind `stats`.
        self._written = 0
        self._dropped = 0
        self._attempts = 0
        self._successes = 0
        self._last_error: str | None = None
        self._failing_since: float | None = None
        self._failures = 0  # consecutive failed attempts (drives the back-off)
        self._reauth_started = False
        self._issues = SinkIssues(hass, entry)
        self._persisted = False  # the file may hold lines
        self._last_persist = 0.0
        self._last_drop_log = 0.0

    # ---- lifecycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Replay the persisted backlog, start the writer and flush on Home Assistant stop."""
        self._client = InfluxDBClientAsync(
            url=self._url,
            token=self._token,
            org=self._org,
            timeout=int(self.write_timeout_s * 1000),
            ssl_context=client_context() if self._verify_ssl else client_context_no_verify(),
        )
        self._write_api = self._client.write_api()
        try:
            restored = await self._file.async_load()
        except OSError as err:
            LOGGER.error("InfluxDB: cannot read the saved backlog %s: %s", self._file.path, err)
            restored = []
        if restored:
            self._persisted = True
            self._count_dropped(self._backlog.prepend(restored), "backlog cap")
            LOGGER.info("InfluxDB: replaying %d points saved before the restart", len(restored))
        self._task = self._entry.async_create_background_task(
            self._hass, self._run(), f"{DOMAIN} influxdb writer {self._entry.entry_id}"
        )
        self._unsub_stop = self._hass.bus.async_listen_once(
            EVENT_HOMEASSISTANT_STOP, self._async_hass_stop
        )
        # Also when setup fails after this point: the backlog must be saved either way.
        self._entry.async_on_unload(self.async_stop)

    async def async_stop(self) -> None:
        """Stop the writer, try briefly to write what is pending, persist the rest."""
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
                while self._write_api and len(self._backlog) and await self._write_batch():
                    pass
        except TimeoutError:
            pass
        for task in (self._task, self._write):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._write = None
        self._backlog.give_back()  # whatever was in flight stays pending
        await self._persist()
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def _async_hass_stop(self, _event: Event) -> None:
        self._unsub_stop = None  # a fired listen_once listener is gone already
        await self.async_stop()

    # ---- enqueue (event loop callbacks: never block, never raise) ---------------------------

    @callback
    def record_meter(
        self, ts: float, meter_entity: str, total_power_w: float | None, daily_kwh: float | None
    ) -> None:
        """Queue one `smart_meter` point."""
        self._enqueue(meter_line, ts, meter_entity, total_power_w, daily_kwh)

    @callback
    def record_circuit(
        self,
        ts: float,
        circuit_entity: str,
        meter_entity: str,
        power_w: float,
        percentage: float | None,
    ) -> None:
        """Queue one `smart_meter_circuit` point."""
        self._enqueue(circuit_line, ts, circuit_entity, meter_entity, power_w, percentage)

    @callback
    def record_correlation(self, correlation: Correlation) -> None:
        """Queue one `event_energy_correlation` point (at the event's time)."""
        self._enqueue(correlation_line, correlation)

    @callback
    def record_profile(self, ts: float, profile: ProfileSummary) -> None:
        """Queue one `device_power_profile` point."""
        self._enqueue(profile_line, ts, profile)

    def _enqueue(self, render: Callable[..., str | None], *args: Any) -> None:
        if self._stopped:
            return  # nothing would write or save it; the coordinator stops first
        try:
            line = render(*args)
        except (TypeError, ValueError, AttributeError, OverflowError) as err:
            LOGGER.debug("InfluxDB: cannot render %s%r: %s", render.__name__, args, err)
            self._count_dropped(1, "not a valid point")
            return
        if line is None:
            return  # no finite field: nothing to write
        dropped = self._backlog.append(line)
        if dropped:
            self._count_dropped(dropped, "backlog cap")
        if self._backlog.queued >= self._batch_limit and not self._wake.is_set():
            self._wake.set()

    # ---- stats -----------------------------------------------------------------------------

    @property
    def stats(self) -> SinkStats:
        """Counters for the diagnostic sensors, diagnostics and repairs."""
        return SinkStats(
            points_written=self._written,
            points_pending=len(self._backlog),
            points_dropped=self._dropped,
            last_error=self._last_error,
            success_pct=100.0 * self._successes / self._attempts if self._attempts else None,
            failing_since=self._failing_since,
        )

    # ---- the writer ------------------------------------------------------------------------

    async def _run(self) -> None:
        """Batch by size and age; on failure back off, keep the batch and persist now and then."""
        try:
            while not self._stopping:
                await self._wait_for_batch()
                while self._backlog.queued and not self._stopping:
                    if not await self._write_batch():
                        await self._after_failure()
                        break
                    if self._persisted:  # keep the file close to the shrinking backlog
                        if not len(self._backlog):
                            await self._persist()
                        else:
                            await self._persist_if_due()
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
        """Persist when due, then sleep an exponential back-off with jitter (half fixed)."""
        await self._persist_if_due()
        delay = min(self.retry_max_s, self.retry_initial_s * 2 ** min(self._failures - 1, 30))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay / 2 + random.uniform(0, delay / 2)):
                await self._stop_event.wait()

    async def _write_batch(self) -> bool:
        """Write the oldest batch; True when it left the backlog (written or dropped as bad)."""
        assert self._write_api is not None
        batch = self._backlog.take(self._batch_limit)
        if not batch:
            return True
        self._attempts += 1
        # Shielded: cancelling the writer (HA stop) must not cut a request off half-way, or a
        # batch the server stored could be written twice; async_stop settles it instead.
        self._write = asyncio.ensure_future(
            self._write_api.write(
                bucket=self._bucket,
                org=self._org,
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
        if not isinstance(err, WRITE_ERRORS) and self._failing_since is None:
            # A library bug must not end the writer: log it once per failure streak.
            LOGGER.error("InfluxDB: unexpected error while writing", exc_info=err)
        return self._handle_failure(err)

    def _on_success(self, count: int) -> None:
        self._written += count
        self._successes += 1
        self._batch_limit = min(self.batch_size, self._batch_limit * 2)
        if self._failing_since is not None:
            LOGGER.info(
                "InfluxDB: writes resumed after %.0f s; %d points pending",
                time.time() - self._failing_since,
                len(self._backlog),
            )
        self._failing_since = None
        self._failures = 0
        self._last_error = None
        self._reauth_started = False
        self._issues.delete(ISSUE_UNREACHABLE, ISSUE_BUCKET_NOT_FOUND)

    def _handle_failure(self, err: BaseException) -> bool:
        """Account for a failed write; True when the batch is settled anyway (bad point)."""
        kind, text = classify(err)
        text = text.replace(self._token, "**REDACTED**") if self._token else text
        batch_len = len(self._backlog.inflight)
        if kind in (Failure.BAD_DATA, Failure.TOO_LARGE) and batch_len > 1:
            # Bisect: halve the batch until the bad point is alone; no back-off needed.
            self._count_dropped(self._backlog.give_back(), "backlog cap")
            self._batch_limit = max(1, batch_len // 2)
            self._last_error = kind.value
            return True
        if kind in (Failure.BAD_DATA, Failure.TOO_LARGE):
            (line,) = self._backlog.inflight
            self._backlog.complete()
            self._count_dropped(1, "rejected by the server")
            LOGGER.warning("InfluxDB rejected a point (%s), dropped it: %s", text, line)
            self._last_error = kind.value
            return True
        self._count_dropped(self._backlog.give_back(), "backlog cap")
        self._failures += 1
        self._last_error = f"{kind.value}: {text}"
        now = time.time()
        if self._failing_since is None:
            self._failing_since = now
            LOGGER.warning(
                "InfluxDB write to %s failed (%s); keeping %d points and retrying",
                self._url,
                self._last_error,
                len(self._backlog),
            )
        else:
            LOGGER.debug("InfluxDB write failed again (%s)", self._last_error)
        if kind is Failure.AUTH and not self._reauth_started:
            self._reauth_started = True
            self._entry.async_start_reauth(self._hass)
        elif kind is Failure.BUCKET:
            self._issues.create(ISSUE_BUCKET_NOT_FOUND, bucket=self._bucket, org=self._org)
        elif kind is Failure.TRANSIENT and now - self._failing_since >= self.repair_after_s:
            self._issues.create(ISSUE_UNREACHABLE, url=self._url)
        return False

    # ---- persistence, drops and repairs ----------------------------------------------------

    async def _persist_if_due(self) -> None:
        if time.monotonic() - self._last_persist >= self.persist_interval_s:
            await self._persist()

    async def _persist(self) -> None:
        self._last_persist = time.monotonic()
        lines = self._backlog.snapshot()
        if not lines and not self._persisted:
            return
        try:
            await self._file.async_save(lines)
        except OSError as err:
            LOGGER.error("InfluxDB: could not save the backlog to %s: %s", self._file.path, err)
            return
        self._persisted = bool(lines)

    def _count_dropped(self, count: int, why: str) -> None:
        if not count:
            return
        self._dropped += count
        now = time.monotonic()
        if self._last_drop_log and now - self._last_drop_log < DROP_REPORT_INTERVAL_S:
            return  # at the cap every new point drops one: report at most every few minutes
        self._last_drop_log = now
        LOGGER.warning(
            "InfluxDB: dropped %d points (%s); %d dropped in total, %d pending (cap %d)",
            count,
            why,
            self._dropped,
            len(self._backlog),
            self._backlog.cap,
        )
        self._issues.create(ISSUE_POINTS_DROPPED, count=self._dropped, cap=self._backlog.cap)

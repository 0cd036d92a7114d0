"""How the sink's writes are going: counters, log lines, repair issues and reauth.

The writer (sink.py) decides what happens to a batch; this part keeps the record of it and
tells the user: a failure streak is logged once when it starts and once when it ends, a server
that stays unreachable or lacks the bucket raises a repair issue, refused credentials start a
reauth of every attached entry (once per streak), and dropped points are counted, logged at
most every few minutes and surfaced as an issue that clears a while after the sink caught up.
"""

from dataclasses import dataclass
import random
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from ..const import LOGGER
from .backlog import Backlog
from .errors import Failure
from .repairs import ISSUE_BUCKET_NOT_FOUND, ISSUE_POINTS_DROPPED, ISSUE_UNREACHABLE, SinkIssues
from .settings import InfluxSettings, redact_url

DROP_REPORT_INTERVAL_S = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SinkStats:
    """What the InfluxDB sink reports (diagnostic sensors, diagnostics, repairs)."""

    points_written: int = 0
    points_pending: int = 0  # in memory + persisted backlog
    points_dropped: int = 0  # over the backlog cap (oldest first) or rejected as bad (400)
    last_error: str | None = None
    success_pct: float | None = None  # successful write attempts / all attempts
    failing_since: float | None = None  # POSIX time of the first failure in the current streak


class WriteHealth:
    """The record of one sink's writes and what the user is told about them."""

    def __init__(self, hass: HomeAssistant, backlog: Backlog) -> None:
        """Nothing written, nothing failed; `backlog` is read for pending counts and its cap."""
        self._hass = hass
        self._backlog = backlog
        self.issues = SinkIssues(hass)
        self._written = 0
        self._dropped = 0
        self._attempts = 0
        self._successes = 0
        self._last_error: str | None = None
        self._failing_since: float | None = None
        self._failures = 0  # consecutive failed attempts (drives the back-off)
        self._reauth_started = False
        self._last_drop_log = 0.0
        self._last_drop = 0.0

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

    @property
    def failing(self) -> bool:
        """True during a failure streak (from a failed write until the next success)."""
        return self._failing_since is not None

    def backoff_s(self, initial_s: float, max_s: float) -> float:
        """The wait before the next attempt: doubling per failure, half of it random (jitter)."""
        delay = min(max_s, initial_s * 2 ** min(self._failures - 1, 30))
        return delay / 2 + random.uniform(0, delay / 2)

    def attempted(self) -> None:
        """A write request goes out (the success rate counts attempts, not points)."""
        self._attempts += 1

    def succeeded(self, count: int, *, drop_issue_clear_s: float) -> None:
        """`count` points were written: a failure streak ends and its issues clear."""
        self._written += count
        self._successes += 1
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
        self.issues.delete(ISSUE_UNREACHABLE, ISSUE_BUCKET_NOT_FOUND)
        if not len(self._backlog) and time.monotonic() - self._last_drop >= drop_issue_clear_s:
            self.issues.delete(ISSUE_POINTS_DROPPED)  # caught up, and nothing dropped lately

    def rejected(self, kind: Failure) -> None:
        """The server refused a batch's content or size; the writer isolates the bad point."""
        self._last_error = kind.value

    def failed(
        self,
        kind: Failure,
        text: str,
        *,
        settings: InfluxSettings,
        entries: list[ConfigEntry],
        repair_after_s: float,
    ) -> None:
        """A write failed and its batch stays pending: log, raise issues or start reauth."""
        self._failures += 1
        self._last_error = f"{kind.value}: {text}"
        now = time.time()
        if self._failing_since is None:
            self._failing_since = now
            LOGGER.warning(
                "InfluxDB write to %s failed (%s); keeping %d points and retrying",
                redact_url(settings.url),
                self._last_error,
                len(self._backlog),
            )
        else:
            LOGGER.debug("InfluxDB write failed again (%s)", self._last_error)
        if kind is Failure.AUTH and not self._reauth_started:
            self._reauth_started = True
            for entry in entries:
                entry.async_start_reauth(self._hass)
        elif kind is Failure.BUCKET:
            self.issues.create(ISSUE_BUCKET_NOT_FOUND, bucket=settings.bucket, org=settings.org)
        elif kind is Failure.TRANSIENT and now - self._failing_since >= repair_after_s:
            self.issues.create(ISSUE_UNREACHABLE, url=settings.url)

    def dropped(self, count: int, why: str) -> None:
        """`count` points left unwritten: count them, log (rate-limited) and raise the issue."""
        if not count:
            return
        self._dropped += count
        now = self._last_drop = time.monotonic()
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
        self.issues.create(ISSUE_POINTS_DROPPED, count=self._dropped, cap=self._backlog.cap)

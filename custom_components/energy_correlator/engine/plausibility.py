"""Refuses meter readings no real home produces, before they reach a power series.

A broken sensor can report 1e308 W once, or 65 535 W for one sample: taken as watts, one such
reading overflows the energy sum or shows a day-long absurd peak. Each meter gets a gate:

- a hard bound (the configurable maximum, both signs: a net meter exports): a reading beyond it is
  refused as a gap and counted, whatever follows;
- a soft bound far above the meter's own observed peak (SPIKE_FACTOR times it, never below
  SPIKE_FLOOR_W, active once the meter has MIN_SAMPLES plausible readings): a reading beyond it is
  held back as a gap until the next one. If the next reading is close to it (a new load really
  started) both are taken and the peak grows; if not, it was a single-sample spike, refused and
  counted.

The held-back reading goes into the series as a gap at its own time and, when confirmed, replaces
that gap (a series takes a repeated time as a replacement), so the series stays in time order.
The fast path (a reading within the observed peak, nothing held back) is a chained comparison.
"""

from collections.abc import Callable
import math

MIN_SAMPLES = 20  # plausible readings before the soft bound applies
SPIKE_FACTOR = 4.0  # a reading this many times the observed peak is held back
SPIKE_FLOOR_W = 5_000.0  # ...but only above this: a kettle in a quiet house is no spike
CONFIRM_TOLERANCE = 0.5  # the next reading confirms within this share of the held one

type AddReading = Callable[[float, float | None], bool]


class PlausibilityGate:
    """One meter's gate in front of its series' `add(ts, watts)`."""

    __slots__ = (
        "_add",
        "_count",
        "_held_ts",
        "_held_w",
        "_quiet",
        "_soft",
        "implausible",
        "max_w",
        "peak_w",
        "spikes",
    )

    def __init__(self, add: AddReading, max_w: float) -> None:
        """Readings that pass go to `add`; `max_w` is the hard bound in W (either sign)."""
        if not max_w > 0 or not math.isfinite(max_w):
            raise ValueError(f"max power must be a positive finite number, got {max_w!r}")
        self._add = add
        self.max_w = max_w
        self.peak_w = 0.0  # the largest plausible |reading| seen
        self._count = 0
        self._soft = max_w  # until MIN_SAMPLES readings: only the hard bound
        self._quiet = -1.0  # |readings| up to this change nothing here (the peak, once warm)
        self._held_ts: float | None = None
        self._held_w = 0.0
        self.implausible = 0  # refused: beyond the hard bound
        self.spikes = 0  # refused: a single sample far above the observed peak

    @property
    def warm(self) -> bool:
        """Whether the soft bound applies (enough plausible readings seen, or a restored peak)."""
        return self._count >= MIN_SAMPLES

    def restore_peak(self, peak_w: float) -> None:
        """Start from a peak observed before a restart, so the spike check is on at once."""
        if not 0.0 < peak_w <= self.max_w:
            return
        self.peak_w = max(self.peak_w, peak_w)
        self._count = max(self._count, MIN_SAMPLES)
        self._soft = min(self.max_w, max(SPIKE_FACTOR * self.peak_w, SPIKE_FLOOR_W))
        self._quiet = self.peak_w

    @property
    def rejected(self) -> int:
        """Readings refused by this gate."""
        return self.implausible + self.spikes

    def add(self, ts: float, watts: float | None) -> None:
        """One reading (None/NaN/inf: the meter has no value); implausible ones become gaps."""
        if watts is not None and -self._quiet <= watts <= self._quiet and self._held_ts is None:
            self._add(ts, watts)  # within the observed peak: nothing to learn, nothing to check
            return
        self._slow(ts, watts)

    def _take(self, ts: float, watts: float) -> None:
        """A plausible reading: to the series, and into the observed peak."""
        magnitude = abs(watts)
        if magnitude > self.peak_w or self._count < MIN_SAMPLES:
            self.peak_w = max(self.peak_w, magnitude)
            self._count += 1
            if self._count >= MIN_SAMPLES:
                self._soft = min(self.max_w, max(SPIKE_FACTOR * self.peak_w, SPIKE_FLOOR_W))
                self._quiet = self.peak_w
        self._add(ts, watts)

    def _slow(self, ts: float, watts: float | None) -> None:
        held_ts = self._held_ts
        if held_ts is not None:
            self._held_ts = None
            if watts is not None and abs(watts - self._held_w) <= CONFIRM_TOLERANCE * abs(
                self._held_w
            ):
                self._take(held_ts, self._held_w)  # replaces the gap left at its time
                self._take(ts, watts)
                return
            self.spikes += 1
        if watts is None or not math.isfinite(watts):
            self._add(ts, watts)  # the series counts NaN/inf itself
            return
        if abs(watts) > self.max_w:
            self.implausible += 1
            self._add(ts, None)
            return
        if abs(watts) > self._soft:
            self._held_ts = ts
            self._held_w = watts
            self._add(ts, None)
            return
        self._take(ts, watts)

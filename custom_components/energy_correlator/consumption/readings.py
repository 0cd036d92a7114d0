"""The ordered reading ledger of one master meter (the chain of its physical meters).

Readings may arrive in any order. Each is judged against its stored neighbours before it is
taken: not a number, negative, in the future, a duplicate time, a small decrease (noise), or a
typo (it breaks monotonicity while its neighbours agree with each other, or it rises at an
absurd rate against the meter's usual one). A reading that agrees with the one two before it
while the one between is higher removes that one (two readings outvote a typo; a hand-typed
correction works this way; for sensors only beyond the noise tolerance). A large drop is a
reset on a total_increasing meter (counted again from the new value) and an unexplained drop
otherwise (provisionally a reset, listed for a repair issue). A replacement stores two knots at
the same time, the old meter's final and the new meter's first reading, so consumption is
continuous across the swap.

`cumulative()` turns the ledger into one non-decreasing series (time, total since the first
entry) that interpolation spreads over hours. Sensor readings are thinned to the first and last
of each UTC hour (exactly what interpolation at hour boundaries needs), and entries older than
the horizon are forgotten: memory is bounded (8 bytes a time, 8 a value, 1 a source code).
"""

from array import array
from bisect import bisect_left
from collections.abc import Sequence
import math

import numpy as np

from .batch import clean_block, hour_ends
from .models import (
    DAY,
    HOUR,
    MAX_READING,
    BatchResult,
    DamagedStateError,
    Drop,
    MeterConfig,
    Notice,
    Reading,
    ReadingResult,
    ReadingSource,
    Refusal,
)

SENSOR = ord("s")
HISTORY = ord("h")
MANUAL = ord("m")
OLD_FINAL = ord("o")  # knot: the old meter's final reading at a replacement
NEW_FIRST = ord("n")  # knot: the new meter's first reading at the same time
_CODE = {ReadingSource.SENSOR: SENSOR, ReadingSource.HISTORY: HISTORY, ReadingSource.MANUAL: MANUAL}
_SOURCE = {
    SENSOR: ReadingSource.SENSOR,
    HISTORY: ReadingSource.HISTORY,
    MANUAL: ReadingSource.MANUAL,
    OLD_FINAL: ReadingSource.MANUAL,
    NEW_FIRST: ReadingSource.MANUAL,
}
_THINNABLE = frozenset({SENSOR, HISTORY})
RATE_ENTRIES = 400  # the usual rate is measured over at most this many recent entries
RATE_SPAN = 365 * DAY
FAST_WINDOW = 4096  # readings checked per vectorised step of add_many


class Ledger:
    """Readings and replacement knots in time order; plain lists, numpy views on demand."""

    def __init__(self, config: MeterConfig) -> None:
        """An empty ledger judged by `config`."""
        self.config = config
        self.ts = array("d")
        self.values = array("d")
        self.codes = bytearray()
        self._cum: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ reading access
    def __len__(self) -> int:
        """The number of entries (readings and knots)."""
        return len(self.ts)

    def reading(self, i: int) -> Reading:
        """Entry i as a Reading (knots show as manual readings)."""
        return Reading(self.ts[i], self.values[i], _SOURCE[self.codes[i]])

    def readings(self) -> list[Reading]:
        """All entries except replacement knots, oldest first."""
        return [
            self.reading(i) for i, c in enumerate(self.codes) if c not in (OLD_FINAL, NEW_FIRST)
        ]

    def _changed(self) -> None:
        self._cum = None

    # ------------------------------------------------------------------ judging
    def usual_rate(self, before: int | None = None) -> float | None:
        """Consumption per second over the recent entries before index `before` (all when None);
        None while less than a day or three entries are known."""
        end = len(self.ts) if before is None else before
        start = max(0, end - RATE_ENTRIES)
        if end - start < 3:
            return None
        total = 0.0
        first_ts = self.ts[start]
        values, codes, ts = self.values, self.codes, self.ts
        for i in range(start + 1, end):
            if ts[end - 1] - ts[i - 1] > RATE_SPAN:
                first_ts = ts[i]
                continue
            step = values[i] - values[i - 1]
            if codes[i] == NEW_FIRST:
                continue
            total += step if step >= 0 else values[i]
        span = ts[end - 1] - first_ts
        return total / span if span >= DAY else None

    def _absurd_rise(self, rise: float, dt: float, before: int) -> bool:
        """A rise far beyond the usual rate (over at least a day): a typo."""
        rate = self.usual_rate(before)
        if rate is None or rate <= 0:
            return False
        return rise > self.config.typo_factor * rate * max(dt, DAY)

    def _is_drop(self, high: float, low: float) -> bool:
        """A decrease large enough to be a reset/drop rather than noise."""
        return high - low >= self.config.decrease_tolerance * high

    @property
    def _drop_notice(self) -> Notice:
        """What a large drop is: a reset where the meter resets, otherwise unexplained."""
        return Notice.RESET if self.config.resets else Notice.UNEXPLAINED_DROP

    def add(
        self, ts: float, value: float, now: float, source: ReadingSource
    ) -> tuple[ReadingResult, float | None]:
        """Judge and store one reading; also the earliest time whose consumption changed."""
        if not (math.isfinite(ts) and math.isfinite(value)):
            return ReadingResult(False, Refusal.NOT_A_NUMBER), None
        if value < 0:
            return ReadingResult(False, Refusal.NEGATIVE), None
        if ts > now + self.config.future_tolerance:
            return ReadingResult(False, Refusal.FUTURE), None
        tss, values, codes = self.ts, self.values, self.codes
        i = bisect_left(tss, ts)
        n = len(tss)
        prev = self.reading(i - 1) if i > 0 else None
        nxt = self.reading(i) if i < n else None

        def refuse(reason: Refusal) -> tuple[ReadingResult, None]:
            return ReadingResult(False, reason, previous=prev, next=nxt), None

        if value > MAX_READING:
            return refuse(Refusal.IMPLAUSIBLE)
        if nxt is not None and nxt.ts == ts:
            same = nxt.value == value and codes[i] not in (OLD_FINAL, NEW_FIRST)
            return refuse(Refusal.DUPLICATE if same else Refusal.CONFLICT)
        notice: Notice | None = None
        removed: Reading | None = None
        manual = source is ReadingSource.MANUAL
        if prev is not None and nxt is not None:
            if prev.value <= nxt.value:
                if not prev.value <= value <= nxt.value:
                    return refuse(Refusal.TYPO)
            elif nxt.value < value < prev.value:
                return refuse(Refusal.DECREASE)
        elif prev is not None:  # the newest reading (or the newest of its physical meter)
            if value >= prev.value:
                if value - prev.value > self.config.max_rise(ts - prev.ts):
                    return refuse(Refusal.IMPLAUSIBLE)
                if self._absurd_rise(value - prev.value, ts - prev.ts, i):
                    return refuse(Refusal.TYPO)
            elif i >= 2 and codes[i - 1] in (SENSOR, HISTORY, MANUAL) and values[i - 2] <= value:
                # The one before agrees with this one: the previous was a typo (typed, or a
                # sensor's misread spike: refusing this one would hold the meter at the spike).
                removed = prev
                self._remove(i - 1)
                i -= 1
                prev = self.reading(i - 1)  # the stored neighbour now, not the removed typo
                notice = Notice.TYPO_REMOVED
            elif not self._is_drop(prev.value, value) or manual:
                return refuse(Refusal.DECREASE)
            else:
                notice = self._drop_notice
        elif nxt is not None:  # the oldest reading
            if value <= nxt.value:
                if nxt.value - value > self.config.max_rise(nxt.ts - ts):
                    return refuse(Refusal.IMPLAUSIBLE)
                if self._absurd_rise(nxt.value - value, nxt.ts - ts, n):
                    return refuse(Refusal.TYPO)
            elif not self._is_drop(value, nxt.value) or manual:
                return refuse(Refusal.DECREASE)
            else:
                notice = self._drop_notice
        code = _CODE[source]
        if (
            code in _THINNABLE
            and prev is not None
            and nxt is not None
            and codes[i - 1] in _THINNABLE
            and codes[i] in _THINNABLE
            and prev.ts // HOUR == ts // HOUR == nxt.ts // HOUR
            and prev.value <= nxt.value  # across a reset it is the last value before the drop
        ):
            return ReadingResult(True, None, notice, prev, nxt, removed), None  # redundant
        tss.insert(i, ts)
        values.insert(i, value)
        codes.insert(i, code)
        if (  # keep only the first and last thinnable reading of an hour, and a reset's ends
            code in _THINNABLE
            and i >= 2
            and codes[i - 1] in _THINNABLE
            and codes[i - 2] in _THINNABLE
            and tss[i - 2] // HOUR == tss[i - 1] // HOUR == ts // HOUR
            and values[i - 2] <= values[i - 1] <= value
        ):
            self._remove(i - 1)
            i -= 1
        changed_from = tss[i - 1] if i > 0 else ts  # the interval into this reading changed
        self._changed()
        self._trim()
        return ReadingResult(True, None, notice, prev, nxt, removed), changed_from

    def add_many(
        self, ts: Sequence[float], values: Sequence[float], now: float, source: ReadingSource
    ) -> tuple[BatchResult, float | None]:
        """Judge and store many readings; a clean batch after the newest entry is taken in one
        vectorised step, anything else reading by reading (the same rules as `add`)."""
        result = BatchResult()
        t = np.asarray(ts, dtype=float)
        v = np.asarray(values, dtype=float)
        finite = np.isfinite(t) & np.isfinite(v)
        result.refuse(Refusal.NOT_A_NUMBER, int((~finite).sum()))
        t, v = t[finite], v[finite]
        negative = v < 0
        result.refuse(Refusal.NEGATIVE, int(negative.sum()))
        future = (t > now + self.config.future_tolerance) & ~negative
        result.refuse(Refusal.FUTURE, int(future.sum()))
        keep = ~(negative | future)
        t, v = t[keep], v[keep]
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
        changed: float | None = None
        manual = source is ReadingSource.MANUAL  # typed in: always judged one by one
        pos, n = 0, len(t)
        while pos < n:
            window = slice(pos, min(n, pos + FAST_WINDOW))
            at, fast = (0, 0) if manual else self._clean_block(t[window], v[window])
            if fast:
                block = slice(pos, pos + fast)
                since = self._insert_block(at, t[block], v[block], source)
                result.accepted += fast
                pos += fast
            else:
                one, since = self.add(float(t[pos]), float(v[pos]), now, source)
                pos += 1
                if one.accepted:
                    result.accepted += 1
                    result.resets += one.notice is Notice.RESET
                    result.drops += one.notice is Notice.UNEXPLAINED_DROP
                    result.removed += one.removed is not None
                elif one.reason is not None:
                    result.refuse(one.reason)
            if since is not None:
                changed = since if changed is None else min(changed, since)
        return result, changed

    def _clean_block(self, t: np.ndarray, v: np.ndarray) -> tuple[int, int]:
        """Where, and how many of the leading sorted readings, pass every rule at once."""
        return clean_block(
            self.ts,
            self.values,
            t,
            v,
            self.usual_rate,
            self.config.typo_factor,
            self.config.max_rate_per_second,
        )

    def _insert_block(
        self, at: int, t: np.ndarray, v: np.ndarray, source: ReadingSource
    ) -> float | None:
        """Insert validated readings at index `at`, thinned to the first and last of each hour
        (at the end, the ledger's last hour-mates take part)."""
        if at == len(self.ts):
            return self._extend(t, v, source)
        code = _CODE[source]
        changed = self.ts[at - 1] if at > 0 else float(t[0])
        if code in _THINNABLE:
            keep = hour_ends(t)
            t, v = t[keep], v[keep]
        self.ts[at:at] = array("d", np.ascontiguousarray(t, dtype=float).tobytes())
        self.values[at:at] = array("d", np.ascontiguousarray(v, dtype=float).tobytes())
        self.codes[at:at] = bytes([code]) * len(t)
        self._changed()
        self._trim()
        return changed

    def _extend(self, t: np.ndarray, v: np.ndarray, source: ReadingSource) -> float | None:
        """Append validated readings, thinned to the first and last of each hour."""
        code = _CODE[source]
        changed = self.ts[-1] if self.ts else float(t[0])
        if code in _THINNABLE:
            # earlier hour-mates of the ledger's tail take part in the thinning
            tail = 0
            while (
                tail < 2
                and len(self.ts) > tail
                and self.codes[-1 - tail] in _THINNABLE
                and self.ts[-1 - tail] // HOUR == t[0] // HOUR
            ):
                tail += 1
            if tail:
                t = np.concatenate([np.array(self.ts[-tail:]), t])
                v = np.concatenate([np.array(self.values[-tail:]), v])
                del self.ts[-tail:], self.values[-tail:], self.codes[-tail:]
            keep = hour_ends(t)
            t, v = t[keep], v[keep]
        self.ts.frombytes(np.ascontiguousarray(t, dtype=float).tobytes())
        self.values.frombytes(np.ascontiguousarray(v, dtype=float).tobytes())
        self.codes.extend(bytes([code]) * len(t))
        self._changed()
        self._trim()
        return changed

    def _remove(self, i: int) -> None:
        del self.ts[i], self.values[i], self.codes[i]
        self._changed()

    def _trim(self) -> None:
        """Forget entries older than the horizon (in chunks, never a replacement's half)."""
        if not self.ts or self.ts[-1] - self.ts[0] <= self.config.horizon * 1.01:
            return
        cut = bisect_left(self.ts, self.ts[-1] - self.config.horizon)
        while 0 < cut < len(self.ts) and self.codes[cut] == NEW_FIRST:
            cut -= 1
        del self.ts[:cut], self.values[:cut], self.codes[:cut]
        self._changed()

    # ------------------------------------------------------------------ replacements
    def replace(self, ts: float, old_final: float, new_first: float) -> Refusal | None:
        """Store a swap's two knots at `ts`; a refusal when they contradict the readings."""
        if not (math.isfinite(ts) and math.isfinite(old_final) and math.isfinite(new_first)):
            return Refusal.NOT_A_NUMBER
        if old_final < 0 or new_first < 0:
            return Refusal.NEGATIVE
        if old_final > MAX_READING or new_first > MAX_READING:
            return Refusal.IMPLAUSIBLE
        i = bisect_left(self.ts, ts)
        if i < len(self.ts) and self.ts[i] == ts:
            return Refusal.CONFLICT
        if i > 0 and self.values[i - 1] > old_final:
            return Refusal.DECREASE
        if i < len(self.ts) and self.values[i] < new_first:
            return Refusal.DECREASE
        max_rise = self.config.max_rise
        # The reading before must be the old meter's: a drop reading (the new meter's, the swap
        # entered a little late, as a repair's fix does) says nothing about the old one.
        old_meter = i == 1 or (
            i > 1 and (self.codes[i - 1] == NEW_FIRST or self.values[i - 1] >= self.values[i - 2])
        )
        if old_meter and old_final - self.values[i - 1] > max_rise(ts - self.ts[i - 1]):
            return Refusal.IMPLAUSIBLE  # the old meter used more than it can before the swap
        if i < len(self.ts) and self.values[i] - new_first > max_rise(self.ts[i] - ts):
            return Refusal.IMPLAUSIBLE  # the reading after is no reading of the new meter
        self.ts[i:i] = array("d", [ts, ts])
        self.values[i:i] = array("d", [old_final, new_first])
        self.codes[i:i] = bytes([OLD_FINAL, NEW_FIRST])
        self._changed()
        return None

    def neighbours_of(self, ts: float) -> tuple[Reading | None, Reading | None]:
        """The entries just before and just after `ts`."""
        i = bisect_left(self.ts, ts)
        j = i
        while j < len(self.ts) and self.ts[j] == ts:
            j += 1
        prev = self.reading(i - 1) if i > 0 else None
        nxt = self.reading(j) if j < len(self.ts) else None
        return prev, nxt

    # ------------------------------------------------------------------ the series
    def cumulative(self) -> tuple[np.ndarray, np.ndarray]:
        """(times, total consumed since the first entry): non-decreasing, one value per time
        (a replacement's two knots collapse into one point)."""
        if self._cum is None:
            t = np.array(self.ts, dtype=float)
            v = np.array(self.values, dtype=float)
            if len(t) == 0:
                self._cum = (t, v)
                return self._cum
            codes = np.frombuffer(bytes(self.codes), dtype=np.uint8)
            step = np.diff(v)
            # A drop: counted again from the new value, which a reset reached since the reading
            # before; a new value beyond what could be used since is a swap (or a typo), and no
            # consumption (the repair asks for the swap).
            plausible = v[1:] <= self.config.max_rate_per_second * np.maximum(np.diff(t), HOUR)
            inc = np.where(step >= 0, step, np.where(plausible, v[1:], 0.0))
            inc[codes[1:] == NEW_FIRST] = 0.0
            cum = np.concatenate([[0.0], np.cumsum(inc)])
            keep = np.concatenate([[True], codes[1:] != NEW_FIRST])
            self._cum = (t[keep], cum[keep])
        return self._cum

    def drops(self) -> list[Drop]:
        """Unexplained drops (meters that never reset): provisionally counted as resets."""
        if self.config.resets:
            return []
        return [
            Drop(self.ts[i], self.values[i - 1], self.values[i])
            for i in range(1, len(self.ts))
            if self.values[i] < self.values[i - 1] and self.codes[i] != NEW_FIRST
        ]

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, list[float] | str]:
        """JSON-able entries."""
        return {"ts": list(self.ts), "values": list(self.values), "codes": self.codes.decode()}

    def load(self, data: dict[str, list[float] | str]) -> float | None:
        """Restore entries saved by `to_dict`; DamagedStateError when they are not a valid ledger
        (the store was damaged): the caller decides, nothing half-loaded stays. Absurd values
        are forgotten: the time from which consumption changed, or None."""
        ts, values, codes = data.get("ts"), data.get("values"), data.get("codes")
        if not (isinstance(ts, list) and isinstance(values, list) and isinstance(codes, str)):
            raise DamagedStateError("ledger: ts, values and codes missing")
        try:
            times = array("d", [float(x) for x in ts])
            numbers = array("d", [float(x) for x in values])
        except (TypeError, ValueError) as err:
            raise DamagedStateError(f"ledger: not a number ({err})") from err
        kinds = bytearray(codes.encode())
        if not len(times) == len(numbers) == len(kinds):
            raise DamagedStateError("ledger: lengths differ")
        if not set(kinds) <= set(_SOURCE):
            raise DamagedStateError("ledger: unknown source code")
        t = np.array(times)
        if len(t) and (np.any(np.diff(t) < 0) or not np.isfinite(t).all()):
            raise DamagedStateError("ledger: times out of order")
        self.ts, self.values, self.codes = times, numbers, kinds
        self._changed()
        return self._drop_absurd()

    def _drop_absurd(self) -> float | None:
        """Forget stored values no meter can show (kept before the plausibility bound existed:
        they made every later reading a decrease); a swap goes with both its knots. The time
        from which consumption changed, or None."""
        values, codes = self.values, self.codes
        bad = [not (math.isfinite(v) and 0 <= v <= MAX_READING) for v in values]
        if not any(bad):
            return None
        for j, code in enumerate(codes):
            if code == OLD_FINAL and j + 1 < len(codes) and (bad[j] or bad[j + 1]):
                bad[j] = bad[j + 1] = True
        first = bad.index(True)
        since = self.ts[first - 1] if first > 0 else self.ts[first]
        keep = [j for j, b in enumerate(bad) if not b]
        self.ts = array("d", [self.ts[j] for j in keep])
        self.values = array("d", [values[j] for j in keep])
        self.codes = bytearray(codes[j] for j in keep)
        self._changed()
        return since

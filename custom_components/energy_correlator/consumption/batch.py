"""The vectorised side of the ledger: which readings of a history batch pass every rule at once.

History arrives in large sorted batches (years of hourly readings). Judging them one by one
with the ledger's rules would cost a bisect and a Python step each; instead the leading run of
readings that provably passes every rule of `Ledger.add` is found with numpy and inserted as one
block, and only the first reading that might not is judged singly (readings.py).
"""

from array import array
from bisect import bisect_left
from collections.abc import Callable

import numpy as np

from .models import DAY, HOUR, MAX_READING


def hour_ends(t: np.ndarray) -> np.ndarray:
    """A mask keeping the first and last of each UTC hour's readings (`t` sorted).

    That is all interpolation at hour boundaries needs from a sensor's readings.
    """
    keep = np.ones(len(t), bool)
    if len(t) > 2:
        hour = t // HOUR
        keep[1:-1] = (hour[1:-1] != hour[:-2]) | (hour[1:-1] != hour[2:])
    return keep


def clean_block(
    stored_ts: array,
    stored_values: array,
    t: np.ndarray,
    v: np.ndarray,
    usual_rate: Callable[[], float | None],
    typo_factor: float,
    max_rate: float,
) -> tuple[int, int]:
    """Where, and how many of the leading (sorted) readings `t`, `v` go in as one block.

    Those that fit between two stored neighbours (or before the first / after the last), never
    decrease along the chain neighbour, block, neighbour, and never rise absurdly against the
    ledger's `usual_rate()` (per second; without one, the batch's own, its largest steps left
    out; asked only when the block is not empty) nor beyond the absolute `max_rate` (per
    second, at least an hour's worth), and no reading above MAX_READING. Such readings pass
    every rule of `Ledger.add`; the rest go one by one.
    """
    if len(t) == 0:
        return 0, 0
    at = bisect_left(stored_ts, float(t[0]))
    upto = len(t)
    if at < len(stored_ts):
        upto = int(np.searchsorted(t, stored_ts[at], side="left"))
        if upto == 0:
            return at, 0
    # the chain to check: the stored reading before (if any), then the candidates
    chain_t, chain_v = t[:upto], v[:upto]
    head = at > 0
    if head:
        chain_t = np.concatenate([[stored_ts[at - 1]], chain_t])
        chain_v = np.concatenate([[stored_values[at - 1]], chain_v])
    dt, dv = np.diff(chain_t), np.diff(chain_v)
    bad = (dt <= 0) | (dv < 0) | (dv > max_rate * np.maximum(dt, HOUR))
    bad |= chain_v[1:] > MAX_READING
    rate = usual_rate()
    span = float(chain_t[-1] - chain_t[0])
    if rate is None and span >= DAY and len(dv) >= 3:
        # the batch's own mean rate, without its largest steps (a typo must not set it)
        rises = np.maximum(dv, 0.0)
        top = max(1, len(dv) // 1000)
        rate = float(rises.sum() - np.partition(rises, -top)[-top:].sum()) / span
    if rate is not None and rate > 0:
        bad |= dv > typo_factor * rate * np.maximum(dt, DAY)
    fine = int(np.argmax(bad)) if bad.any() else len(dt)
    count = fine if head else fine + 1  # without a neighbour before, the first is free
    if not head and count and float(chain_v[0]) > MAX_READING:
        count = 0
    if at < len(stored_ts) and count:
        # the block must also stay below the stored reading after it, and its last reading
        # must not be absurdly far below it
        above = np.flatnonzero(v[:count] > stored_values[at])
        count = int(above[0]) if len(above) else count
        if count:  # beyond the absolute bound: all go one by one (each judged on its own)
            gap = stored_ts[at] - float(t[count - 1])
            if stored_values[at] - float(v[count - 1]) > max_rate * max(gap, HOUR):
                count = 0
        if count and rate is not None and rate > 0:
            gap = stored_ts[at] - float(t[count - 1])
            rise = stored_values[at] - float(v[count - 1])
            count -= rise > typo_factor * rate * max(gap, DAY)
    return at, count

"""The sink's backlog in memory: pending points, oldest first, bounded, numbered for the journal.

Zero loss means a point leaves the backlog only when the server accepted it, when the server
rejected it as bad (400), or when the cap forces the oldest out; the last two are counted. The
batch being written is held apart ("in flight") so the cap never drops a point that may already
be on the wire, and a failed batch goes back to the front in its original order.

Every line carries a sequence number (its line number in the journal, journal.py), kept as runs
of consecutive numbers rather than one int per line. Points leave only from the front, so "all
lines before the oldest pending one are settled" is one number: the journal's `#settled` mark.
"""

from collections import deque


class _Runs:
    """Sequence numbers of a list of lines, as [first, count] runs in line order."""

    __slots__ = ("runs",)

    def __init__(self) -> None:
        self.runs: deque[list[int]] = deque()

    def first(self) -> int | None:
        return self.runs[0][0] if self.runs else None

    def push(self, seq: int) -> None:
        runs = self.runs
        if runs and runs[-1][0] + runs[-1][1] == seq:
            runs[-1][1] += 1
        else:
            runs.append([seq, 1])

    def pop_front(self, count: int) -> list[list[int]]:
        """Remove the numbers of the first `count` lines; returns them as runs."""
        taken: list[list[int]] = []
        runs = self.runs
        while count > 0 and runs:
            first, length = runs[0]
            if length <= count:
                taken.append(runs.popleft())
                count -= length
            else:
                taken.append([first, count])
                runs[0] = [first + count, length - count]
                count = 0
        return taken

    def push_front(self, taken: list[list[int]]) -> None:
        for run in reversed(taken):
            self.runs.appendleft(run)


class Backlog:
    """Pending lines, oldest first, with a cap that drops the oldest queued lines."""

    def __init__(self, cap: int) -> None:
        """Start empty; `cap` counts queued and in-flight lines together."""
        self.cap = max(1, cap)
        self.next_seq = 0
        self._queued: deque[str] = deque()
        self._inflight: list[str] = []
        self._queued_seq = _Runs()
        self._inflight_seq: list[list[int]] = []

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

    @property
    def settled_before(self) -> int:
        """Every line numbered below this is settled (written, rejected or dropped)."""
        if self._inflight_seq:
            return self._inflight_seq[0][0]
        first = self._queued_seq.first()
        return self.next_seq if first is None else first

    def append(self, line: str) -> int:
        """Queue one line; returns how many old lines the cap dropped for it."""
        self._queued.append(line)
        self._queued_seq.push(self.next_seq)
        self.next_seq += 1
        return self._enforce_cap()

    def prepend(self, lines: list[str]) -> int:
        """Put restored (older) lines before everything; renumbers; returns lines dropped."""
        self._queued.extendleft(reversed(lines))
        self.renumber()
        return self._enforce_cap()

    def take(self, count: int) -> list[str]:
        """Move up to `count` of the oldest lines in flight and return them."""
        if self._inflight:
            raise RuntimeError("a batch is already in flight")
        queued = self._queued
        self._inflight = [queued.popleft() for _ in range(min(count, len(queued)))]
        self._inflight_seq = self._queued_seq.pop_front(len(self._inflight))
        return self._inflight

    def complete(self, count: int | None = None) -> int:
        """The first `count` (default all) in-flight lines are done; the rest go back."""
        done = len(self._inflight) if count is None else min(count, len(self._inflight))
        rest = self._inflight[done:]
        runs = _Runs()
        runs.runs.extend(self._inflight_seq)
        runs.pop_front(done)
        self._inflight = []
        self._inflight_seq = []
        if rest:
            self._queued.extendleft(reversed(rest))
            self._queued_seq.push_front(list(runs.runs))
        return done

    def give_back(self) -> int:
        """The write failed: the batch returns to the front; returns lines the cap dropped."""
        self.complete(0)
        return self._enforce_cap()

    def snapshot(self) -> list[str]:
        """Every pending line, oldest first (in-flight ones first)."""
        return [*self._inflight, *self._queued]

    def renumber(self) -> list[str]:
        """Number the pending lines 0, 1, ... in order (a fresh journal) and return them."""
        lines = self.snapshot()
        self._inflight_seq = [[0, len(self._inflight)]] if self._inflight else []
        self._queued_seq = _Runs()
        if self._queued:
            self._queued_seq.runs.append([len(self._inflight), len(self._queued)])
        self.next_seq = len(lines)
        return lines

    def _enforce_cap(self) -> int:
        excess = len(self) - self.cap
        if excess <= 0:
            return 0
        dropped = min(excess, len(self._queued))
        popleft = self._queued.popleft
        for _ in range(dropped):
            popleft()
        self._queued_seq.pop_front(dropped)
        return dropped

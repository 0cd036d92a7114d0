"""A meter's typical week: mean consumption per local (weekday, hour), 168 cells.

Learned only from well-covered hours (readings at most a few hours apart), so a monthly manual
reading never teaches it its own flat line. It is "known" once every cell has been seen a few
times; until then long gaps are filled linearly.
"""

from datetime import tzinfo
from typing import Any

import numpy as np

from .localtime import profile_cells

CELLS = 7 * 24
MIN_SEEN = 2  # observations per cell before the profile is used


class HourProfile:
    """Sums and counts per cell; weights are the cell means."""

    __slots__ = ("counts", "sums")

    def __init__(self) -> None:
        """Nothing learned."""
        self.sums = np.zeros(CELLS)
        self.counts = np.zeros(CELLS, dtype=np.int64)

    @property
    def known(self) -> bool:
        """Every cell seen often enough and some consumption at all."""
        return bool(self.counts.min() >= MIN_SEEN and self.sums.sum() > 0)

    def learn(self, start: float, values: np.ndarray, covered: np.ndarray, tz: tzinfo) -> None:
        """Replace what was learned by the covered hours of the series from `start`."""
        cells = profile_cells(start, len(values), tz)[covered]
        self.sums = np.bincount(cells, weights=values[covered], minlength=CELLS).astype(float)
        self.counts = np.bincount(cells, minlength=CELLS).astype(np.int64)

    def weights(self, start: float, hours: int, tz: tzinfo) -> np.ndarray:
        """The mean consumption of each hour's cell (>= 0), hours from `start`."""
        means = self.sums / np.maximum(self.counts, 1)
        return np.maximum(means, 0.0)[profile_cells(start, hours, tz)]

    def same_as(self, other: HourProfile) -> bool:
        """Learned from the same numbers."""
        return bool(
            np.array_equal(self.counts, other.counts) and np.allclose(self.sums, other.sums)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able sums and counts."""
        return {"sums": self.sums.tolist(), "counts": self.counts.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HourProfile:
        """A profile saved by `to_dict` (an unusable one gives an empty profile)."""
        profile = cls()
        sums, counts = data.get("sums"), data.get("counts")
        if (
            isinstance(sums, list)
            and isinstance(counts, list)
            and len(sums) == len(counts) == CELLS
        ):
            profile.sums = np.array(sums, dtype=float)
            profile.counts = np.array(counts, dtype=np.int64)
        return profile

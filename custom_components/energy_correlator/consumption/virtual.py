"""Virtual meters: a base meter minus others (heat pump = total - household), clamped at zero.

Unit factors come from the caller (the shell converts through Home Assistant's converters in
units.py; gas m³ → kWh is calorific value x z), so nothing here knows a unit.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .models import HourlySeries


@dataclass(frozen=True, slots=True, eq=False)
class VirtualSeries:
    """The difference per hour, and how much was clamped away (the parts exceeded the base)."""

    series: HourlySeries
    clamped: np.ndarray  # per hour, >= 0
    clamped_total: float


def subtract(
    base: HourlySeries, parts: Sequence[tuple[HourlySeries, float]], base_factor: float = 1.0
) -> VirtualSeries:
    """base x base_factor - sum of part x factor over the hours all of them cover; clamped at 0.

    An hour is filled/estimated when any input's is, resolved only when every input's is.
    """
    start = max([base.start] + [part.start for part, _ in parts])
    end = min([base.end] + [part.end for part, _ in parts])
    if end <= start:
        empty = HourlySeries.empty(start)
        return VirtualSeries(empty, np.zeros(0), 0.0)
    own = base.between(start, end)
    values = own.values * base_factor
    filled, estimated, resolved = own.filled.copy(), own.estimated.copy(), own.resolved.copy()
    for part, factor in parts:
        piece = part.between(start, end)
        values = values - piece.values * factor
        filled |= piece.filled
        estimated |= piece.estimated
        resolved &= piece.resolved
    clamped = np.maximum(-values, 0.0)
    series = HourlySeries(start, np.maximum(values, 0.0), filled, estimated, resolved)
    return VirtualSeries(series, clamped, float(clamped.sum()))

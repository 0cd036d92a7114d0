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
    """base x base_factor - Σ part x factor over the hours all of them cover; clamped at 0."""
    raise NotImplementedError

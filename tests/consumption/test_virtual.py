"""Virtual meters: a base minus others, with unit factors, clamped at zero and counted."""

import numpy as np
import pytest

from custom_components.energy_correlator.consumption import HOUR, HourlySeries, subtract


def series(start: float, values: list[float], *, estimated: bool = False) -> HourlySeries:
    """A hand-made hourly series."""
    n = len(values)
    return HourlySeries(
        start, np.array(values, float), np.zeros(n, bool), np.full(n, estimated), np.ones(n, bool)
    )


def test_heat_pump_is_total_minus_household() -> None:
    """Over the common hours; the clamped excess is counted, never negative."""
    total = series(0.0, [2.0, 3.0, 1.0, 4.0])
    household = series(HOUR, [1.0, 1.5, 0.5], estimated=True)
    virtual = subtract(total, [(household, 1.0)])
    assert virtual.series.start == HOUR
    assert virtual.series.values == pytest.approx([2.0, 0.0, 3.5])
    assert virtual.clamped == pytest.approx([0.0, 0.5, 0.0])
    assert virtual.clamped_total == pytest.approx(0.5)
    assert virtual.series.estimated.all()


def test_gas_volume_to_energy_factor() -> None:
    """Heating gas (kWh) = total gas (m³ x factor) - hot water gas (m³ x factor)."""
    factor = 11.504 * 0.8885
    virtual = subtract(series(0.0, [2.0, 1.0]), [(series(0.0, [0.5, 1.0]), factor)], factor)
    assert virtual.series.values == pytest.approx([1.5 * factor, 0.0])
    assert virtual.clamped_total == 0.0


def test_no_common_hours() -> None:
    """Disjoint series give an empty virtual meter."""
    virtual = subtract(series(0.0, [1.0]), [(series(10 * HOUR, [1.0]), 1.0)])
    assert len(virtual.series) == 0
    assert virtual.clamped_total == 0.0

"""MonotonicTotal: one meter that never drops over an engine counter that may start over."""

import math

import pytest

from custom_components.energy_correlator.monotonic_total import MonotonicTotal


def test_restored_total_grows_by_the_counters_increments() -> None:
    """Restored 10 kWh, the counter (from an older store) at 9.5: the larger wins, then only
    increments are added."""
    total = MonotonicTotal()
    total.restore("10.0")
    total.follow(9.5)
    assert total.value == 10.0
    total.follow(9.75)
    assert total.value == 10.25


def test_a_counter_that_starts_over_never_makes_it_drop() -> None:
    """reset_statistics / relearn: the counter starts from 0 again; the total carries on."""
    total = MonotonicTotal()
    total.follow(3.0)
    total.follow(4.0)
    total.follow(0.5)  # started over, already 0.5 since
    assert total.value == 4.5
    total.follow(1.0)
    assert total.value == 5.0


@pytest.mark.parametrize("bad", [None, "unknown", "nan", "inf", "-1", -2.0, math.inf, [1]])
def test_a_bad_restored_state_is_ignored(bad: object) -> None:
    """Text, NaN, inf or a negative number in the restore cache: as if nothing was restored."""
    total = MonotonicTotal()
    total.restore(bad)
    assert total.value is None
    total.follow(2.0)
    assert total.value == 2.0


def test_a_non_finite_counter_adds_nothing() -> None:
    """A corrupted engine value is never shown (nor remembered as the last counter)."""
    total = MonotonicTotal()
    total.follow(1.0)
    total.follow(math.inf)
    total.follow(math.nan)
    assert total.value == 1.0
    total.follow(1.5)
    assert total.value == 1.5

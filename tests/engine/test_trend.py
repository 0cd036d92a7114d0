"""A ramp common to both windows (solar production under passing clouds) is taken off a step."""

from collections.abc import Callable

import pytest

from custom_components.energy_correlator.engine import Correlation, Status

from .helpers import T0, event, make_engine, run

STEP_AT = T0 + 200.0


def _correlate(power: Callable[[float], float], noise_pct: float = 0.5) -> Correlation:
    """The single correlation of a 500 W heater switched on at STEP_AT."""
    engine = make_engine()
    events = [event("switch.heater", STEP_AT, 0.0, 1.0)]
    (correlation,) = run(engine, power, events, T0, T0 + 400.0, noise_pct=noise_pct, seed=2)
    assert correlation.status is Status.OK
    assert correlation.power_delta_w is not None
    return correlation


def _step(power: Callable[[float], float], noise_pct: float = 0.5) -> float:
    delta = _correlate(power, noise_pct).power_delta_w
    assert delta is not None
    return delta


def test_a_common_ramp_is_taken_off_the_step() -> None:
    """Production falling by 3 W/s (a cloud) under a net meter: the ~28 s between the
    windows' middles would add ~85 W to the heater's 500 W."""

    def power(t: float) -> float:
        return -1500.0 + 3.0 * (t - T0) + (500.0 if t >= STEP_AT else 0.0)

    assert _step(power) == pytest.approx(500.0, abs=15.0)


def test_a_slope_in_one_window_only_is_no_ramp() -> None:
    """A motor settling after its start moves the after-window only: no correction, the step
    is what the windows' levels say."""

    def power(t: float) -> float:
        if t < STEP_AT:
            return 300.0
        return 300.0 + 500.0 + max(0.0, 60.0 - 2.0 * (t - STEP_AT))  # settles within 30 s

    correlation = _correlate(power)
    assert correlation.power_before_w is not None
    assert correlation.power_after_w is not None
    assert correlation.power_delta_w == pytest.approx(
        correlation.power_after_w - correlation.power_before_w
    )


def test_no_correction_on_a_flat_meter() -> None:
    """Noise alone gives no significant common slope: the step stays as measured."""

    def power(t: float) -> float:
        return 300.0 + (500.0 if t >= STEP_AT else 0.0)

    assert _step(power, noise_pct=1.0) == pytest.approx(500.0, abs=8.0)

"""Event windows -> correlations: levels, statuses, overlaps, compensation, confidence."""

import pytest

from custom_components.energy_correlator.engine import Status
from custom_components.energy_correlator.engine.correlate import Correlator, CorrelatorSettings
from custom_components.energy_correlator.engine.models import EngineConfig

from .helpers import METER, T0, Home, event, make_engine, run, toggle_history


def _single(
    delta_w: float,
    step_at: float,
    event_at: float,
    previous_level: float = 0.0,
    level: float = 1.0,
    meter_step: float = 1.0,
    noise_pct: float = 0.0,
    end: float = 300.0,
) -> list:
    engine = make_engine()
    home = Home()
    home.switch(T0 + step_at, delta_w)
    events = [event("switch.a", T0 + event_at, previous_level, level)]
    return run(engine, home.power, events, T0, T0 + end, meter_step, noise_pct)


def test_clean_step_reported_late() -> None:
    """HA reports 3 s after the real step: the guard keeps the step out of the before window."""
    (correlation,) = _single(150.0, 100.0, 103.0, noise_pct=1.0)
    assert correlation.status is Status.OK
    assert correlation.learned
    assert correlation.power_delta_w == pytest.approx(150.0, rel=0.03)
    assert correlation.power_before_w == pytest.approx(300.0, rel=0.03)
    assert correlation.power_delta_pct == pytest.approx(50.0, rel=0.05)
    assert correlation.confidence > 0.8
    assert correlation.meter_updates >= 30
    assert correlation.overlapping == ()


def test_step_reported_early_and_off() -> None:
    """HA reports 3 s before the real step; an off event measures a negative delta."""
    (correlation,) = _single(-150.0, 100.0, 97.0, previous_level=1.0, level=0.0)
    assert correlation.status is Status.OK
    assert correlation.power_delta_w == pytest.approx(-150.0)


def test_no_percentage_of_an_export() -> None:
    """On a net meter exporting 1.5 kW a heater's step is learned, but a percentage of a
    negative "before" means nothing: power_delta_pct is None."""
    engine = make_engine()
    home = Home(base_w=-1500.0)
    home.switch(T0 + 100.0, 2000.0)
    events = [event("switch.a", T0 + 100.0, 0.0, 1.0)]
    (correlation,) = run(engine, home.power, events, T0, T0 + 300.0)
    assert correlation.status is Status.OK
    assert correlation.power_delta_w == pytest.approx(2000.0)
    assert correlation.power_delta_pct is None


def test_no_change_is_low_confidence() -> None:
    """An event with no power change cannot teach."""
    (correlation,) = _single(0.0, 100.0, 100.0, noise_pct=1.0)
    assert correlation.status is Status.LOW_CONFIDENCE
    assert not correlation.learned
    assert correlation.confidence < 0.3


def test_wrong_direction_is_low_confidence() -> None:
    """Switching on while the home's power drops (someone else) is not trusted."""
    (correlation,) = _single(-200.0, 100.0, 100.0, noise_pct=0.5)
    assert correlation.status is Status.LOW_CONFIDENCE


def test_slow_meter_is_too_slow_without_a_number() -> None:
    """A meter reporting every 60 s cannot resolve an event: flagged, no delta."""
    (correlation,) = _single(500.0, 600.0, 600.0, meter_step=60.0, end=1200.0)
    assert correlation.status is Status.TOO_SLOW
    assert correlation.power_delta_w is None
    assert correlation.power_delta_pct is None
    assert correlation.confidence <= 0.1
    assert not correlation.learned


def test_ten_second_meter_still_resolves() -> None:
    """Three readings of a 10 s meter fit the 30 s windows."""
    (correlation,) = _single(500.0, 300.0, 300.0, meter_step=10.0, end=600.0)
    assert correlation.status is Status.OK
    assert correlation.power_delta_w == pytest.approx(500.0)


def test_gap_in_window() -> None:
    """The meter unavailable in a window: GAP, no teaching."""
    engine = make_engine()
    home = Home()
    home.switch(T0 + 100.0, 100.0)

    def power(t: float) -> float | None:
        return None if T0 + 85.0 <= t < T0 + 90.0 else home.power(t)

    (correlation,) = run(engine, power, [event("switch.a", T0 + 100.0, 0, 1)], T0, T0 + 300)
    assert correlation.status is Status.GAP
    assert correlation.confidence == 0.0
    assert not correlation.learned


def test_no_history_is_a_gap() -> None:
    """An event right after start-up has no before window."""
    (correlation,) = _single(100.0, 5.0, 5.0)
    assert correlation.status is Status.GAP


def test_unknown_overlap_does_not_teach() -> None:
    """Two unknown devices switched 2 s apart: both overlapped, neither teaches."""
    engine = make_engine()
    home = Home()
    home.switch(T0 + 100.0, 100.0)
    home.switch(T0 + 102.0, 300.0)
    events = [event("switch.a", T0 + 100.0, 0, 1), event("switch.b", T0 + 102.0, 0, 1)]
    first, second = run(engine, home.power, events, T0, T0 + 300)
    assert first.status is second.status is Status.OVERLAP
    assert first.overlapping == ("switch.b",)
    assert second.overlapping == ("switch.a",)
    assert first.power_delta_w == pytest.approx(400.0)  # both steps, nothing subtracted
    assert not first.learned
    assert engine.profile("switch.a") is None


def test_known_overlap_is_compensated() -> None:
    """A confidently known device's step is subtracted from the other's delta."""
    engine = make_engine()
    toggle_history(engine, "switch.b", 300.0, cycles=8)
    start = T0 + 2000.0
    home = Home()
    home.switch(start + 100.0, 100.0)
    home.switch(start + 102.0, 300.0)
    events = [event("switch.a", start + 100.0, 0, 1), event("switch.b", start + 102.0, 0, 1)]
    first, second = run(engine, home.power, events, start, start + 300)
    assert first.entity_id == "switch.a"
    assert first.status is Status.OK
    assert first.compensated_w == pytest.approx(300.0, rel=0.03)
    assert first.power_delta_w == pytest.approx(100.0, abs=10.0)
    assert first.overlapping == ("switch.b",)
    assert second.status is Status.OVERLAP  # switch.a is not known yet


def test_same_device_twice_is_an_overlap() -> None:
    """On and off within seconds: the windows cannot separate the two."""
    engine = make_engine()
    toggle_history(engine, "switch.a", 300.0, cycles=8)
    start = T0 + 2000.0
    events = [event("switch.a", start + 100.0, 0, 1), event("switch.a", start + 103.0, 1, 0)]
    out = run(engine, lambda _t: 300.0, events, start, start + 300)
    assert [c.status for c in out] == [Status.OVERLAP, Status.OVERLAP]


def test_nearby_event_shortens_the_window() -> None:
    """An event 20 s later only shortens the after window; 9 s later leaves too little."""
    engine = make_engine()
    home = Home()
    home.switch(T0 + 100.0, 200.0)
    home.switch(T0 + 120.0, 500.0)
    events = [event("switch.a", T0 + 100.0, 0, 1), event("switch.b", T0 + 120.0, 0, 1)]
    first, second = run(engine, home.power, events, T0, T0 + 300)
    assert first.status is Status.OK
    assert first.power_delta_w == pytest.approx(200.0)
    assert second.status is Status.OK
    assert second.power_delta_w == pytest.approx(500.0)

    engine = make_engine()
    events = [event("switch.a", T0 + 100.0, 0, 1), event("switch.b", T0 + 109.0, 0, 1)]
    first, second = run(engine, home.power, events, T0, T0 + 300)
    assert first.status is Status.OVERLAP
    assert first.overlapping == ("switch.b",)
    assert second.status is Status.OVERLAP


def test_cluster_growth_postpones_closing() -> None:
    """A later event joining the cluster moves the after window, so closing waits."""
    engine = make_engine()
    engine.add_power(METER, T0, 300.0)
    engine.add_event(event("switch.a", T0 + 100.0, 0, 1))
    first_due = engine.next_due()
    assert first_due == pytest.approx(T0 + 128.0)
    engine.add_event(event("switch.b", T0 + 106.0, 0, 1))
    for t in range(1, 128):
        engine.add_power(METER, T0 + t, 300.0)
    assert engine.tick(T0 + 128.0) == []
    assert engine.next_due() == pytest.approx(T0 + 134.0)
    closed = engine.tick(T0 + 200.0)
    assert {c.entity_id for c in closed} == {"switch.a", "switch.b"}
    assert engine.next_due() is None


def test_reference_meter_validates() -> None:
    """The device's own plug gives a reference delta, its standby and a validation error."""
    engine = make_engine()
    engine.set_reference_meter("switch.a", "sensor.plug")
    home = Home()
    events = []
    for k in range(6):
        on_at = T0 + 60.0 + 200.0 * k
        home.switch(on_at, 100.0)
        home.switch(on_at + 100.0, -100.0)
        events += [event("switch.a", on_at, 0, 1), event("switch.a", on_at + 100.0, 1, 0)]

    def power(t: float) -> float:
        engine.add_power("sensor.plug", t, home.power(t) - 300.0 + 0.5)
        return home.power(t)

    out = run(engine, power, events, T0, T0 + 1300.0)
    assert all(c.reference_delta_w is not None for c in out)
    assert out[0].reference_delta_w == pytest.approx(100.0)
    profile = engine.profile("switch.a")
    assert profile is not None
    assert profile.standby_w == pytest.approx(0.5)
    assert profile.reference_power_w == pytest.approx(100.5)
    assert profile.learned_power_w == pytest.approx(100.5)
    assert profile.validation_error_pct == pytest.approx(0.0, abs=0.1)
    engine.set_reference_meter("switch.a", None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"settle_s": -1.0}, "settle_s"),
        ({"before_window_s": 0.0}, "before_cap_s"),
        ({"min_updates": 0}, "min_updates"),
        ({"extra": {"min_confidence": 2.0}}, "min_confidence"),
        ({"extra": {"window_s": float("nan")}}, "window_s"),
    ],
)
def test_bad_settings(overrides: dict, message: str) -> None:
    """Bad tunables are refused with a message naming them."""
    with pytest.raises(ValueError, match=message):
        CorrelatorSettings.from_config(EngineConfig(main_meter=METER, **overrides))


def test_window_length_follows_cadence() -> None:
    """Nominal length for fast meters, stretched for slower ones, capped."""
    correlator = Correlator(CorrelatorSettings.from_config(EngineConfig(main_meter=METER)))
    length = correlator.settings.window_length
    assert length(None, 30.0) == 20.0
    assert length(1.0, 30.0) == 20.0
    assert length(7.0, 30.0) == 24.5
    assert length(10.0, 30.0) == 35.0  # 3 readings need more than the cap
    assert length(20.0, 30.0) == 50.0  # a slow meter: 2 readings
    assert length(60.0, 30.0) == 60.0  # the ceiling (and too slow anyway)
    assert len(correlator) == 0
    correlator.add(event("switch.a", 10.0, 0, 1), 1.0)
    assert len(correlator) == 1
    correlator.clear()
    assert correlator.next_due() is None


def test_long_chain_of_toggles_is_one_overlap() -> None:
    """Toggles every 5 s for over a minute: no clean window for any of them."""
    engine = make_engine()
    home = Home()
    events = []
    for k in range(16):
        home.switch(T0 + 100.0 + 5.0 * k, 50.0)
        events.append(event(f"switch.d{k}", T0 + 100.0 + 5.0 * k, 0, 1))
    out = run(engine, home.power, events, T0, T0 + 400.0)
    assert len(out) == 16
    assert all(c.status is Status.OVERLAP for c in out)
    assert not any(c.learned for c in out)


def test_reference_meter_with_gap_is_ignored() -> None:
    """A reference sensor that is unavailable in a window gives no reference delta."""
    engine = make_engine()
    engine.set_reference_meter("switch.a", "sensor.plug")
    home = Home()
    home.switch(T0 + 100.0, 100.0)

    def power(t: float) -> float:
        engine.add_power("sensor.plug", t, None if t < T0 + 110.0 else 100.0)
        return home.power(t)

    (correlation,) = run(engine, power, [event("switch.a", T0 + 100.0, 0, 1)], T0, T0 + 300.0)
    assert correlation.status is Status.OK
    assert correlation.reference_delta_w is None


def test_late_reported_event_is_kept_in_time_order() -> None:
    """An event older than the last one is inserted in order, and both correlate."""
    engine = make_engine()
    home = Home()
    home.switch(T0 + 100.0, 300.0)
    home.switch(T0 + 200.0, 500.0)
    events = [event("switch.b", T0 + 200.0, 0, 1), event("switch.a", T0 + 100.0, 0, 1)]
    out = run(engine, home.power, events, T0, T0 + 400.0)
    deltas = {c.entity_id: c.power_delta_w for c in out}
    assert deltas == {"switch.a": pytest.approx(300.0), "switch.b": pytest.approx(500.0)}


def test_remembered_events_are_forgotten_in_batches() -> None:
    """Old events are dropped once enough have piled up, never those pending ones need."""
    correlator = Correlator(CorrelatorSettings.from_config(EngineConfig(main_meter=METER)))
    for k in range(70):
        correlator.add(event(f"switch.d{k}", T0 + 100.0 * k, 0, 1), 1.0)
    correlator.forget_before(T0)  # due for a clean-up, but nothing is that old
    assert len(correlator._times) == 70
    correlator.forget_before(T0 + 10_000.0)  # below the next batch: nothing to do
    assert len(correlator._times) == 70
    for k in range(70, 140):
        correlator.add(event(f"switch.d{k}", T0 + 100.0 * k, 0, 1), 1.0)
    correlator.forget_before(T0 + 100_000.0)  # pending events keep everything near them
    assert len(correlator._times) == 140
    correlator.clear()
    for k in range(70):
        correlator.add(event(f"switch.d{k}", T0 + 100.0 * k, 0, 1), 1.0)
    correlator._pending.clear()  # as if all were closed
    correlator.forget_before(T0 + 6_000.0)
    assert correlator._times[0] == T0 + 6_000.0


def test_event_reported_out_of_order_is_inserted_in_place() -> None:
    """HA may deliver an older event after a newer one: the remembered events stay sorted."""
    correlator = Correlator(CorrelatorSettings.from_config(EngineConfig(main_meter=METER)))
    correlator.add(event("switch.b", T0 + 200.0, 0, 1), 1.0)
    correlator.add(event("switch.a", T0 + 100.0, 0, 1), 1.0)
    assert correlator._times == [T0 + 100.0, T0 + 200.0]
    assert [e.entity_id for e in correlator._events] == ["switch.a", "switch.b"]

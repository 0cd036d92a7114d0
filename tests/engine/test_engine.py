"""The engine facade end to end: inputs, reads, maintenance, persistence."""

from collections.abc import Callable
import json
import math

import pytest

from custom_components.energy_correlator.engine import (
    Correlation,
    Engine,
    EngineConfig,
    EngineStats,
    ProfileSummary,
    Status,
    TransitionKind,
)
from custom_components.energy_correlator.engine.devices import DeviceLedger, DeviceState

from .helpers import METER, T0, Home, event, make_engine, run, toggle_history


def _learned_engine() -> tuple:
    engine = make_engine(timezone="Europe/Berlin")
    out = toggle_history(engine, "switch.heater", 1000.0, cycles=6)
    return engine, out


def test_learns_a_device_end_to_end() -> None:
    """A switched heater is learned; reads reflect its level and energy."""
    engine, out = _learned_engine()
    assert len(out) == 12
    assert all(c.status is Status.OK for c in out)
    profile = engine.profile("switch.heater")
    assert profile is not None
    assert profile.learned_power_w == pytest.approx(1000.0, rel=0.02)
    assert profile.confidence > 0.7
    assert engine.profiles() == [profile]
    assert engine.device_level("switch.heater") == 0.0
    assert engine.device_level("switch.unknown") == 0.0
    assert engine.estimated_power_w("switch.heater") == 0.0
    assert engine.estimated_power_w("switch.unknown") is None
    # On for half of ~1200 s at ~1 kW, learned only after the first events.
    assert 0.05 < engine.device_energy_kwh("switch.heater") < 0.2
    assert engine.device_energy_kwh("switch.unknown") == 0.0
    stats = engine.stats
    assert stats.events == 12
    assert stats.correlations == 12
    assert stats.learned == 12
    assert stats.correlation_rate_pct == 100.0
    assert stats.samples > 1000
    assert engine.next_due() is None


def test_reads_of_meter_and_aggregates() -> None:
    """Current power, cadence, energy, peak, untracked power and costs."""
    engine, _ = _learned_engine()
    now = T0 + 1500.0
    engine.add_power(METER, now, 1300.0)
    engine.set_device_level("switch.heater", now, 1.0)
    engine.tick(now, price_per_kwh=0.3)
    assert engine.current_power_w() == 1300.0
    assert engine.current_power_w("sensor.nothing") is None
    assert engine.meter_interval_s() == 1.0
    assert engine.meter_interval_s("sensor.nothing") is None
    assert engine.estimated_power_w("switch.heater") == pytest.approx(1000.0, rel=0.02)
    assert engine.untracked_power_w(now) == pytest.approx(300.0, abs=25.0)
    engine.add_power(METER, now + 1, 500.0)
    assert engine.untracked_power_w(now + 1) == 0.0  # never below zero
    engine.add_power(METER, now + 2, None)
    assert engine.untracked_power_w(now + 2) is None
    assert engine.current_power_w() is None
    assert engine.energy_today_kwh(now) > 0.2
    assert engine.energy_total_kwh() == pytest.approx(engine.energy_today_kwh(now))
    assert engine.peak_w(now) == pytest.approx(1300.0, rel=0.05)
    assert engine.standby_baseline_w() is None
    engine.tick(now + 3600.0, price_per_kwh=0.3)
    cost = engine.cost_month()
    assert cost > 0.0
    engine.add_power(METER, now + 3600.0, 1000.0)
    engine.tick(now + 7200.0, price_per_kwh=math.nan)  # a bad price is ignored
    assert engine.cost_month() == cost
    assert engine.energy_total_kwh() > 1.0
    top = engine.top_consumers(now + 7200.0)
    assert [row.entity_id for row in top] == ["switch.heater"]
    assert 0.3 < top[0].on_fraction < 1.0
    assert top[0].kwh_per_month is None  # two hours observed: no projection
    assert top[0].observed_days == pytest.approx(7200.0 / 86_400.0, rel=0.2)
    assert top[0].observed_kwh > 0.0
    later = engine.top_consumers(now + 2 * 86_400.0)[0]
    assert later.kwh_per_day is not None
    assert later.kwh_per_month == pytest.approx(later.kwh_per_day * 30)
    assert engine.top_consumers(now, limit=0) == []
    engine.set_device_level("switch.unlearned", now, 1.0)
    assert [row.entity_id for row in engine.top_consumers(now)] == ["switch.heater"]


def test_circuits_define_untracked_power() -> None:
    """With circuits, untracked = meter - circuits."""
    engine = make_engine(circuits=("sensor.c1", "sensor.c2"))
    assert engine.untracked_power_w(T0) is None
    engine.add_power(METER, T0, 1000.0)
    assert engine.untracked_power_w(T0) is None  # no circuit reading yet
    engine.add_power("sensor.c1", T0, 300.0)
    engine.add_power("sensor.c2", T0, 900.0)
    assert engine.untracked_power_w(T0) == 0.0
    engine.add_power("sensor.c2", T0 + 1, 200.0)
    assert engine.untracked_power_w(T0 + 1) == 500.0
    engine.add_power("sensor.c3", T0, 1.0)  # an unknown meter gets its own series
    assert engine.current_power_w("sensor.c3") == 1.0


def test_recent_correlations_filters() -> None:
    """Newest first, filtered by device, time and count; bounded by the config."""
    engine, out = _learned_engine()
    recent = engine.recent_correlations()
    assert recent == list(reversed(out))
    assert engine.recent_correlations(limit=3) == recent[:3]
    assert engine.recent_correlations(entity_id="switch.other") == []
    assert engine.recent_correlations(since=out[-1].ts) == [out[-1]]
    bounded = make_engine(recent_correlations=2)
    toggle_history(bounded, "switch.a", 500.0, cycles=2)
    assert len(bounded.recent_correlations()) == 2


def test_learn_directly() -> None:
    """learn() teaches OK correlations only (the backfill path)."""
    engine = make_engine()
    (correlation,) = run(
        engine, _step_home(T0 + 100.0, 200.0), [event("switch.a", T0 + 100, 0, 1)], T0, T0 + 200
    )
    fresh = make_engine()
    assert fresh.learn(correlation)
    assert fresh.profile("switch.a") is not None
    bad = Correlation.from_dict(correlation.as_dict() | {"status": "overlap"})
    assert not fresh.learn(bad)
    nan = Correlation.from_dict(correlation.as_dict() | {"power_delta_w": math.nan})
    assert not fresh.learn(nan)
    engine.tick(T0 + 400.0)
    assert engine.learn(correlation)  # books energy first, then teaches


def _step_home(at: float, delta: float) -> Callable[[float], float]:
    home = Home()
    home.switch(at, delta)
    return home.power


def test_bad_inputs_are_refused() -> None:
    """Bad config, events and levels raise clear errors; bad readings are counted."""
    with pytest.raises(ValueError, match="main_meter"):
        Engine(EngineConfig(main_meter=""))
    with pytest.raises(ValueError, match="horizon_s"):
        make_engine(horizon_s=0.0)
    with pytest.raises(ValueError, match="recent_correlations"):
        make_engine(recent_correlations=-1)
    with pytest.raises(ValueError, match="standby_percentile"):
        make_engine(standby_percentile=101.0)
    with pytest.raises(ValueError, match="time zone"):
        make_engine(timezone="Nowhere/Never")
    engine = make_engine()
    with pytest.raises(TypeError, match="DeviceEvent"):
        engine.add_event("switch.a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="entity id"):
        engine.add_event(event("", T0, 0, 1))
    with pytest.raises(ValueError, match="finite"):
        engine.add_event(event("switch.a", math.inf, 0, 1))
    with pytest.raises(ValueError, match=r"0\.\.1"):
        engine.add_event(event("switch.a", T0, 0, 2.0))
    with pytest.raises(ValueError, match="bad level"):
        engine.set_device_level("switch.a", T0, -0.5)
    with pytest.raises(ValueError, match="bad level"):
        engine.set_device_level("switch.a", math.nan, 0.5)
    engine.add_power(METER, T0, 100.0)
    engine.add_power(METER, T0 - 1, 100.0)  # out of order
    engine.add_power(METER, T0 + 1, math.nan)
    engine.add_power(METER, T0 + 1, 100.0)  # same time: replaces
    assert engine.stats.samples_rejected == 2
    assert engine.stats.samples == 3
    assert engine.stats.events == 0


def test_rename_forget_reset() -> None:
    """Maintenance actions move, drop or zero what they should and nothing else."""
    engine, _ = _learned_engine()
    engine.set_reference_meter("switch.heater", "sensor.plug")
    engine.add_event(event("switch.heater", T0 + 1400.0, 0, 1))
    before = engine.profile("switch.heater")
    energy = engine.device_energy_kwh("switch.heater")
    engine.rename_entity("switch.heater", "switch.heater")  # no-op
    engine.rename_entity("switch.heater", "switch.radiator")
    assert engine.profile("switch.heater") is None
    moved = engine.profile("switch.radiator")
    assert moved is not None
    assert moved.learned_power_w == before.learned_power_w
    assert engine.device_energy_kwh("switch.radiator") == energy
    assert all(c.entity_id == "switch.radiator" for c in engine.recent_correlations())
    assert engine.device_level("switch.radiator") == 1.0
    closed = engine.tick(T0 + 1500.0)
    assert [c.entity_id for c in closed] == ["switch.radiator"]
    engine.reset_statistics()
    assert engine.stats == EngineStats()
    assert engine.device_energy_kwh("switch.radiator") == 0.0
    assert engine.energy_total_kwh() == 0.0
    assert engine.profile("switch.radiator") is not None
    engine.forget(["switch.radiator"])
    assert engine.profile("switch.radiator") is None
    toggle_history(engine, "switch.b", 300.0, cycles=1, start=T0 + 2000.0)
    engine.forget()
    assert engine.profiles() == []


def test_state_round_trip_through_json() -> None:
    """to_dict -> JSON -> load_dict restores profiles, counters, accumulators and history."""
    engine, _ = _learned_engine()
    engine.set_reference_meter("switch.heater", "sensor.plug")
    engine.tick(T0 + 1500.0, price_per_kwh=0.25)
    state = json.loads(json.dumps(engine.to_dict()))
    restored = make_engine(timezone="Europe/Berlin")
    restored.load_dict(state)
    assert restored.profile("switch.heater") == engine.profile("switch.heater")
    assert restored.recent_correlations() == engine.recent_correlations()
    assert restored.stats == engine.stats
    assert restored.device_energy_kwh("switch.heater") == pytest.approx(
        engine.device_energy_kwh("switch.heater")
    )
    assert restored.cost_month() == pytest.approx(engine.cost_month())
    assert restored.to_dict()["references"] == {"switch.heater": "sensor.plug"}
    restored.load_dict({"ignored": True})  # missing keys keep defaults
    assert restored.stats == engine.stats


@pytest.mark.parametrize(
    "broken",
    [
        {"profiles": {"switch.a": [{"kind": "nonsense"}]}},
        {"profiles": {"switch.a": [{"no_kind": 1}]}},
        {"devices": {"switch.a": {"level": 3.0}}},
        {"devices": {"switch.a": {"energy_kwh": -1.0}}},
        {"stats": {"events": -4}},
        {"stats": {"events": "many"}},
        {"recent": [{"entity_id": "x"}]},
        {"baseline": {"nights": [["2026-06-01"]]}},
    ],
)
def test_malformed_state_changes_nothing(broken: dict) -> None:
    """A malformed store raises ValueError and the engine keeps what it had."""
    engine, _ = _learned_engine()
    before = engine.to_dict()
    with pytest.raises(ValueError, match="invalid engine state"):
        engine.load_dict(before | broken)
    assert engine.to_dict() == before
    with pytest.raises(TypeError, match="dict"):
        engine.load_dict([])


def test_models_helpers() -> None:
    """Correlation round trip and ProfileSummary.power_at along a curve."""
    summary = ProfileSummary(
        entity_id="light.a",
        kind=TransitionKind.BRIGHTNESS,
        learned_power_w=60.0,
        confidence=0.9,
        events=10,
        on_delta_w=60.0,
        off_delta_w=60.0,
        spread_w=1.0,
        standby_w=0.5,
        last_seen=None,
        curve=((0.5, 30.0), (1.0, 60.0)),
    )
    assert summary.power_at(0.0) == 0.5
    assert summary.power_at(0.25) == 15.0
    assert summary.power_at(0.75) == 45.0
    assert summary.power_at(1.5) == 60.0
    flat = ProfileSummary(
        "s", TransitionKind.ONOFF, 10.0, 1.0, 1, None, None, 0.0, None, None, ((0.0, 5.0),)
    )
    assert flat.power_at(0.5) == 5.0
    assert (
        ProfileSummary(
            "s", TransitionKind.ONOFF, None, 0.0, 0, None, None, 0.0, None, None
        ).power_at(1.0)
        == 0.0
    )
    stepped = ProfileSummary(
        "s",
        TransitionKind.ONOFF,
        10.0,
        1.0,
        1,
        None,
        None,
        0.0,
        None,
        None,
        ((0.5, 5.0), (0.5, 7.0), (1.0, 10.0)),
    )
    assert stepped.power_at(0.5) == 5.0
    assert EngineStats().correlation_rate_pct == 0.0


def test_device_ledger_bookkeeping() -> None:
    """Levels, on time and energy; malformed stored states are refused."""
    ledger = DeviceLedger(lambda _e, level: 100.0 * level)
    ledger.book("switch.none", 5.0)  # unknown device: nothing to book
    ledger.set_level("switch.a", 0.0, 1.0)
    ledger.set_level("switch.a", 3600.0, 0.0)
    state = ledger.get("switch.a")
    assert state is not None
    assert state.energy_kwh == pytest.approx(0.1)
    assert ledger.energy_at("switch.a", 7200.0) == pytest.approx(0.1)
    assert ledger.energy_at("switch.b", 7200.0) == 0.0
    assert ledger.usage(state, 7200.0) == pytest.approx((0.5, 1.0))
    assert ledger.usage(DeviceState(0.0), 0.0) == (0.0, 1.0)
    assert ledger.usage(DeviceState(0.4), 0.0) == (1.0, 0.4)
    ledger.advance(7200.0)
    assert state.observed_s == 7200.0
    restored = DeviceLedger.parse(json.loads(json.dumps(ledger.to_dict())))
    assert restored["switch.a"].since is None
    reloaded = DeviceLedger(lambda _e, level: 100.0 * level)
    reloaded.devices = restored
    reloaded.book("switch.a", 9000.0)  # a restored device starts counting from here
    assert restored["switch.a"].since == 9000.0
    assert restored["switch.a"].observed_s == 7200.0
    with pytest.raises(ValueError, match="finite"):
        DeviceState.from_dict({"on_s": math.inf})


def test_energy_is_booked_at_the_power_that_held() -> None:
    """When a lesson changes the learned power, the time before it keeps the old power."""
    engine = make_engine()
    engine.set_device_level("switch.a", T0, 1.0)
    engine.tick(T0)
    engine.learn(_ok_correlation("switch.a", T0, 100.0))  # learned from T0 on: 100 W
    engine.tick(T0 + 3600.0)
    engine.learn(_ok_correlation("switch.a", T0 + 3600.0, 300.0))  # now the centre is 200 W
    assert engine.estimated_power_w("switch.a") == pytest.approx(200.0)
    engine.tick(T0 + 7200.0)
    assert engine.device_energy_kwh("switch.a") == pytest.approx(0.1 + 0.2)


def _ok_correlation(entity_id: str, ts: float, delta: float) -> Correlation:
    return Correlation(
        entity_id=entity_id,
        domain="switch",
        kind=TransitionKind.ONOFF,
        previous_state="off",
        state="on",
        ts=ts,
        previous_level=0.0,
        level=1.0,
        power_before_w=100.0,
        power_after_w=100.0 + delta,
        power_delta_w=delta,
        power_delta_pct=delta,
        meter_updates=20,
        confidence=0.9,
        status=Status.OK,
    )

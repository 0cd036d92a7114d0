"""A small device on a noisy meter: a young profile's windows grow until the step shows."""

import random

from custom_components.energy_correlator.engine import Correlation, Status
from custom_components.energy_correlator.engine.book import YOUNG_LESSONS, ProfileBook
from custom_components.energy_correlator.engine.noisy import (
    NOISY_TRIES,
    NOISY_WINDOW_S,
    WideWindows,
)
from custom_components.energy_correlator.engine.series import PowerSeries

from .helpers import METER, T0, event, make_engine
from .test_real_homes import replay_meter

LAMP = "light.lamp"


def lamp_cycles(cycles: int, on_s: float = 150.0, period_s: float = 300.0) -> tuple[list, list]:
    """Steps and events of a 60 W lamp switched on and off `cycles` times."""
    steps, events = [], []
    for k in range(cycles):
        on = T0 + 100.0 + period_s * k
        steps += [(on, 60.0), (on + on_s, -60.0)]
        events += [(on, 0.0, 1.0), (on + on_s, 1.0, 0.0)]
    return steps, events


def test_a_60_w_lamp_at_sd_25_w_has_its_sensors_after_three_cycles() -> None:
    """sd 25 W at 2 s: 20 s windows know one step only to ±20 W; the grown ones to ±7 W."""
    shown = 0
    for seed in range(10):
        engine = make_engine()
        steps, events = lamp_cycles(3)
        out = replay_meter(engine, steps, events, T0, T0 + 1100.0, 2.0, 25.0, seed, LAMP)
        assert [c.status for c in out] == [Status.OK] * 6
        # windows grew from ~10 readings to ~60 where one step alone was hidden in the noise
        assert sum(c.meter_updates > 80 for c in out) >= 4
        profile = engine.profile(LAMP)
        assert profile is not None
        assert profile.learned_power_w is not None
        shown += profile.confidence >= 0.5 and abs(profile.learned_power_w - 60.0) <= 6.0
    assert shown >= 9


def test_a_young_event_on_a_noisy_meter_closes_later_and_a_quiet_one_does_not() -> None:
    """The wider windows are scheduled at once (one correlation, not two attempts)."""
    rng = random.Random(1)
    for noise_w, wait_s in ((25.0, NOISY_WINDOW_S), (1.0, 30.0)):
        engine = make_engine()
        for k in range(200):
            engine.add_power(METER, T0 + 2.0 * k, 300.0 + rng.gauss(0.0, noise_w))
        engine.add_event(event(LAMP, T0 + 400.0, 0.0, 1.0))
        due = engine.next_due()
        assert due is not None
        assert due - (T0 + 400.0) <= wait_s + 10.0
        assert due - (T0 + 400.0) >= wait_s - 10.0


def test_a_grown_device_keeps_the_usual_windows() -> None:
    """After YOUNG_LESSONS lessons its steps use the usual windows again."""
    engine = make_engine()
    cycles = YOUNG_LESSONS // 2 + 3
    steps, events = lamp_cycles(cycles)
    out = replay_meter(engine, steps, events, T0, T0 + 300.0 * cycles + 200.0, 2.0, 25.0, 3, LAMP)
    taught = [c for c in out if c.learned or c.status is Status.OK]
    assert len(taught) >= YOUNG_LESSONS + 2
    young, grown = out[: YOUNG_LESSONS - 2], out[YOUNG_LESSONS + 1 :]
    assert min(c.meter_updates for c in young) > 80
    assert max(c.meter_updates for c in grown) < 30


def test_an_unwatched_step_in_the_added_part_keeps_the_usual_windows() -> None:
    """A fridge starting 60 s after the lamp would move the wider after-window's level:
    the wider windows disagree with the usual ones and are not used."""
    engine = make_engine()
    out = replay_meter(
        engine,
        [(T0 + 300.0, 60.0), (T0 + 360.0, 150.0)],
        [(T0 + 300.0, 0.0, 1.0)],
        T0,
        T0 + 700.0,
        2.0,
        12.5,
        4,
        LAMP,
    )
    assert len(out) == 1
    correlation: Correlation = out[0]
    assert correlation.meter_updates < 30
    assert correlation.power_delta_w is not None
    assert abs(correlation.power_delta_w - 60.0) < 25.0


def test_the_book_knows_grown_devices_across_a_restore_and_forgets_them() -> None:
    """Stored profiles with enough lessons are grown; forgetting a device makes it young."""
    engine = make_engine()
    steps, events = lamp_cycles(YOUNG_LESSONS // 2 + 1)
    replay_meter(engine, steps, events, T0, T0 + 2500.0, 2.0, 1.0, 0, LAMP)
    lamp_on = event(LAMP, T0, 0.0, 1.0)
    stored = engine._book.to_dict()
    book = ProfileBook()
    assert book.young(lamp_on)
    book.replace(ProfileBook.parse(stored))
    assert not book.young(lamp_on)
    book.rename(LAMP, "light.lamp_2")
    assert book.young(lamp_on)
    assert not book.young(event("light.lamp_2", T0, 0.0, 1.0))
    book.forget(["light.lamp_2"])
    assert book.young(event("light.lamp_2", T0, 0.0, 1.0))


def test_a_device_tries_wider_windows_at_most_noisy_tries_times() -> None:
    """A device that stays young (its steps never teach) stops asking for wider windows after
    NOISY_TRIES events; relearning lets it try again, and a rename carries its count."""
    rng = random.Random(2)
    series = PowerSeries()
    for k in range(60):
        series.add(T0 + 2.0 * k, 300.0 + rng.gauss(0.0, 25.0))
    wide = WideWindows()
    wide.young = lambda _event: True
    lamp_on = event(LAMP, T0 + 120.0, 0.0, 1.0)
    tried = [wide.schedule(lamp_on, seq, series, T0 + 117.0, 20.0) for seq in range(15)]
    assert tried == [True] * NOISY_TRIES + [False] * (15 - NOISY_TRIES)
    assert wide.pending == set(range(NOISY_TRIES))
    wide.rename(LAMP, "light.lamp_2")
    assert not wide.schedule(event("light.lamp_2", T0 + 120.0, 0.0, 1.0), 99, series, T0, 20.0)
    wide.forget(["light.lamp_2"])
    assert wide.schedule(event("light.lamp_2", T0 + 120.0, 0.0, 1.0), 100, series, T0, 20.0)
    wide.young = lambda _event: False  # grown: never
    assert not wide.schedule(event("light.tv", T0 + 120.0, 0.0, 1.0), 101, series, T0, 20.0)


def test_a_quiet_meter_schedules_no_wider_windows() -> None:
    """The meter's noise decides first: at ±1 W nothing waits for wider windows."""
    series = PowerSeries()
    for k in range(60):
        series.add(T0 + 2.0 * k, 300.0 + (k % 2))
    wide = WideWindows()
    wide.young = lambda _event: True
    assert not wide.schedule(event(LAMP, T0 + 120.0, 0.0, 1.0), 1, series, T0 + 117.0, 20.0)
    assert not wide.pending

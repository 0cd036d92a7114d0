"""When sensors write their state: the pure policy, then the throttling in a real hass."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.energy_correlator.sensor import SENSORS
from custom_components.energy_correlator.write_policy import (
    BACKLOG,
    ENERGY,
    POWER,
    RATE_PCT,
    VOLATILE_ATTRIBUTES_S,
    WriteGate,
)

from .activity import run
from .conftest import our_entity_id


@pytest.mark.parametrize(
    ("last", "value", "elapsed", "due"),
    [
        (300.0, 300.0, 1000.0, False),  # no change: never
        (300.0, 302.0, 29.0, False),  # below 1 %: waits for the bound
        (300.0, 302.0, 299.0, False),
        (300.0, 302.0, 300.0, True),  # the bound
        (300.0, 303.0, 29.0, False),  # a step, but too soon
        (300.0, 303.0, 30.0, True),
        (0.5, 1.5, 30.0, True),  # 1 W at least, even near zero
        (0.4, 0.9, 30.0, False),
        (300.0, 330.0, 0.0, True),  # a jump of 10 % and 25 W: at once
        (3000.0, 3024.0, 0.0, False),  # 24 W is no jump
        (3000.0, 2600.0, 0.0, True),
    ],
)
def test_power_policy(last: float, value: float, elapsed: float, due: bool) -> None:
    """Jitter waits, a step waits 30 s, a device switching goes at once."""
    assert POWER.due(last, value, elapsed) is due


@pytest.mark.parametrize(
    ("last", "value", "elapsed", "due"),
    [
        (1.0, 1.009, 120.0, False),
        (1.0, 1.009, 300.0, True),
        (1.0, 1.01, 59.0, False),
        (1.0, 1.01, 60.0, True),
        (5.0, 0.0, 0.0, True),  # the daily reset: at once
    ],
)
def test_energy_policy(last: float, value: float, elapsed: float, due: bool) -> None:
    """Energy grows in 0.01 steps at most once a minute; a reset is written at once."""
    assert ENERGY.due(last, value, elapsed) is due


@pytest.mark.parametrize(
    ("last", "value", "elapsed", "due"),
    [
        (0.0, 5.0, 30.0, False),  # points in flight between two flushes: not worth a row
        (5.0, 0.0, 120.0, False),
        (5.0, 0.0, 300.0, True),  # written at the latest after 5 minutes
        (0.0, 60.0, 29.0, False),  # an outage builds up: at most every 30 s
        (0.0, 60.0, 30.0, True),
        (10_000.0, 10_900.0, 30.0, False),  # below 10 % of a long outage's backlog
        (10_000.0, 11_100.0, 30.0, True),
        (10_000.0, 0.0, 30.0, True),  # caught up
    ],
)
def test_backlog_policy(last: float, value: float, elapsed: float, due: bool) -> None:
    """The sink's pending points: an outage and its recovery show, the flush jitter does not."""
    assert BACKLOG.due(last, value, elapsed) is due


def test_sink_sensors_that_change_with_every_flush_are_throttled() -> None:
    """Pending points and the success rate move with every batch; both have a policy."""
    policies = {d.key: d.write_policy for d in SENSORS}
    assert policies["sink_points_pending"] is BACKLOG
    assert policies["sink_success_rate"] is RATE_PCT
    assert RATE_PCT.due(99.5, 99.8, 59.0) is False
    assert RATE_PCT.due(99.5, 98.9, 60.0) is True


def test_gate_remembers_what_it_wrote() -> None:
    """Fixed parts on every change, volatile ones after the bound, values by the policy."""
    gate = WriteGate(POWER)
    assert gate.due(0.0, 300.0, fixed=True, volatile=[1])  # the first write
    assert not gate.due(5.0, 301.0, fixed=True, volatile=[2])
    assert gate.due(6.0, 301.0, fixed=False, volatile=[2])  # e.g. unavailable
    assert not gate.due(10.0, 301.0, fixed=False, volatile=[3])
    assert gate.due(6.0 + VOLATILE_ATTRIBUTES_S, 301.0, fixed=False, volatile=[3])
    assert not gate.due(1000.0, 301.0, fixed=False, volatile=[3])  # nothing changed
    assert gate.due(1001.0, None, fixed=False, volatile=[3])  # unknown: at once

    names = WriteGate(None)
    assert names.due(0.0, "Kettle")
    assert not names.due(1.0, "Kettle")
    assert names.due(2.0, "Heater")


async def test_sensors_are_not_rewritten_on_every_heartbeat(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, init_integration: MockConfigEntry
) -> None:
    """A jittering meter does not rewrite untracked power until the bound; a constant 3 kW
    load writes the daily energy at most once a minute, not on every 5 s beat."""
    untracked = our_entity_id(hass, "untracked_power")
    energy = our_entity_id(hass, "daily_energy")
    assert untracked is not None
    assert energy is not None
    await run(hass, freezer, 30, 300)
    written = hass.states.get(untracked).last_updated
    for watts in (301, 300, 302, 301, 300, 302):  # below max(1 W, 1 %) of 300 W
        await run(hass, freezer, 20, watts)
        assert hass.states.get(untracked).last_updated == written
    await run(hass, freezer, 180, 301)  # 5 minutes since the last write
    assert hass.states.get(untracked).last_updated > written
    assert float(hass.states.get(untracked).state) == 301

    await run(hass, freezer, 10, 3000)  # a jump: at once
    assert float(hass.states.get(untracked).state) == 3000
    writes: set[object] = set()
    for _ in range(36):  # three minutes of 5 s heartbeats
        await run(hass, freezer, 5, 3000)
        writes.add(hass.states.get(energy).last_updated)
    assert 2 <= len(writes) <= 4
    assert float(hass.states.get(energy).state) > 0.1

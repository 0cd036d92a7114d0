"""Which HA state changes become device events, and at what level."""

from typing import Any

import pytest

from custom_components.energy_correlator.engine import TransitionKind, classify_change, level_of


def _classify(
    domain: str,
    old: str | None,
    new: str | None,
    old_attrs: dict[str, Any] | None = None,
    new_attrs: dict[str, Any] | None = None,
) -> tuple[TransitionKind, float, float] | None:
    event = classify_change(
        f"{domain}.x", domain, old, old_attrs or {}, new, new_attrs or {}, 100.0
    )
    return None if event is None else (event.kind, event.previous_level, event.level)


@pytest.mark.parametrize(
    ("domain", "old", "new", "old_attrs", "new_attrs", "expected"),
    [
        ("switch", "off", "on", {}, {}, (TransitionKind.ONOFF, 0.0, 1.0)),
        ("switch", "on", "off", {}, {}, (TransitionKind.ONOFF, 1.0, 0.0)),
        ("humidifier", "off", "on", {}, {}, (TransitionKind.ONOFF, 0.0, 1.0)),
        ("light", "off", "on", {}, {}, (TransitionKind.ONOFF, 0.0, 1.0)),
        (
            "light",
            "off",
            "on",
            {"brightness": None},
            {"brightness": 255},
            (TransitionKind.BRIGHTNESS, 0.0, 1.0),
        ),
        (
            "light",
            "on",
            "on",
            {"brightness": 51},
            {"brightness": 102},
            (TransitionKind.BRIGHTNESS, 0.2, 0.4),
        ),
        ("light", "on", "off", {"brightness": 300}, {}, (TransitionKind.BRIGHTNESS, 1.0, 0.0)),
        ("fan", "off", "on", {}, {"percentage": 50}, (TransitionKind.FAN_SPEED, 0.0, 0.5)),
        ("fan", "on", "off", {}, {}, (TransitionKind.ONOFF, 1.0, 0.0)),
        (
            "climate",
            "heat",
            "heat",
            {"hvac_action": "idle"},
            {"hvac_action": "heating"},
            (TransitionKind.HVAC_ACTION, 0.0, 1.0),
        ),
        (
            "climate",
            "cool",
            "off",
            {"hvac_action": "cooling"},
            {},
            (TransitionKind.HVAC_ACTION, 1.0, 0.0),
        ),
        (
            "water_heater",
            "eco",
            "eco",
            {"hvac_action": "off"},
            {"hvac_action": "drying"},
            (TransitionKind.HVAC_ACTION, 0.0, 1.0),
        ),
        ("media_player", "off", "playing", {}, {}, (TransitionKind.MEDIA, 0.0, 1.0)),
        ("media_player", "idle", "playing", {}, {}, (TransitionKind.MEDIA, 0.5, 1.0)),
        ("media_player", "standby", "paused", {}, {}, (TransitionKind.MEDIA, 0.0, 0.5)),
        ("vacuum", "docked", "cleaning", {}, {}, (TransitionKind.ONOFF, 0.0, 1.0)),
        ("cover", "closed", "opening", {}, {}, (TransitionKind.ONOFF, 0.0, 1.0)),
        ("cover", "closing", "closed", {}, {}, (TransitionKind.ONOFF, 1.0, 0.0)),
    ],
)
def test_power_relevant_changes(
    domain: str,
    old: str,
    new: str,
    old_attrs: dict[str, Any],
    new_attrs: dict[str, Any],
    expected: tuple[TransitionKind, float, float],
) -> None:
    """Each domain maps its states (and attributes) to levels."""
    assert _classify(domain, old, new, old_attrs, new_attrs) == expected


@pytest.mark.parametrize(
    ("domain", "old", "new", "old_attrs", "new_attrs"),
    [
        ("switch", None, "on", {}, {}),  # first appearance
        ("switch", "on", None, {}, {}),  # removed
        ("switch", "unavailable", "on", {}, {}),
        ("switch", "on", "unknown", {}, {}),
        ("switch", "on", "on", {"friendly_name": "a"}, {"friendly_name": "b"}),
        ("switch", "on", "jammed", {}, {}),  # not a state the domain knows
        ("light", "on", "on", {"brightness": 100, "rgb": 1}, {"brightness": 100, "rgb": 2}),
        ("light", "on", "flashing", {}, {}),
        ("fan", "on", "weird", {}, {}),
        ("fan", "on", "on", {"percentage": "x"}, {"percentage": float("nan")}),
        ("climate", "heat", "cool", {}, {}),  # mode change without an action says nothing
        ("climate", "heat", "heat", {"hvac_action": "heating"}, {"hvac_action": "heating"}),
        ("media_player", "playing", "playing", {"media_title": "a"}, {"media_title": "b"}),
        ("vacuum", "docked", "idle", {}, {}),
        ("cover", "open", "closed", {}, {}),
        ("sensor", "1", "2", {}, {}),  # not a watched domain
        ("light", "on", "on", {"brightness": True}, {"brightness": None}),
    ],
)
def test_no_event(
    domain: str,
    old: str | None,
    new: str | None,
    old_attrs: dict[str, Any],
    new_attrs: dict[str, Any],
) -> None:
    """Changes that cannot have changed power are not events."""
    assert _classify(domain, old, new, old_attrs, new_attrs) is None


def test_event_fields() -> None:
    """The event carries the states and time it came from."""
    event = classify_change("switch.k", "switch", "off", {}, "on", {}, 12.5)
    assert event is not None
    assert (event.entity_id, event.domain, event.ts) == ("switch.k", "switch", 12.5)
    assert (event.previous_state, event.state) == ("off", "on")


@pytest.mark.parametrize(
    ("domain", "state", "attrs", "expected"),
    [
        ("switch", "on", {}, 1.0),
        ("switch", "off", {}, 0.0),
        ("switch", "unavailable", {}, None),
        ("switch", "unknown", {}, None),
        ("light", "on", {"brightness": 51}, 0.2),
        ("light", "on", {}, 1.0),
        ("light", "off", {"brightness": None}, 0.0),
        ("fan", "on", {"percentage": 50}, 0.5),
        ("climate", "heat", {"hvac_action": "heating"}, 1.0),
        ("climate", "heat", {"hvac_action": "idle"}, 0.0),
        ("climate", "heat", {}, None),  # the mode alone says nothing about power
        ("water_heater", "off", {}, 0.0),
        ("media_player", "playing", {}, 1.0),
        ("media_player", "paused", {}, 0.5),
        ("media_player", "standby", {}, 0.0),
        ("vacuum", "cleaning", {}, 1.0),
        ("vacuum", "docked", {}, 0.0),
        ("cover", "opening", {}, 1.0),
        ("sensor", "12.5", {}, None),  # not a power-relevant domain
    ],
)
def test_level_of_one_state(
    domain: str, state: str, attrs: dict[str, Any], expected: float | None
) -> None:
    """The level of a single state (startup levels); None when it cannot be known."""
    assert level_of(domain, state, attrs) == pytest.approx(expected)


def test_level_of_agrees_with_classify_change() -> None:
    """An event's levels are the levels of its two states."""
    old_attrs, new_attrs = {"brightness": 255}, {"brightness": 102}
    event = classify_change("light.a", "light", "on", old_attrs, "on", new_attrs, 1.0)
    assert event is not None
    assert level_of("light", "on", old_attrs) == event.previous_level
    assert level_of("light", "on", new_attrs) == event.level


@pytest.mark.parametrize(
    "action", [["heating"], {"a": 1}, 123, None, ""], ids=["list", "dict", "int", "none", "empty"]
)
def test_hvac_action_that_is_no_text_is_unknown(action: Any) -> None:
    """A climate entity reporting a list/dict/number as hvac_action is unknown, never a crash.

    Seen on a real instance: a list raised TypeError (unhashable) in every heartbeat's rescan.
    """
    assert level_of("climate", "heat", {"hvac_action": action}) is None
    assert level_of("climate", "off", {"hvac_action": action}) == 0.0
    idle = {"hvac_action": "idle"}
    assert _classify("climate", "heat", "heat", idle, {"hvac_action": action}) is None


@pytest.mark.parametrize(
    ("domain", "old", "new", "expected"),
    [
        ("valve", "closed", "opening", (TransitionKind.ONOFF, 0.0, 1.0)),
        ("valve", "closing", "closed", (TransitionKind.ONOFF, 1.0, 0.0)),
        ("lock", "locked", "unlocking", (TransitionKind.ONOFF, 0.0, 1.0)),
        ("lock", "locking", "locked", (TransitionKind.ONOFF, 1.0, 0.0)),
        ("lawn_mower", "docked", "mowing", (TransitionKind.ONOFF, 0.0, 1.0)),
        ("lawn_mower", "returning", "docked", (TransitionKind.ONOFF, 1.0, 0.0)),
    ],
)
def test_domains_the_flow_offers_make_events(
    domain: str, old: str, new: str, expected: tuple[TransitionKind, float, float]
) -> None:
    """Every domain the devices form offers turns its power-relevant changes into events
    (valve, lock, lawn_mower were offered but never produced one)."""
    assert _classify(domain, old, new) == expected

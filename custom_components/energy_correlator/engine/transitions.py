"""Which HA state changes are device events, and at what level (pure; plain dicts in).

CONTRACT: classify_change(entity_id, domain, old_state, old_attrs, new_state, new_attrs, ts)
returns a DeviceEvent or None (attribute-only changes that do not change power, unknown /
unavailable states, first appearance...). level_of(domain, state, attrs) gives the level of
one state (the shell's startup levels), None when it cannot be known.

A level is 0.0 (off) .. 1.0 (fully on); an event is a change of level, so attribute noise
(a light's colour, a player's track) never becomes an event.
"""

from collections.abc import Callable, Mapping
import math
from typing import Any

from .models import DeviceEvent, TransitionKind

_INVALID_STATES = frozenset({"unknown", "unavailable", ""})
_ACTIVE_HVAC_ACTIONS = frozenset(
    {"heating", "cooling", "drying", "fan", "preheating", "defrosting"}
)
_INACTIVE_HVAC_ACTIONS = frozenset({"idle", "off"})
_MEDIA_OFF = frozenset({"off", "standby"})
_MEDIA_PLAYING = frozenset({"playing"})
_VACUUM_ACTIVE = frozenset({"cleaning", "returning"})
_COVER_MOVING = frozenset({"opening", "closing"})
_LOCK_MOVING = frozenset({"locking", "unlocking", "opening"})
_MOWER_ACTIVE = frozenset({"mowing", "returning"})

type LevelFn = Callable[[str, Mapping[str, Any]], float | None]


def _number(value: Any) -> float | None:
    """A finite float from an attribute, None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except TypeError, ValueError:
        return None
    return number if math.isfinite(number) else None


def _onoff_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    if state == "on":
        return 1.0
    if state == "off":
        return 0.0
    return None


def _light_level(state: str, attrs: Mapping[str, Any]) -> float | None:
    if state == "off":
        return 0.0
    if state != "on":
        return None
    brightness = _number(attrs.get("brightness"))
    if brightness is None:
        return 1.0
    return min(max(brightness / 255.0, 0.0), 1.0)


def _fan_level(state: str, attrs: Mapping[str, Any]) -> float | None:
    if state == "off":
        return 0.0
    if state != "on":
        return None
    percentage = _number(attrs.get("percentage"))
    if percentage is None:
        return 1.0
    return min(max(percentage / 100.0, 0.0), 1.0)


def _hvac_level(state: str, attrs: Mapping[str, Any]) -> float | None:
    action = attrs.get("hvac_action")
    if not isinstance(action, str):  # a broken integration's list or number says nothing
        action = None
    if action in _ACTIVE_HVAC_ACTIONS:
        return 1.0
    if action in _INACTIVE_HVAC_ACTIONS or state == "off":
        return 0.0
    # No (known) action reported: the mode alone says nothing about power.
    return None


def _media_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    if state in _MEDIA_OFF:
        return 0.0
    if state in _MEDIA_PLAYING:
        return 1.0
    return 0.5


def _vacuum_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    return 1.0 if state in _VACUUM_ACTIVE else 0.0


def _cover_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    """Covers and valves draw power while their motor moves."""
    return 1.0 if state in _COVER_MOVING else 0.0


def _lock_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    """A lock's motor runs while it locks, unlocks or opens."""
    return 1.0 if state in _LOCK_MOVING else 0.0


def _mower_level(state: str, _attrs: Mapping[str, Any]) -> float | None:
    return 1.0 if state in _MOWER_ACTIVE else 0.0


def _kind_for(
    domain: str, old_attrs: Mapping[str, Any], new_attrs: Mapping[str, Any]
) -> tuple[TransitionKind, LevelFn] | None:
    """The transition kind and level function of a domain (None: not a power-relevant domain)."""
    if domain == "light":
        dimmable = (
            _number(old_attrs.get("brightness")) is not None
            or _number(new_attrs.get("brightness")) is not None
        )
        return (TransitionKind.BRIGHTNESS if dimmable else TransitionKind.ONOFF), _light_level
    if domain == "fan":
        speeds = (
            _number(old_attrs.get("percentage")) is not None
            or _number(new_attrs.get("percentage")) is not None
        )
        return (TransitionKind.FAN_SPEED if speeds else TransitionKind.ONOFF), _fan_level
    if domain in {"climate", "water_heater"}:
        return TransitionKind.HVAC_ACTION, _hvac_level
    if domain == "media_player":
        return TransitionKind.MEDIA, _media_level
    if domain == "vacuum":
        return TransitionKind.ONOFF, _vacuum_level
    if domain in {"cover", "valve"}:
        return TransitionKind.ONOFF, _cover_level
    if domain == "lock":
        return TransitionKind.ONOFF, _lock_level
    if domain == "lawn_mower":
        return TransitionKind.ONOFF, _mower_level
    if domain in {"switch", "humidifier", "input_boolean", "siren", "remote"}:
        return TransitionKind.ONOFF, _onoff_level
    return None


def level_of(domain: str, state: str, attrs: Mapping[str, Any]) -> float | None:
    """The device's level in this one state; None for unknown/unavailable or unknowable.

    None also for a domain that is not power-relevant and for states that say nothing about
    power (a climate entity reporting no hvac_action): guessing "off" there would book wrong
    energy until the next event.
    """
    if state in _INVALID_STATES:
        return None
    attrs = attrs or {}
    found = _kind_for(domain, attrs, attrs)
    if found is None:
        return None
    return found[1](state, attrs)


def classify_change(
    entity_id: str,
    domain: str,
    old_state: str | None,
    old_attrs: Mapping[str, Any],
    new_state: str | None,
    new_attrs: Mapping[str, Any],
    ts: float,
) -> DeviceEvent | None:
    """Turn one HA state change into a device event, or None when power cannot have changed."""
    if old_state is None or new_state is None:
        return None
    if old_state in _INVALID_STATES or new_state in _INVALID_STATES:
        return None
    found = _kind_for(domain, old_attrs or {}, new_attrs or {})
    if found is None:
        return None
    kind, level_fn = found
    previous_level = level_fn(old_state, old_attrs or {})
    level = level_fn(new_state, new_attrs or {})
    if previous_level is None or level is None or previous_level == level:
        return None
    return DeviceEvent(
        entity_id=entity_id,
        ts=ts,
        domain=domain,
        kind=kind,
        previous_state=old_state,
        state=new_state,
        previous_level=previous_level,
        level=level,
    )

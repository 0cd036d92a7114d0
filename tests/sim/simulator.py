"""A seeded home: real power steps, the meter that samples them, and HA's view of both."""

import bisect
from collections import Counter
from collections.abc import Iterator
import heapq
from typing import Any

import numpy as np

from .models import ApplianceSpec, DeviceTruth, MeterSample, SimConfig, StateChange
from .power import base_load, device_power, fridge_power, solar_power
from .schedule import Episode, plan_episodes

OVERLAP_WINDOW_S = 40.0  # two HA events closer than this share an engine window


class HomeSimulator:
    """Deterministic per seed: the same config always yields the same records."""

    def __init__(self, config: SimConfig) -> None:
        """Plan the day; records are built on first use."""
        self.config = config
        self._rng = np.random.default_rng(config.seed)
        self._episodes = plan_episodes(config, self._rng)
        self._changes: list[StateChange] | None = None
        self._samples: list[MeterSample] | None = None
        self._truth: dict[tuple[str, float], float] | None = None

    @property
    def truth(self) -> dict[str, DeviceTruth]:
        """What each watched device really draws."""
        apparent = self.config.apparent_power
        modes = [self._modes_by_use(index, spec) for index, spec in enumerate(self.config.devices)]
        return {
            spec.entity_id: DeviceTruth(
                spec.entity_id,
                spec.domain,
                modes[index][0] if modes[index] else spec.mean_power_w,
                spec.standby_w,
                spec.kind,
                spec.variable_w is not None,
                modes[index],
                spec.apparent_factor if apparent else 1.0,
                spec.pulse,
                spec.resistive,
            )
            for index, spec in enumerate(self.config.devices)
        }

    def _modes_by_use(self, index: int, spec: ApplianceSpec) -> tuple[float, ...]:
        """A device's mode powers, the one its episodes used most first."""
        used = Counter(e.power_w for e in self._episodes if e.device == index and e.power_w)
        return tuple(sorted((m.power_w for m in spec.modes), key=lambda w: (-used[w], -w)))

    @property
    def event_truth(self) -> dict[tuple[str, float], float]:
        """(entity_id, HA time) of each device event -> the step the meter really saw (W).

        Steady draw after minus before (standby when off; apparent factor included); variable
        loads are left out (their step depends on the moment).
        """
        self._build()
        assert self._truth is not None
        return self._truth

    @property
    def state_changes(self) -> list[StateChange]:
        """Every watched entity's state changes (first: its appearance at the start)."""
        self._build()
        assert self._changes is not None
        return self._changes

    @property
    def meter_samples(self) -> list[MeterSample]:
        """The meter's readings as HA receives them."""
        self._build()
        assert self._samples is not None
        return self._samples

    def records(self) -> Iterator[MeterSample | StateChange]:
        """Meter samples and state changes merged in time order."""
        return heapq.merge(self.meter_samples, self.state_changes, key=lambda r: r.ts)

    def overlap_share(self, window_s: float = OVERLAP_WINDOW_S) -> float:
        """Share of device events with another device's event within `window_s` (HA times)."""
        events = sorted((c.ts, c.entity_id) for c in self.state_changes if _is_event(c))
        times = [ts for ts, _ in events]
        hits = 0
        for ts, entity in events:
            lo = bisect.bisect_left(times, ts - window_s)
            hi = bisect.bisect_right(times, ts + window_s)
            hits += any(events[k][1] != entity for k in range(lo, hi))
        return hits / len(events) if events else 0.0

    # --- building ------------------------------------------------------------------------
    def _build(self) -> None:
        if self._samples is not None:
            return
        cfg = self.config
        rng = self._rng
        steps_by_device: list[list[tuple[float, float, float]]] = [[] for _ in cfg.devices]
        for episode in self._episodes:
            full_w = episode.power_w
            if full_w is None:
                full_w = cfg.devices[episode.device].power_w
            steps_by_device[episode.device].extend((s.t, s.level, full_w) for s in episode.steps)
        for steps in steps_by_device:
            steps.sort()
        steps_by_device = [
            [(t, _quantised(spec, level), full_w) for t, level, full_w in steps]
            for spec, steps in zip(cfg.devices, steps_by_device, strict=True)
        ]
        self._changes = self._build_changes(steps_by_device, rng)
        self._samples = self._build_samples(steps_by_device, rng)

    def _build_samples(
        self, steps_by_device: list[list[tuple[float, float, float]]], rng: np.random.Generator
    ) -> list[MeterSample]:
        cfg = self.config
        lo, hi = cfg.meter_interval_s
        n = int(cfg.duration_s / lo) + 2
        intervals = rng.uniform(lo, hi, n)
        if cfg.meter_dropout_s is not None:  # an irregular wireless meter loses reports
            missing = rng.random(n) < cfg.dropout_chance
            intervals[missing] = rng.uniform(*cfg.meter_dropout_s, int(missing.sum()))
        sample_t = np.cumsum(intervals) - float(rng.uniform(0.0, lo))
        sample_t = sample_t[(sample_t >= 0) & (sample_t < cfg.duration_s)]
        total = base_load(sample_t, cfg.duration_s, cfg.base_load_w, cfg.base_wander_pct, rng)
        if cfg.fridge:
            total += fridge_power(sample_t, cfg.duration_s, cfg.fridge_w, rng)
        for spec, steps in zip(cfg.devices, steps_by_device, strict=True):
            factor = spec.apparent_factor if cfg.apparent_power else 1.0
            total += device_power(spec, steps, sample_t, rng) * factor
        total *= 1.0 + rng.normal(0.0, cfg.noise_pct / 100.0, len(total))
        if cfg.noise_w > 0:
            total += rng.normal(0.0, cfg.noise_w, len(total))
        if cfg.solar_peak_w > 0:  # a net meter: negative while the home exports
            total -= solar_power(sample_t, cfg.start_ts, cfg.solar_peak_w, rng)
        else:
            total = np.maximum(total, 0.0)
        watts = np.round(total, 1)
        delay = cfg.meter_delay_s * rng.uniform(0.5, 1.5, len(sample_t))
        report_t = np.maximum.accumulate(sample_t + delay) + cfg.start_ts
        keep = np.ones(len(sample_t), dtype=bool)
        gap_marks: list[MeterSample] = []
        for start, end in cfg.gaps:
            keep &= (sample_t < start) | (sample_t >= end)
            gap_marks.append(MeterSample(cfg.start_ts + start, cfg.meter_id, None))
        samples = [
            MeterSample(float(t), cfg.meter_id, float(w))
            for t, w in zip(report_t[keep], watts[keep], strict=True)
        ]
        return sorted([*samples, *gap_marks], key=lambda s: s.ts)

    def _build_changes(
        self, steps_by_device: list[list[tuple[float, float, float]]], rng: np.random.Generator
    ) -> list[StateChange]:
        cfg = self.config
        changes: list[StateChange] = []
        self._truth = {}
        for spec, steps in zip(cfg.devices, steps_by_device, strict=True):
            timeline: list[tuple[float, float | None]] = []
            factor = spec.apparent_factor if cfg.apparent_power else 1.0
            drawn = spec.standby_w
            for t, level, full_w in steps:
                ts = cfg.start_ts + t + float(rng.uniform(*cfg.report_skew_s))
                timeline.append((ts, level))
                now_w = full_w * level if level > 0 else spec.standby_w
                if spec.variable_w is None:
                    self._truth[spec.entity_id, ts] = (now_w - drawn) * factor
                drawn = now_w
            if cfg.attribute_chatter and spec.domain == "climate":
                t = float(rng.uniform(0.0, 600.0))
                while t < cfg.duration_s:
                    timeline.append((cfg.start_ts + t, None))  # temperature update only
                    t += float(rng.uniform(300.0, 900.0))
            timeline.sort(key=lambda item: item[0])
            level = 0.0
            temp = 20.0
            state, attrs = _ha_state(spec, level, temp)
            changes.append(
                StateChange(cfg.start_ts, spec.entity_id, spec.domain, None, {}, state, attrs)
            )
            for ts, new_level in timeline:
                if new_level is None:
                    temp = round(temp + float(rng.normal(0.0, 0.2)), 1)
                else:
                    level = new_level
                new_state, new_attrs = _ha_state(spec, level, temp)
                changes.append(
                    StateChange(ts, spec.entity_id, spec.domain, state, attrs, new_state, new_attrs)
                )
                state, attrs = new_state, new_attrs
        changes.sort(key=lambda c: c.ts)
        return changes

    @property
    def episodes(self) -> list[Episode]:
        """The planned episodes (real step times from the start), for tests and diagnostics."""
        return self._episodes


def _is_event(change: StateChange) -> bool:
    """A state change that changes power (not an appearance, not attribute chatter)."""
    if change.old_state is None:
        return False
    if change.domain == "climate":
        return change.old_attrs.get("hvac_action") != change.new_attrs.get("hvac_action")
    return change.old_state != change.new_state or change.old_attrs != change.new_attrs


def _quantised(spec: ApplianceSpec, level: float) -> float:
    """The level HA can express (brightness 0..255, percentage 0..100)."""
    if level <= 0:
        return 0.0
    if spec.kind == "brightness":
        return max(round(level * 255), 1) / 255
    if spec.kind == "fan_speed":
        return max(round(level * 100), 1) / 100
    return level


def _ha_state(spec: ApplianceSpec, level: float, temp: float) -> tuple[str, dict[str, Any]]:
    """State and attributes HA shows for a device at a level."""
    name = spec.entity_id.split(".", 1)[1].replace("_", " ").title()
    attrs: dict[str, Any] = {"friendly_name": name}
    on = level > 0
    if spec.domain == "light":
        modes = ["brightness"] if spec.kind == "brightness" else ["onoff"]
        attrs["supported_color_modes"] = modes
        attrs["color_mode"] = modes[0] if on else None
        if spec.kind == "brightness":
            attrs["brightness"] = round(level * 255) if on else None
        return ("on" if on else "off"), attrs
    if spec.domain == "fan":
        attrs["percentage"] = round(level * 100) if on else 0
        attrs["percentage_step"] = 100 / 3
        return ("on" if on else "off"), attrs
    if spec.domain == "climate":
        attrs |= {
            "hvac_modes": ["off", "heat"],
            "hvac_action": "heating" if on else "idle",
            "current_temperature": temp,
            "temperature": 21.0,
        }
        return "heat", attrs
    if spec.domain == "media_player":
        if on:
            attrs |= {"source": "HDMI 1", "volume_level": 0.3, "media_content_type": "video"}
        return ("playing" if on else "off"), attrs
    return ("on" if on else "off"), attrs

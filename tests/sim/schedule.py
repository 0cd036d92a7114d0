"""When each device changes level: episodes spread over the day, apart or deliberately overlapped.

Times here are real power-step times in seconds from the start of the simulation. Non-overlapped
steps keep `min_separation_s` from every other device's steps, so the overlap share is the one
configured rather than whatever chance produces.
"""

import bisect
from dataclasses import dataclass, field

import numpy as np

from .models import ApplianceSpec, SimConfig

MARGIN_S = 300.0  # no events in the first/last 5 min (the engine needs history)


@dataclass
class Step:
    """One level change of one device (one HA state change)."""

    device: int
    t: float
    level: float
    overlapped: bool = False


@dataclass
class Episode:
    """From switching on to switching off (or the end) of one device, within its own segment."""

    device: int
    lo: float  # segment bounds the episode must stay in
    hi: float
    steps: list[Step] = field(default_factory=list)
    power_w: float | None = None  # the mode this episode runs in (devices with modes)


class _Index:
    """Sorted step times of all devices, for 'is anything near t' checks."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.owner: list[int] = []

    def add(self, t: float, device: int) -> None:
        i = bisect.bisect_left(self.times, t)
        self.times.insert(i, t)
        self.owner.insert(i, device)

    def remove(self, t: float) -> None:
        i = bisect.bisect_left(self.times, t)
        del self.times[i]
        del self.owner[i]

    def nearest_other(self, t: float, device: int, within: float) -> float:
        """Distance to the nearest step of another device (capped at `within`)."""
        lo = bisect.bisect_left(self.times, t - within)
        hi = bisect.bisect_right(self.times, t + within)
        best = within
        for i in range(lo, hi):
            if self.owner[i] != device:
                best = min(best, abs(self.times[i] - t))
        return best


def _episode_levels(spec: ApplianceSpec, rng: np.random.Generator, remaining: int) -> list[float]:
    """Levels of one episode's steps: on (+ a level change) + off, or a last 'on' left on."""
    level = float(rng.choice(spec.levels))
    if remaining >= 3 and len(spec.levels) > 1 and rng.random() < spec.level_changes:
        other = float(rng.choice([lv for lv in spec.levels if lv != level]))
        return [level, other, 0.0]
    if remaining >= 2:
        return [level, 0.0]
    return [level]


def plan_episodes(config: SimConfig, rng: np.random.Generator) -> list[Episode]:
    """Episodes of every device, placed apart from each other where possible."""
    sep = config.min_separation_s
    index = _Index()
    episodes: list[Episode] = []
    per_device: list[list[list[float]]] = []
    for spec in config.devices:
        levels_list: list[list[float]] = []
        remaining = config.events_per_device
        while remaining > 0:
            levels = _episode_levels(spec, rng, remaining)
            levels_list.append(levels)
            remaining -= len(levels)
        per_device.append(levels_list)

    span = max(config.duration_s - 2 * MARGIN_S, 1.0)
    for device, (spec, levels_list) in enumerate(zip(config.devices, per_device, strict=True)):
        n = len(levels_list)
        seg = span / n
        for k, levels in enumerate(levels_list):
            lo = MARGIN_S + k * seg
            hi = lo + seg
            episode = Episode(device, lo, hi)
            durations = spec.on_duration_s
            if spec.modes:
                weights = np.array([mode.weight for mode in spec.modes])
                mode = spec.modes[int(rng.choice(len(spec.modes), p=weights / weights.sum()))]
                episode.power_w, durations = mode.power_w, mode.on_duration_s
            offsets = _offsets(durations, levels, rng, seg, sep, open_end=hi - lo)
            best: tuple[float, float] | None = None
            for _ in range(400):
                start = lo + rng.random() * max(hi - lo - offsets[-1], 0.0)
                worst = min(index.nearest_other(start + o, device, sep) for o in offsets)
                if best is None or worst > best[1]:
                    best = (start, worst)
                if worst >= sep:
                    break
            assert best is not None
            for offset, level in zip(offsets, levels, strict=True):
                step = Step(device, best[0] + offset, level)
                episode.steps.append(step)
                index.add(step.t, device)
            episodes.append(episode)
    _make_overlaps(config, rng, episodes, index)
    return episodes


def _offsets(
    on_duration_s: tuple[float, float],
    levels: list[float],
    rng: np.random.Generator,
    seg: float,
    sep: float,
    open_end: float,
) -> list[float]:
    """Step offsets from the episode start; on-durations shrink to fit the segment."""
    if len(levels) == 1:
        return [0.0]
    duration = float(rng.uniform(*on_duration_s))
    duration = min(duration, 0.85 * seg, open_end)
    if len(levels) == 2:
        return [0.0, duration]
    duration = max(duration, 2.2 * sep)
    middle = float(rng.uniform(sep * 1.1, duration - sep * 1.1))
    return [0.0, middle, duration]


def _make_overlaps(
    config: SimConfig, rng: np.random.Generator, episodes: list[Episode], index: _Index
) -> None:
    """Move steps next to other devices' steps until the configured share is overlapped."""
    steps = [(episode, i) for episode in episodes for i in range(len(episode.steps))]
    if not steps or config.overlap_fraction <= 0:
        return
    target = round(config.overlap_fraction * len(steps))
    sep = config.min_separation_s
    overlapped = 0
    for _ in range(50 * len(steps)):
        if overlapped + 2 > target:
            break
        episode, i = steps[int(rng.integers(len(steps)))]
        mover = episode.steps[i]
        anchor_episode, j = steps[int(rng.integers(len(steps)))]
        anchor = anchor_episode.steps[j]
        if mover.overlapped or anchor.overlapped or anchor.device == mover.device:
            continue
        distance = float(rng.uniform(*config.overlap_within_s)) * (1 if rng.random() < 0.5 else -1)
        if _move_step(episode, i, anchor.t + distance, index, sep) or _shift_episode(
            episode, i, anchor.t + distance, index, sep
        ):
            mover.overlapped = anchor.overlapped = True
            overlapped += 2


def _move_step(episode: Episode, i: int, new_t: float, index: _Index, sep: float) -> bool:
    """Move one step alone, keeping the device's own steps in order and apart."""
    steps = episode.steps
    prev_t = steps[i - 1].t + sep if i > 0 else episode.lo
    next_t = steps[i + 1].t - sep if i + 1 < len(steps) else episode.hi
    if not prev_t <= new_t <= next_t:
        return False
    step = steps[i]
    index.remove(step.t)
    # only the anchor may be near: nothing else within sep of the new place but it
    if _crowded(index, new_t, step.device, sep):
        index.add(step.t, step.device)
        return False
    step.t = new_t
    index.add(new_t, step.device)
    return True


def _shift_episode(episode: Episode, i: int, new_t: float, index: _Index, sep: float) -> bool:
    """Shift a whole episode so step i lands at new_t; other steps must stay clear."""
    if any(step.overlapped for step in episode.steps):
        return False  # would pull an earlier overlap apart
    shift = new_t - episode.steps[i].t
    first, last = episode.steps[0].t + shift, episode.steps[-1].t + shift
    if first < episode.lo or last > episode.hi:
        return False
    device = episode.steps[0].device
    for step in episode.steps:
        index.remove(step.t)
    ok = _crowded(index, new_t, device, sep) is False and all(
        index.nearest_other(step.t + shift, device, sep) >= sep
        for k, step in enumerate(episode.steps)
        if k != i
    )
    for step in episode.steps:
        if ok:
            step.t += shift
        index.add(step.t, device)
    return ok


def _crowded(index: _Index, t: float, device: int, sep: float) -> bool:
    """More than one other device's step within sep of t (the anchor is allowed)."""
    lo = bisect.bisect_left(index.times, t - sep)
    hi = bisect.bisect_right(index.times, t + sep)
    return sum(1 for k in range(lo, hi) if index.owner[k] != device) > 1

"""True power of the home at the meter's sampling instants (numpy, vectorised per interval)."""

import numpy as np

from .models import ApplianceSpec

BASE_GRID_S = 10.0  # the wandering base load is a random walk on this grid, interpolated
BASE_TAU_S = 1800.0  # how slowly it returns to its mean


def base_load(
    sample_t: np.ndarray,
    duration_s: float,
    mean_w: float,
    spread_pct: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """A slowly wandering base load (Ornstein-Uhlenbeck around `mean_w`)."""
    n = int(duration_s / BASE_GRID_S) + 2
    sigma = mean_w * spread_pct / 100.0
    alpha = np.exp(-BASE_GRID_S / BASE_TAU_S)
    shocks = rng.normal(0.0, sigma * np.sqrt(1 - alpha * alpha), n)
    walk = np.empty(n)
    walk[0] = rng.normal(0.0, sigma)
    for i in range(1, n):
        walk[i] = alpha * walk[i - 1] + shocks[i]
    grid = np.arange(n) * BASE_GRID_S
    return np.maximum(mean_w + np.interp(sample_t, grid, walk), 0.2 * mean_w)


def fridge_power(
    sample_t: np.ndarray, duration_s: float, watts: float, rng: np.random.Generator
) -> np.ndarray:
    """An unwatched compressor: ~15 min on, ~30 min off, inrush at each start."""
    power = np.zeros_like(sample_t)
    t = -float(rng.uniform(0.0, 2700.0))
    while t < duration_s:
        on = float(rng.uniform(720.0, 1080.0))
        off = float(rng.uniform(1500.0, 2100.0))
        i0, i1 = np.searchsorted(sample_t, [t, t + on])
        seg = sample_t[i0:i1]
        power[i0:i1] = watts * np.where(seg - t < 1.0, 4.0, 1.0)
        t += on + off
    return power


def solar_power(
    sample_t: np.ndarray, start_ts: float, peak_w: float, rng: np.random.Generator
) -> np.ndarray:
    """Solar production: a daytime arc (06:00-20:00 UTC, peak at 13:00) with slow clouds."""
    hours = ((sample_t + start_ts) % 86_400.0) / 3600.0
    arc = np.clip(np.sin(np.pi * (hours - 6.0) / 14.0), 0.0, None)
    n = int((sample_t[-1] if len(sample_t) else 0.0) / 60.0) + 2
    clouds = np.empty(n)
    clouds[0] = 0.0
    alpha = np.exp(-60.0 / 900.0)  # clouds change over a quarter of an hour
    shocks = rng.normal(0.0, 0.15 * np.sqrt(1 - alpha * alpha), n)
    for i in range(1, n):
        clouds[i] = alpha * clouds[i - 1] + shocks[i]
    factor = np.clip(1.0 - np.abs(np.interp(sample_t, np.arange(n) * 60.0, clouds)), 0.2, 1.0)
    return peak_w * arc * factor


def device_power(
    spec: ApplianceSpec,
    steps: list[tuple[float, float, float]],
    sample_t: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw of one device at each sample time, given its (time, level, full power) steps."""
    power = np.full(len(sample_t), spec.standby_w)
    previous_w = spec.standby_w
    for j, (t, level, full_w) in enumerate(steps):
        t_end = steps[j + 1][0] if j + 1 < len(steps) else np.inf
        i0, i1 = np.searchsorted(sample_t, [t, t_end])
        seg = sample_t[i0:i1] - t
        if level <= 0:
            power[i0:i1] = spec.standby_w
            previous_w = spec.standby_w
            continue
        target = _steady(spec, level, full_w, seg, rng)
        from_off = previous_w <= spec.standby_w
        ramp = float(rng.uniform(*spec.ramp_s))
        if ramp > 0:
            frac = np.clip(seg / ramp, 0.0, 1.0)
            target = previous_w + (target - previous_w) * frac
        if from_off and spec.inrush_s > 0:
            target = np.where(seg < spec.inrush_s, target * spec.inrush_factor, target)
        power[i0:i1] = target
        previous_w = full_w * level
    return power


def _steady(
    spec: ApplianceSpec, level: float, full_w: float, seg: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Steady draw while on: constant, or cycling segments for variable loads."""
    if spec.variable_w is None:
        return np.full(len(seg), full_w * level)
    draw = np.empty(len(seg))
    t = 0.0
    i = 0
    while i < len(seg):
        length = float(rng.uniform(*spec.variable_segment_s))
        j = int(np.searchsorted(seg, t + length))
        draw[i:j] = rng.uniform(*spec.variable_w) * level
        i, t = j, t + length
    return draw

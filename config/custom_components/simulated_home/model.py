"""A seeded physical model of a home's electricity use, free of Home Assistant.

Time is always passed in (seconds, any epoch), so the same model runs live under
`scripts/develop` and under frozen time in tests.
"""

from dataclasses import dataclass, field
from enum import StrEnum
import math
import random

NOISE_PCT = 1.5  # meter noise, percent of the true power (one sigma)
BASE_LOAD_MEAN_W = 180.0  # routers, standby, clocks
BASE_LOAD_SIGMA_W = 35.0
BASE_LOAD_TAU_S = 600.0  # how slowly the base load wanders back to its mean


class Kind(StrEnum):
    """How an appliance draws power while on."""

    CONSTANT = "constant"
    RAMP = "ramp"  # resistive heater warming up and cooling down
    DIMMABLE = "dimmable"  # draw follows brightness
    WASHER = "washer"  # fill, heat, then a tumbling drum


@dataclass(kw_only=True)
class Appliance:
    """One simulated device a user can switch; `watts` is its nominal draw when fully on."""

    key: str
    name: str
    kind: Kind
    watts: float
    standby_w: float = 0.0
    ramp_s: float = 20.0  # time constant of a RAMP appliance
    auto_off_s: float | None = None  # the kettle switches itself off when boiled
    on: bool = False
    level: float = 1.0  # brightness 0..1 of a DIMMABLE appliance
    changed_at: float = 0.0
    power_at_change: float = 0.0

    def power(self, now: float, rng: random.Random) -> float:
        """True draw at `now` (W), before meter noise."""
        elapsed = max(0.0, now - self.changed_at)
        if self.kind is Kind.RAMP:
            if self.on:
                target = self.watts
                return target + (self.power_at_change - target) * math.exp(-elapsed / self.ramp_s)
            return self.power_at_change * math.exp(-elapsed / (self.ramp_s / 4))
        if not self.on:
            return self.standby_w
        if self.kind is Kind.DIMMABLE:
            # LED drivers: a small fixed loss plus a share proportional to brightness.
            return self.watts * (0.08 + 0.92 * self.level)
        if self.kind is Kind.WASHER:
            if elapsed < 20:
                return 80.0  # pump filling
            if elapsed < 140:
                return 1900.0 + rng.gauss(0.0, 40.0)  # heating the water
            drum = 300.0 + 180.0 * math.sin(2 * math.pi * elapsed / 40.0)
            return max(60.0, drum + rng.gauss(0.0, 30.0))
        return self.watts


def default_appliances() -> list[Appliance]:
    """The devices of the simulated home; keys become entity ids under `scripts/develop`."""
    return [
        Appliance(key="kettle", name="Kettle", kind=Kind.CONSTANT, watts=2000.0, auto_off_s=150.0),
        Appliance(key="heater", name="Heater", kind=Kind.RAMP, watts=1500.0, ramp_s=20.0),
        Appliance(key="tv", name="TV", kind=Kind.CONSTANT, watts=120.0, standby_w=0.5),
        Appliance(key="living_room_lamp", name="Living room lamp", kind=Kind.DIMMABLE, watts=60.0),
        Appliance(key="desk_lamp", name="Desk lamp", kind=Kind.CONSTANT, watts=25.0),
        Appliance(key="hall_light", name="Hall light", kind=Kind.CONSTANT, watts=9.0),
        Appliance(key="washing_machine", name="Washing machine", kind=Kind.WASHER, watts=2000.0),
    ]


@dataclass(kw_only=True)
class Fridge:
    """An unwatched compressor that cycles on its own: the noise a real home adds."""

    watts: float = 120.0
    inrush_w: float = 350.0
    inrush_s: float = 2.0
    on: bool = False
    next_switch: float | None = None
    changed_at: float = 0.0

    def step(self, now: float, rng: random.Random) -> bool:
        """Advance the thermostat; return True when the compressor switched."""
        if self.next_switch is None:
            self.next_switch = now + rng.uniform(60.0, 300.0)
            return False
        if now < self.next_switch:
            return False
        self.on = not self.on
        self.changed_at = now
        self.next_switch = now + (rng.uniform(240, 420) if self.on else rng.uniform(480, 900))
        return True

    def power(self, now: float) -> float:
        """True draw at `now` (W)."""
        if not self.on:
            return 0.0
        return self.inrush_w if now - self.changed_at < self.inrush_s else self.watts


@dataclass(kw_only=True)
class SimulatedHome:
    """The whole home: appliances, fridge, a wandering base load and a noisy meter."""

    seed: int | None = None
    appliances: dict[str, Appliance] = field(default_factory=dict)
    fridge: Fridge = field(default_factory=Fridge)
    base_load_w: float = BASE_LOAD_MEAN_W
    energy_kwh: float = 0.0
    meter_w: float = 0.0
    last_step: float | None = None

    def __post_init__(self) -> None:
        """Seed the random source and fill in the default appliances."""
        self.rng = random.Random(self.seed)
        if not self.appliances:
            self.appliances = {a.key: a for a in default_appliances()}

    def set_on(self, key: str, on: bool, now: float, level: float | None = None) -> None:
        """Switch an appliance (and set its brightness), as a user would."""
        appliance = self.appliances[key]
        appliance.power_at_change = appliance.power(now, self.rng)
        if on != appliance.on:
            appliance.changed_at = now
        appliance.on = on
        if level is not None:
            appliance.level = min(1.0, max(0.0, level))

    def true_power(self, now: float) -> float:
        """Power actually drawn at `now` (W), without meter noise."""
        devices = sum(a.power(now, self.rng) for a in self.appliances.values())
        return self.base_load_w + devices + self.fridge.power(now)

    def step(self, now: float) -> list[str]:
        """Advance to `now`: wander the base load, run the fridge, auto-off, read the meter.

        Returns the keys of appliances that switched themselves off.
        """
        dt = 0.0 if self.last_step is None else max(0.0, now - self.last_step)
        # Ornstein-Uhlenbeck walk: drifts, but always back towards the mean.
        pull = math.exp(-dt / BASE_LOAD_TAU_S)
        spread = BASE_LOAD_SIGMA_W * math.sqrt(1 - pull * pull)
        self.base_load_w = BASE_LOAD_MEAN_W + (self.base_load_w - BASE_LOAD_MEAN_W) * pull
        self.base_load_w = max(60.0, self.base_load_w + self.rng.gauss(0.0, spread))
        self.fridge.step(now, self.rng)
        switched_off = [
            a.key
            for a in self.appliances.values()
            if a.on and a.auto_off_s is not None and now - a.changed_at >= a.auto_off_s
        ]
        for key in switched_off:
            self.set_on(key, False, now)
        true_w = self.true_power(now)
        self.energy_kwh += self.meter_w * dt / 3_600_000  # the last reading held until now
        self.meter_w = round(max(0.0, true_w * (1 + self.rng.gauss(0.0, NOISE_PCT / 100))), 1)
        self.last_step = now
        return switched_off

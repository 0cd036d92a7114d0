"""Plain records and settings of the home simulator (what it emits and what it is told)."""

from dataclasses import dataclass, field
from typing import Any

SIM_START_TS = 1_780_272_000.0  # 2026-06-01 00:00 UTC: records start here


@dataclass(frozen=True)
class MeterSample:
    """One meter reading as HA receives it; `watts` None = the meter became unavailable."""

    ts: float
    meter_id: str
    watts: float | None


@dataclass(frozen=True)
class StateChange:
    """One state change of a watched entity, as HA would report it (old_state None = appeared)."""

    ts: float
    entity_id: str
    domain: str
    old_state: str | None
    old_attrs: dict[str, Any]
    new_state: str
    new_attrs: dict[str, Any]


@dataclass(frozen=True)
class DeviceTruth:
    """What a perfect learner would find: power at level 1 (full brightness, 100 %, heating)."""

    entity_id: str
    domain: str
    power_w: float  # real power; of the most frequent mode for a device with modes
    standby_w: float
    kind: str  # "onoff" | "brightness" | "fan_speed" | "hvac_action" | "media"
    variable: bool = False  # draw varies while on (power_w is then its time-weighted mean)
    modes: tuple[float, ...] = ()  # real powers of its modes, most frequent first
    metered_factor: float = 1.0  # what the meter shows / real power (apparent-power meters)
    pulse: bool = False  # on for at most a minute at a time
    resistive: bool = False  # a steady resistive load (no inrush, no motor, no variation)

    @property
    def metered_w(self) -> float:
        """What the meter itself shows for this device's step."""
        return self.power_w * self.metered_factor


@dataclass(frozen=True)
class ModeSpec:
    """One way a device with several loads behind one switch runs (an episode picks one)."""

    power_w: float
    weight: float  # relative frequency
    on_duration_s: tuple[float, float]


@dataclass(frozen=True)
class ApplianceSpec:
    """How one watched device behaves electrically and how people use it.

    Levels are 0..1 (brightness/255, percentage/100); power at a level is `power_w * level`.
    """

    entity_id: str
    domain: str
    kind: str
    power_w: float
    standby_w: float = 0.0
    on_duration_s: tuple[float, float] = (120.0, 900.0)
    inrush_factor: float = 1.0  # power multiplier right after switching on (motors)
    inrush_s: float = 0.0
    ramp_s: tuple[float, float] = (0.0, 0.0)  # time to reach full power (heaters)
    variable_w: tuple[float, float] | None = None  # (min, max) draw cycling while on
    variable_segment_s: tuple[float, float] = (60.0, 600.0)
    levels: tuple[float, ...] = (1.0,)  # levels an episode picks from (dimmers, fans)
    level_changes: float = 0.0  # chance an episode has a level change while on
    modes: tuple[ModeSpec, ...] = ()  # several loads behind one switch (power_w: the dominant)
    apparent_factor: float = 1.0  # an apparent-power meter reads this x the real power

    @property
    def resistive(self) -> bool:
        """A steady resistive load: no inrush, no ramp, no motor, no variation, one mode."""
        return (
            self.inrush_factor <= 1.1
            and self.apparent_factor == 1.0
            and self.variable_w is None
            and not self.modes
            and self.ramp_s[1] <= 5.0
        )

    @property
    def pulse(self) -> bool:
        """On for at most a minute at a time."""
        return (
            max(m.on_duration_s[1] for m in self.modes) <= 60.0
            if self.modes
            else (self.on_duration_s[1] <= 60.0)
        )

    @property
    def mean_power_w(self) -> float:
        """Time-weighted mean draw at level 1 (the truth for variable devices)."""
        if self.variable_w is None:
            return self.power_w
        return (self.variable_w[0] + self.variable_w[1]) / 2


def standard_home() -> list[ApplianceSpec]:
    """A typical home: big resistive and motor loads, lamps, a dimmer, a fan, TV, a thermostat."""
    return [
        ApplianceSpec(
            "switch.kettle",
            "switch",
            "onoff",
            2000.0,
            on_duration_s=(90.0, 240.0),
            inrush_factor=1.08,
            inrush_s=0.5,
        ),
        ApplianceSpec(
            "switch.dehumidifier",
            "switch",
            "onoff",
            280.0,
            on_duration_s=(600.0, 3600.0),
            inrush_factor=5.0,
            inrush_s=0.8,
        ),
        ApplianceSpec(
            "switch.vacuum_cleaner",
            "switch",
            "onoff",
            850.0,
            on_duration_s=(300.0, 1200.0),
            inrush_factor=2.5,
            inrush_s=1.0,
        ),
        ApplianceSpec(
            "switch.space_heater",
            "switch",
            "onoff",
            1500.0,
            on_duration_s=(900.0, 3600.0),
            ramp_s=(10.0, 20.0),
        ),
        ApplianceSpec(
            "switch.washing_machine",
            "switch",
            "onoff",
            1100.0,
            on_duration_s=(2400.0, 5400.0),
            variable_w=(200.0, 2000.0),
        ),
        ApplianceSpec(
            "media_player.tv",
            "media_player",
            "media",
            120.0,
            standby_w=1.0,
            on_duration_s=(900.0, 7200.0),
            inrush_factor=1.3,
            inrush_s=2.0,
        ),
        ApplianceSpec(
            "light.living_room",
            "light",
            "brightness",
            60.0,
            on_duration_s=(600.0, 7200.0),
            levels=(0.25, 0.5, 0.75, 1.0),
            level_changes=0.5,
        ),
        ApplianceSpec("light.kitchen", "light", "onoff", 40.0, on_duration_s=(300.0, 3600.0)),
        ApplianceSpec("light.bedroom", "light", "onoff", 25.0, on_duration_s=(300.0, 3600.0)),
        ApplianceSpec("light.desk", "light", "onoff", 18.0, on_duration_s=(600.0, 7200.0)),
        ApplianceSpec("light.hall", "light", "onoff", 9.0, on_duration_s=(120.0, 600.0)),
        ApplianceSpec(
            "fan.ceiling",
            "fan",
            "fan_speed",
            75.0,
            on_duration_s=(900.0, 5400.0),
            inrush_factor=1.5,
            inrush_s=1.0,
            levels=(1 / 3, 2 / 3, 1.0),
            level_changes=0.4,
        ),
        ApplianceSpec(
            "climate.boiler",
            "climate",
            "hvac_action",
            1000.0,
            on_duration_s=(300.0, 1800.0),
            ramp_s=(2.0, 5.0),
        ),
        ApplianceSpec(
            "switch.monitor", "switch", "onoff", 30.0, standby_w=0.5, on_duration_s=(1800.0, 7200.0)
        ),
    ]


@dataclass
class SimConfig:
    """Settings of one simulated home; every random choice follows from `seed`."""

    seed: int = 0
    duration_s: float = 86_400.0
    meter_id: str = "sensor.home_power"
    meter_interval_s: tuple[float, float] = (1.0, 2.0)  # min/max random cadence
    meter_delay_s: float = 0.5  # meter reading -> HA state (jitters 50-150 %)
    noise_pct: float = 1.5  # gaussian, of the true total power
    base_load_w: float = 250.0  # wanders around this (slow random walk)
    base_wander_pct: float = 10.0  # stationary spread of the wandering base load
    devices: list[ApplianceSpec] = field(default_factory=standard_home)
    events_per_device: int = 20
    overlap_fraction: float = 0.0  # share of events placed within a few s of another toggle
    overlap_within_s: tuple[float, float] = (0.5, 6.0)  # distance of an overlapped toggle
    min_separation_s: float = 90.0  # non-overlapped events keep this far from any other
    report_skew_s: tuple[float, float] = (-3.0, 3.0)  # HA state time minus real power step time
    fridge: bool = True  # unwatched compressor cycling on its own
    fridge_w: float = 120.0
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (start, end) s from start
    start_ts: float = SIM_START_TS
    attribute_chatter: bool = True  # attribute-only updates that must not count as events
    meter_dropout_s: tuple[float, float] | None = None  # irregular meter: a report goes missing
    dropout_chance: float = 0.1  # ...after this share of reports, for this long
    noise_w: float = 0.0  # gaussian noise in W (sd) on top of noise_pct
    apparent_power: bool = False  # the meter reads apparent power (motors read high)
    solar_peak_w: float = 0.0  # a net meter: solar production subtracted (may go negative)


def real_home() -> list[ApplianceSpec]:
    """The cases a real home's replay showed: short on-periods, modes, small lamps, motors."""
    return [
        ApplianceSpec("switch.kettle", "switch", "onoff", 2000.0, on_duration_s=(90.0, 240.0)),
        ApplianceSpec(
            "switch.microwave",
            "switch",
            "onoff",
            1800.0,
            modes=(ModeSpec(1800.0, 0.65, (25.0, 40.0)), ModeSpec(45.0, 0.35, (300.0, 900.0))),
        ),
        ApplianceSpec("switch.stove_burner", "switch", "onoff", 1200.0, on_duration_s=(20.0, 30.0)),
        ApplianceSpec(
            "switch.kitchen_outlet", "switch", "onoff", 900.0, on_duration_s=(35.0, 45.0)
        ),
        ApplianceSpec("switch.hair_dryer", "switch", "onoff", 1000.0, on_duration_s=(15.0, 60.0)),
        ApplianceSpec(
            "switch.space_heater", "switch", "onoff", 1500.0, on_duration_s=(600.0, 2400.0)
        ),
        ApplianceSpec("light.lamp_group", "light", "onoff", 290.0, on_duration_s=(600.0, 3600.0)),
        ApplianceSpec(
            "switch.dishwasher",
            "switch",
            "onoff",
            1200.0,
            modes=(ModeSpec(1200.0, 0.6, (300.0, 900.0)), ModeSpec(245.0, 0.4, (300.0, 900.0))),
        ),
        ApplianceSpec(
            "switch.dehumidifier",
            "switch",
            "onoff",
            280.0,
            on_duration_s=(600.0, 3600.0),
            inrush_factor=5.0,
            inrush_s=0.8,
            apparent_factor=1.35,
        ),
        ApplianceSpec(
            "switch.vacuum_cleaner",
            "switch",
            "onoff",
            850.0,
            on_duration_s=(300.0, 1200.0),
            inrush_factor=2.5,
            inrush_s=1.0,
            apparent_factor=1.3,
        ),
        ApplianceSpec(
            "media_player.tv",
            "media_player",
            "media",
            120.0,
            standby_w=1.0,
            on_duration_s=(900.0, 7200.0),
        ),
        ApplianceSpec("light.living_room", "light", "onoff", 60.0, on_duration_s=(600.0, 3600.0)),
    ]

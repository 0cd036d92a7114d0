"""A seeded, deterministic home simulator for engine tests and benchmarks (no HA import).

`HomeSimulator(SimConfig(seed=...)).records()` yields meter samples and HA state changes in time
order; `.truth` tells what each watched device really draws; `replay(engine, records)` feeds
them through an engine like the HA shell would.
"""

from .models import (
    SIM_START_TS,
    ApplianceSpec,
    DeviceTruth,
    MeterSample,
    ModeSpec,
    SimConfig,
    StateChange,
    real_home,
    standard_home,
)
from .replay import replay
from .simulator import HomeSimulator

__all__ = [
    "SIM_START_TS",
    "ApplianceSpec",
    "DeviceTruth",
    "HomeSimulator",
    "MeterSample",
    "ModeSpec",
    "SimConfig",
    "StateChange",
    "real_home",
    "replay",
    "standard_home",
]

"""Accuracy in the cases real homes show (issue 10): per meter cadence, ours vs naive.

A "real home" (tests.sim.real_home): short on-periods (15-60 s: microwave, stove burner,
kitchen outlet, hair dryer), two loads behind one switch (microwave, dishwasher), a 290 W lamp
group, a 60 W lamp, a TV and two motors, with an unwatched fridge and a wandering base load.
Each device switches 20 times in a day. For every meter cadence the table gives the learned
power's error per device class and the per-event error of the correlations, ours beside the
naive baseline (5 s before/after). Errors are against what the meter itself shows for the
step (the apparent-power meter reads motors 1.3-1.4x their real power).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
import statistics

from custom_components.energy_correlator.engine import (
    Correlation,
    Engine,
    EngineConfig,
    ProfileSummary,
    Status,
)
from tests.sim import ApplianceSpec, DeviceTruth, HomeSimulator, SimConfig, real_home, replay

from .naive import naive_event_deltas, naive_learn

SEEDS = (1, 2, 3, 4, 5)
MISS_PCT = 100.0  # an unlearned device in a class median
MODE_FOUND_PCT = 10.0  # a second mode counts as reported within this of its truth
NOISE_SEEDS = tuple(range(1, 21))

type ClassFn = Callable[[DeviceTruth], bool]
CLASSES: dict[str, ClassFn] = {
    "resistive >= 300 W": lambda t: t.resistive and not t.pulse and t.power_w >= 300,
    "pulses 15-60 s, >= 300 W": lambda t: t.resistive and t.pulse and t.power_w >= 300,
    "two modes (dominant)": lambda t: len(t.modes) > 1,
    "50-300 W": lambda t: 50 <= t.power_w < 300 and not t.modes,
}


@dataclass(frozen=True)
class HomeScenario:
    """One meter of the real home."""

    name: str
    interval_s: tuple[float, float]
    targets: dict[str, float] = field(default_factory=dict)  # class -> max median error %
    per_event_target: bool = True  # ours <= half the naive per-event error
    too_slow: bool = False  # expect flags, not numbers
    dropout_s: tuple[float, float] | None = None
    apparent: bool = False
    solar_w: float = 0.0


RESISTIVE_3 = {"resistive >= 300 W": 3.0, "pulses 15-60 s, >= 300 W": 3.0}
HOME_SCENARIOS = (
    HomeScenario("1 s", (0.9, 1.1), {**RESISTIVE_3, "two modes (dominant)": 5.0}),
    HomeScenario("2 s", (1.8, 2.2), {"two modes (dominant)": 5.0}),
    HomeScenario("5 s", (4.5, 5.5), {**RESISTIVE_3, "two modes (dominant)": 5.0}),
    HomeScenario("10 s", (9.5, 10.5), {**RESISTIVE_3, "two modes (dominant)": 5.0}),
    HomeScenario("20 s", (19.0, 21.0), {"resistive >= 300 W": 5.0}),
    HomeScenario("30 s", (29.0, 31.0), too_slow=True, per_event_target=False),
    HomeScenario("60 s", (58.0, 62.0), too_slow=True, per_event_target=False),
    HomeScenario(
        "irregular ~6 s, 12-25 s dropouts", (5.0, 7.0), {"lamp group": 3.0}, dropout_s=(12, 25)
    ),
    HomeScenario(
        "2 s, apparent-power meter (motors 1.3-1.4x, info)",
        (1.8, 2.2),
        per_event_target=False,
        apparent=True,
    ),
    HomeScenario(
        "2 s, net meter with 3 kW solar (info)", (1.8, 2.2), per_event_target=False, solar_w=3000.0
    ),
)


@dataclass
class HomeRun:
    """One seed of one scenario."""

    truth: dict[str, DeviceTruth]
    profiles: dict[str, ProfileSummary | None]
    naive: dict[str, float | None]
    correlations: list[Correlation]
    event_truth: dict[tuple[str, float], float]
    naive_events: dict[tuple[str, float], float]


def run_home(scenario: HomeScenario, seed: int) -> HomeRun:
    """Simulate the real home's day on this meter; learn it with ours and the naive design."""
    config = SimConfig(
        seed=seed,
        meter_interval_s=scenario.interval_s,
        devices=real_home(),
        meter_dropout_s=scenario.dropout_s,
        apparent_power=scenario.apparent,
        solar_peak_w=scenario.solar_w,
    )
    sim = HomeSimulator(config)
    records = list(sim.records())
    engine = Engine(EngineConfig(main_meter=config.meter_id))
    correlations = replay(engine, records)
    naive = naive_learn(records, config.meter_id)
    return HomeRun(
        sim.truth,
        {entity: engine.profile(entity) for entity in sim.truth},
        {entity: naive.get(entity) for entity in sim.truth},
        correlations,
        sim.event_truth,
        naive_event_deltas(records, config.meter_id),
    )


def _pct(value: float | None, truth: float) -> float | None:
    return None if value is None else abs(value - truth) / abs(truth) * 100.0


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def learned_errors(runs: list[HomeRun], members: Callable[[DeviceTruth], bool]) -> list[float]:
    """Learned-power errors (%) of the class over all seeds, a miss counting MISS_PCT."""
    errors: list[float] = []
    for run in runs:
        for entity, truth in run.truth.items():
            if not members(truth) or truth.variable:
                continue
            profile = run.profiles[entity]
            learned = None if profile is None else profile.learned_power_w
            error = _pct(learned, truth.metered_w)
            errors.append(MISS_PCT if error is None else error)
    return errors


def naive_errors(runs: list[HomeRun], members: Callable[[DeviceTruth], bool]) -> list[float]:
    """The naive design's learned-power errors (%) of the class."""
    errors: list[float] = []
    for run in runs:
        for entity, truth in run.truth.items():
            if members(truth) and not truth.variable:
                error = _pct(run.naive[entity], truth.metered_w)
                errors.append(MISS_PCT if error is None else error)
    return errors


def per_event(runs: list[HomeRun]) -> tuple[list[float], list[float], list[float], int]:
    """(ours on correlations that passed, ours on every delta, naive, events) per-event errors."""
    passed: list[float] = []
    every: list[float] = []
    naive: list[float] = []
    events = 0
    for run in runs:
        for key, truth in run.event_truth.items():
            if abs(truth) < 1.0:
                continue
            events += 1
            if (value := run.naive_events.get(key)) is not None:
                naive.append(abs(value - truth) / abs(truth) * 100.0)
        for corr in run.correlations:
            truth = run.event_truth.get((corr.entity_id, corr.ts))
            if truth is None or abs(truth) < 1.0 or corr.power_delta_w is None:
                continue
            error = abs(corr.power_delta_w - truth) / abs(truth) * 100.0
            every.append(error)
            if corr.status is Status.OK:
                passed.append(error)
    return passed, every, naive, events


def second_modes(runs: list[HomeRun]) -> tuple[int, int]:
    """(reported, expected): two-mode devices whose other mode is in the profile's modes."""
    found = expected = 0
    for run in runs:
        for entity, truth in run.truth.items():
            if len(truth.modes) < 2:
                continue
            expected += 1
            profile = run.profiles[entity]
            other = truth.modes[1] * truth.metered_factor
            if profile is not None and any(
                (_pct(mode.power_w, other) or MISS_PCT) <= MODE_FOUND_PCT
                for mode in profile.modes[1:]
            ):
                found += 1
    return found, expected


def interval_coverage(runs: list[HomeRun]) -> tuple[int, int]:
    """(held, profiles): learned powers whose 95 % interval (±1.96 uncertainty_w) holds the
    meter's true step. Near 95 % means the stated uncertainty is honest."""
    held = total = 0
    for run in runs:
        for entity, truth in run.truth.items():
            profile = run.profiles[entity]
            if truth.variable or profile is None or profile.learned_power_w is None:
                continue
            if profile.uncertainty_w is None:
                continue
            total += 1
            held += abs(profile.learned_power_w - truth.metered_w) <= 1.96 * profile.uncertainty_w
    return held, total


def _device_error(runs: list[HomeRun], entity: str) -> float | None:
    errors = [
        e
        for run in runs
        if (profile := run.profiles[entity]) is not None
        and (e := _pct(profile.learned_power_w, run.truth[entity].metered_w)) is not None
    ]
    return _median(errors)


def home_report(seeds: tuple[int, ...] = SEEDS) -> list[str]:
    """The per-cadence tables (learned power by class, per-event), with verdicts."""
    learned_rows: list[str] = []
    event_rows: list[str] = []
    verdicts: list[str] = []
    detail: list[str] = []
    for scenario in HOME_SCENARIOS:
        runs = [run_home(scenario, seed) for seed in seeds]
        cells: list[str] = []
        for name, members in CLASSES.items():
            ours = _median(learned_errors(runs, members))
            naive = _median(naive_errors(runs, members))
            cell = f"{_fmt(ours)} / {_fmt(naive)}"
            target = scenario.targets.get(name)
            if target is not None:
                ok = ours is not None and ours <= target
                verdicts.append(
                    f"| {scenario.name} | learned, {name} | {_fmt(ours)} % | <= {target:g} % "
                    f"| {'PASS' if ok else 'FAIL'} |"
                )
            cells.append(cell)
        found, expected = second_modes(runs)
        if "lamp group" in scenario.targets:
            error = _device_error(runs, "light.lamp_group")
            target = scenario.targets["lamp group"]
            ok = error is not None and error <= target
            verdicts.append(
                f"| {scenario.name} | learned, 290 W lamp group (vs the meter's step) "
                f"| {_fmt(error)} % | <= {target:g} % | {'PASS' if ok else 'FAIL'} |"
            )
        if scenario.apparent:
            for entity in ("switch.dehumidifier", "switch.vacuum_cleaner"):
                error = _fmt(_device_error(runs, entity))
                detail.append(
                    f"- {scenario.name}: {entity} learned within {error} % of what the meter "
                    "shows (real power x its factor)"
                )
        held, profiles = interval_coverage(runs)
        coverage = f"{held}/{profiles} ({held / profiles:.0%})" if profiles else "-"
        learned_rows.append(
            f"| {scenario.name} | {' | '.join(cells)} | {found}/{expected} | {coverage} |"
        )
        passed, every, naive_list, events = per_event(runs)
        ours_med, every_med, naive_med = _median(passed), _median(every), _median(naive_list)
        flagged = sum(
            1
            for run in runs
            for c in run.correlations
            if c.status in {Status.TOO_SLOW, Status.LOW_CONFIDENCE}
        )
        total = sum(len(run.correlations) for run in runs)
        taught = sum(1 for run in runs for c in run.correlations if c.learned)
        if scenario.too_slow:
            poisoned = [
                entity
                for run in runs
                for entity, profile in run.profiles.items()
                if profile is not None
                and profile.learned_power_w is not None
                and (_pct(profile.learned_power_w, run.truth[entity].metered_w) or 0) > 20
                and not run.truth[entity].variable
            ]
            ok = flagged >= 0.8 * total and not poisoned
            verdicts.append(
                f"| {scenario.name} | flagged, not guessed | {flagged}/{total} flagged, "
                f"{taught} taught, {len(poisoned)} profiles > 20 % off | most flagged, none "
                f"poisoned | {'PASS' if ok else 'FAIL'} |"
            )
        ratio = "-" if not ours_med or naive_med is None else f"{naive_med / ours_med:.1f}x"
        event_rows.append(
            f"| {scenario.name} | {_fmt(ours_med)} | {_fmt(naive_med)} | {ratio} "
            f"| {len(passed)}/{events} ({len(passed) / max(events, 1):.0%}) | {_fmt(every_med)} |"
        )
        if scenario.per_event_target:
            ok = ours_med is not None and naive_med is not None and ours_med <= 0.5 * naive_med
            verdicts.append(
                f"| {scenario.name} | per-event median error vs naive | {_fmt(ours_med)} % vs "
                f"{_fmt(naive_med)} % | <= half | {'PASS' if ok else 'FAIL'} |"
            )
        print(f"  ... {scenario.name} done", flush=True)
    names = " | ".join(f"{name}: ours / naive %" for name in CLASSES)
    return [
        "### Real-home cases per meter cadence (issue 10)",
        "",
        f"Real home (tests.sim.real_home, 12 devices, 20 events each in a day), seeds "
        f"{', '.join(map(str, seeds))}. Learned power: median absolute error of "
        f"learned_power_w against the meter's own step, an unlearned device counting "
        f"{MISS_PCT:g} %. Other mode reported: the second mode of two-mode devices is among the "
        f"profile's modes within {MODE_FOUND_PCT:g} %. The last column checks the stated "
        "uncertainty: the share of learned values whose 95 % interval holds the truth.",
        "",
        f"| meter | {names} | other mode reported | truth within ±1.96 uncertainty_w |",
        "|---|" + "---:|" * len(CLASSES) + "---:|---:|",
        *learned_rows,
        "",
        "Per event: median absolute error of each correlation's delta against the true step "
        "of that event. *ours* = correlations with status ok (what teaches and what the bus "
        "event marks trusted); *coverage* = their share of all events; *ours, every delta* = "
        "all our correlations that report a delta, whatever their status; naive = every event.",
        "",
        "| meter | ours % | naive % | naive / ours | coverage | ours, every delta % |",
        "|---|---:|---:|---:|---:|---:|",
        *event_rows,
        "",
        *detail,
        "",
        "| meter | check | measured | target | result |",
        "|---|---|---|---|---|",
        *verdicts,
        "",
    ]


def small_device_report(seeds: tuple[int, ...] = NOISE_SEEDS) -> list[str]:
    """A 60 W lamp after 3 clean cycles on a 2 s meter with ±25 W noise: has it its sensors?"""
    lines = [
        "### A 60 W lamp after 3 clean on/off cycles (2 s meter, ±25 W noise)",
        "",
        "Sensors appear at confidence >= 0.5, i.e. the learned value within ±10 % (or ±5 W) at "
        "95 %. Noise is gaussian in W; clean: a steady 250 W base and nothing else switching "
        "(no fridge); wandering: the base load drifts as in the other scenarios (10 % sd, "
        "30 min), which adds a few W of its own to every event.",
        "",
        "| noise | seeds with sensors after 3 cycles | median error | median uncertainty_w "
        "| target | result |",
        "|---|---:|---:|---:|---|---|",
    ]
    variants = (
        (12.5, 0.0, "±25 W at 95 % (sd 12.5 W), clean", True),
        (12.5, 10.0, "±25 W at 95 % (sd 12.5 W), wandering base", False),
        (25.0, 0.0, "±25 W as sd 25 W (the strictest reading), clean", True),
        (25.0, 10.0, "±25 W as sd 25 W, wandering base", False),
    )
    for sd, wander, label, target in variants:
        shown = 0
        errors: list[float] = []
        spreads: list[float] = []
        for seed in seeds:
            config = SimConfig(
                seed=seed,
                duration_s=4 * 3600.0,
                meter_interval_s=(2.0, 2.0),
                noise_pct=0.0,
                noise_w=sd,
                base_wander_pct=wander,
                fridge=False,
                events_per_device=6,
                devices=[
                    ApplianceSpec(
                        "light.lamp", "light", "onoff", 60.0, on_duration_s=(600.0, 1200.0)
                    )
                ],
            )
            engine = Engine(EngineConfig(main_meter=config.meter_id))
            replay(engine, HomeSimulator(config).records())
            profile = engine.profile("light.lamp")
            if profile is None or profile.learned_power_w is None:
                continue
            errors.append(abs(profile.learned_power_w - 60.0) / 60.0 * 100.0)
            spreads.append(profile.uncertainty_w or 0.0)
            shown += profile.confidence >= 0.5
        share = shown / len(seeds)
        verdict = ("PASS" if share >= 0.9 else "FAIL") if target else ""
        lines.append(
            f"| {label} | {shown}/{len(seeds)} | {_fmt(_median(errors))} % "
            f"| {_fmt(_median(spreads))} W | {'>= 90 % of seeds' if target else '(info)'} "
            f"| {verdict} |"
        )
    lines.append("")
    return lines

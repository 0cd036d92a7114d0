"""The event-rate benchmark for two engine versions, alternating in one process.

    scripts/in-env python -m tests.benchmarks.engine_ab REV_A REV_B [DEVICES]

REV is a git revision (its engine/ is read with `git show`: run it from a plain clone, since a
git worktree's repository is outside what scripts/in-env mounts) or `work` (the working tree). On a
shared machine the speed drifts by 10 % within minutes; running both versions in turn, several
times, compares them under the same conditions, which two separate benchmark runs do not.
"""

from dataclasses import asdict, fields
import importlib
from pathlib import Path
import statistics
import subprocess
import sys
import tempfile
from types import ModuleType
from typing import Any

from tests.benchmarks.engine_speed import METER, event_stream, gate_for, timed_events

ENGINE = "custom_components/energy_correlator/engine"
ROUNDS = 8


def snapshot(rev: str, name: str, root: Path) -> ModuleType:
    """The engine package at `rev`, importable as `<name>` from `root`."""
    target = root / name
    target.mkdir()
    if rev == "work":
        for source in Path(ENGINE).glob("*.py"):
            (target / source.name).write_bytes(source.read_bytes())
    else:
        listing = subprocess.run(
            ["git", "ls-tree", "--name-only", f"{rev}:{ENGINE}"],
            capture_output=True,
            text=True,
            check=True,
        )
        for file in listing.stdout.split():
            if file.endswith(".py"):
                shown = subprocess.run(
                    ["git", "show", f"{rev}:{ENGINE}/{file}"], capture_output=True, check=True
                )
                (target / file).write_bytes(shown.stdout)
    return importlib.import_module(name)


def rate(package: ModuleType, devices: int) -> float:
    """One run of the event-rate benchmark (events/s) with this engine package."""
    stream = event_stream(40.0, 10_000, devices)
    models = importlib.import_module(f"{package.__name__}.models")
    events: list[Any] = [
        models.DeviceEvent(**{**asdict(e), "kind": models.TransitionKind(e.kind.value)})
        for e in stream.events
    ]
    gate = {"max_power_w": gate_for(stream)}  # engines from before the gate have no such field
    known = {item.name for item in fields(models.EngineConfig)}
    config = models.EngineConfig(main_meter=METER, **{k: v for k, v in gate.items() if k in known})
    spent, _ = timed_events(package.Engine(config), stream, events)
    return len(events) / spent


def main(argv: list[str]) -> None:
    """Alternate the two versions ROUNDS times; print best and median events/s of each."""
    first, second = argv[0], argv[1]
    devices = int(argv[2]) if len(argv) > 2 else 20
    with tempfile.TemporaryDirectory() as folder:
        sys.path.insert(0, folder)
        packages = [
            snapshot(first, "engine_a", Path(folder)),
            snapshot(second, "engine_b", Path(folder)),
        ]
        rates: list[list[float]] = [[], []]
        for _ in range(ROUNDS):
            for index, package in enumerate(packages):
                rates[index].append(rate(package, devices))
    for rev, found in zip((first, second), rates, strict=True):
        print(
            f"{rev:>12}: best {max(found):,.0f} events/s, median {statistics.median(found):,.0f}"
            f" ({devices} devices, {ROUNDS} runs each, alternating)"
        )


if __name__ == "__main__":
    main(sys.argv[1:])

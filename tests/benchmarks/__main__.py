"""`python -m tests.benchmarks [name ...]`: run bench_<name>.py modules (all when none named)."""

import importlib
import pkgutil
import sys
import time

import tests.benchmarks as package

PREFIX = "bench_"


def available() -> list[str]:
    """Names of the benchmark modules beside this file, sorted."""
    return sorted(
        info.name.removeprefix(PREFIX)
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith(PREFIX)
    )


def run(names: list[str]) -> int:
    """Run the named benchmarks in order; an unknown name is an error (exit code 2)."""
    known = available()
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(known)}")
        return 2
    for name in names or known:
        module = importlib.import_module(f"{package.__name__}.{PREFIX}{name}")
        started = time.perf_counter()
        module.main()
        print(f"\n_{PREFIX}{name} took {time.perf_counter() - started:.1f} s_\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))

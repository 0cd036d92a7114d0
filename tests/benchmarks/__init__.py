"""Speed, memory and accuracy benchmarks, run by `scripts/bench [name ...]`.

`scripts/bench` runs `python -m tests.benchmarks`. Convention: every module
`tests/benchmarks/bench_<name>.py` exposes `def main() -> None` that prints one markdown section
(a `## ` heading, then tables), with each target printed beside its measurement and PASS/FAIL.
The runner discovers them by name and runs all of them in name order, or only the ones named on
the command line (`scripts/bench engine influx`). Helpers that are not benchmarks (e.g.
`naive.py`, the seed design kept as the baseline) have no `bench_` prefix. Benchmarks are not
collected by pytest (`norecursedirs`), so they may take minutes.
"""

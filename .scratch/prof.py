import cProfile, pstats, sys
from tests.benchmarks.engine_speed import event_rate
for n in (20,200):
    print(n, event_rate(spacing_s=40.0, events=10_000, devices=n)[0])
if len(sys.argv)>1:
    cProfile.run("event_rate(spacing_s=40.0, events=10_000, devices=20, repeats=1)", ".scratch/p.out")
    p=pstats.Stats(".scratch/p.out"); p.sort_stats("tottime").print_stats(30)

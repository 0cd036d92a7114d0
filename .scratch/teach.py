import time, cProfile, pstats
from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book, devices, engine as eng
calls=[]
orig = eng.Engine._teach
def rec(self, event, delta, conf, rb, ra):
    calls.append((event, delta, self._now))
    return orig(self, event, delta, conf, rb, ra)
eng.Engine._teach = rec
event_rate(spacing_s=40.0, events=10_000, devices=20, repeats=1)
eng.Engine._teach = orig
print(len(calls))
def go():
    b = book.ProfileBook(); d = devices.DeviceLedger(b.power_at)
    t0=time.perf_counter()
    for ev, delta, now in calls:
        d.set_level(ev.entity_id, ev.ts, ev.level)
        d.book(ev.entity_id, now)
        b.teach(ev, delta)
    return (time.perf_counter()-t0)/len(calls)*1e6
print("per lesson (set_level+book+teach) us", min(go() for _ in range(5)))
cProfile.run("go()", ".scratch/t.out")
pstats.Stats(".scratch/t.out").sort_stats("tottime").print_stats(20)

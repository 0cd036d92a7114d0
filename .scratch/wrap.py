import time
from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book, series, engine as eng, devices, correlate, baseline
acc = {}
def wrap(cls, name):
    f = getattr(cls, name)
    key = f"{cls.__name__}.{name}"
    acc[key] = [0.0, 0]
    c = time.perf_counter
    def w(*a, **k):
        t = c(); r = f(*a, **k); a_ = acc[key]; a_[0] += c() - t; a_[1] += 1; return r
    setattr(cls, name, w)
wrap(book.ProfileBook, "teach")
wrap(series.PowerSeries, "window")
wrap(devices.DeviceLedger, "book")
wrap(devices.DeviceLedger, "set_level")
wrap(correlate.Correlator, "_cluster")
wrap(correlate.Correlator, "_confidence")
wrap(correlate.Correlator, "add")
wrap(eng.Engine, "add_event")
r = event_rate(spacing_s=40.0, events=10_000, devices=20, repeats=1)
for k, (t, n) in acc.items():
    print(f"{k:30s} {n:6d} {t/10000*1e6:6.2f} us/event")

from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book, devices, profiles
def run(label):
    r = [event_rate(spacing_s=40.0, events=10_000, devices=n)[0] for n in (20,200)]
    print(f"{label:30s} {1e6/r[0]:6.2f} us  {1e6/r[1]:6.2f} us")
run("base")
orig_power_at = book.ProfileBook.power_at
book.ProfileBook.power_at = lambda self, e, l: 100.0
run("power_at const")
src = profiles._Bucket.append
def append(self, value, ts, level, direction):
    st = self._stats
    src(self, value, ts, level, direction)
    if st is not None: self._stats = st
profiles._Bucket.append = append
run("power_at const + stale stats")

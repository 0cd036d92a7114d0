from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book, devices, profiles, correlate, engine as eng, checks
def run(label):
    r = [min(1e6/event_rate(spacing_s=40.0, events=10_000, devices=n)[0] for _ in range(2)) for n in (20,200)]
    print(f"{label:30s} {r[0]:6.2f} us  {r[1]:6.2f} us", flush=True)
run("base")
o = correlate._reference
correlate._reference = lambda *a: (None, None, None)
run("no _reference"); correlate._reference = o
o = correlate.Correlator._confidence
correlate.Correlator._confidence = lambda self, *a: 0.9
run("const confidence"); correlate.Correlator._confidence = o
o = correlate.Correlator._cluster
correlate.Correlator._cluster = lambda self, e: (e.ts, e.ts, [])
run("no cluster"); correlate.Correlator._cluster = o
o = eng.validate_event
eng.validate_event = lambda e: None
run("no validate"); eng.validate_event = o
o = devices.DeviceLedger.book
devices.DeviceLedger.book = lambda *a: None
run("no book"); devices.DeviceLedger.book = o
o = correlate.Correlator.forget_before
correlate.Correlator.forget_before = lambda *a: None
run("no forget"); correlate.Correlator.forget_before = o

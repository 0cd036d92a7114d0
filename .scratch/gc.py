import gc, sys
from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book
def run(label):
    r = [event_rate(spacing_s=40.0, events=10_000, devices=n)[0] for n in (20,200)]
    print(f"{label:30s} {1e6/r[0]:6.2f} us  {1e6/r[1]:6.2f} us")
print(sys.version, gc.get_threshold())
run("base")
gc.disable()
run("gc disabled")
gc.enable()
book.ProfileBook.teach = lambda self, *a, **k: True
run("no teach")
gc.disable()
run("no teach gc disabled")

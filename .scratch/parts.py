import sys
from tests.benchmarks.engine_speed import event_rate
from custom_components.energy_correlator.engine import book, series, correlate, engine as eng, devices
def run(label):
    r = [event_rate(spacing_s=40.0, events=10_000, devices=n)[0] for n in (20,200)]
    print(f"{label:30s} {1e6/r[0]:6.2f} us  {1e6/r[1]:6.2f} us")
run("base")
orig_teach = book.ProfileBook.teach
book.ProfileBook.teach = lambda self, *a, **k: True
run("no teach")
orig_window = series.PowerSeries.window
W = series.WindowStats(0,1,300.0,3.0,0.0,20,False)
series.PowerSeries.window = lambda self, s, e: W
run("no teach, no window")
book.ProfileBook.teach = orig_teach
run("no window")

import timeit
from custom_components.energy_correlator.engine.models import Correlation, Status, TransitionKind
from custom_components.energy_correlator.engine.stats import robust_centre_sorted
import random
a=("e","switch",TransitionKind.ONOFF,"off","on",1.0,0.0,1.0,300.0,400.0,100.0,33.0,40,0.9,Status.OK,(),0.0,None,True)
print("Correlation", timeit.timeit(lambda: Correlation(*a), number=200000)/0.2, "us")
o=sorted(random.gauss(100,2) for _ in range(32))
print("robust", timeit.timeit(lambda: robust_centre_sorted(o), number=200000)/0.2, "us")
vals=[random.gauss(300,5) for _ in range(21)]; durs=[1.0+random.random()*0.3 for _ in range(21)]
from itertools import accumulate
from bisect import bisect_left
def tw1():
    count=len(vals); order = sorted(range(count), key=vals.__getitem__)
    ordered = list(map(vals.__getitem__, order))
    running = list(accumulate(map(durs.__getitem__, order)))
    return ordered[bisect_left(running, sum(durs)/2)]
def tw2():
    pairs=sorted(zip(vals,durs)); half=sum(durs)/2; acc=0.0
    for v,d in pairs:
        acc+=d
        if acc>=half: return v
def pm():
    o=sorted(vals); return o[len(o)//2]
for f in (tw1,tw2,pm): print(f.__name__, timeit.timeit(f, number=200000)/0.2, "us")

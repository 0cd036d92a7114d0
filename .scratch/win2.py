import timeit, random
from bisect import bisect_right
from operator import sub, itemgetter
from itertools import accumulate
random.seed(1)
ts=[]; w=[]; t=0.0
for i in range(900):
    t+=1+random.random()*0.3; ts.append(t); w.append(round(300+random.gauss(0,5),1))
start=t-200; end=t-180
N=200000
def T(f): return timeit.timeit(f, number=N)/N*1e6
def bis():
    first = bisect_right(ts, start); last = bisect_right(ts, end, first)
first = bisect_right(ts, start); last = bisect_right(ts, end, first); head=first-1
def slices():
    values = w[head:last]; starts = ts[head:last]
    if starts[0] < start: starts[0]=start
    ends = starts[1:]; ends.append(end)
values = w[head:last]; starts = ts[head:last]; starts[0]=start; ends=starts[1:]; ends.append(end)
def nan(): return float('nan') in values
def srt(): return sorted(zip(values, map(sub, ends, starts)))
pairs=srt()
def loop():
    half=0.5*(end-starts[0]); running=0.0
    for median, d in pairs:
        running+=d
        if running>=half: break
    return median
def acc():
    half=0.5*(end-starts[0])
    r=list(accumulate(map(itemgetter(1), pairs)))
    from bisect import bisect_left
    return pairs[bisect_left(r, half)][0]
def iqr():
    c=len(pairs); return 0.74*(pairs[(3*c)//4][0]-pairs[c//4][0])
def drift():
    c=len(values); s=c//2
    return sum(values[s:])/(c-s)-sum(values[:s])/s
for f in (bis,slices,nan,srt,loop,acc,iqr,drift): print(f.__name__, round(T(f),3))
print(len(values))

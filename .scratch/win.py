import timeit, random
from custom_components.energy_correlator.engine.series import PowerSeries
s=PowerSeries()
t=0.0
for i in range(900):
    t+=1+random.random()*0.3; s.add(t, 300+random.gauss(0,5))
print("window hot", timeit.timeit(lambda: s.window(t-200, t-180), number=100000)/0.1, "us")

"""ShowVersions and GenerateReflections, two project-free functions of the scripting interface."""
import beamkit.powder as G2sc

print(f'Version information:\n{G2sc.ShowVersions()}')
refs = G2sc.GenerateReflections('P 1', (5., 6., 7., 90, 90, 90), TTmax=20, wave=1)
for r in refs:
    print(r)
print(len(G2sc.GenerateReflections('F d -3 m', (5.431,) * 3 + (90,) * 3, dmin=0.8)), "Si reflections to d = 0.8 Å")

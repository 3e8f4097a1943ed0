"""The PythonScript tutorial (PbSO4 X-ray + neutron joint refinement), notes §13.2."""
import json

import numpy as np
import pytest

from tests.conftest import shared_file

# step: (wR XRA, wR CWN) from GSAS-II (notes §13.2)
REF_WR = {4: (40.8844, 18.5726), 5: (36.7196, 20.6075), 6: (30.7199, 14.9770),
          7: (21.5276, 14.9731), 8: (11.1642, 6.8345), 9: (10.5732, 4.5347)}
# GSAS-II's 'Max shft/sig' after each step (summaries_all.json, 'ps_multi'): the largest total
# shift of the step over its esd, a fingerprint of where its Levenberg-Marquardt run stopped
REF_MSS = {4: 132.770, 5: 8.6139, 6: 30.752, 7: 35.769, 8: 103.080, 9: 26.378}
# and its largest Marquardt lambda per step
REF_LAM = {4: 0.0, 5: 0.0, 6: 0.0, 7: 10.0, 8: 0.1, 9: 0.0}
# reflections per histogram (X-ray, neutron): the set GSAS-II fixes when each refinement starts
REF_NREF = {4: (384, 203), 5: (384, 203), 6: (384, 204), 7: (383, 203), 8: (383, 203), 9: (382, 198)}


def test_pbso4_tutorial_steps(tmp_path):
    import beamkit.powder as G2sc
    d = shared_file("gsas2-data", "PythonScript", "data")
    recipe = json.loads((d / "example.json").read_text())["refinements"]
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "PbSO4.gpx"))
    h1 = gpx.add_powder_histogram(str(d / "PBSO4.XRA"), str(d / "INST_XRY.PRM"), fmthint="GSAS powder")
    h2 = gpx.add_powder_histogram(str(d / "PBSO4.CWN"), str(d / "inst_d1a.prm"), fmthint="GSAS powder")
    ph = gpx.add_phase(str(d / "PbSO4-Wyckoff.cif"), phasename="PbSO4", histograms=[h1, h2])
    gpx.data["Controls"]["data"]["max cyc"] = 8
    h2.data["Sample Parameters"]["Gonio. radius"] = 650.0
    steps = iter(sorted(REF_WR))
    seen = []
    for i, step in enumerate(recipe):
        step = {k: v for k, v in step.items() if k not in ("call", "output")}
        if "skip" in step and "set" not in step:
            continue
        gpx.do_refinements([step])
        if "skip" in step:
            continue
        n = next(steps)
        wr = (h1.get_wR(), h2.get_wR())
        seen.append((n, wr))
        assert wr == pytest.approx(REF_WR[n], rel=0.01), (n, wr)        # issue: 1 % relative
        assert wr == pytest.approx(REF_WR[n], rel=5e-4), (n, wr)        # measured: within 0.027 %
        assert (h1.residuals["0:0:Nref"], h2.residuals["0:1:Nref"]) == REF_NREF[n], n
        mss = gpx.data["Covariance"]["data"]["Rvals"]["Max shft/sig"]
        assert mss == pytest.approx(REF_MSS[n], rel=0.01), (n, mss)     # measured: within 0.4 %
        assert gpx.data["Covariance"]["data"]["Rvals"]["lamMax"] == pytest.approx(REF_LAM[n]), n
    assert [s[0] for s in seen] == [4, 5, 6, 7, 8, 9]
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    assert rv["Nobs"] == 8378 and rv["Nvars"] == 41
    # the issue asks 0.5 %.  Measured 10.5729 / 4.5348, GOF 2.2564 (-0.003 / +0.002 / -0.004 %;
    # chi² 42448.2 vs 42449.1), in 4 cycles with lamMax 0 (GSAS-II: 4 cycles, 0); every step within
    # 0.027 %.  GSAS-II behaviours that brought it there from 10.517 (-0.53 %; steps 7/8 were
    # -0.4 / -0.9 %): the allowed chi² rise doubles after each refused trial (lsq.py); f' with
    # GSAS-II's relativistic term (Pb -4.078, scattering.py); derivatives of CW widths floored at
    # 0.001 are those of the unfloored expressions (X-ray U goes negative in step 9); each
    # refinement keeps the reflection set it starts with (calc.gsas_reflection_set); and the FCJ
    # asymmetry uses PSVFCJO's quadrature (profile_cw: half Gauss-Legendre rule, node count from
    # |2θ - 2φmin| in degrees), which moves low-angle peak intensity as GSAS-II does.
    assert h1.get_wR() == pytest.approx(10.5732, rel=0.005) and h2.get_wR() == pytest.approx(4.5347, rel=0.005)
    assert h1.get_wR() == pytest.approx(10.5732, rel=2e-4) and h2.get_wR() == pytest.approx(4.5347, rel=2e-4)
    assert rv["ncyc"] == 4
    assert rv["GOF"] == pytest.approx(2.2565, rel=0.005) and rv["GOF"] == pytest.approx(2.2565, rel=2e-4)
    # final cell and atoms within 3 esd of GSAS-II's
    a, b, c = ph.data["General"]["Cell"][1:4]
    vals, esd = [], []
    for k, ref in zip(("0::A0", "0::A1", "0::A2"), (0.013926008, 0.034371274, 0.020676484)):
        v, s = gpx.get_Variable(k)
        assert abs(v - ref) < 3 * s, (k, v, ref, s)
    assert (a, b, c) == pytest.approx((8.473965, 5.393891, 6.954432), abs=3 * 0.000177)
    ref_atoms = {"Pb": (0.187545, 0.25, 0.167274, 0.021437), "S": (0.064703, 0.25, 0.683429, 0.007926),
                 "O1": (-0.092959, 0.25, 0.595418, 0.025284), "O2": (0.193575, 0.25, 0.542553, 0.017731),
                 "O3": (0.080813, 0.026999, 0.809246, 0.017402)}
    for i, at in enumerate(ph.data["Atoms"]):
        rx = ref_atoms[at[0]]
        for k, ax in enumerate("xyz"):
            name = f"0::dA{ax}:{i}"
            v, s = gpx.get_Variable(name) if name in gpx.get_VaryList() else (at[3 + k], None)
            if s is None:
                assert v == pytest.approx(rx[k], abs=1e-9)
            else:
                assert abs(v - rx[k]) < 3 * s, (at[0], ax, v, rx[k], s)
        v, s = gpx.get_Variable(f"0::AUiso:{i}")
        assert abs(v - rx[3]) < 3 * s, (at[0], "Uiso", v, rx[3], s)
    # get_Covariance of the cell terms: same magnitude as GSAS-II's
    vals, cov = gpx.get_Covariance(["0::A0", "0::A1", "0::A2"])
    assert np.sqrt(np.diag(cov)) == pytest.approx([5.83e-7, 1.479e-6, 9.14e-7], rel=0.2)
    # an unrefined variable: value and no esd
    v, s = gpx.get_Variable(":0:Zero")
    assert s is None and v == pytest.approx(0.0)

"""CW peak widths at GSAS-II's floor (sig, gam ≥ 0.001): value floored, derivative not.

GSAS-II (GSASIIstrMath.GetReflSigGamCW) floors the Gaussian variance and the Lorentzian width of
every reflection at 0.001 but differentiates the unfloored expressions (e.g. dsig/dU = tan²θ), so
a reflection whose width sits on the floor still pulls on U, V, W.  The PbSO4 tutorial's step 9
(notes §13.2) depends on it: X-ray U goes negative and GSAS-II's 4 cycles are reproduced only so.
"""
from pathlib import Path

import numpy as np

import beamkit.powder as G2sc
from beamkit.powder.derivatives import ProjectObjective

PDATA = Path(G2sc.__file__).parent / "data"


def _project(u):
    g = G2sc.G2Project(newgpx=None)
    g.add_phase(str(PDATA / "NaCl.cif"), phasename="NaCl")
    h = g.add_simulated_powder_histogram("sim", str(PDATA / "lab_CuKa.instprm"), 20., 120., Npoints=2000,
                                         phases="all", noise_seed=False)
    g.compute()
    h.data["data"][1][1][:] = h.getdata("ycalc") + 1.0        # noise-free "observed" pattern
    h.data["data"][1][2][:] = 1.0
    h.data["Instrument Parameters"][0]["U"][1] = u
    h.set_refinements({"Instrument Parameters": ["U"]})
    return g


def test_floored_width_keeps_the_unfloored_derivative():
    obj = ProjectObjective(_project(-20.0))
    J = obj.jacobian(obj.values())[:, obj.vary.index(":0:U")]
    c = obj.calcs[0]
    cols = c.reflections(c.x)["NaCl"]
    floored = cols["sig_raw"] < 0.001
    assert floored.any() and (~floored).any()
    np.testing.assert_array_equal(cols["sig"][floored], 0.001)
    # the full numerical derivative of the pattern vanishes around a floored peak; GSAS-II's does not
    fd = c.full_fd_column(obj.vars[":0:U"])
    k = int(np.flatnonzero(floored)[0])
    near = np.abs(c.x - cols["pos"][k]) < 0.05
    assert np.max(np.abs(fd[near])) < 1e-6 * np.max(np.abs(J[near]))
    # around an unfloored peak the two agree
    k = int(np.flatnonzero(~floored)[0])
    near = np.abs(c.x - cols["pos"][k]) < 0.05
    np.testing.assert_allclose(J[near], fd[near], rtol=1e-3, atol=1e-6 * np.max(np.abs(J[near])))


def test_negative_size_trial_is_evaluated_not_rejected():
    """A refinement trial can drive Size;i below zero: GSAS-II evaluates 1/size (negative size
    broadening, total width floored), so the trial gets a finite chi² instead of an error."""
    g = _project(2.0)
    ph = g.phases()[0]
    hap = next(iter(ph.data["Histograms"].values()))
    hap["Size"][1][0] = -0.5
    obj = ProjectObjective(g)
    r = obj.residual(obj.values(), derivs=False)
    assert np.all(np.isfinite(r)) and float(r @ r) > 0

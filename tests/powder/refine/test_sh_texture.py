"""Spherical-harmonic preferred orientation in the calculation and the refinement.

The sequence is GSAS-II's own regression test (tests/test_scriptref.py; notes §13.1): PbSO4
X-ray + neutron, limits 16–110° / 19–120°, 3 cycles per step; the last step switches the
X-ray histogram to SH order 2 and sets the Pref.Ori. flag on both histograms (so the neutron
one refines its March–Dollase ratio).
"""
import numpy as np
import pytest

from tests.conftest import shared_file
from beamkit.powder.demo import DATA as POWDER_DATA

# GSAS-II (commit 013259a0) Rwp XRA / CWN after each step, notes §13.1
REF = {"start": (96.68110, 99.74899), "bkg": (45.81218, 17.86461), "cell": (32.47641, 15.02424),
       "must": (13.40580, 6.36132), "po": (13.16459, 6.38233)}
REF_C = {"C(2,0)": 0.12738304608160056, "C(2,2)": 0.09406424682955425}


@pytest.fixture(scope="module")
def scriptref(tmp_path_factory):
    """Run the test_scriptref sequence once; returns (project, h1, h2, phase, {step: (wR1, wR2)})."""
    import beamkit.powder as G2sc
    d = shared_file("gsas2-data", "PythonScript", "data")
    gpx = G2sc.G2Project(newgpx=str(tmp_path_factory.mktemp("shpo") / "scriptref.gpx"))
    h1 = gpx.add_powder_histogram(str(d / "PBSO4.XRA"), str(d / "INST_XRY.PRM"), fmthint="GSAS powder")
    h2 = gpx.add_powder_histogram(str(d / "PBSO4.CWN"), str(d / "inst_d1a.prm"), fmthint="GSAS powder")
    ph = gpx.add_phase(str(d / "PbSO4-Wyckoff.cif"), phasename="PbSO4", histograms=[h1, h2])
    wr = {}

    def note(step):
        wr[step] = (h1.get_wR(), h2.get_wR())

    gpx.set_Controls("cycles", 0)
    gpx.refine()
    note("start")
    h1.set_refinements({"Limits": [16.0, 110.0]})
    h2.set_refinements({"Limits": [19.0, 120.0]})
    gpx.set_Controls("cycles", 3)
    h2.data["Sample Parameters"]["Gonio. radius"] = 650.0
    h1.set_refinements({"Background": {"no. coeffs": 6, "refine": True}})
    h2.set_refinements({"Background": {"no. coeffs": 3, "refine": True}})
    gpx.refine()
    note("bkg")
    ph.set_refinements({"Cell": True})
    ph.set_HAP_refinements({"HStrain": True}, [h2])
    gpx.refine()
    note("cell")
    ph.set_HAP_refinements({"Mustrain": {"refine": True}}, [h1])
    h1.set_refinements({"Sample Parameters": {"Shift": True}})
    h2.set_refinements({"Sample Parameters": ["DisplaceX", "DisplaceY"]})
    ph.set_refinements({"Atoms": {"all": "XU"}})
    gpx.refine()
    note("must")
    ph.HAPvalue("PO", 2, [h1])
    ph.set_HAP_refinements({"Pref.Ori.": True})
    gpx.refine()
    note("po")
    return gpx, h1, h2, ph, wr


def test_scriptref_steps_before_texture(scriptref):
    wr = scriptref[4]
    # every step within 0.017 % of GSAS-II's since the f' and FCJ-quadrature parity (was up to 0.25 %)
    for step in ("start", "bkg", "cell", "must"):
        assert wr[step] == pytest.approx(REF[step], rel=2e-4), step


def test_scriptref_sh_preferred_orientation(scriptref):
    gpx, h1, h2, ph, wr = scriptref
    # GSAS-II 13.16459 / 6.38233; within 0.017 %
    assert wr["po"] == pytest.approx(REF["po"], rel=2e-4)
    # texture lowered the X-ray wR from the step before (it is the only new X-ray freedom)
    assert wr["po"][0] < wr["must"][0] - 0.2
    po = ph.HAPvalue("PO", targethistlist=[h1])
    assert po[0] == "SH" and po[4] == 2 and sorted(po[5]) == sorted(REF_C)
    # measured: C(2,0) 0.127232, C(2,2) 0.094027 (GSAS-II's own test allows rtol 1e-3 on its values)
    for k, ref in REF_C.items():
        assert po[5][k] == pytest.approx(ref, rel=3e-3), k
    vary = gpx.get_VaryList()
    assert {"0:0:C(2,0)", "0:0:C(2,2)", "0:1:MD"} <= set(vary)
    for k, ref in REF_C.items():
        v, s = gpx.get_Variable("0:0:" + k)
        assert s is not None and 0 < s < 0.05 and abs(v - ref) < 3 * s
    # the neutron histogram stays March-Dollase; its ratio refined and stays close to 1
    po2 = ph.HAPvalue("PO", targethistlist=[h2])
    assert po2[0] == "MD" and po2[1] == pytest.approx(1.0, abs=0.02)


def test_sh_intensity_factor_in_reflection_list(scriptref):
    """Icorr carries the SH factor: dividing it out of the X-ray list gives the plain Icorr."""
    from beamkit.powder import calc, texture
    from beamkit.powder.crystal import space_group
    gpx, h1, h2, ph, wr = scriptref
    res = calc.pattern_from_dicts(h1.data, {ph.name: ph.data})
    cols = res["reflists"][ph.name]
    hkl = np.stack([cols["h"], cols["k"], cols["l"]], axis=1)
    sg = space_group("P n m a")
    po = ph.HAPvalue("PO", targethistlist=[h1])
    cell = ph.data["General"]["Cell"][1:7]
    A = texture.sh_po_correction(hkl, cell, sg, cols["pos"] / 2.0, po[5], "Bragg-Brentano", 0.0)
    assert np.allclose(cols["PO"], A, rtol=1e-10)
    assert np.ptp(A) > 0.1                      # a real, reflection-dependent correction
    hap = ph.data["Histograms"][h1.name]
    saved = dict(po[5])
    try:
        for k in po[5]:
            hap["Pref.Ori."][5][k] = 0.0
        flat = calc.pattern_from_dicts(h1.data, {ph.name: ph.data})["reflists"][ph.name]
    finally:
        hap["Pref.Ori."][5].update(saved)
    assert np.allclose(cols["Icorr"], flat["Icorr"] * A, rtol=1e-10)


def test_sh_derivatives_match_full_differences(scriptref):
    """The SH coefficient columns of the Jacobian agree with central differences of the pattern."""
    from beamkit.powder.derivatives import ProjectObjective
    gpx = scriptref[0]
    obj = ProjectObjective(gpx)
    obj.residual(obj.values())
    calc0 = obj.calcs[0]
    for name in ("0:0:C(2,0)", "0:0:C(2,2)"):
        var = obj.vars[name]
        col = calc0.column(var, obj)
        assert np.array_equal(col, calc0._sh_column(name, name.split(":")[2]))   # the analytic path
        ref = calc0.full_fd_column(var)
        scale = np.max(np.abs(ref))
        assert scale > 0
        assert np.max(np.abs(col - ref)) < 1e-5 * scale, name


def test_sh_not_refined_in_lebail_mode(scriptref):
    from beamkit.powder.derivatives import project_variables
    gpx, h1, h2, ph, wr = scriptref
    hap = ph.data["Histograms"][h1.name]
    assert project_variables(gpx)["0:0:C(2,0)"].refined()
    hap["LeBail"] = True
    try:
        assert not project_variables(gpx)["0:0:C(2,0)"].refined()
    finally:
        hap["LeBail"] = False


def test_hapvalue_po_order_errors_and_switch(scriptref):
    from beamkit.errors import ParameterError
    gpx, h1, h2, ph, wr = scriptref
    with pytest.raises(ParameterError):
        ph.HAPvalue("PO", 3, [h2])              # odd SH order
    import copy
    hap = ph.data["Histograms"][h2.name]
    keep = copy.deepcopy(hap["Pref.Ori."])
    try:
        ph.HAPvalue("PO", 4, [h2])
        po = hap["Pref.Ori."]
        # mmm: L = 2 (N = 0, 2) and L = 4 (N = 0, 2, 4)
        assert po[0] == "SH" and sorted(po[5]) == sorted(
            ["C(2,0)", "C(2,2)", "C(4,0)", "C(4,2)", "C(4,4)"])
        ph.HAPvalue("PO", 1.1, [h2])
        assert po[0] == "MD" and po[1] == pytest.approx(1.1)
    finally:
        hap["Pref.Ori."] = keep


def test_sh_tof_uses_the_bank_angle(tmp_path):
    """TOF: one ψ for all reflections (θ of the bank); the factor and its analytic derivative."""
    import beamkit.powder as G2sc
    from beamkit.powder import calc, texture
    from beamkit.powder.crystal import space_group
    from beamkit.powder.derivatives import ProjectObjective
    ip = POWDER_DATA / "POWGEN_1066.instprm"
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "tof.gpx"))
    ph = gpx.add_phase(str(shared_file("gsas2-data", "PythonScript", "data", "PbSO4-Wyckoff.cif")),
                       phasename="PbSO4", fmthint="CIF")
    h = gpx.add_simulated_powder_histogram("sim", str(ip), 14.0, 20.0, Npoints=600, phases=gpx.phases(),
                                           ibank=2)
    ph.HAPvalue("PO", 2, [h])
    po = ph.data["Histograms"][h.name]["Pref.Ori."]
    po[5].update({"C(2,0)": 0.2, "C(2,2)": -0.1})
    po[2] = True
    cols = calc.pattern_from_dicts(h.data, {ph.name: ph.data})["reflists"][ph.name]
    hkl = np.stack([cols["h"], cols["k"], cols["l"]], axis=1)
    A = texture.sh_po_correction(hkl, ph.data["General"]["Cell"][1:7], space_group("P n m a"), 45.0,
                                 po[5], "Debye-Scherrer", 0.0)
    assert np.allclose(cols["PO"], A, rtol=1e-10) and np.ptp(A) > 0.05
    obj = ProjectObjective(gpx)
    obj.residual(obj.values())
    c = obj.calcs[0]
    for name in ("0:0:C(2,0)", "0:0:C(2,2)"):
        col = c.column(obj.vars[name], obj)
        ref = c.full_fd_column(obj.vars[name])
        assert np.max(np.abs(col - ref)) < 1e-5 * np.max(np.abs(ref)), name

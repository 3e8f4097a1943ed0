"""The refinement listing (.lst) written by G2Project.refine, as GSAS-II does."""
import re

import pytest

from beamkit.powder import listing
from beamkit.powder.refine_api import run_refinement_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("lst")
    return run_refinement_demo(out), out


def test_refine_writes_the_listing_with_settings_and_results(demo):
    import beamkit.powder as G2sc
    res, out = demo
    text = open(res["lst"]).read()
    gpx = G2sc.G2Project(res["project"])
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    # settings (state before the last refinement, with flags), then results
    assert text.index(" Least squares controls:") < text.index(" Refinement results:")
    assert "Maximum number of cycles: 10" in text and " Space Group: F m -3 m" in text
    assert re.search(r" Background function: chebyschev-1 Refine\? True", text)
    assert f" No. of observations: {rv['Nobs']} No. of parameters: {rv['Nvars']}" in text
    m = re.search(r" wR =\s+([\d.]+)%, chi\*\*2 =\s+([\d.]+), GOF =\s+([\d.]+)", text)
    assert float(m.group(1)) == pytest.approx(rv["Rwp"], abs=0.006)
    assert float(m.group(3)) == pytest.approx(rv["GOF"], abs=0.006)
    h = gpx.histogram(0)
    m = re.search(r" Final refinement wR = ([\d.]+)% on (\d+) observations in this histogram", text)
    assert float(m.group(1)) == pytest.approx(h.get_wR(), abs=0.006) and int(m.group(2)) == rv["Nobs"]
    # the refined cell with its esd, as get_cell_and_esd gives it
    cell, esd = gpx.phase(0).get_cell_and_esd()
    block = text[text.index(" New unit cell:"):].splitlines()
    vals = [float(v) for v in block[2].split(":")[1].split()]
    esds = block[3].split(":")[1].split()
    assert vals[0] == pytest.approx(cell["length_a"], abs=1e-6)
    assert float(esds[0]) == pytest.approx(esd["length_a"], rel=1e-3) and esd["length_a"] > 0
    # atoms: the refined Uiso carries an esd, x (fixed by symmetry) none
    assert re.search(r"\n\s+Na1\s+Na:\n values:.*\n sig   : {40,}\S", text)
    assert not list(out.glob("*.tmp*")) and not list(out.glob(".*tmp*"))


def test_printfile_and_listing_of_an_unrefined_project(demo, tmp_path):
    import beamkit.powder as G2sc
    res, _ = demo
    gpx = G2sc.G2Project(res["project"])
    gpx.set_Controls("cycles", 0)
    gpx.refine(printFile=str(tmp_path / "custom.lst"))
    text = (tmp_path / "custom.lst").read_text()
    rv = gpx.data["Covariance"]["data"]["Rvals"]
    m = re.search(r" wR =\s+([\d.]+)%", text)
    assert float(m.group(1)) == pytest.approx(rv["Rwp"], abs=0.006)
    # the project's own .lst (the demo's refinement) was not overwritten by this one
    assert open(res["lst"]).read() != text
    # without a timing the results part has no time line; with one it has
    assert " Refinement time" not in listing.results_text(gpx)
    assert " Refinement time =" in listing.results_text(gpx, 2.0)


def test_listing_of_a_tof_refinement(tmp_path):
    """TOF histograms: limits in µs, no resonant terms, wide values keep their columns apart."""
    from pathlib import Path
    import beamkit.powder as G2sc
    pdata = Path(G2sc.__file__).parent / "data"
    gpx = G2sc.G2Project(newgpx=str(tmp_path / "nacl.gpx"))
    gpx.add_phase(str(pdata / "NaCl.cif"), phasename="NaCl")
    gpx.add_simulated_powder_histogram("NaCl TOF", str(pdata / "POWGEN_1066.instprm"), 20., 30.,
                                       phases=gpx.phases(), ibank=2)
    gpx.compute()
    gpx.set_Controls("cycles", 2)
    gpx.do_refinements([{"set": {"Background": {"refine": True}}}])
    text = (tmp_path / "nacl.lst").read_text()
    assert " Instrument type: TOF" in text and " usec to " in text and "Resonant" not in text
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(" name  :") and "difC" in ln)
    names, values = lines[i].split(":", 1)[1].split(), lines[i + 1].split(":", 1)[1].split()
    assert len(names) == len(values) and float(values[names.index("difC")]) == pytest.approx(22600.2479, abs=1e-4)
